"""POST /referrals/{reference}/triage and /decision."""

import datetime as dt

import pytest

from openmash.api.tests.bodies import decision_body
from openmash.api.tests.conftest import T0, fields, problem
from openmash.core import clock
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.information_requests.models import InformationRequest
from openmash.referrals.models import ChildOutcome, Decision, RatingChange, Referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


def _children(referral):
    return list(referral.people.filter(kind="child").order_by("position").values_list("person_id", flat=True))


def _adults(referral):
    return list(referral.people.filter(kind="adult").values_list("person_id", flat=True))


# ------------------------------------------------------------------ triage


def test_a_manager_rates_a_referral_and_chooses_agencies(api, hub):
    referral = make_referral(hub)
    response = api.post(
        f"/api/v1/referrals/{referral.reference}/triage",
        {"rating": "red", "rationale": "Domestic abuse with a baby in the home.", "agencies": ["police", "csc"]},
        as_="manager",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == referral.reference
    assert (body["status"], body["rating"]) == ("gathering", "red")
    assert body["rated_at"] == "2026-11-25T10:00:00+00:00"
    assert [r["agency"]["code"] for r in body["information_requests"]] == ["csc", "police"]  # in agency order
    for request in body["information_requests"]:
        assert request["status"] == "open" and request["due_at"] == "2026-11-25T14:00:00+00:00"
        assert request["answered_at"] is None and request["late"] is False
    assert body["strategy_discussion_required_at"] is None


def test_the_team_defaults_to_the_managers_own_can_be_chosen_and_an_unknown_one_is_a_422(api, hub):
    url = "/api/v1/referrals/{}/triage"
    first, second = make_referral(hub), make_referral(hub)
    body = api.post(url.format(first.reference), {"rating": "red", "rationale": "DV.", "agencies": ["police"]}, as_="manager").json()
    assert body["team"] == "team-a"  # the manager's own team
    body = api.post(url.format(second.reference), {"rating": "red", "rationale": "DV.", "agencies": ["police"], "team": "team-c"},
                    as_="manager").json()
    assert body["team"] == "team-c"
    third = make_referral(hub)
    refused = problem(api.post(url.format(third.reference), {"rating": "red", "rationale": "DV.", "team": "team-z"}, as_="manager"), 422)
    assert set(fields(refused)) == {"team"}
    refused = problem(api.post(url.format(third.reference), {"rating": "red", "rationale": "DV.", "team": ""}, as_="manager"), 422)
    assert set(fields(refused)) == {"team"}
    assert Referral.objects.get(pk=third.pk).status == "awaiting_triage"


def test_without_agencies_every_active_agency_is_asked(api, hub):
    referral = make_referral(hub)
    body = api.post(f"/api/v1/referrals/{referral.reference}/triage", {"rating": "green", "rationale": "Low level."}, as_="manager").json()
    assert len(body["information_requests"]) == 16


def test_urgent_records_that_a_strategy_discussion_is_needed_now(api, hub):
    referral = make_referral(hub)
    body = api.post(f"/api/v1/referrals/{referral.reference}/triage", {"rating": "urgent", "rationale": "Injury.", "agencies": ["police"]}, as_="manager").json()
    assert body["strategy_discussion_required_at"] == "2026-11-25T10:00:00+00:00"
    assert body["information_requests"][0]["due_at"] == "2026-11-25T11:00:00+00:00"


def test_re_rating_moves_unanswered_requests_to_the_new_clock(api, hub, freeze):
    referral = make_triaged(hub, rating="green", agencies=["police", "csc"])
    answer(hub, referral, "csc")
    freeze(T0 + dt.timedelta(hours=1))
    body = api.post(f"/api/v1/referrals/{referral.reference}/triage", {"rating": "red", "rationale": "New information."}, as_="manager").json()
    due = {r["agency"]["code"]: r["due_at"] for r in body["information_requests"]}
    assert due["police"] == "2026-11-25T15:00:00+00:00"  # red from the re-rating
    assert due["csc"] == "2026-11-27T10:00:00+00:00"  # answered: keeps the green due time
    assert len(body["information_requests"]) == 16  # re-rating without agencies adds the rest
    assert list(RatingChange.objects.filter(referral=referral).values_list("rating", flat=True)) == ["green", "red"]


def test_a_decided_referral_cannot_be_rated_409(api, hub):
    referral = make_triaged(hub, agencies=["police"])
    decide(hub, referral)
    body = problem(api.post(f"/api/v1/referrals/{referral.reference}/triage", {"rating": "amber", "rationale": "Late."}, as_="manager"), 409)
    assert "decided" in body["detail"]
    assert body["type"].endswith("/conflict")


def test_triaging_an_unknown_referral_is_404(api, hub):
    problem(api.post("/api/v1/referrals/MASH-2026-999999/triage", {"rating": "red", "rationale": "x"}, as_="manager"), 404)


@pytest.mark.parametrize("username,status", [("practitioner", 403), ("police-rep", 403), ("education-rep", 404), ("analyst", 404), ("admin", 404), ("ig", 404)])
def test_only_managers_triage(api, hub, username, status):
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    problem(api.post(f"/api/v1/referrals/{referral.reference}/triage", {"rating": "red", "rationale": "x"}, as_=username), status)
    assert Referral.objects.get(pk=referral.pk).rating == "amber"


BAD_TRIAGE = [
    ({"rationale": "x"}, "rating"),
    ({"rating": "purple", "rationale": "x"}, "rating"),
    ({"rating": "RED", "rationale": "x"}, "rating"),
    ({"rating": "red"}, "rationale"),
    ({"rating": "red", "rationale": "   "}, "rationale"),
    ({"rating": "red", "rationale": 4}, "rationale"),
    ({"rating": "red", "rationale": "x" * 5001}, "rationale"),
    ({"rating": "red", "rationale": "x", "agencies": ["police", "nope"]}, "agencies"),
    ({"rating": "red", "rationale": "x", "agencies": "police"}, "agencies"),
    ({"rating": "red", "rationale": "x", "agencies": []}, "agencies"),
    ({"rating": "red", "rationale": "x", "agencies": [7]}, "agencies.0"),
    ({"rating": "red", "rationale": "x", "agency": ["police"]}, "agency"),
]


@pytest.mark.parametrize("body,field", BAD_TRIAGE)
def test_bad_triage_is_refused_and_nothing_changes(api, hub, body, field):
    referral = make_referral(hub)
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/triage", body, as_="manager"), 422))
    assert field in got, got
    assert not RatingChange.objects.exists() and not InformationRequest.objects.exists()
    assert Referral.objects.get(pk=referral.pk).status == "awaiting_triage"


# ------------------------------------------------------------------ decision


def test_a_manager_records_the_decision_after_every_agency_answered(api, hub):
    referral = make_triaged(hub, agencies=["police", "csc"])
    answer(hub, referral, "police", outcome="not_known")
    answer(hub, referral, "csc")
    jayden, tyler = _children(referral)
    body = decision_body([jayden, tyler], threshold_level=3)
    body["children"][1]["outcome"] = "assessment"

    response = api.post(f"/api/v1/referrals/{referral.reference}/decision", body, as_="manager")

    assert response.status_code == 201, response.content
    decision = response.json()
    assert decision["reference"] == referral.reference
    assert decision["decided_at"] == "2026-11-25T10:00:00+00:00" and decision["decided_by"] == "Morgan Reid"
    assert decision["threshold_level"] == 3
    assert {o["person_id"]: o["outcome"] for o in decision["outcomes"]} == {jayden: "nfa", tyler: "assessment"}
    assert decision["minutes_from_receipt"] == 60
    assert Referral.objects.get(pk=referral.pk).status == "decided"


def test_deciding_early_needs_a_reason_and_closes_open_requests(api, hub):
    referral = make_triaged(hub, agencies=["police", "csc"])
    answer(hub, referral, "csc")
    children = _children(referral)
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/decision", decision_body(children), as_="manager"), 422))
    assert "early_decision_reason" in got
    response = api.post(
        f"/api/v1/referrals/{referral.reference}/decision",
        decision_body(children, early_decision_reason="Police confirm no concerns by phone."), as_="manager",
    )
    assert response.status_code == 201
    assert InformationRequest.objects.get(referral=referral, agency__code="police").status == "not_needed"


def test_deciding_twice_or_before_rating_is_409(api, hub):
    rated = make_triaged(hub, agencies=["police"])
    decide(hub, rated)
    problem(api.post(f"/api/v1/referrals/{rated.reference}/decision", decision_body(_children(rated), early_decision_reason="x"), as_="manager"), 409)
    unrated = make_referral(hub)
    problem(api.post(f"/api/v1/referrals/{unrated.reference}/decision", decision_body(_children(unrated), early_decision_reason="x"), as_="manager"), 409)


@pytest.mark.parametrize("username,status", [("practitioner", 403), ("police-rep", 403), ("education-rep", 404), ("analyst", 404), ("admin", 404), ("ig", 404)])
def test_only_managers_decide(api, hub, username, status):
    referral = make_triaged(hub, agencies=["police"])
    body = decision_body(_children(referral), early_decision_reason="x")
    problem(api.post(f"/api/v1/referrals/{referral.reference}/decision", body, as_=username), status)
    assert not Decision.objects.exists()


BAD_DECISIONS = [  # (body from the children j, t and the adult k, field)
    ("a child left out", lambda j, t, k: decision_body([j]), "children"),
    ("no children", lambda j, t, k: decision_body([]), "children"),
    ("children missing", lambda j, t, k: {x: v for x, v in decision_body([j, t]).items() if x != "children"}, "children"),
    ("unknown outcome", lambda j, t, k: decision_body([j, t], outcome="adopt"), "children.0.outcome"),
    ("an adult given an outcome", lambda j, t, k: decision_body([j, t, k]), "children.2.person_id"),
    ("a child twice", lambda j, t, k: decision_body([j, j, t]), "children"),
    ("person_id as a string", lambda j, t, k: {**decision_body([t]), "children": [{"person_id": str(j), "outcome": "nfa"}]}, "children.0.person_id"),
    ("threshold 5", lambda j, t, k: decision_body([j, t], threshold_level=5), "threshold_level"),
    ("threshold as a string", lambda j, t, k: decision_body([j, t], threshold_level="2"), "threshold_level"),
    ("threshold null", lambda j, t, k: decision_body([j, t], threshold_level=None), "threshold_level"),
    ("no rationale", lambda j, t, k: decision_body([j, t], rationale=""), "rationale"),
    ("oversized rationale", lambda j, t, k: decision_body([j, t], rationale="x" * 20001), "rationale"),
    ("told, but not how", lambda j, t, k: decision_body([j, t], referrer_informed_method=""), "referrer_informed_method"),
    ("unknown contact method", lambda j, t, k: decision_body([j, t], referrer_informed_method="pigeon"), "referrer_informed_method"),
    ("unknown referrer_informed", lambda j, t, k: decision_body([j, t], referrer_informed="maybe"), "referrer_informed"),
    ("not told, without why", lambda j, t, k: decision_body([j, t], referrer_informed="not_appropriate", referrer_informed_method=None), "referrer_informed_notes"),
    ("anonymous, but named", lambda j, t, k: decision_body([j, t], referrer_informed="anonymous"), "referrer_informed"),
    ("early, without a reason", lambda j, t, k: decision_body([j, t]), "early_decision_reason"),
    ("oversized early reason", lambda j, t, k: decision_body([j, t], early_decision_reason="r" * 5001), "early_decision_reason"),
]


@pytest.mark.parametrize("make,field", [c[1:] for c in BAD_DECISIONS], ids=[c[0] for c in BAD_DECISIONS])
def test_bad_decisions_are_refused_with_the_field_path_and_nothing_is_saved(api, hub, make, field):
    referral = make_triaged(hub, agencies=["police"])
    body = make(*_children(referral), *_adults(referral))
    got = fields(problem(api.post(f"/api/v1/referrals/{referral.reference}/decision", body, as_="manager"), 422))
    assert field in got, got
    assert not Decision.objects.exists() and not ChildOutcome.objects.exists()
    assert InformationRequest.objects.get(referral=referral).status == "open"
    assert Referral.objects.get(pk=referral.pk).status == "gathering"
