"""GET /api/v1/reports/performance: the numbers the page shows, suppression for analysts, every bad input a 422."""

import datetime as dt

import pytest

from openmash.api.tests.conftest import problem
from openmash.core.testing.factories import answer, decide, make_triaged

pytestmark = pytest.mark.django_db
T = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.timezone.utc)
Q = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def world(hub, freeze):
    freeze(T)
    referrals = []
    for i in range(6):
        freeze(T + dt.timedelta(hours=i))
        r = make_triaged(hub, rating="red", agencies=["police", "health-community"])
        freeze(T + dt.timedelta(hours=i, minutes=30 + 10 * i))
        answer(hub, r, "police", "held" if i % 2 else "not_known")
        referrals.append(r)
    freeze(T + dt.timedelta(hours=8))
    decide(hub, referrals[0], "assessment")
    freeze(T + dt.timedelta(days=3))
    return referrals


def test_the_required_fields_and_their_meaning(api, hub, world):
    body = api.get("/api/v1/reports/performance", Q, as_="manager").json()
    assert body["referrals"] == 6 and body["children"] == 12
    assert body["outcomes"]["assessment"] == 2
    assert 0 <= body["decided_within_one_working_day_rate"] <= 1
    assert body["re_referral_rate"] == 0
    police = next(a for a in body["agencies"] if a["code"] == "police")
    assert police["requests"] == 6 and police["answered_on_time_rate"] == 1.0
    assert police["median_response_minutes"] == pytest.approx(55.0)  # 30, 40, …, 80 minutes after the request at +0..
    assert police["p90_response_minutes"] >= police["median_response_minutes"]
    health = next(a for a in body["agencies"] if a["code"] == "health-community")
    assert health["answered_on_time_rate"] == 0.0  # six requests overdue, none answered
    assert health["median_response_minutes"] is None
    assert "re_referrals" in body["definitions"] and body["suppressed"] == []


def test_an_analyst_gets_small_numbers_hidden(api, hub, world):
    body = api.get("/api/v1/reports/performance", Q, as_="analyst").json()
    assert body["referrals"] == 6
    assert body["outcomes"]["assessment"] is None  # 2 children
    assert "outcomes.assessment" in body["suppressed"]
    police = next(a for a in body["agencies"] if a["code"] == "police")
    assert police["not_known"] is None and police["held"] is None  # 3 and 3
    assert body["suppression_threshold"] == 5


def test_filters_narrow_the_referrals(api, hub, world):
    assert api.get("/api/v1/reports/performance", {**Q, "rating": "amber"}, as_="manager").json()["referrals"] == 0
    body = api.get("/api/v1/reports/performance", {**Q, "agency": "police"}, as_="manager").json()
    assert [a["code"] for a in body["agencies"]] == ["police"]


def test_the_team_filter_counts_the_teams_referrals_and_is_echoed(api, hub, world):
    """The manager rated all six, so they are MASH Team A's (the manager's own team)."""
    body = api.get("/api/v1/reports/performance", {**Q, "team": "team-a"}, as_="manager").json()
    assert body["referrals"] == 6 and body["filters"]["team"] == "team-a"
    body = api.get("/api/v1/reports/performance", {**Q, "team": "team-b"}, as_="manager").json()
    assert body["referrals"] == 0 and body["children"] == 0
    assert api.get("/api/v1/reports/performance", Q, as_="manager").json()["filters"]["team"] is None


@pytest.mark.parametrize("query, field", [
    ({}, "from"),
    ({"from": "2026-03-01"}, "to"),
    ({"from": "2026-02-30", "to": "2026-03-31"}, "from"),
    ({"from": "1/3/2026", "to": "2026-03-31"}, "from"),
    ({"from": "2026-03-31", "to": "2026-03-01"}, "to"),
    ({"from": "1900-01-01", "to": "2026-03-01"}, "from"),
    ({**Q, "rating": "purple"}, "rating"),
    ({**Q, "source": "99"}, "source"),
    ({**Q, "agency": "nobody"}, "agency"),
    ({**Q, "team": "nobody"}, "team"),
    ({**Q, "surname": "x"}, "surname"),
])
def test_each_bad_input_is_a_422_naming_the_field(api, hub, query, field):
    body = problem(api.get("/api/v1/reports/performance", query, as_="manager"), 422)
    assert field in {e["field"] for e in body["errors"]}, body
