"""The due-time arithmetic (referrals/deadlines.py): worked examples and property tests.

Calendar clocks are elapsed time; working clocks count Monday–Friday 09:00–17:00 London wall-clock
time, skipping England and Wales bank holidays. The property tests check the implementation against
a brute-force reference that walks real time minute by minute, and against the rules themselves
(in a working window, round trip, monotonic, out-of-hours starts wait for 09:00).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from openmash.referrals import deadlines
from openmash.referrals.deadlines import add_calendar, add_working, due_at, working_minutes_between

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
MIN = dt.timedelta(minutes=1)
# A separate instance from the module's cached one, so the tests do not share its state. Years are
# listed so that iterating over it sees them (lookups outside them still expand lazily).
BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2024, 2032))

# UK clocks change at 01:00 UTC on the last Sunday of March and of October.
SPRING_2026 = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
AUTUMN_2026 = dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
SPRING_2027 = dt.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # Easter Sunday 2027 too
AUTUMN_2027 = dt.datetime(2027, 10, 31, 1, 0, tzinfo=UTC)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def in_working_time(instant: dt.datetime) -> bool:
    """Inside 09:00–17:00 on a working day; exactly 17:00 counts (a clock may end at close)."""
    local = instant.astimezone(LONDON)
    return is_working_day(local.date()) and dt.time(9, 0) < local.time() <= dt.time(17, 0)


def inside_window(instant: dt.datetime) -> bool:
    """Where working time is being counted: [09:00, 17:00) on a working day."""
    local = instant.astimezone(LONDON)
    return is_working_day(local.date()) and dt.time(9, 0) <= local.time() < dt.time(17, 0)


def next_opening(instant: dt.datetime) -> dt.datetime:
    """09:00 of the next working window, for an instant outside every window."""
    local = instant.astimezone(LONDON)
    day = local.date()
    if not (is_working_day(day) and local.time() < dt.time(9, 0)):
        day += dt.timedelta(days=1)
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=LONDON)


def reference_add_working(start: dt.datetime, minutes: int) -> dt.datetime:
    """Brute force: walk real time (UTC) a minute at a time, counting the minutes that fall in a
    London working window. `start` must be on a whole minute. Non-working hours are skipped an hour
    at a time: UK offsets are whole hours, so every minute of a local hour is alike."""
    t = start.astimezone(UTC)
    assert t.second == 0 and t.microsecond == 0
    counted = 0
    while counted < minutes:
        local = t.astimezone(LONDON)
        if not (is_working_day(local.date()) and 9 <= local.hour < 17):
            t += dt.timedelta(minutes=60 - local.minute)
            continue
        t += MIN
        counted += 1
    return t


# ------------------------------------------------------------------ strategies

INTERESTING = [
    SPRING_2026,
    AUTUMN_2026,
    SPRING_2027,
    AUTUMN_2027,
    dt.datetime(2026, 4, 2, 12, tzinfo=UTC),  # Easter 2026: Good Friday 3 April, Easter Monday 6 April
    dt.datetime(2026, 12, 24, 12, tzinfo=UTC),  # Christmas 2026: Boxing Day substitute on Monday 28th
    dt.datetime(2026, 12, 31, 12, tzinfo=UTC),  # New Year's Day 2027 is a Friday
    dt.datetime(2027, 3, 25, 12, tzinfo=UTC),  # Easter 2027 over the spring clock change
    dt.datetime(2026, 5, 22, 12, tzinfo=UTC),  # Spring bank holiday weekend
]
EPOCH = dt.datetime(2024, 1, 1, tzinfo=UTC)
SPAN_MINUTES = int((dt.datetime(2031, 1, 1, tzinfo=UTC) - EPOCH).total_seconds() // 60)

near_interesting = st.builds(
    lambda base, offset: base + dt.timedelta(minutes=offset),
    st.sampled_from(INTERESTING),
    st.integers(-6 * 24 * 60, 6 * 24 * 60),
)
anywhere = st.integers(0, SPAN_MINUTES).map(lambda m: EPOCH + dt.timedelta(minutes=m))
# Whole-minute instants, half of them within a few days of a clock change or bank holiday.
minute_starts = st.one_of(near_interesting, anywhere)
# The same instants, shown in a mix of zones (the zone must not matter), some with seconds.
zones = st.sampled_from([UTC, LONDON, dt.timezone(dt.timedelta(hours=5, minutes=30)), ZoneInfo("America/New_York")])
starts = st.builds(
    lambda instant, micro, zone: (instant + dt.timedelta(microseconds=micro)).astimezone(zone),
    minute_starts,
    st.one_of(st.just(0), st.integers(0, 59_999_999)),
    zones,
)
working_minutes = st.integers(1, 3000)  # up to six and a quarter working days


# ------------------------------------------------------------------ calendar clocks


def test_calendar_clock_over_the_spring_change_is_four_real_hours():
    start = london(2026, 3, 29, 0, 30)  # GMT; at 01:00 GMT the clocks jump to 02:00 BST
    due = add_calendar(start, 4 * 60)
    assert due.astimezone(LONDON).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 5, 30)
    assert due.astimezone(LONDON).tzname() == "BST"
    assert due == dt.datetime(2026, 3, 29, 4, 30, tzinfo=UTC)
    assert due - start == dt.timedelta(hours=4)


def test_calendar_clock_over_the_autumn_change_is_four_real_hours():
    start = london(2026, 10, 25, 0, 30)  # BST; at 02:00 BST the clocks go back to 01:00 GMT
    due = add_calendar(start, 4 * 60)
    assert due.astimezone(LONDON).replace(tzinfo=None) == dt.datetime(2026, 10, 25, 3, 30)  # wall clock: 3 h on
    assert due.astimezone(LONDON).tzname() == "GMT"
    assert due - start == dt.timedelta(hours=4)


def test_calendar_hour_from_the_first_half_past_one_ends_at_the_second():
    first = london(2026, 10, 25, 1, 30)  # fold=0: the first 01:30, BST
    due = add_calendar(first, 60)
    local = due.astimezone(LONDON)
    assert (local.hour, local.minute, local.fold, local.tzname()) == (1, 30, 1, "GMT")
    assert due == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_calendar_clock_returns_utc():
    due = add_calendar(london(2026, 7, 1, 12, 0), 60)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@settings(max_examples=100, deadline=None)
@given(
    start=st.one_of(
        st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2040, 12, 31),
            timezones=st.sampled_from([LONDON, UTC, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]),
        ),
        starts,
    ),
    minutes=st.integers(0, 60 * 24 * 30),
)
@example(start=london(2026, 3, 29, 0, 30), minutes=240)
@example(start=london(2026, 10, 25, 0, 30), minutes=240)
@example(start=london(2026, 10, 25, 1, 30).replace(fold=1), minutes=60)
def test_calendar_clock_is_exactly_the_elapsed_minutes(start, minutes):
    due = add_calendar(start, minutes)
    assert due - start == dt.timedelta(minutes=minutes)
    assert due.utcoffset() == dt.timedelta(0)
    assert due_at(start, minutes=minutes, basis="calendar") == due


# ------------------------------------------------------------------ working clocks: examples


def test_the_bank_holidays_the_examples_rely_on():
    assert {d for d in BANK_HOLIDAYS if dt.date(2026, 12, 20) <= d <= dt.date(2027, 1, 5)} == {
        dt.date(2026, 12, 25),  # Friday
        dt.date(2026, 12, 26),  # Boxing Day, a Saturday...
        dt.date(2026, 12, 28),  # ...so Monday is the substitute bank holiday
        dt.date(2027, 1, 1),  # Friday
    }
    assert {d for d in BANK_HOLIDAYS if dt.date(2027, 3, 20) <= d <= dt.date(2027, 4, 5)} == {
        dt.date(2027, 3, 26),  # Good Friday
        dt.date(2027, 3, 29),  # Easter Monday
    }
    assert {d for d in BANK_HOLIDAYS if dt.date(2026, 3, 30) <= d <= dt.date(2026, 4, 10)} == {
        dt.date(2026, 4, 3),
        dt.date(2026, 4, 6),
    }
    assert deadlines.is_bank_holiday(dt.date(2026, 12, 28))
    assert not deadlines.is_working_day(dt.date(2026, 12, 28))
    assert not deadlines.is_working_day(dt.date(2026, 12, 26))  # Saturday
    assert deadlines.is_working_day(dt.date(2026, 12, 29))


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Friday 16:00 + 2 working hours: one hour on Friday, one on Monday morning.
        (london(2026, 3, 6, 16, 0), 120, london(2026, 3, 9, 10, 0)),
        (london(2026, 7, 3, 16, 0), 120, london(2026, 7, 6, 10, 0)),  # the same in summer time
        # A clock that runs out at 17:00 is due at 17:00, not 09:00 the next working day.
        (london(2026, 11, 25, 9, 0), 480, london(2026, 11, 25, 17, 0)),
        (london(2026, 11, 25, 16, 59), 1, london(2026, 11, 25, 17, 0)),
        (london(2026, 11, 25, 17, 0), 1, london(2026, 11, 26, 9, 1)),
        (london(2026, 11, 27, 16, 0), 60, london(2026, 11, 27, 17, 0)),  # Friday, ends at close
        (london(2026, 11, 27, 16, 0), 61, london(2026, 11, 30, 9, 1)),
        # Out of hours: the clock starts at the next 09:00.
        (london(2026, 11, 25, 7, 15), 60, london(2026, 11, 25, 10, 0)),
        (london(2026, 11, 25, 20, 0), 60, london(2026, 11, 26, 10, 0)),
        (london(2026, 11, 28, 14, 0), 60, london(2026, 11, 30, 10, 0)),  # Saturday
        (london(2026, 11, 29, 23, 59), 60, london(2026, 11, 30, 10, 0)),  # Sunday night
        # Christmas 2026: Friday 25th, Saturday 26th, Monday 28th (Boxing Day substitute) are off.
        (london(2026, 12, 24, 16, 0), 240, london(2026, 12, 29, 12, 0)),
        (london(2026, 12, 25, 10, 0), 60, london(2026, 12, 29, 10, 0)),  # started on Christmas Day
        # New Year: Thursday 31 December, then Friday 1 January 2027 is a bank holiday.
        (london(2026, 12, 31, 15, 0), 180, london(2027, 1, 4, 10, 0)),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        (london(2026, 4, 2, 16, 30), 60, london(2026, 4, 7, 9, 30)),
        # Easter 2027 is also the spring clock change (Sunday 28 March): Thursday GMT → Tuesday BST.
        (london(2027, 3, 25, 16, 0), 120, london(2027, 3, 30, 10, 0)),
        # Spring change 2026: Friday 16:00 GMT + 2 h = Monday 10:00 BST.
        (london(2026, 3, 27, 16, 0), 120, london(2026, 3, 30, 10, 0)),
        # Autumn change 2026: Friday 16:00 BST + 2 h = Monday 10:00 GMT.
        (london(2026, 10, 23, 16, 0), 120, london(2026, 10, 26, 10, 0)),
        # A week and a day of working time over the spring bank holiday (Monday 25 May 2026).
        (london(2026, 5, 22, 9, 0), 6 * 480, london(2026, 6, 1, 17, 0)),
    ],
)
def test_working_clock_examples(start, minutes, expected):
    due = add_working(start, minutes)
    assert due == expected
    assert due.utcoffset() == dt.timedelta(0)
    assert due_at(start, minutes=minutes, basis="working") == expected
    assert working_minutes_between(start, due) == minutes


def test_a_clock_change_weekend_is_an_hour_shorter_or_longer_in_real_time():
    # Over the spring change the weekend is an hour shorter in real time; over the autumn one, longer.
    spring = add_working(london(2026, 3, 27, 16, 0), 120) - london(2026, 3, 27, 16, 0)
    autumn = add_working(london(2026, 10, 23, 16, 0), 120) - london(2026, 10, 23, 16, 0)
    assert spring == dt.timedelta(hours=65)
    assert autumn == dt.timedelta(hours=67)


@pytest.mark.parametrize("monday", [dt.date(2026, 3, 30), dt.date(2026, 10, 26), dt.date(2027, 10, 25)])
def test_the_working_day_after_a_clock_change_is_eight_real_hours(monday):
    opening = dt.datetime.combine(monday, dt.time(9, 0), tzinfo=LONDON)
    closing = add_working(opening, 480)
    assert closing - opening == dt.timedelta(hours=8)
    assert closing.astimezone(LONDON).time() == dt.time(17, 0)
    # The whole weekend of the change, Saturday 00:00 to Tuesday 00:00, holds one working day.
    saturday = dt.datetime.combine(monday - dt.timedelta(days=2), dt.time(0, 0), tzinfo=LONDON)
    tuesday = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(0, 0), tzinfo=LONDON)
    assert working_minutes_between(saturday, tuesday) == 480


def test_working_minutes_between_examples():
    assert working_minutes_between(london(2026, 11, 25, 10), london(2026, 11, 25, 10)) == 0
    assert working_minutes_between(london(2026, 11, 25, 12), london(2026, 11, 25, 10)) == 0  # backwards
    assert working_minutes_between(london(2026, 11, 20, 9), london(2026, 11, 27, 9)) == 5 * 480  # a full week
    # The Easter 2027 week holds three working days (Good Friday and Easter Monday are off).
    assert working_minutes_between(london(2027, 3, 24, 0), london(2027, 3, 31, 0)) == 3 * 480
    assert working_minutes_between(london(2026, 11, 25, 16, 30), london(2026, 11, 25, 23, 0)) == 30
    assert working_minutes_between(london(2026, 11, 25, 10, 0, 0), london(2026, 11, 25, 10, 0, 59)) == 0


def test_zero_working_minutes_is_due_at_the_start():
    # Degenerate (the policy's minimum is one minute): no clock at all, so not moved to 09:00 Monday.
    saturday = london(2026, 11, 28, 14, 0)
    assert add_working(saturday, 0) == saturday
    assert due_at(saturday, minutes=0, basis="working") == saturday


def test_the_holiday_calendar_can_be_replaced():
    christmas_eve = london(2026, 12, 24, 16, 0)
    assert add_working(christmas_eve, 240, is_holiday=lambda day: False) == london(2026, 12, 25, 12, 0)
    assert add_working(christmas_eve, 240, is_holiday=lambda day: day == dt.date(2026, 12, 25)) == london(
        2026, 12, 28, 12, 0
    )
    assert working_minutes_between(christmas_eve, london(2026, 12, 25, 12, 0), is_holiday=lambda day: False) == 240


# ------------------------------------------------------------------ working clocks: properties


@settings(max_examples=120, deadline=None)
@given(start=starts, minutes=working_minutes)
def test_working_clock_ends_inside_working_time(start, minutes):
    due = add_working(start, minutes)
    assert due.utcoffset() == dt.timedelta(0)
    assert in_working_time(due), due.astimezone(LONDON)
    local = due.astimezone(LONDON)
    assert local.weekday() < 5 and local.date() not in BANK_HOLIDAYS
    # Working time is a part of real time.
    assert due - start >= dt.timedelta(minutes=minutes)


@settings(max_examples=120, deadline=None)
@given(start=starts, minutes=st.integers(0, 3000))
def test_working_minutes_between_undoes_add_working(start, minutes):
    assert working_minutes_between(start, add_working(start, minutes)) == minutes


@settings(max_examples=80, deadline=None)
@given(start=minute_starts, minutes=working_minutes)
@example(start=london(2027, 3, 25, 16, 0), minutes=120)
@example(start=london(2026, 10, 23, 16, 0), minutes=600)
@example(start=london(2026, 12, 24, 16, 0), minutes=240)
def test_working_clock_matches_a_minute_by_minute_walk(start, minutes):
    assert add_working(start, minutes) == reference_add_working(start, minutes)


@settings(max_examples=100, deadline=None)
@given(start=starts, a=st.integers(0, 3000), b=st.integers(0, 3000))
def test_working_clock_is_monotonic_in_minutes(start, a, b):
    a, b = sorted((a, b))
    if a < b:
        assert add_working(start, a) < add_working(start, b)
    else:
        assert add_working(start, a) == add_working(start, b)


@settings(max_examples=100, deadline=None)
@given(first=starts, gap=st.integers(0, 20_000), minutes=working_minutes)
def test_a_later_start_is_never_due_earlier(first, gap, minutes):
    later = first + dt.timedelta(minutes=gap)
    assert add_working(first, minutes) <= add_working(later, minutes)


@settings(max_examples=100, deadline=None)
@given(start=starts, minutes=working_minutes)
@example(start=london(2026, 12, 25, 10, 0), minutes=60)
@example(start=london(2026, 10, 25, 1, 30).replace(fold=1), minutes=60)
@example(start=london(2026, 11, 27, 17, 0), minutes=1)
@example(start=london(2026, 11, 27, 8, 59, 59), minutes=1)
def test_an_out_of_hours_start_waits_for_the_next_opening(start, minutes):
    assume(not inside_window(start))
    opening = next_opening(start)
    assert add_working(start, minutes) == add_working(opening, minutes)
    assert working_minutes_between(start, opening) == 0


working_days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)).filter(is_working_day)


@settings(max_examples=60, deadline=None)
@given(
    day=st.one_of(st.sampled_from([dt.date(2026, 3, 27), dt.date(2026, 3, 30), dt.date(2026, 10, 23), dt.date(2026, 12, 24)]), working_days),
    offset=st.integers(0, 8 * 60 * 60 * 10**6 - 1),  # microseconds into the window
    minutes=working_minutes,
)
def test_inside_a_window_the_clock_runs_from_the_start(day, offset, minutes):
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=LONDON) + dt.timedelta(microseconds=offset)
    assert inside_window(start)
    left_today = dt.datetime.combine(day, dt.time(17, 0), tzinfo=LONDON) - start  # no clock change 09–17
    due = add_working(start, minutes)
    if dt.timedelta(minutes=minutes) <= left_today:
        assert due == start + dt.timedelta(minutes=minutes)
    else:
        assert due.astimezone(LONDON).date() > day


@settings(max_examples=100, deadline=None)
@given(start=minute_starts, a=st.integers(1, 2000), b=st.integers(1, 2000))
def test_working_clocks_add_up(start, a, b):
    assert add_working(add_working(start, a), b) == add_working(start, a + b)
    middle = add_working(start, a)
    end = add_working(middle, b)
    assert working_minutes_between(start, end) == working_minutes_between(start, middle) + working_minutes_between(middle, end)


# ------------------------------------------------------------------ bad input


def test_unknown_basis_raises():
    with pytest.raises(ValueError, match="unknown clock basis"):
        due_at(london(2026, 11, 25, 10), minutes=60, basis="lunar")
    with pytest.raises(ValueError):
        due_at(london(2026, 11, 25, 10), minutes=60, basis="")
    with pytest.raises(ValueError):
        due_at(london(2026, 11, 25, 10), minutes=60, basis="Calendar")


@pytest.mark.parametrize("basis", ["calendar", "working"])
def test_naive_datetimes_raise(basis):
    naive = dt.datetime(2026, 11, 25, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(naive, minutes=60, basis=basis)


def test_naive_datetimes_raise_everywhere():
    naive, aware = dt.datetime(2026, 11, 25, 10, 0), london(2026, 11, 25, 10, 0)
    for call in (
        lambda: add_calendar(naive, 60),
        lambda: add_working(naive, 60),
        lambda: add_working(naive, 0),
        lambda: working_minutes_between(naive, aware),
        lambda: working_minutes_between(aware, naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


@pytest.mark.parametrize("basis", ["calendar", "working"])
def test_negative_minutes_raise(basis):
    with pytest.raises(ValueError, match="negative"):
        due_at(london(2026, 11, 25, 10), minutes=-1, basis=basis)


def test_default_policy_is_the_issues():
    assert deadlines.DEFAULT_POLICY == {
        "urgent": (60, "calendar"),
        "red": (240, "calendar"),
        "amber": (1440, "calendar"),
        "green": (2880, "calendar"),
    }
