"""Every route × every role × own/other agency → the expected answer (issue 2, DESIGN.md §2).

The matrix is complete by construction: `test_every_route_is_in_the_matrix` fails when a route is
added without deciding who may use it.

Roles: anonymous, manager, practitioner, rep_own (police: its agency has a request on the
referral), rep_other (education: its agency has none), analyst, admin, ig (information governance).
GET is tried on every route; POST with an empty body on every route that accepts POST.
"""

import pytest
from django.urls import URLResolver, get_resolver

from openmash.board.services import board_create
from openmash.core.testing.factories import answer, decide, make_notification, make_triaged
from openmash.sharing.services import LetterInput, outcome_letter_create, override_propose

ROLES = ["anonymous", "manager", "practitioner", "rep_own", "rep_other", "analyst", "admin", "ig"]
USERNAMES = {
    "manager": "manager", "practitioner": "practitioner", "rep_own": "police-rep", "rep_other": "education-rep",
    "analyst": "analyst", "admin": "admin", "ig": "ig",
}
LOGIN = 302  # anonymous visitors are sent to sign in


def statuses(default=None, **by_role):
    """Expected status per role: `default` for roles not named."""
    return {role: by_role.get(role, default) for role in ROLES}


HUB_ONLY = statuses(403, anonymous=LOGIN, manager=200, practitioner=200)
HUB_ONLY_POST = statuses(403, anonymous=LOGIN, manager=400, practitioner=400)
ADMIN_ONLY = statuses(403, anonymous=LOGIN, admin=200)
ADMIN_ONLY_POST = statuses(403, anonymous=LOGIN, admin=400)
CASE_OBJECT = statuses(404, anonymous=LOGIN, manager=200, practitioner=200)
# A referral's sharing pages are hub business: to everyone else, the agency asked included, they do not exist.
HUB_CASE_POST = statuses(404, anonymous=LOGIN, manager=400, practitioner=400)
MANAGER_CASE = statuses(404, anonymous=LOGIN, manager=200, practitioner=403)
MANAGER_CASE_POST = statuses(404, anonymous=LOGIN, manager=400, practitioner=403)
# Information governance and MASH managers read the sharing log; other roles are refused.
SHARING_LOG = statuses(403, anonymous=LOGIN, manager=200, ig=200)
# Performance measures and phase-two insight: MASH managers and analysts; other roles are refused, as
# for the sharing log (a report page is not a record whose existence must be hidden).
REPORTS = statuses(403, anonymous=LOGIN, manager=200, analyst=200)
# A CSV is of one table (?table=…): without one there is nothing to download.
REPORTS_NO_TABLE = statuses(403, anonymous=LOGIN, manager=404, analyst=404)
# Boundary files for the hotspot map: analysts and administrators.
AREAS = statuses(403, anonymous=LOGIN, analyst=200, admin=200)

# route name → (url kwargs, GET expectations, POST expectations or None when POST is not accepted)
MATRIX = {
    "core:home": ({}, statuses(302, anonymous=LOGIN), None),
    "core:accessibility": ({}, statuses(200), None),
    "core:keep-alive": ({}, statuses(204, anonymous=LOGIN), None),
    "core:healthz": ({}, statuses(200), None),
    "accounts:sign-in": ({}, statuses(200), statuses(400)),
    "accounts:sign-out": ({}, statuses(405, anonymous=LOGIN), statuses(302)),
    "accounts:user-list": ({}, ADMIN_ONLY, None),
    "accounts:user-create": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "accounts:user-edit": ({"user_id": "practitioner"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "accounts:user-unlock": ({"user_id": "practitioner"}, statuses(405, anonymous=LOGIN), statuses(403, anonymous=LOGIN, admin=302)),
    "accounts:user-password": ({"user_id": "practitioner"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    # Hub teams: administrators only, like users and agencies (an empty POST is a form with errors).
    "accounts:team-list": ({}, ADMIN_ONLY, None),
    "accounts:team-create": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "accounts:team-edit": ({"code": "team-a"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "referrals:dashboard": ({}, HUB_ONLY, None),
    "referrals:new-start": ({}, HUB_ONLY, statuses(403, anonymous=LOGIN, manager=302, practitioner=302)),
    "referrals:new-received": ({}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-referrer": ({}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-concerns": ({}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-consent": ({}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-check": ({}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-people": ({"kind": "child"}, HUB_ONLY, HUB_ONLY_POST),
    "referrals:new-person-search": ({"kind": "child"}, HUB_ONLY, None),
    "referrals:new-person-select": ({"kind": "child"}, statuses(405, anonymous=LOGIN), statuses(403, anonymous=LOGIN, manager=302, practitioner=302)),
    "referrals:new-person-create": ({"kind": "adult"}, HUB_ONLY, HUB_ONLY_POST),
    # Index 0 of an empty draft does not exist.
    "referrals:new-person-remove": ({"kind": "child", "index": 0}, statuses(405, anonymous=LOGIN), statuses(403, anonymous=LOGIN, manager=404, practitioner=404)),
    "referrals:new-relationships": ({"index": 0}, statuses(403, anonymous=LOGIN, manager=404, practitioner=404), statuses(403, anonymous=LOGIN, manager=404, practitioner=404)),
    "referrals:new-done": ({"reference": "REF"}, HUB_ONLY, None),
    "referrals:detail": ({"reference": "REF"}, statuses(404, anonymous=LOGIN, manager=200, practitioner=200, rep_own=302), None),
    # The rep of an agency asked knows the referral exists (403); others must not learn it (404).
    "referrals:triage": ({"reference": "REF"}, statuses(404, anonymous=LOGIN, manager=200, practitioner=403, rep_own=403),
                         statuses(404, anonymous=LOGIN, manager=400, practitioner=403, rep_own=403)),
    "referrals:decision": ({"reference": "REF"}, statuses(404, anonymous=LOGIN, manager=200, practitioner=403, rep_own=403),
                           statuses(404, anonymous=LOGIN, manager=400, practitioner=403, rep_own=403)),
    "referrals:clock-policy": ({}, ADMIN_ONLY, None),
    "referrals:clock-policy-edit": ({"rating": "red"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "information_requests:list": ({}, statuses(403, anonymous=LOGIN, rep_own=200, rep_other=200), None),
    "information_requests:detail": ({"request_id": "REQUEST"}, statuses(404, anonymous=LOGIN, manager=200, practitioner=200, rep_own=200),
                                    statuses(404, anonymous=LOGIN, manager=403, practitioner=403, rep_own=400)),
    "people:search": ({}, HUB_ONLY, None),
    "people:detail": ({"person_id": "PERSON"}, CASE_OBJECT, None),
    # Hub staff see the duplicate queue and its pairs; only a MASH manager merges, undoes or marks "not the same".
    "people:duplicates": ({}, HUB_ONLY, None),
    "people:duplicate": ({"pair_id": "PAIR"}, CASE_OBJECT, MANAGER_CASE_POST),
    "people:merge": ({"merge_id": "MERGE"}, CASE_OBJECT, MANAGER_CASE_POST),
    "agencies:list": ({}, ADMIN_ONLY, None),
    "agencies:create": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "agencies:edit": ({"code": "police"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "referrals:decision-clock-edit": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    # Everyone signed in has a notifications page; a notification is its recipient's alone (the manager's here).
    "escalation:list": ({}, statuses(200, anonymous=LOGIN), None),
    "escalation:read-all": ({}, statuses(405, anonymous=LOGIN), statuses(302)),
    "escalation:read": ({"notification_id": "NOTIFICATION"}, statuses(405, anonymous=LOGIN), statuses(404, anonymous=LOGIN, manager=302)),
    # A board's event stream takes the board's key, not a user: without one it is 404 for everyone.
    "board:events": ({}, statuses(404), None),
    # The wall board and its fragment, likewise: the key decides, not who is signed in (no sign-in
    # redirect either). With a key, everyone gets the board (openmash/board/tests/test_pages.py).
    "board:page": ({}, statuses(404), None),
    "board:fragment": ({}, statuses(404), None),
    "board:admin-list": ({}, ADMIN_ONLY, None),
    "board:admin-create": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "board:admin-revoke": ({"board_id": "BOARD"}, ADMIN_ONLY, statuses(403, anonymous=LOGIN, admin=302)),
    "sharing:referral": ({"reference": "REF"}, CASE_OBJECT, None),
    "sharing:consent": ({"reference": "REF"}, CASE_OBJECT, HUB_CASE_POST),
    "sharing:override-propose": ({"reference": "REF"}, CASE_OBJECT, HUB_CASE_POST),
    # An empty POST authorises a practitioner's proposal (a manager who proposed it would need a second reason).
    "sharing:override-authorise": ({"reference": "REF", "override_id": "OVERRIDE"}, MANAGER_CASE, statuses(404, anonymous=LOGIN, manager=302, practitioner=403)),
    "sharing:override-reject": ({"reference": "REF", "override_id": "OVERRIDE"}, MANAGER_CASE, MANAGER_CASE_POST),
    "sharing:referrer-release": ({"reference": "REF"}, MANAGER_CASE, MANAGER_CASE_POST),
    "sharing:letter-new": ({"reference": "DECIDED"}, MANAGER_CASE, MANAGER_CASE_POST),
    "sharing:letter": ({"reference": "DECIDED", "letter_id": "LETTER"}, CASE_OBJECT, None),
    "sharing:log": ({}, SHARING_LOG, None),
    "sharing:log-csv": ({}, SHARING_LOG, None),
    "sharing:override-report": ({}, SHARING_LOG, None),
    "sharing:bases": ({}, ADMIN_ONLY, None),
    "sharing:basis-create": ({}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "sharing:basis-edit": ({"code": "ca-1989-s47"}, ADMIN_ONLY, ADMIN_ONLY_POST),
    "reports:performance": ({}, REPORTS, None),
    "reports:export-csv": ({}, REPORTS_NO_TABLE, None),
    "reports:export-xlsx": ({}, REPORTS, None),
    "reports:pack-pdf": ({}, REPORTS, None),
    # The records behind a count: MASH managers only (analysts see aggregates).
    "reports:drilldown": ({}, statuses(403, anonymous=LOGIN, manager=200), None),
    "reports:insight": ({}, REPORTS, None),
    "reports:insight-csv": ({}, REPORTS_NO_TABLE, None),
    "reports:insight-xlsx": ({}, REPORTS, None),
    "reports:hotspots": ({}, REPORTS, None),
    "reports:hotspots-csv": ({}, REPORTS, None),
    "reports_areas:list": ({}, AREAS, None),
    # An empty POST (no fields, no files) is a form with errors: 400, as on the other admin forms.
    "reports_areas:create": ({}, AREAS, statuses(403, anonymous=LOGIN, analyst=400, admin=400)),
    "reports_areas:detail": ({"area_set_id": "AREA_SET"}, AREAS, None),
    # The analyst's POST deletes the set (roles are tried in order), so the administrator after them finds none.
    "reports_areas:delete": ({"area_set_id": "AREA_SET"}, statuses(403, anonymous=LOGIN, analyst=200, admin=404),
                             statuses(403, anonymous=LOGIN, analyst=302, admin=404)),
}


def _route_names(patterns=None, namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _route_names(pattern.url_patterns, pattern.namespace or namespace)
        elif pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def _page_routes():
    return {name for name in _route_names() if not name.startswith("api:")}


def test_every_route_is_in_the_matrix():
    missing = _page_routes() - set(MATRIX)
    stale = set(MATRIX) - _page_routes()
    assert not missing, f"Routes with no decision on who may use them: {sorted(missing)}"
    assert not stale, f"Matrix rows for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def world(hub):
    referral = make_triaged(hub, rating="red", agencies=["csc", "police"])
    request = referral.requests.get(agency__code="police")
    person = referral.people.filter(kind="child").first().person
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=["uk-gdpr-6-1-e"], reason="Risk to the children.")
    decided = make_triaged(hub, rating="amber", agencies=["police"])
    answer(hub, decided, "police")
    decide(hub, decided)
    decided.refresh_from_db()
    letter = outcome_letter_create(user=hub["manager"], referral=decided, data=LetterInput(channel="phone", not_shared_reason="Not needed."))
    return {
        "REF": referral.reference,
        "REQUEST": request.pk,
        "PERSON": person.pk,
        "NOTIFICATION": make_notification(hub["manager"], request).pk,
        "BOARD": board_create(user=None, name="North wall", kind="hub")[0].pk,
        "OVERRIDE": override.pk,
        "DECIDED": decided.reference,
        "LETTER": letter.pk,
        "PAIR": _duplicate_pair(person).pk,
        "MERGE": _merge(hub).pk,
        "AREA_SET": _area_set(hub).pk,
        "users": hub,
    }


def _duplicate_pair(person):
    from openmash.core import clock
    from openmash.people.models import DuplicatePair
    from openmash.people.services import NewPerson, person_create

    other = person_create(user=None, data=NewPerson(given_name=person.given_name, family_name=person.family_name, date_of_birth=person.date_of_birth))
    return DuplicatePair.objects.create(person_a=person, person_b=other, score=9.0, probability=0.99, band="very likely", found_at=clock.now())


def _merge(hub):
    from openmash.people.merging import merge_people
    from openmash.people.services import NewPerson, person_create

    kept, merged = (person_create(user=None, data=NewPerson(given_name=g, family_name="Okafor")) for g in ("Ruby", "Rubi"))
    return merge_people(user=hub["manager"], kept=kept, merged=merged, reason="One girl, recorded twice.")


def _area_set(hub):
    from openmash.reports.models import Area, AreaSet

    ring = [[-0.07, 51.47], [-0.06, 51.47], [-0.06, 51.48], [-0.07, 51.48], [-0.07, 51.47]]
    geojson = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"W1","name":"Peckham"},'
               '"geometry":{"type":"MultiPolygon","coordinates":[[%s]]}}]}') % ring
    area_set = AreaSet.objects.create(name="Wards", geojson=geojson, uploaded_by=hub["analyst"])
    Area.objects.create(area_set=area_set, code="W1", name="Peckham")
    return area_set


def _kwargs(template, world):
    out = {}
    for key, value in template.items():
        if key == "user_id":
            out[key] = world["users"][value].pk
        elif value in ("REF", "REQUEST", "PERSON", "NOTIFICATION", "BOARD", "OVERRIDE", "DECIDED", "LETTER", "PAIR", "MERGE", "AREA_SET"):
            out[key] = world[value]
        else:
            out[key] = value
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_answers_each_role_as_decided(route, world, client):
    from django.urls import reverse

    kwargs_template, get_expected, post_expected = MATRIX[route]
    url = reverse(route, kwargs=_kwargs(kwargs_template, world))
    problems = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][USERNAMES[role]])
        got = client.get(url).status_code
        if got != get_expected[role]:
            problems.append(f"GET  {url} as {role}: expected {get_expected[role]}, got {got}")
        if post_expected is not None:
            got = client.post(url, {}).status_code
            if got != post_expected[role]:
                problems.append(f"POST {url} as {role}: expected {post_expected[role]}, got {got}")
    assert not problems, "\n".join(problems)
