"""Restricted information never leaks, through any route, to anyone (issue 4, ADR 0011).

One referral carries three secrets, each a unique string:

* a police answer restricted to **MASH managers only**;
* an education answer **not to be disclosed to the family**;
* the **referrer's identity**, released by the manager to the GP practice only;
* the practitioners those two answers **name as involved** with a child (an involvement carries the
  restriction of the answer that named it, on the person page and in the household too).

The test then walks **every route the service has** — found from the URL resolver, so a route added
later is walked too — with every path parameter filled from the scenario, as every role (and as each
wall board), over GET, and checks where each secret appears:

| secret          | may appear for                               | never in                |
|-----------------|----------------------------------------------|-------------------------|
| manager-only    | MASH manager, the police representative      | letters, boards, exports|
| not-for-family  | hub staff, the education representative      | letters, boards         |
| referrer        | hub staff, information governance, the GP rep| boards                  |
| involved, manager-only answer | as manager-only                | letters, boards, exports|
| involved, not-for-family answer | as not-for-family            | letters, boards         |

The board's event stream is not walked: it is an endless response that carries only "this board
changed" (openmash/board/tests test that it holds no personal data).
"""

import datetime as dt
import itertools
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from openmash.accounts.services import api_token_create
from openmash.board.services import board_create
from openmash.core.testing.factories import answer, decide, make_notification, make_referral
from openmash.information_requests.models import InformationRequest
from openmash.information_requests.services import InvolvementInput
from openmash.referrals.services import referral_triage
from openmash.sharing.services import LetterInput, outcome_letter_create, referrer_release

MANAGER_ONLY = "CANARYMGRONLY7731"
NOT_FOR_FAMILY = "CANARYNOTFAMILY4410"
REFERRER = "Canaryreferrer Ninetytwo"
INVOLVED_MANAGER_ONLY = "DC Canaryinvolved Mgronly5521"
INVOLVED_NOT_FOR_FAMILY = "Canaryinvolved Notfamily3390"

ROLES = ["anonymous", "manager", "practitioner", "police-rep", "education-rep", "gp-rep", "housing-rep", "csc-rep",
         "analyst", "admin", "ig"]
ALLOWED = {
    MANAGER_ONLY: {"manager", "police-rep"},
    NOT_FOR_FAMILY: {"manager", "practitioner", "education-rep"},
    REFERRER: {"manager", "practitioner", "ig", "gp-rep"},
    INVOLVED_MANAGER_ONLY: {"manager", "police-rep"},
    INVOLVED_NOT_FOR_FAMILY: {"manager", "practitioner", "education-rep"},
}
NEVER_IN_LETTERS = {MANAGER_ONLY, NOT_FOR_FAMILY, INVOLVED_MANAGER_ONLY, INVOLVED_NOT_FOR_FAMILY}
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        text = str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + text)
        elif isinstance(p, URLPattern):
            yield prefix + text


def _concrete(route: str, values: dict[str, list[str]]) -> list[str]:
    """Every URL the route can take with the scenario's values for its parameters."""
    if "^" in route or "(?" in route:
        return []  # catch-all regex routes (the API's unknown-route handler) have no parameters to fill
    names = [m.group("name") for m in PARAM.finditer(route)]
    choices = [values.get(name, ["1"]) for name in names]
    urls = []
    for combo in itertools.product(*choices):
        it = iter(combo)
        urls.append("/" + PARAM.sub(lambda _m: str(next(it)), route))
    return urls


@pytest.fixture
def scenario(hub):
    referral = make_referral(hub, referrer_name=REFERRER, referrer_phone="020 7946 0999")
    referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="Because.",
                    agency_codes=["police", "education", "gp", "housing"])
    child = referral.people.filter(kind="child").values_list("person_id", flat=True).first()

    def involved(name, role):
        return [InvolvementInput(child=child, role=role, practitioner_name=name, practitioner_contact=f"{name} phone",
                                 start_date=dt.date(2025, 9, 1))]

    answer(hub, referral, "police", summary=f"Known to police {MANAGER_ONLY}", detail=MANAGER_ONLY, restriction="manager_only",
           involvements=involved(f"{INVOLVED_MANAGER_ONLY} first", "police_officer"))
    answer(hub, referral, "police", summary=f"Known to police {MANAGER_ONLY}", restriction="manager_only",
           correction_reason=f"Wrong nominal linked {MANAGER_ONLY}",  # a correction's reason is as secret as the answer
           involvements=involved(INVOLVED_MANAGER_ONLY, "police_officer"))
    answer(hub, referral, "education", summary=f"School knows {NOT_FOR_FAMILY}", detail=NOT_FOR_FAMILY, restriction="not_for_family",
           involvements=involved(INVOLVED_NOT_FOR_FAMILY, "school_dsl"))
    answer(hub, referral, "gp", summary="Registered with the practice; seen in October.")
    referrer_release(user=hub["manager"], referral=referral, agency_codes=["gp"], reason="The GP needs to call the school.")
    decide(hub, referral, outcome="assessment")
    gp_answer = InformationRequest.objects.get(referral=referral, agency__code="gp").answers.get()
    letter = outcome_letter_create(user=hub["manager"], referral=referral,
                                   data=LetterInput(channel="secure_email", include_answer_ids=[gp_answer.pk]))
    requests = list(InformationRequest.objects.filter(referral=referral).select_related("agency"))
    notifications = [make_notification(hub[f"{r.agency.code}-rep"], r).pk for r in requests]
    notifications.append(make_notification(hub["manager"], requests[0]).pk)
    overrides = list(referral.overrides.values_list("pk", flat=True))
    ids = [str(i) for i in [r.pk for r in requests] + overrides + [letter.pk] + notifications]
    boards = {
        f"board-{kind}": board_create(user=hub["admin"], name=kind, kind=kind, agency_code="police" if kind == "agency" else "")[1]
        for kind in ("hub", "agency", "decision")
    }
    person_ids = [str(p) for p in referral.people.values_list("person_id", flat=True)]
    pair, merge = _duplicate_review(hub, referral)
    values = {
        "reference": [referral.reference],
        "request_id": [str(r.pk) for r in requests],
        "person_id": person_ids,
        "override_id": [str(o) for o in overrides] or ["1"],
        "letter_id": [str(letter.pk)],
        "notification_id": [str(n) for n in notifications],
        "id": ids + person_ids,
        "user_id": ["practitioner"],
        "code": ["police", "team-a"],  # an agency and a hub team (admin pages by code)
        "rating": ["red"],
        "kind": ["child"],
        "index": ["0"],
        "board_id": ["1"],
        "pair_id": [str(pair.pk)],
        "merge_id": [str(merge.pk)],
    }
    return {"referral": referral, "values": values, "boards": boards, "letter": letter}


def _duplicate_review(hub, referral):
    """A pair of the referral's children in the duplicate queue, and a merge of two other records."""
    from openmash.core import clock
    from openmash.people.merging import merge_people
    from openmash.people.models import DuplicatePair
    from openmash.people.services import NewPerson, person_create

    a, b = sorted(referral.people.filter(kind="child").values_list("person_id", flat=True))[:2]
    pair = DuplicatePair.objects.create(person_a_id=a, person_b_id=b, score=1.0, probability=0.3, band="possible", found_at=clock.now())
    kept, merged = (person_create(user=None, data=NewPerson(given_name=g, family_name="Okafor")) for g in ("Ruby", "Rubi"))
    return pair, merge_people(user=hub["manager"], kept=kept, merged=merged, reason="One girl, recorded twice.")


def _fetch(client, url, *, token=None, board_key=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query = {"key": board_key} if board_key else {}
    if "sharing/log" in url or url.rstrip("/").endswith("sharing-log"):
        query.update({"person": "Smith"})
    response = client.get(url, query, headers=headers)
    if getattr(response, "streaming", False):
        return response.status_code, b"".join(response.streaming_content).decode(errors="replace")
    return response.status_code, response.content.decode(errors="replace")


def test_no_secret_leaks_through_any_route_as_any_role(client, hub, scenario):
    routes = [r for r in _routes() if not r.rstrip("/").endswith("events")]
    urls = sorted({url for route in routes for url in _concrete(route, scenario["values"])})
    assert any("/api/v1/" in u for u in urls) and any("sharing" in u for u in urls), "the walk must reach the API and the sharing pages"
    leaks, seen, server_errors = [], {s: set() for s in ALLOWED}, []
    tokens = {role: api_token_create(user=hub[role], name="leak walk") for role in ROLES if role != "anonymous"}

    def check(who, url, status, body):
        if status >= 500:
            server_errors.append(f"{who} GET {url} → {status}")
        for secret, allowed in ALLOWED.items():
            if secret in body:
                seen[secret].add(who)
                if who not in allowed or ("letters" in url and secret in NEVER_IN_LETTERS):
                    leaks.append(f"{secret} reached {who} through GET {url} ({status})")

    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(hub[role])
        for url in urls:
            if "/api/v1/" in url:
                continue
            check(role, url, *_fetch(client, url))
    client.logout()
    for role in ROLES:
        for url in urls:
            if "/api/v1/" in url:
                check(role, url, *_fetch(client, url, token=tokens.get(role)))
    for board, key in scenario["boards"].items():
        for url in urls:
            if url.startswith("/board") or "/api/v1/board" in url:
                check(board, url, *_fetch(client, url, board_key=key))

    assert not server_errors, "\n".join(server_errors)
    assert not leaks, "\n".join(leaks)
    # The walk really reached the secrets where they belong (else it proves nothing).
    assert seen[MANAGER_ONLY] == {"manager", "police-rep"}
    assert seen[NOT_FOR_FAMILY] == {"manager", "practitioner", "education-rep"}
    assert {"manager", "practitioner", "gp-rep"} <= seen[REFERRER]
    assert seen[INVOLVED_MANAGER_ONLY] == {"manager", "police-rep"}
    assert seen[INVOLVED_NOT_FOR_FAMILY] == {"manager", "practitioner", "education-rep"}


def test_the_letter_quotes_what_may_go_and_nothing_else(scenario):
    body = scenario["letter"].body
    assert "Registered with the practice" in body
    assert MANAGER_ONLY not in body and NOT_FOR_FAMILY not in body
    assert INVOLVED_MANAGER_ONLY not in body and INVOLVED_NOT_FOR_FAMILY not in body
