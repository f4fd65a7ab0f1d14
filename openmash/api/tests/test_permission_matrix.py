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

ROLES = ["anonymous", "manager", "practitioner", "rep_own", "rep_other", "analyst", "admin", "ig"]
USERNAMES = {
    "manager": "manager", "practitioner": "practitioner", "rep_own": "police-rep", "rep_other": "education-rep",
    "analyst": "analyst", "admin": "admin", "ig": "ig",
}


def statuses(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES} | {"anonymous": by_role.get("anonymous", 401)}


HUB_ONLY = statuses(403, manager=200, practitioner=200)
MANAGER_ONLY_ON_A_VISIBLE_REFERRAL = statuses(404, manager=200, practitioner=403, rep_own=403)

# (method, path) → (expected statuses, body maker)
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
}


def test_the_matrix_covers_every_route():
    assert set(MATRIX) == ROUTES


@pytest.fixture
def world(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["csc", "police"])
    return {
        "reference": referral.reference,
        "request_id": referral.requests.get(agency__code="police").pk,
        "children": list(referral.people.filter(kind="child").values_list("person_id", flat=True)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0].upper()} {r[1]}")
def test_route_answers_each_role_as_decided(api, world, route):
    method, template = route
    expected, make_body = MATRIX[route]
    path = template.format(reference=world["reference"], request_id=world["request_id"])
    query = {"family_name": "smith"} if template.endswith("/search") else None
    problems = []
    # Roles that may act go last, so that a success (a decision, an answer) cannot change what the
    # others are told: refusals come before any state is looked at.
    for role in sorted(ROLES, key=lambda r: expected[r] < 300):
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
