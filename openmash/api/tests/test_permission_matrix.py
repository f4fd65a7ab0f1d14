"""Every API route × every role × own/other agency → the expected status, with a valid body.

Roles as in tests/test_permission_matrix.py: rep_own is police (its agency has a request on the
referral), rep_other is education (none). `test_the_matrix_covers_every_route` fails when a route is
added without deciding who may use it.
"""

import pytest

from openmash.api.tests.bodies import decision_body, referral_body
from openmash.api.tests.conftest import T0
from openmash.api.tests.test_openapi import ROUTES
from openmash.core.testing.factories import make_triaged
from openmash.sharing.services import override_propose

ROLES = ["anonymous", "manager", "practitioner", "rep_own", "rep_other", "analyst", "admin", "ig"]
USERNAMES = {
    "manager": "manager", "practitioner": "practitioner", "rep_own": "police-rep", "rep_other": "education-rep",
    "analyst": "analyst", "admin": "admin", "ig": "ig",
}


def statuses(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES} | {"anonymous": by_role.get("anonymous", 401)}


HUB_ONLY = statuses(403, manager=200, practitioner=200)
MANAGER_ONLY_ON_A_VISIBLE_REFERRAL = statuses(404, manager=200, practitioner=403, rep_own=403)
# Hub staff record; the asked agency's representative knows the referral exists (403); anyone else 404.
HUB_STAFF_ON_A_VISIBLE_REFERRAL = statuses(404, manager=201, practitioner=201, rep_own=403)
# An agency representative never sees an override, even on a referral they can see.
MANAGER_ONLY_ON_AN_OVERRIDE = statuses(404, manager=200, practitioner=403)


def _consent_body(w):
    return {
        "person_ids": w["children"], "family_informed": "yes", "sought": "yes", "outcome": "given",
        "given_by": "parent_pr", "given_by_name": "Kerry Smith", "obtained_at": "2026-11-25T09:30:00+00:00", "method": "verbal",
    }


def _fresh_referral(hub, w):
    """One override at a time per referral: each role proposes on a referral of its own (police asked)."""
    return {"reference": make_triaged(hub, rating="red", agencies=["police"]).reference}


# (method, path) → (expected statuses, body maker[, per-role set-up returning path values])
MATRIX = {
    ("post", "/api/v1/referrals"): (statuses(403, manager=201, practitioner=201), lambda w: referral_body()),
    ("get", "/api/v1/referrals/{reference}"): (statuses(404, manager=200, practitioner=200, rep_own=200), None),
    ("post", "/api/v1/referrals/{reference}/triage"): (
        MANAGER_ONLY_ON_A_VISIBLE_REFERRAL, lambda w: {"rating": "amber", "rationale": "Re-rated.", "agencies": ["police"]},
    ),
    ("post", "/api/v1/referrals/{reference}/decision"): (
        statuses(404, manager=201, practitioner=403, rep_own=403),
        lambda w: decision_body(w["children"], early_decision_reason="Deciding now."),
    ),
    ("get", "/api/v1/information-requests"): (statuses(403, rep_own=200, rep_other=200), None),
    ("get", "/api/v1/information-requests/{request_id}"): (statuses(404, manager=200, practitioner=200, rep_own=200), None),
    ("post", "/api/v1/information-requests/{request_id}/answer"): (
        statuses(404, manager=403, practitioner=403, rep_own=201), lambda w: {"outcome": "not_known"},
    ),
    ("get", "/api/v1/people/search"): (HUB_ONLY, None),
    # The hub board (the default kind): hub staff only; a representative may have only their own
    # agency's board (tested in openmash/board/tests/test_api.py).
    ("get", "/api/v1/board"): (HUB_ONLY, None),
    ("post", "/api/v1/referrals/{reference}/consent"): (HUB_STAFF_ON_A_VISIBLE_REFERRAL, _consent_body),
    ("post", "/api/v1/referrals/{reference}/overrides"): (
        HUB_STAFF_ON_A_VISIBLE_REFERRAL,
        lambda w: {"lawful_basis": ["uk-gdpr-6-1-e"], "reason": "Seeking consent would put the children at risk."},
        _fresh_referral,
    ),
    ("post", "/api/v1/overrides/{override_id}/authorise"): (MANAGER_ONLY_ON_AN_OVERRIDE, lambda w: {}),
    ("post", "/api/v1/overrides/{override_id}/reject"): (MANAGER_ONLY_ON_AN_OVERRIDE, lambda w: {"reason": "Seek consent first."}),
    # Hub staff and information governance; everyone else, agency representatives included: 404.
    ("get", "/api/v1/referrals/{reference}/sharing-log"): (statuses(404, manager=200, practitioner=200, ig=200), None),
    ("get", "/api/v1/lawful-bases"): (statuses(200), None),
    # An agency's own records: its representative only (rep_own is police, the agency in the path).
    ("post", "/api/v1/agencies/{code}/people"): (
        statuses(403, rep_own=200), lambda w: {"rows": [{"source_id": "P1", "given_name": "Ava", "family_name": "Jones"}]},
    ),
    ("post", "/api/v1/agencies/{code}/involvements"): (
        statuses(403, rep_own=200), lambda w: {"rows": [{"source_id": "I1", "person_source_id": "P1", "role": "other"}]},
    ),
    # Aggregates: MASH managers and analysts.
    ("get", "/api/v1/reports/performance"): (statuses(403, manager=200, analyst=200), None),
}


def test_the_matrix_covers_every_route():
    assert set(MATRIX) == ROUTES


@pytest.fixture
def world(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["csc", "police"])
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=["uk-gdpr-6-1-e"], reason="Risk.")
    return {
        "reference": referral.reference,
        "request_id": referral.requests.get(agency__code="police").pk,
        "override_id": override.pk,
        "children": list(referral.people.filter(kind="child").values_list("person_id", flat=True)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0].upper()} {r[1]}")
def test_route_answers_each_role_as_decided(api, hub, world, route):
    method, template = route
    expected, make_body, *set_up = MATRIX[route]
    query = {"family_name": "smith"} if template.endswith("/search") else None
    if template.endswith("/performance"):
        query = {"from": "2026-01-01", "to": "2026-12-31"}
    problems = []
    # Roles that may act go last, so that a success (a decision, an answer) cannot change what the
    # others are told: refusals come before any state is looked at.
    for role in sorted(ROLES, key=lambda r: expected[r] < 300):
        values = {**world, **(set_up[0](hub, world) if set_up else {})}
        path = template.format(code="police", reference=values["reference"], request_id=values["request_id"], override_id=values["override_id"])
        as_ = USERNAMES.get(role)
        if method == "get":
            response = api.get(path, query, as_=as_)
        else:
            response = api.post(path, make_body(world), as_=as_)
        if response.status_code != expected[role]:
            problems.append(f"{method.upper()} {path} as {role}: expected {expected[role]}, got {response.status_code} {response.content[:200]!r}")
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/problem+json")
    assert not problems, "\n".join(problems)
