"""Due-time arithmetic. Pure: no database, no settings, no clock — everything comes in as arguments.

Two bases (DESIGN.md §1.3):

* calendar time — elapsed real time, so a 4-hour clock started at 00:30 on the night the clocks go
  forward ends at 05:30 British Summer Time, still exactly 4 hours later;
* working time — Monday to Friday, 09:00–17:00 Europe/London wall-clock time, skipping England and
  Wales bank holidays. Time outside those hours does not count.

All datetimes in and out are aware; results are in UTC.
"""

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)
WORKDAY_MINUTES = 8 * 60


@lru_cache(maxsize=1)
def _england_and_wales_holidays():
    # The `holidays` package expands years lazily as dates are looked up.
    return holidays.country_holidays("GB", subdiv="ENG")


def is_bank_holiday(day: dt.date) -> bool:
    return day in _england_and_wales_holidays()


def is_working_day(day: dt.date, is_holiday: Callable[[dt.date], bool] = is_bank_holiday) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def _require_aware(value: dt.datetime, name: str):
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def add_calendar(start: dt.datetime, minutes: int) -> dt.datetime:
    """`start` plus elapsed minutes; DST changes do not stretch or shrink the clock."""
    _require_aware(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return start.astimezone(UTC) + dt.timedelta(minutes=minutes)


def _working_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    # 09:00 and 17:00 are never inside a UK DST gap or fold (changes happen at 01:00/02:00).
    return (
        dt.datetime.combine(day, WORKDAY_START, tzinfo=LONDON),
        dt.datetime.combine(day, WORKDAY_END, tzinfo=LONDON),
    )


def add_working(
    start: dt.datetime, minutes: int, is_holiday: Callable[[dt.date], bool] = is_bank_holiday
) -> dt.datetime:
    """`start` plus `minutes` of working time.

    1. Convert `start` to London wall-clock time.
    2. Find the working window (09:00–17:00 on a working day) that contains `start`, or the next one.
    3. If what is left fits in the rest of the window, the due time is inside it (ending exactly at
       17:00 counts as inside, so "8 working hours from 09:00" is 17:00 the same day).
    4. Otherwise use up the window and go on to the next working day.
    """
    _require_aware(start, "start")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    local = start.astimezone(LONDON)
    if minutes == 0:
        return start.astimezone(UTC)
    remaining = dt.timedelta(minutes=minutes)
    day = local.date()
    cursor = local
    while True:
        if is_working_day(day, is_holiday):
            window_start, window_end = _working_window(day)
            begin = max(cursor, window_start)
            if begin < window_end:
                available = window_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time(0, 0), tzinfo=LONDON)


def working_minutes_between(
    start: dt.datetime, end: dt.datetime, is_holiday: Callable[[dt.date], bool] = is_bank_holiday
) -> int:
    """Whole working minutes from `start` to `end` (0 if `end` is not after `start`)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return 0
    a, b = start.astimezone(LONDON), end.astimezone(LONDON)
    total = dt.timedelta(0)
    day = a.date()
    while day <= b.date():
        if is_working_day(day, is_holiday):
            window_start, window_end = _working_window(day)
            lo, hi = max(a, window_start), min(b, window_end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)


def due_at(start: dt.datetime, *, minutes: int, basis: str) -> dt.datetime:
    """The due time for a clock of `minutes` on `basis` ("calendar" or "working") started at `start`."""
    if basis == "calendar":
        return add_calendar(start, minutes)
    if basis == "working":
        return add_working(start, minutes)
    raise ValueError(f"unknown clock basis {basis!r}")


def warning_points(
    start: dt.datetime, due: dt.datetime, *, percents, basis: str
) -> list[tuple[int, dt.datetime]]:
    """When each warning of a clock from `start` to `due` falls: (percent, time), in percent order.

    A warning at 50% comes when half the clock has gone, counted on the clock's own basis: half the
    elapsed time on a calendar clock, half the working minutes on a working-hours clock (so a
    Friday-afternoon request is not warned about on Saturday). Nothing for a clock with no time in it.
    """
    _require_aware(start, "start")
    _require_aware(due, "due")
    if due <= start:
        return []
    points = []
    if basis == "working":
        total = working_minutes_between(start, due)
        for percent in sorted(set(percents)):
            points.append((percent, min(add_working(start, total * percent // 100), due.astimezone(UTC))))
    elif basis == "calendar":
        total = int((due.astimezone(UTC) - start.astimezone(UTC)).total_seconds())
        for percent in sorted(set(percents)):
            points.append((percent, start.astimezone(UTC) + dt.timedelta(seconds=total * percent // 100)))
    else:
        raise ValueError(f"unknown clock basis {basis!r}")
    return points


DEFAULT_WARNING_PERCENTS = (50, 90)
# The hub's own clock from receipt to decision: statute expects a decision within one working day.
DEFAULT_DECISION_CLOCK = (WORKDAY_MINUTES, "working")

DEFAULT_POLICY = {
    # rating: (minutes, basis) — Southwark's 4/24/48 hours, with Urgent on a one-hour clock.
    "urgent": (60, "calendar"),
    "red": (4 * 60, "calendar"),
    "amber": (24 * 60, "calendar"),
    "green": (48 * 60, "calendar"),
}
