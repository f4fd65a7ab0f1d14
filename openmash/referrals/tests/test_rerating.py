"""Rating and re-rating a referral (referral_triage): due times, history, Urgent, the clock policy.

The rule (issue 2 §3, docs/adr/0002-clocks.md): re-rating moves every request still unanswered to the
new rating's clock counted from the re-rating; answered requests keep their due time; the history
keeps who, when and why.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.errors import InvalidInput
from openmash.core.testing.factories import answer, make_referral, make_triaged
from openmash.information_requests.models import InformationRequest, RequestStatus
from openmash.referrals import deadlines
from openmash.referrals.models import RatingChange
from openmash.referrals.services import clock_policy_update, referral_triage

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
FEW = ["police", "education", "gp", "housing"]


def dues(referral) -> dict[str, dt.datetime]:
    return dict(InformationRequest.objects.filter(referral=referral).values_list("agency__code", "due_at"))


def rerate(hub, referral, rating, rationale="Changed.", agencies=None):
    referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale=rationale, agency_codes=agencies)
    referral.refresh_from_db()
    return referral


def test_rerating_green_to_red_moves_only_unanswered_requests(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="green")
    green_due = T0 + dt.timedelta(hours=48)
    assert set(dues(referral).values()) == {green_due}
    assert len(dues(referral)) == 16

    freeze(T0 + dt.timedelta(hours=1))
    answer(hub, referral, "police")
    answer(hub, referral, "education", outcome="not_known")
    answer(hub, referral, "gp", outcome="declined")

    rerated_at = freeze(T0 + dt.timedelta(hours=3, minutes=17))
    rerate(hub, referral, "red", rationale="Police report of a new assault")
    after = dues(referral)
    red_due = rerated_at + dt.timedelta(hours=4)
    assert {code: after[code] for code in ("police", "education", "gp")} == dict.fromkeys(("police", "education", "gp"), green_due)
    assert {due for code, due in after.items() if code not in ("police", "education", "gp")} == {red_due}
    assert InformationRequest.objects.filter(referral=referral, status=RequestStatus.OPEN, due_at=red_due).count() == 13
    # Requests that were answered keep their original "requested at"; nothing new was created.
    assert InformationRequest.objects.filter(referral=referral).count() == 16

    assert referral.rating == "red"
    assert referral.rated_at == rerated_at
    history = list(referral.rating_changes.values_list("rating", "previous_rating", "rationale", "changed_by__username", "changed_at"))
    assert history == [
        ("green", "", "Because.", "manager", T0),
        ("red", "green", "Police report of a new assault", "manager", rerated_at),
    ]
    event = AuditEvent.objects.get(referral_reference=referral.reference, action="referral.rerate")
    assert event.details["previous_rating"] == "green"
    assert event.details["requests_moved"] == 13
    assert event.details["agencies_added"] == []


def test_rerating_to_a_longer_clock_moves_due_times_later(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=FEW)
    answer(hub, referral, "police")
    later = freeze(T0 + dt.timedelta(hours=2))
    rerate(hub, referral, "amber", agencies=FEW)
    after = dues(referral)
    assert after["police"] == T0 + dt.timedelta(hours=4)
    assert {after[c] for c in ("education", "gp", "housing")} == {later + dt.timedelta(hours=24)}


def test_rerating_to_the_same_rating_without_new_agencies_is_refused(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=FEW)
    before = dues(referral)
    freeze(T0 + dt.timedelta(hours=1))
    for agencies in (FEW, ["police"], FEW[:2]):
        with pytest.raises(InvalidInput) as raised:
            rerate(hub, referral, "red", agencies=agencies)
        assert "already rated Red" in raised.value.errors["rating"][0]
    assert dues(referral) == before
    assert referral.rating_changes.count() == 1
    assert not AuditEvent.objects.filter(referral_reference=referral.reference, action="referral.rerate").exists()


def test_rerating_to_the_same_rating_with_all_agencies_already_asked_is_refused(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="amber")  # every active agency
    freeze(T0 + dt.timedelta(minutes=5))
    with pytest.raises(InvalidInput):
        rerate(hub, referral, "amber")  # the default, all active agencies, adds none
    assert referral.rating_changes.count() == 1


def test_adding_agencies_on_rerating_creates_requests_only_for_the_new_ones(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    first = dues(referral)

    added_at = freeze(T0 + dt.timedelta(hours=1))
    rerate(hub, referral, "red", rationale="The GP needs asking too", agencies=["police", "education", "gp"])
    after = dues(referral)
    assert set(after) == {"police", "education", "gp"}
    assert after["police"] == first["police"] and after["education"] == first["education"]  # same rating: not moved
    assert after["gp"] == added_at + dt.timedelta(hours=4)
    gp = InformationRequest.objects.get(referral=referral, agency__code="gp")
    assert gp.requested_at == added_at and gp.requested_by == hub["manager"]
    assert referral.rating_changes.count() == 2

    answer(hub, referral, "police")
    amber_at = freeze(T0 + dt.timedelta(hours=2))
    rerate(hub, referral, "amber", agencies=["housing"])  # a new rating and one more agency
    after = dues(referral)
    assert set(after) == {"police", "education", "gp", "housing"}
    assert after["police"] == first["police"]  # answered
    assert {after[c] for c in ("education", "gp", "housing")} == {amber_at + dt.timedelta(hours=24)}
    assert InformationRequest.objects.filter(referral=referral, agency__code="housing").count() == 1
    event = AuditEvent.objects.filter(referral_reference=referral.reference, action="referral.rerate").last()
    assert event.details["agencies_added"] == ["housing"]


def test_urgent_records_that_a_strategy_discussion_is_required(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="green", agencies=FEW)
    assert referral.strategy_discussion_required_at is None

    urgent_at = freeze(T0 + dt.timedelta(minutes=40))
    rerate(hub, referral, "urgent", rationale="Disclosure of sexual abuse")
    assert referral.strategy_discussion_required_at == urgent_at
    assert set(dues(referral).values()) == {urgent_at + dt.timedelta(hours=1)}

    # Stepping down from Urgent keeps the record of when a strategy discussion was required.
    freeze(T0 + dt.timedelta(hours=3))
    rerate(hub, referral, "red")
    assert referral.strategy_discussion_required_at == urgent_at
    # Urgent again: the first time stays recorded here; the history has the second.
    again = freeze(T0 + dt.timedelta(hours=4))
    rerate(hub, referral, "urgent")
    assert referral.strategy_discussion_required_at == urgent_at
    assert list(referral.rating_changes.filter(rating="urgent").values_list("changed_at", flat=True)) == [urgent_at, again]


def test_urgent_at_first_triage(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="urgent", agencies=FEW)
    assert referral.strategy_discussion_required_at == T0
    assert set(dues(referral).values()) == {T0 + dt.timedelta(hours=1)}


@pytest.mark.parametrize(
    ("friday_15", "monday_11"),
    [
        (dt.datetime(2026, 11, 27, 15, 0, tzinfo=LONDON), dt.datetime(2026, 11, 30, 11, 0, tzinfo=LONDON)),  # GMT
        (dt.datetime(2026, 7, 3, 15, 0, tzinfo=LONDON), dt.datetime(2026, 7, 6, 11, 0, tzinfo=LONDON)),  # BST
        # Spring change: Friday GMT, Monday BST.
        (dt.datetime(2026, 3, 27, 15, 0, tzinfo=LONDON), dt.datetime(2026, 3, 30, 11, 0, tzinfo=LONDON)),
    ],
)
def test_red_in_working_hours_on_friday_afternoon_is_due_monday_morning(hub, freeze, friday_15, monday_11):
    freeze(friday_15 - dt.timedelta(hours=1))
    clock_policy_update(user=hub["admin"], rating="red", minutes=4 * 60, basis="working")
    referral = make_referral(hub)
    freeze(friday_15)
    rerate(hub, referral, "red", agencies=FEW)
    assert set(dues(referral).values()) == {monday_11}


def test_a_policy_change_does_not_move_requests_already_sent(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=FEW)
    before = dues(referral)
    freeze(T0 + dt.timedelta(minutes=30))
    clock_policy_update(user=hub["admin"], rating="red", minutes=2 * 60, basis="calendar")
    assert dues(referral) == before
    # ...but a re-rating afterwards counts on the new policy.
    clock_policy_update(user=hub["admin"], rating="amber", minutes=6 * 60, basis="calendar")
    amber_at = freeze(T0 + dt.timedelta(hours=1))
    rerate(hub, referral, "amber", agencies=FEW)
    assert set(dues(referral).values()) == {amber_at + dt.timedelta(hours=6)}


# ------------------------------------------------------------------ property: any sequence of events

RATINGS = ["urgent", "red", "amber", "green"]
policies = st.fixed_dictionaries(
    {r: st.tuples(st.sampled_from([30, 60, 90, 240, 360, 1440, 2880]), st.sampled_from(["calendar", "working"])) for r in RATINGS}
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("rate"), st.integers(0, 3 * 1440), st.sampled_from(RATINGS), st.sampled_from([None, *FEW[2:], "camhs", "probation"])),
        st.tuples(st.just("answer"), st.integers(0, 3 * 1440), st.sampled_from(FEW[:2] + ["camhs"])),
        st.tuples(st.just("policy"), st.integers(0, 600), st.sampled_from(RATINGS), st.sampled_from([45, 120, 480]), st.sampled_from(["calendar", "working"])),
    ),
    max_size=7,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)).map(
        lambda t: t.replace(second=0, microsecond=0)
    ),
    first=st.sampled_from(RATINGS),
    policy=policies,
    events=steps,
)
def test_due_times_follow_the_last_rating_change_and_answered_ones_never_move(hub, freeze, start, first, policy, events):
    """A model of the rule, run against the service for random ratings, answers and policy changes.

    Model: each request is due at (the time it was created or last moved) + the clock of the rating
    in force then. A change to a different rating moves every open request; the same rating with
    new agencies only adds requests; the same rating without is refused; answers freeze a due time.
    """
    policy = dict(policy)  # changed by the "policy" steps; keep hypothesis's own copy as drawn
    now = freeze(start)
    for rating, (minutes, basis) in policy.items():
        clock_policy_update(user=hub["admin"], rating=rating, minutes=minutes, basis=basis)
    referral = make_referral(hub)
    asked = list(FEW[:2])
    referral_triage(user=hub["manager"], referral=referral, rating=first, rationale="First.", agency_codes=asked)
    current = first
    expected = dict.fromkeys(asked, deadlines.due_at(now, minutes=policy[first][0], basis=policy[first][1]))
    answered: set[str] = set()
    history = [(first, "", now)]

    for event in events:
        now = freeze(now + dt.timedelta(minutes=event[1]))
        if event[0] == "policy":
            _, _, rating, minutes, basis = event
            clock_policy_update(user=hub["admin"], rating=rating, minutes=minutes, basis=basis)
            policy[rating] = (minutes, basis)
        elif event[0] == "answer":
            code = event[2]
            if code in asked and code not in answered:
                answer(hub, referral, code)
                answered.add(code)
        else:
            _, _, rating, extra = event
            codes = asked + ([extra] if extra and extra not in asked else [])
            new = [c for c in codes if c not in asked]
            if rating == current and not new:
                with pytest.raises(InvalidInput):
                    referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale="Again.", agency_codes=codes)
            else:
                referral_triage(user=hub["manager"], referral=referral, rating=rating, rationale="Changed.", agency_codes=codes)
                due = deadlines.due_at(now, minutes=policy[rating][0], basis=policy[rating][1])
                if rating != current:
                    for code in asked:
                        if code not in answered:
                            expected[code] = due
                for code in new:
                    expected[code] = due
                asked = codes
                history.append((rating, current, now))
                current = rating
        assert dues(referral) == expected, event
        open_codes = set(
            InformationRequest.objects.filter(referral=referral, status=RequestStatus.OPEN).values_list("agency__code", flat=True)
        )
        assert open_codes == set(asked) - answered

    referral.refresh_from_db()
    assert referral.rating == current
    assert list(RatingChange.objects.filter(referral=referral).values_list("rating", "previous_rating", "changed_at")) == history
    assert clock.now() == now
