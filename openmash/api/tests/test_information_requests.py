"""An agency's requests through the API: the worklist, one request, answers (late, corrected, closed)."""

import datetime as dt

import pytest

from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, decide, make_triaged
from openmash.information_requests.models import InformationAnswer, InformationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


def _request(referral, code) -> InformationRequest:
    return InformationRequest.objects.get(referral=referral, agency__code=code)


@pytest.fixture
def referral(hub):
    """Red (due 14:00), asking police and education."""
    return make_triaged(hub, rating="red", agencies=["police", "education"])


# ------------------------------------------------------------------ the worklist


def test_the_police_rep_lists_open_requests_soonest_due_first(api, hub, freeze):
    green = make_triaged(hub, rating="green", agencies=["police"])
    freeze(T0 + dt.timedelta(minutes=5))
    red = make_triaged(hub, rating="red", agencies=["police", "education"])
    make_triaged(hub, rating="urgent", agencies=["education"])  # not asked of police

    response = api.get("/api/v1/information-requests", {"status": "open"}, as_="police-rep")

    assert response.status_code == 200, response.content
    rows = response.json()
    assert [r["referral"]["reference"] for r in rows] == [red.reference, green.reference]
    first = rows[0]
    assert first["agency"] == {"code": "police", "name": "Police"}
    assert first["referral"]["rating"] == "red" and first["status"] == "open"
    assert first["due_at"] == "2026-11-25T14:05:00+00:00" and first["requested_at"] == "2026-11-25T10:05:00+00:00"
    assert first["late"] is False and first["overdue"] is False and first["answered_at"] is None
    assert AuditEvent.objects.filter(action="information_request.list", actor_username="police-rep").exists()


def test_the_list_filters_by_status(api, hub, referral):
    other = make_triaged(hub, rating="amber", agencies=["police"])
    answer(hub, referral, "police")
    closed = make_triaged(hub, rating="green", agencies=["police"])
    decide(hub, closed)

    def refs(status):
        return [r["referral"]["reference"] for r in api.get("/api/v1/information-requests", {"status": status}, as_="police-rep").json()]

    assert refs("open") == [other.reference]
    assert refs("answered") == [referral.reference]
    assert refs("not_needed") == [closed.reference]
    assert sorted(refs("all")) == sorted([referral.reference, other.reference, closed.reference])
    assert api.get("/api/v1/information-requests", as_="police-rep").json()[0]["referral"]["reference"] == other.reference  # default: open


def test_overdue_requests_say_so(api, referral, freeze):
    freeze(T0 + dt.timedelta(hours=5))
    [row] = api.get("/api/v1/information-requests", as_="police-rep").json()
    assert row["overdue"] is True and row["late"] is False


@pytest.mark.parametrize("username", ["manager", "practitioner", "analyst", "admin", "ig"])
def test_roles_without_an_agency_have_no_worklist(api, referral, username):
    assert "agency representatives" in problem(api.get("/api/v1/information-requests", as_=username), 403)["detail"]


@pytest.mark.parametrize("query,field", [({"status": "closed"}, "status"), ({"status": "open", "agency": "csc"}, "agency")])
def test_bad_list_queries(api, referral, query, field):
    assert field in fields(problem(api.get("/api/v1/information-requests", query, as_="police-rep"), 422))


# ------------------------------------------------------------------ one request


def test_a_rep_gets_what_to_search_for_and_nothing_else(api, hub, referral):
    answer(hub, referral, "education", summary="Education knows the family.", restriction="none")
    request = _request(referral, "police")

    response = api.get(f"/api/v1/information-requests/{request.pk}", as_="police-rep")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == request.pk and body["agency"]["code"] == "police"
    assert body["can_answer"] is True and body["answers"] == []
    people = body["referral"]["children"] + body["referral"]["adults"]
    assert {p["given_name"] for p in people} == {"Jayden", "Tyler", "Kerry"}
    assert body["referral"]["children"][0]["address"]["postcode"] == "SE15 4AB"
    assert body["referral"]["adults"][0]["relationships"][0]["kind"] == "mother"
    assert body["referral"]["concern_categories"] == ["neglect"]
    assert body["referral"]["concern_narrative"] == "Coming to school hungry."
    text = response.content.decode()
    assert "Education knows the family" not in text  # another agency's answer
    assert "Helen Marsh" not in text and "Oakfield" not in text and "referrer" not in body["referral"]
    assert AuditEvent.objects.filter(action="information_request.view", object_id=str(request.pk)).exists()


def test_hub_staff_may_read_a_request_but_not_answer_it(api, referral):
    request = _request(referral, "police")
    body = api.get(f"/api/v1/information-requests/{request.pk}", as_="practitioner").json()
    assert body["can_answer"] is False


@pytest.mark.parametrize("username", ["education-rep", "housing-rep", "analyst", "admin", "ig"])
def test_another_agencys_request_does_not_exist_for_them(api, referral, username):
    police = _request(referral, "police")
    if username == "education-rep":
        # Education was asked on this referral too, but the police request is still not theirs.
        assert api.get(f"/api/v1/information-requests/{_request(referral, 'education').pk}", as_=username).status_code == 200
    problem(api.get(f"/api/v1/information-requests/{police.pk}", as_=username), 404)


@pytest.mark.parametrize("path", ["/api/v1/information-requests/999999", "/api/v1/information-requests/abc", "/api/v1/information-requests/99999999999999999999999"])
def test_requests_that_do_not_exist(api, referral, path):
    problem(api.get(path, as_="police-rep"), 404)


def test_restricted_answers_are_seen_by_managers_and_their_agency_only(api, hub, referral):
    answer(hub, referral, "police", summary="Intelligence: Operation Nightjar.", restriction="manager_only")
    request = _request(referral, "police")
    for username, sees in [("manager", True), ("police-rep", True), ("practitioner", False)]:
        response = api.get(f"/api/v1/information-requests/{request.pk}", as_=username)
        assert response.status_code == 200
        assert ("Nightjar" in response.content.decode()) is sees, username
        assert response.json()["restricted_answers_hidden"] == (0 if sees else 1)
    problem(api.get(f"/api/v1/information-requests/{request.pk}", as_="education-rep"), 404)
    referral_view = api.get(f"/api/v1/referrals/{referral.reference}", as_="education-rep")
    assert referral_view.status_code == 200 and "Nightjar" not in referral_view.content.decode()


# ------------------------------------------------------------------ answering


def test_the_police_rep_answers(api, referral):
    request = _request(referral, "police")
    response = api.post(
        f"/api/v1/information-requests/{request.pk}/answer",
        {"outcome": "held", "summary": "Two call-outs this year.", "detail": "12/03 and 02/09.", "systems_checked": "Niche, PNC",
         "restriction": "not_for_family"},
        as_="police-rep",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["request_id"] == request.pk and body["version"] == 1 and body["late"] is False
    assert body["answered_at"] == "2026-11-25T10:00:00+00:00" and body["restriction"] == "not_for_family"
    assert response["Location"] == f"/api/v1/information-requests/{request.pk}"
    request.refresh_from_db()
    assert request.status == "answered"


def test_a_late_answer_is_accepted_and_flagged_everywhere(api, referral, freeze):
    request = _request(referral, "police")
    freeze(T0 + dt.timedelta(hours=4, minutes=1))
    body = api.post(f"/api/v1/information-requests/{request.pk}/answer", {"outcome": "not_known"}, as_="police-rep").json()
    assert body["late"] is True
    detail = api.get(f"/api/v1/information-requests/{request.pk}", as_="police-rep").json()
    assert detail["late"] is True and detail["answers"][0]["late"] is True
    [row] = api.get("/api/v1/information-requests", {"status": "answered"}, as_="police-rep").json()
    assert row["late"] is True
    referral_view = api.get(f"/api/v1/referrals/{referral.reference}", as_="manager").json()
    police = next(r for r in referral_view["information_requests"] if r["agency"]["code"] == "police")
    assert police["late"] is True and police["answers"][0]["late"] is True


def test_a_correction_is_a_new_version_and_needs_a_reason(api, hub, referral):
    request = _request(referral, "police")
    answer(hub, referral, "police", outcome="not_known")
    got = fields(problem(api.post(f"/api/v1/information-requests/{request.pk}/answer", {"outcome": "held", "summary": "Found a record."}, as_="police-rep"), 422))
    assert "correction_reason" in got
    body = api.post(
        f"/api/v1/information-requests/{request.pk}/answer",
        {"outcome": "held", "summary": "Found a record.", "correction_reason": "Searched the old system too."}, as_="police-rep",
    ).json()
    assert body["version"] == 2
    assert list(InformationAnswer.objects.filter(request=request).values_list("outcome", flat=True)) == ["not_known", "held"]


def test_a_request_closed_by_the_decision_takes_no_answer_409(api, hub, referral):
    request = _request(referral, "police")
    decide(hub, referral)
    body = problem(api.post(f"/api/v1/information-requests/{request.pk}/answer", {"outcome": "not_known"}, as_="police-rep"), 409)
    assert "closed" in body["detail"]
    assert not InformationAnswer.objects.exists()


@pytest.mark.parametrize("username,status", [("manager", 403), ("practitioner", 403), ("education-rep", 404), ("housing-rep", 404), ("analyst", 404), ("admin", 404), ("ig", 404)])
def test_only_the_agencys_rep_answers(api, referral, username, status):
    request = _request(referral, "police")
    problem(api.post(f"/api/v1/information-requests/{request.pk}/answer", {"outcome": "not_known"}, as_=username), status)
    assert not InformationAnswer.objects.exists()


BAD_ANSWERS = [
    ({}, "outcome"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": None}, "outcome"),
    ({"outcome": "held"}, "summary"),
    ({"outcome": "held", "summary": "  "}, "summary"),
    ({"outcome": "declined"}, "decline_reason"),
    ({"outcome": "held", "summary": "x", "restriction": "secret"}, "restriction"),
    ({"outcome": "held", "summary": "x" * 2001}, "summary"),
    ({"outcome": "held", "summary": "x", "detail": "d" * 20001}, "detail"),
    ({"outcome": "held", "summary": "x", "systems_checked": "s" * 501}, "systems_checked"),
    ({"outcome": "declined", "decline_reason": "r" * 5001}, "decline_reason"),
    ({"outcome": "held", "summary": ["x"]}, "summary"),
    ({"outcome": "held", "summary": "x\x00"}, "summary"),
    ({"outcome": "held", "summary": "x", "restricted": True}, "restricted"),
]


@pytest.mark.parametrize("body,field", BAD_ANSWERS)
def test_bad_answers_are_refused_and_nothing_is_saved(api, referral, body, field):
    request = _request(referral, "police")
    got = fields(problem(api.post(f"/api/v1/information-requests/{request.pk}/answer", body, as_="police-rep"), 422))
    assert field in got, got
    assert not InformationAnswer.objects.exists()
    assert _request(referral, "police").status == "open"
