"""Planning (notices_plan): a warning at each of the rating's percentages and a breach at the due time
for every open request, a decision breach for every open referral; idempotent; re-rating, answering,
deciding and policy changes move or cancel what is pending."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.core import clock
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.escalation.codes import NoticeKind, NoticeStatus
from openmash.escalation.models import ScheduledNotice
from openmash.escalation.services import notices_plan
from openmash.escalation.tests.conftest import notices_of
from openmash.information_requests.models import InformationRequest
from openmash.referrals import deadlines
from openmash.referrals.services import clock_policy_update, decision_clock_update, referral_triage

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
W, B, D = NoticeKind.REQUEST_WARNING, NoticeKind.REQUEST_BREACH, NoticeKind.DECISION_BREACH


def request_of(referral, code="police") -> InformationRequest:
    return InformationRequest.objects.get(referral=referral, agency__code=code)


def plan(at):
    with clock.frozen(at):
        return notices_plan()


def fire_times(notices) -> dict:
    return {key: n.fire_at for key, n in notices.items()}


def test_a_red_request_is_warned_at_50_and_90_percent_and_breached_at_its_due_time(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red")
    plan(T0)
    assert fire_times(notices_of(request_of(referral))) == {
        (W, 50): T0 + dt.timedelta(hours=2),
        (W, 90): T0 + dt.timedelta(hours=3, minutes=36),
        (B, 100): T0 + dt.timedelta(hours=4),
    }
    assert all(n.due_at == T0 + dt.timedelta(hours=4) for n in notices_of(request_of(referral)).values())
    # 16 agencies × 3, and the referral's decision clock.
    assert ScheduledNotice.objects.filter(status=NoticeStatus.PENDING).count() == 16 * 3 + 1


def test_planning_is_idempotent(hub, freeze):
    freeze(T0)
    make_triaged(hub, rating="amber")
    make_referral(hub)
    first = plan(T0)
    assert first.created == 16 * 3 + 2
    rows = sorted(ScheduledNotice.objects.values_list("id", "kind", "request_id", "percent", "fire_at", "status"))
    again = plan(T0 + dt.timedelta(minutes=1))
    assert not again
    assert sorted(ScheduledNotice.objects.values_list("id", "kind", "request_id", "percent", "fire_at", "status")) == rows


def test_the_decision_clock_breaches_at_the_referrals_decision_due_time(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)  # received an hour ago: Wednesday 09:00 + 8 working hours → 17:00
    plan(T0)
    notice = notices_of(referral)[(D, 100)]
    assert notice.fire_at == notice.due_at == referral.decision_due_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert notice.request_id is None


def test_a_configured_decision_clock_sets_the_decision_due_time_of_new_referrals(hub, freeze):
    freeze(T0)
    before = make_referral(hub)
    decision_clock_update(user=hub["admin"], minutes=4 * 60, basis="calendar")
    after = make_referral(hub)
    assert before.decision_due_at == dt.datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # kept: one working day
    assert after.decision_due_at == T0 - dt.timedelta(hours=1) + dt.timedelta(hours=4)
    plan(T0)
    assert notices_of(after)[(D, 100)].fire_at == after.decision_due_at


def test_rerating_cancels_the_old_notices_and_plans_new_ones_from_the_rerating(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="green")
    plan(T0)
    freeze(T0 + dt.timedelta(hours=1))
    answer(hub, referral, "police")
    rerated = freeze(T0 + dt.timedelta(hours=30))
    referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="A new assault.")
    result = plan(rerated)
    education = request_of(referral, "education")
    assert education.due_at == rerated + dt.timedelta(hours=4)
    # The warnings count from the re-rating (when the clock restarted), not from the first request.
    assert fire_times(notices_of(education, status=NoticeStatus.PENDING)) == {
        (W, 50): rerated + dt.timedelta(hours=2),
        (W, 90): rerated + dt.timedelta(hours=3, minutes=36),
        (B, 100): rerated + dt.timedelta(hours=4),
    }
    old = ScheduledNotice.objects.filter(request=education, due_at=T0 + dt.timedelta(hours=48))
    assert set(old.values_list("status", "closed_reason")) == {
        (NoticeStatus.CANCELLED, "The due time moved (the referral was re-rated)")
    }
    assert old.count() == 3
    # The police had answered: their notices were cancelled, and none were planned for the new clock.
    police = ScheduledNotice.objects.filter(request=request_of(referral, "police"))
    assert set(police.values_list("status", "closed_reason")) == {(NoticeStatus.CANCELLED, "The agency answered")}
    assert police.count() == 3
    assert result.created == 15 * 3 and result.cancelled == 16 * 3


def test_answering_cancels_what_is_pending_and_keeps_what_was_sent(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    run_clock_at(T0)
    run_clock_at(T0 + dt.timedelta(hours=2, minutes=5))  # the 50% warning goes
    freeze(T0 + dt.timedelta(hours=2, minutes=30))
    answer(hub, referral, "police")
    plan(T0 + dt.timedelta(hours=2, minutes=31))
    police = notices_of(request_of(referral))
    assert police[(W, 50)].status == NoticeStatus.SENT
    assert (police[(W, 90)].status, police[(W, 90)].closed_reason) == (NoticeStatus.CANCELLED, "The agency answered")
    assert police[(B, 100)].status == NoticeStatus.CANCELLED
    assert all(n.status == NoticeStatus.PENDING for key, n in notices_of(request_of(referral, "education")).items() if key != (W, 50))


def test_deciding_cancels_the_requests_and_the_decision_clock(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police", "education"])
    plan(T0)
    freeze(T0 + dt.timedelta(hours=1))
    decide(hub, referral)
    plan(T0 + dt.timedelta(hours=1))
    statuses = set(ScheduledNotice.objects.values_list("kind", "status", "closed_reason"))
    assert statuses == {
        (W, NoticeStatus.CANCELLED, "The hub decided before the agency answered"),
        (B, NoticeStatus.CANCELLED, "The hub decided before the agency answered"),
        (D, NoticeStatus.CANCELLED, "The hub decided"),
    }


def test_a_working_hours_clock_is_warned_in_working_time(hub, freeze):
    clock_policy_update(user=hub["admin"], rating="amber", minutes=8 * 60, basis="working")
    friday_3pm = freeze(dt.datetime(2026, 11, 27, 15, 0, tzinfo=LONDON))
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    plan(friday_3pm)
    monday = dt.date(2026, 11, 30)
    at = lambda h, m=0: dt.datetime.combine(monday, dt.time(h, m), tzinfo=LONDON)  # noqa: E731
    # 2 working hours on Friday afternoon, then Monday from 9am: 4 h → 11:00, 7.2 h → 14:12, 8 h → 15:00.
    assert fire_times(notices_of(request_of(referral))) == {(W, 50): at(11), (W, 90): at(14, 12), (B, 100): at(15)}


def test_changed_warning_points_apply_to_warnings_not_yet_sent(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    plan(T0)
    clock_policy_update(user=hub["admin"], rating="red", minutes=240, basis="calendar", warning_percents=[25, 75])
    plan(T0 + dt.timedelta(minutes=1))
    police = notices_of(request_of(referral))
    assert {key for key, n in police.items() if n.status == NoticeStatus.PENDING} == {(W, 25), (W, 75), (B, 100)}
    assert police[(W, 50)].closed_reason == "The warning point was taken out of the clock policy"
    assert police[(W, 25)].fire_at == T0 + dt.timedelta(hours=1)

    # Back to the old points: the cancelled warnings come back rather than being planned twice.
    clock_policy_update(user=hub["admin"], rating="red", minutes=240, basis="calendar", warning_percents=[50, 90])
    result = plan(T0 + dt.timedelta(minutes=2))
    assert result.revived == 2 and result.created == 0
    police = notices_of(request_of(referral))
    assert {key for key, n in police.items() if n.status == NoticeStatus.PENDING} == {(W, 50), (W, 90), (B, 100)}


def test_a_rating_with_no_warnings_gets_only_the_breach(hub, freeze):
    clock_policy_update(user=hub["admin"], rating="urgent", minutes=60, basis="calendar", warning_percents=[])
    freeze(T0)
    referral = make_triaged(hub, rating="urgent", agencies=["police"])
    plan(T0)
    assert set(notices_of(request_of(referral))) == {(B, 100)}


@settings(deadline=None)  # working-minute sums over a 30-day clock can pass 200 ms on a loaded machine
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)),
    minutes=st.integers(min_value=6, max_value=60 * 24 * 30),
    percents=st.lists(st.integers(min_value=1, max_value=99), max_size=5, unique=True),
    basis=st.sampled_from(["calendar", "working"]),
)
def test_warning_points_fall_in_order_inside_the_clock(start, minutes, percents, basis):
    due = deadlines.due_at(start, minutes=minutes, basis=basis)
    points = deadlines.warning_points(start, due, percents=percents, basis=basis)
    assert [p for p, _ in points] == sorted(percents)
    times = [t for _, t in points]
    assert times == sorted(times)
    assert all(start <= t <= due for t in times)
    if basis == "working":
        total = deadlines.working_minutes_between(start, due)
        for percent, at in points:
            assert deadlines.working_minutes_between(start, at) == total * percent // 100
