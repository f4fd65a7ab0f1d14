"""Triage (rating and information requests) and the decision: who may, when, and what they record."""

import datetime as dt

import pytest

from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.core.errors import Conflict, Forbidden, InvalidInput
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.information_requests.models import InformationAnswer, InformationRequest, RequestStatus
from openmash.information_requests.services import AnswerInput, information_request_answer
from openmash.people.models import Person
from openmash.referrals.models import ChildOutcome, Decision, RatingChange, Referral
from openmash.referrals.services import DecisionInput, clock_policy_update, decision_record, referral_triage

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
ALL_AGENCIES = 16


def _triage(hub, referral, user="manager", rating="red", rationale="Domestic abuse reported.", agencies=None):
    return referral_triage(user=hub[user], referral=referral, rating=rating, rationale=rationale, agency_codes=agencies)


def _nothing_triaged(referral):
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage" and referral.rating == "" and referral.rated_at is None
    assert not InformationRequest.objects.filter(referral=referral).exists()
    assert not RatingChange.objects.filter(referral=referral).exists()
    assert not AuditEvent.objects.filter(referral_reference=referral.reference, action__startswith="referral.").exclude(
        action="referral.create"
    ).exists()


# ------------------------------------------------------------------ triage


@pytest.mark.parametrize("username", ["practitioner", "police-rep", "analyst", "admin", "ig"])
def test_only_a_manager_can_rate(hub, freeze, username):
    freeze(T0)
    referral = make_referral(hub)
    with pytest.raises(Forbidden):
        _triage(hub, referral, user=username)
    _nothing_triaged(referral)


def test_by_default_every_active_agency_is_asked(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    freeze(T0 + dt.timedelta(minutes=20))
    _triage(hub, referral)
    referral.refresh_from_db()
    assert referral.status == "gathering" and referral.rating == "red"
    assert referral.rated_at == T0 + dt.timedelta(minutes=20)
    requests = InformationRequest.objects.filter(referral=referral)
    assert sorted(requests.values_list("agency__code", flat=True)) == sorted(Agency.objects.values_list("code", flat=True))
    assert requests.count() == ALL_AGENCIES
    assert {(r.status, r.requested_at, r.requested_by_id) for r in requests} == {
        ("open", T0 + dt.timedelta(minutes=20), hub["manager"].pk)
    }
    change = RatingChange.objects.get(referral=referral)
    assert (change.rating, change.previous_rating, change.rationale, change.changed_by_id) == (
        "red", "", "Domestic abuse reported.", hub["manager"].pk,
    )
    event = AuditEvent.objects.get(referral_reference=referral.reference, action="referral.triage")
    assert event.actor_username == "manager" and len(event.details["agencies_added"]) == ALL_AGENCIES


def test_an_inactive_agency_is_not_asked_by_default_and_cannot_be_named(hub, freeze):
    freeze(T0)
    Agency.objects.filter(code="housing").update(active=False)
    referral = make_referral(hub)
    with pytest.raises(InvalidInput) as caught:
        _triage(hub, referral, agencies=["police", "housing"])
    assert caught.value.errors == {"agencies": ["Unknown or inactive agency: housing"]}
    _nothing_triaged(referral)
    _triage(hub, referral)
    codes = set(InformationRequest.objects.filter(referral=referral).values_list("agency__code", flat=True))
    assert len(codes) == ALL_AGENCIES - 1 and "housing" not in codes


def test_an_unknown_agency_code_is_refused(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    with pytest.raises(InvalidInput) as caught:
        _triage(hub, referral, agencies=["police", "fire-service"])
    assert caught.value.errors == {"agencies": ["Unknown or inactive agency: fire-service"]}
    _nothing_triaged(referral)


def test_the_agencies_chosen_are_the_ones_asked(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    _triage(hub, referral, agencies=["police", "education", "police"])
    assert sorted(InformationRequest.objects.filter(referral=referral).values_list("agency__code", flat=True)) == [
        "education", "police",
    ]


def test_an_empty_agency_list_on_the_first_rating_is_refused(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    with pytest.raises(InvalidInput) as caught:
        _triage(hub, referral, agencies=[])
    assert caught.value.errors == {"agencies": ["Select at least one agency to ask for information"]}
    _nothing_triaged(referral)


@pytest.mark.parametrize(
    "overrides, errors",
    [
        pytest.param({"rating": "purple"}, {"rating": ["Select a rating: Urgent, Red, Amber or Green"]}, id="unknown-rating"),
        pytest.param({"rating": ""}, {"rating": ["Select a rating: Urgent, Red, Amber or Green"]}, id="no-rating"),
        pytest.param({"rationale": "  "}, {"rationale": ["Give the reason for this rating"]}, id="no-rationale"),
        pytest.param({"rationale": "x" * 5001}, {"rationale": ["The rationale must be 5,000 characters or fewer"]}, id="long-rationale"),
    ],
)
def test_bad_triage_input_is_refused(hub, freeze, overrides, errors):
    freeze(T0)
    referral = make_referral(hub)
    with pytest.raises(InvalidInput) as caught:
        _triage(hub, referral, **overrides)
    assert caught.value.errors == errors
    _nothing_triaged(referral)


def test_a_decided_referral_cannot_be_rated(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    decide(hub, referral)
    with pytest.raises(Conflict):
        _triage(hub, referral, rating="urgent", rationale="New information.", agencies=["police", "education"])
    referral.refresh_from_db()
    assert referral.rating == "red" and referral.strategy_discussion_required_at is None
    assert RatingChange.objects.filter(referral=referral).count() == 1
    assert InformationRequest.objects.filter(referral=referral).count() == 1


@pytest.mark.parametrize(
    "rating, hours", [("urgent", 1), ("red", 4), ("amber", 24), ("green", 48)],
)
def test_due_times_follow_the_default_clock_policy(hub, freeze, rating, hours):
    freeze(T0)
    referral = make_referral(hub)
    start = T0 + dt.timedelta(minutes=7)
    freeze(start)
    _triage(hub, referral, rating=rating, agencies=["police", "gp"])
    assert set(InformationRequest.objects.filter(referral=referral).values_list("due_at", flat=True)) == {
        start + dt.timedelta(hours=hours)
    }


def test_calendar_clocks_count_elapsed_time_across_the_clocks_going_forward(hub, freeze):
    # Amber from 12:00 GMT on Saturday 28 March 2026: 24 elapsed hours later is 13:00 BST on Sunday.
    start = dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    freeze(start)
    referral = make_referral(hub)
    _triage(hub, referral, rating="amber", agencies=["police"])
    due = InformationRequest.objects.get(referral=referral).due_at
    assert due == dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


def test_due_times_follow_a_changed_clock_policy(hub, freeze):
    clock_policy_update(user=hub["admin"], rating="red", minutes=120, basis="working")
    friday_4pm = dt.datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    freeze(friday_4pm)
    referral = make_referral(hub)
    _triage(hub, referral, rating="red", agencies=["police"])
    # One working hour on Friday, the second from 09:00 on Monday.
    assert InformationRequest.objects.get(referral=referral).due_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_urgent_records_that_a_strategy_discussion_is_required_now(hub, freeze):
    freeze(T0)
    red = make_triaged(hub, rating="red", agencies=["police"])
    assert red.strategy_discussion_required_at is None
    referral = make_referral(hub)
    freeze(T0 + dt.timedelta(minutes=3))
    _triage(hub, referral, rating="urgent", agencies=["police"])
    referral.refresh_from_db()
    assert referral.strategy_discussion_required_at == T0 + dt.timedelta(minutes=3)
    # Re-rating it upwards later keeps the first time the discussion was needed.
    freeze(T0 + dt.timedelta(hours=1))
    _triage(hub, referral, rating="red", rationale="Lower.")
    _triage(hub, referral, rating="urgent", rationale="Higher again.")
    referral.refresh_from_db()
    assert referral.strategy_discussion_required_at == T0 + dt.timedelta(minutes=3)


def test_re_rating_moves_unanswered_requests_and_keeps_history(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="green", agencies=["police", "education"])
    freeze(T0 + dt.timedelta(hours=2))
    answer(hub, referral, "education")
    answered_due = InformationRequest.objects.get(referral=referral, agency__code="education").due_at
    freeze(T0 + dt.timedelta(hours=3))
    _triage(hub, referral, rating="red", rationale="Police intelligence.", agencies=["gp"])
    due = {r.agency.code: r.due_at for r in InformationRequest.objects.filter(referral=referral).select_related("agency")}
    assert due == {
        "police": T0 + dt.timedelta(hours=7),
        "gp": T0 + dt.timedelta(hours=7),
        "education": answered_due,
    }
    history = list(RatingChange.objects.filter(referral=referral).values_list("previous_rating", "rating", "changed_by__username"))
    assert history == [("", "green", "manager"), ("green", "red", "manager")]
    # The same rating again with nobody new to ask changes nothing and says why.
    with pytest.raises(InvalidInput) as caught:
        _triage(hub, referral, rating="red", rationale="Same.", agencies=[])
    assert list(caught.value.errors) == ["rating"]
    assert RatingChange.objects.filter(referral=referral).count() == 2


# ------------------------------------------------------------------ decision


def _decision(referral, **fields) -> DecisionInput:
    children = list(referral.people.filter(kind="child").values_list("person_id", flat=True))
    values = {
        "outcomes": {pid: "early_help" for pid in children},
        "rationale": "Needs met by early help.",
        "threshold_level": 2,
        "early_decision_reason": "",
        "referrer_informed": "yes",
        "referrer_informed_method": "phone",
    }
    values.update(fields)
    return DecisionInput(**values)


def _not_decided(referral):
    referral.refresh_from_db()
    assert referral.status != "decided" and referral.decided_at is None
    assert not Decision.objects.filter(referral=referral).exists()
    assert not ChildOutcome.objects.exists()
    assert not AuditEvent.objects.filter(referral_reference=referral.reference, action="referral.decide").exists()
    assert not InformationRequest.objects.filter(referral=referral, status=RequestStatus.NOT_NEEDED).exists()


@pytest.fixture
def answered(hub, freeze):
    """A red referral whose two agencies (police, education) have both answered."""
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    answer(hub, referral, "police")
    answer(hub, referral, "education", outcome="not_known")
    return referral


@pytest.mark.parametrize("username", ["practitioner", "police-rep", "analyst", "admin", "ig"])
def test_only_a_manager_can_decide(hub, answered, username):
    with pytest.raises(Forbidden):
        decision_record(user=hub[username], referral=answered, data=_decision(answered))
    _not_decided(answered)


def test_a_referral_is_rated_before_it_is_decided(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    with pytest.raises(Conflict):
        decision_record(user=hub["manager"], referral=referral, data=_decision(referral, early_decision_reason="Now."))
    _not_decided(referral)


def test_every_child_needs_an_outcome(hub, answered):
    jayden, tyler = answered.people.filter(kind="child").order_by("position").values_list("person_id", flat=True)
    with pytest.raises(InvalidInput) as caught:
        decision_record(user=hub["manager"], referral=answered, data=_decision(answered, outcomes={jayden: "nfa"}))
    assert caught.value.errors == {f"outcomes.{tyler}": ["Select the outcome for this child"]}
    with pytest.raises(InvalidInput) as caught:
        decision_record(
            user=hub["manager"], referral=answered, data=_decision(answered, outcomes={jayden: "nfa", tyler: "adopt"})
        )
    assert caught.value.errors == {f"outcomes.{tyler}": ["Select an outcome from the list"]}
    _not_decided(answered)


def test_an_outcome_for_someone_not_a_child_on_the_referral_is_refused(hub, answered):
    data = _decision(answered)
    mother = answered.people.get(kind="adult").person_id
    stranger = Person.objects.create(given_name="A", family_name="Stranger", given_name_norm="a", family_name_norm="stranger")
    for pid in (mother, stranger.pk):
        outcomes = {**data.outcomes, pid: "nfa"}
        with pytest.raises(InvalidInput) as caught:
            decision_record(user=hub["manager"], referral=answered, data=_decision(answered, outcomes=outcomes))
        assert caught.value.errors == {"outcomes": ["Outcomes can only be given for the children on this referral"]}
    _not_decided(answered)


@pytest.mark.parametrize("level", [0, 5, None, "2"])
def test_the_threshold_level_is_1_to_4(hub, answered, level):
    with pytest.raises(InvalidInput) as caught:
        decision_record(user=hub["manager"], referral=answered, data=_decision(answered, threshold_level=level))
    assert caught.value.errors == {"threshold_level": ["Select the threshold level, 1 to 4"]}
    _not_decided(answered)


@pytest.mark.parametrize("level", [1, 4])
def test_threshold_levels_1_and_4_are_accepted(hub, answered, level):
    decision = decision_record(user=hub["manager"], referral=answered, data=_decision(answered, threshold_level=level))
    assert decision.threshold_level == level


def test_a_rationale_is_required(hub, answered):
    with pytest.raises(InvalidInput) as caught:
        decision_record(user=hub["manager"], referral=answered, data=_decision(answered, rationale="  \n"))
    assert caught.value.errors == {"rationale": ["Give the rationale for the decision"]}
    _not_decided(answered)


def test_deciding_while_requests_are_open_needs_a_reason(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    answer(hub, referral, "police")
    with pytest.raises(InvalidInput) as caught:
        decision_record(user=hub["manager"], referral=referral, data=_decision(referral, early_decision_reason=" "))
    assert caught.value.errors == {
        "early_decision_reason": ["Some agencies have not answered yet; give the reason for deciding before they do"]
    }
    _not_decided(referral)
    decision = decision_record(
        user=hub["manager"], referral=referral, data=_decision(referral, early_decision_reason="Child seen by police today.")
    )
    assert decision.early_decision_reason == "Child seen by police today."


def test_no_reason_is_needed_once_every_agency_has_answered(hub, answered):
    decision = decision_record(user=hub["manager"], referral=answered, data=_decision(answered, early_decision_reason=""))
    assert decision.early_decision_reason == ""


@pytest.mark.parametrize(
    "fields, errors",
    [
        pytest.param({"referrer_informed": ""}, {"referrer_informed": ["Select whether the referrer has been told the outcome"]}, id="missing"),
        pytest.param({"referrer_informed": "perhaps"}, {"referrer_informed": ["Select whether the referrer has been told the outcome"]}, id="unknown"),
        pytest.param({"referrer_informed": "yes", "referrer_informed_method": ""}, {"referrer_informed_method": ["Select how the referrer was told"]}, id="yes-without-method"),
        pytest.param({"referrer_informed": "yes", "referrer_informed_method": "pigeon"}, {"referrer_informed_method": ["Select how the referrer was told"]}, id="yes-unknown-method"),
        pytest.param({"referrer_informed": "not_appropriate", "referrer_informed_notes": " "}, {"referrer_informed_notes": ["Say why the referrer is not being told"]}, id="not-appropriate-without-notes"),
        pytest.param({"referrer_informed": "anonymous"}, {"referrer_informed": ["The referrer is not anonymous; say whether they have been told"]}, id="anonymous-but-named"),
    ],
)
def test_whether_the_referrer_was_told_is_recorded_properly(hub, answered, fields, errors):
    with pytest.raises(InvalidInput) as caught:
        decision_record(user=hub["manager"], referral=answered, data=_decision(answered, **fields))
    assert caught.value.errors == errors
    _not_decided(answered)


def test_the_referrer_told_variants_that_are_accepted(hub, freeze):
    freeze(T0)
    anonymous = make_triaged(
        hub, agencies=["police"], source="9", referrer_anonymous=True, referrer_name="", referrer_role="",
        referrer_organisation="", referrer_phone="",
    )
    decision = decision_record(
        user=hub["manager"], referral=anonymous,
        data=_decision(anonymous, referrer_informed="anonymous", referrer_informed_method="phone", early_decision_reason="Now."),
    )
    assert (decision.referrer_informed, decision.referrer_informed_method) == ("anonymous", "")
    named = make_triaged(hub, agencies=["police"])
    decision = decision_record(
        user=hub["manager"], referral=named,
        data=_decision(named, referrer_informed="not_appropriate", referrer_informed_notes="Referrer is the alleged abuser.",
                       early_decision_reason="Now."),
    )
    assert decision.referrer_informed_notes == "Referrer is the alleged abuser."


def test_deciding_closes_open_requests_and_leaves_answered_ones(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education", "gp"])
    freeze(T0 + dt.timedelta(hours=1))
    answer(hub, referral, "police")
    freeze(T0 + dt.timedelta(hours=2))
    decision = decision_record(
        user=hub["manager"], referral=referral, data=_decision(referral, early_decision_reason="Enough is known.")
    )
    state = {
        r.agency.code: (r.status, r.closed_at, r.answered_at)
        for r in InformationRequest.objects.filter(referral=referral).select_related("agency")
    }
    decided_at = T0 + dt.timedelta(hours=2)
    assert state == {
        "police": ("answered", None, T0 + dt.timedelta(hours=1)),
        "education": ("not_needed", decided_at, None),
        "gp": ("not_needed", decided_at, None),
    }
    referral.refresh_from_db()
    assert (referral.status, referral.decided_at, decision.decided_at) == ("decided", decided_at, decided_at)
    outcomes = dict(ChildOutcome.objects.filter(decision=decision).values_list("person_id", "outcome"))
    assert outcomes == {pid: "early_help" for pid in referral.people.filter(kind="child").values_list("person_id", flat=True)}
    event = AuditEvent.objects.get(referral_reference=referral.reference, action="referral.decide")
    assert event.details["requests_closed_not_needed"] == 2
    assert event.details["minutes_from_receipt"] == 180  # received an hour before T0


def test_after_the_decision_nothing_more_is_decided_rated_or_answered(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    answer(hub, referral, "police")
    decide(hub, referral)
    with pytest.raises(Conflict):
        decision_record(user=hub["manager"], referral=referral, data=_decision(referral, early_decision_reason="Again."))
    assert Decision.objects.filter(referral=referral).count() == 1
    with pytest.raises(Conflict):
        _triage(hub, referral, rating="amber", rationale="Changed my mind.")
    closed = InformationRequest.objects.get(referral=referral, agency__code="education")
    with pytest.raises(Conflict):
        information_request_answer(
            user=hub["education-rep"], request=closed, data=AnswerInput(outcome="held", summary="Late news.")
        )
    closed.refresh_from_db()
    assert closed.status == "not_needed" and closed.answered_at is None
    assert not InformationAnswer.objects.filter(request=closed).exists()
    assert Referral.objects.get(pk=referral.pk).rating == "red"
