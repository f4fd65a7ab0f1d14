"""GET /api/v1/board: the same rows as the boards, for displays made by others."""

import datetime as dt

import pytest

from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, make_referral, make_triaged

pytestmark = pytest.mark.django_db

NAMES = ["Jayden", "Tyler", "Smith", "Kerry", "Helen", "Marsh", "Oakfield", "hungry"]


@pytest.fixture
def world(hub, freeze):
    freeze(T0)
    red = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, red, "police", summary="Kerry Smith is known.")
    education_only = make_triaged(hub, rating="amber", agencies=["education"])
    waiting = make_referral(hub)
    return {"red": red, "education_only": education_only, "waiting": waiting}


def test_hub_staff_get_the_hub_board(api, world):
    response = api.get("/api/v1/board", as_="practitioner")
    assert response.status_code == 200
    rows = response.json()
    assert [r["reference"] for r in rows] == [world["red"].reference, world["waiting"].reference, world["education_only"].reference]
    assert rows[0] == {
        "reference": world["red"].reference,
        "initials": "J.S. 8, T.S. 6",
        "rating": "red",
        "status": "gathering",
        "decision_due_at": "2026-11-25T17:00:00+00:00",  # one working day: received at 9am
        "countdown_due_at": "2026-11-25T14:00:00+00:00",
        "overdue": False,
        "items": [
            {"agency": "csc", "status": "waiting", "due_at": "2026-11-25T14:00:00+00:00"},
            {"agency": "police", "status": "answered", "due_at": "2026-11-25T14:00:00+00:00"},
        ],
    }
    assert rows[1]["rating"] is None and rows[1]["status"] == "awaiting_triage" and rows[1]["items"] == []
    assert rows[1]["countdown_due_at"] is None
    for name in NAMES:
        assert name not in response.content.decode(), name


def test_every_kind_for_hub_staff(api, world, freeze):
    police = api.get("/api/v1/board", {"kind": "agency", "agency": "csc"}, as_="manager").json()
    assert [(r["reference"], [i["agency"] for i in r["items"]]) for r in police] == [(world["red"].reference, ["csc"])]
    assert api.get("/api/v1/board", {"kind": "decision"}, as_="manager").json() == []
    freeze(T0 + dt.timedelta(hours=5))
    ready = api.get("/api/v1/board", {"kind": "decision"}, as_="manager").json()
    assert [r["reference"] for r in ready] == [world["red"].reference]
    assert ready[0]["overdue"] is True and ready[0]["items"][0]["status"] == "overdue"


def test_an_agency_representative_gets_their_own_agencys_board_only(api, world):
    own = api.get("/api/v1/board", {"kind": "agency", "agency": "education"}, as_="education-rep")
    assert own.status_code == 200
    assert [r["reference"] for r in own.json()] == [world["education_only"].reference]
    for query in ({"kind": "agency", "agency": "police"}, {"kind": "hub"}, {}, {"kind": "decision"}):
        body = problem(api.get("/api/v1/board", query, as_="education-rep"), 403)
        assert "own agency" in body["detail"] or "hub staff" in body["detail"]


@pytest.mark.parametrize("username", ["analyst", "admin", "ig"])
def test_roles_without_case_data_are_refused(api, world, username):
    for query in ({}, {"kind": "agency", "agency": "police"}, {"kind": "agency"}):
        problem(api.get("/api/v1/board", query, as_=username), 403)


def test_no_token_is_401(api, world):
    problem(api.get("/api/v1/board"), 401)


@pytest.mark.parametrize("query,field", [
    ({"kind": "agency"}, "agency"),
    ({"kind": "agency", "agency": ""}, "agency"),
    ({"kind": "agency", "agency": "no-such-agency"}, "agency"),
    ({"kind": "hub", "agency": "police"}, "agency"),
    ({"kind": "everything"}, "kind"),
    ({"kind": "hub", "surname": "Smith"}, "surname"),
])
def test_bad_queries_are_422(api, world, query, field):
    body = problem(api.get("/api/v1/board", query, as_="manager"), 422)
    assert field in fields(body), body


def test_a_representative_asking_about_an_agency_that_does_not_exist_is_told_so(api, world):
    problem(api.get("/api/v1/board", {"kind": "agency", "agency": "nope"}, as_="police-rep"), 422)


def test_calls_are_audited_once_per_caller_and_board_every_fifteen_minutes(api, world, hub, freeze):
    def events():
        return list(AuditEvent.objects.filter(action="board.view", object_type="board").order_by("id"))

    for _ in range(3):
        api.get("/api/v1/board", as_="manager")
    api.get("/api/v1/board", {"kind": "decision"}, as_="manager")
    api.get("/api/v1/board", as_="practitioner")
    api.get("/api/v1/board", {"kind": "agency", "agency": "education"}, as_="education-rep")
    assert [(e.actor_username, e.object_id, e.details["via"]) for e in events()] == [
        ("manager", "hub", "api"), ("manager", "decision", "api"), ("practitioner", "hub", "api"),
        ("education-rep", "agency:education", "api"),
    ]
    freeze(T0 + dt.timedelta(minutes=15))
    api.get("/api/v1/board", as_="manager")
    assert len(events()) == 5
    problem(api.get("/api/v1/board", as_="analyst"), 403)
    assert len(events()) == 5  # a refusal shows nothing, so records no view


def test_the_route_is_documented_with_who_may_call_it(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/board"]["get"]
    assert "own agency" in operation["description"] and "403" in operation["description"] and "422" in operation["description"]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "GET /board" in document["info"]["description"]
