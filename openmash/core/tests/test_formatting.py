"""How times, durations and ages are written on pages (core/formatting.py)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from openmash.core import clock
from openmash.core.formatting import (
    age_on,
    age_text,
    clock_words,
    duration_words,
    govuk_date,
    govuk_datetime,
    iso,
    time_left_words,
)

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ dates and times


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (utc(2026, 7, 1, 11, 0), "1 July 2026 at midday"),  # 12:00 BST
        (utc(2026, 1, 15, 12, 0), "15 January 2026 at midday"),  # 12:00 GMT
        (utc(2026, 7, 1, 12, 0), "1 July 2026 at 1:00pm"),
        (utc(2026, 7, 1, 23, 0), "2 July 2026 at midnight"),  # the next day in London
        (utc(2026, 12, 31, 23, 30), "31 December 2026 at 11:30pm"),
        (utc(2026, 11, 25, 14, 5), "25 November 2026 at 2:05pm"),
        (utc(2026, 11, 25, 0, 30), "25 November 2026 at 12:30am"),
        (utc(2026, 11, 25, 12, 30), "25 November 2026 at 12:30pm"),
        (utc(2026, 11, 25, 9, 0), "25 November 2026 at 9:00am"),
        # Spring change: 00:59 GMT is followed by 02:00 BST.
        (utc(2026, 3, 29, 0, 59), "29 March 2026 at 12:59am"),
        (utc(2026, 3, 29, 1, 0), "29 March 2026 at 2:00am"),
        # Autumn change: 01:30 happens twice, first in BST, then in GMT.
        (utc(2026, 10, 25, 0, 30), "25 October 2026 at 1:30am"),
        (utc(2026, 10, 25, 1, 30), "25 October 2026 at 1:30am"),
        (utc(2026, 10, 25, 2, 0), "25 October 2026 at 2:00am"),
        (dt.datetime(2026, 7, 1, 12, 0, tzinfo=LONDON), "1 July 2026 at midday"),  # any zone in
        (None, ""),
    ],
)
def test_govuk_datetime(value, text):
    assert govuk_datetime(value) == text


def test_govuk_date():
    assert govuk_date(dt.date(2026, 3, 5)) == "5 March 2026"
    assert govuk_date(utc(2026, 6, 30, 23, 30)) == "1 July 2026"  # the London date of an instant
    assert govuk_date(utc(2026, 12, 31, 23, 30)) == "31 December 2026"
    assert govuk_date(None) == ""


def test_iso_is_utc_with_offset():
    assert iso(dt.datetime(2026, 7, 1, 12, 0, tzinfo=LONDON)) == "2026-07-01T11:00:00+00:00"
    assert iso(None) is None


_GOVUK = re.compile(r"(\d{1,2}) ([A-Z][a-z]+) (\d{4}) at (midday|midnight|(1[0-2]|[1-9]):([0-5]\d)(am|pm))")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


@settings(max_examples=200, deadline=None)
@given(value=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.just(UTC)))
@example(value=utc(2026, 10, 25, 1, 30))
@example(value=utc(2026, 3, 29, 1, 0))
def test_govuk_datetime_is_the_london_wall_clock(value):
    text = govuk_datetime(value)
    match = _GOVUK.fullmatch(text)
    assert match, text
    day, month, year, time, hour12, minute, meridiem = match.groups()
    if time == "midday":
        hour, minute = 12, 0
    elif time == "midnight":
        hour, minute = 0, 0
    else:
        hour, minute = int(hour12) % 12 + (12 if meridiem == "pm" else 0), int(minute)
        assert (hour, minute) not in ((0, 0), (12, 0))  # those are always spelt out
    local = value.astimezone(LONDON)
    assert (int(year), _MONTHS.index(month) + 1, int(day), hour, minute) == (
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
    )


# ------------------------------------------------------------------ durations and clocks


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(0), "under 1m"),
        (dt.timedelta(seconds=59), "under 1m"),
        (dt.timedelta(seconds=60), "1m"),
        (dt.timedelta(minutes=45, seconds=59), "45m"),
        (dt.timedelta(minutes=59), "59m"),
        (dt.timedelta(hours=1), "1h 00m"),
        (dt.timedelta(hours=1, minutes=5), "1h 05m"),
        (dt.timedelta(hours=3, minutes=12), "3h 12m"),
        (dt.timedelta(hours=23, minutes=59, seconds=59), "23h 59m"),
        (dt.timedelta(days=1), "1d 0h"),
        (dt.timedelta(days=2, hours=4, minutes=59), "2d 4h"),
        (dt.timedelta(days=40), "40d 0h"),
        (-dt.timedelta(hours=2, minutes=5), "2h 05m"),  # the sign is ignored
        (-dt.timedelta(seconds=30), "under 1m"),
    ],
)
def test_duration_words(delta, text):
    assert duration_words(delta) == text


@settings(max_examples=200, deadline=None)
@given(seconds=st.integers(-100 * 86400, 100 * 86400))
def test_duration_words_floor_the_magnitude(seconds):
    text = duration_words(dt.timedelta(seconds=seconds))
    total = abs(seconds)
    if total >= 86400:
        assert text == f"{total // 86400}d {total % 86400 // 3600}h"
    elif total >= 3600:
        assert text == f"{total // 3600}h {total % 3600 // 60:02d}m"
    elif total >= 60:
        assert text == f"{total // 60}m"
    else:
        assert text == "under 1m"
    assert text == duration_words(dt.timedelta(seconds=-seconds))


def test_time_left_words():
    at = utc(2026, 11, 25, 10, 0)
    assert time_left_words(at + dt.timedelta(hours=3, minutes=12), at) == "3h 12m left"
    assert time_left_words(at + dt.timedelta(seconds=30), at) == "under 1m left"
    assert time_left_words(at, at) == "under 1m left"  # due now: not yet overdue
    assert time_left_words(at - dt.timedelta(seconds=1), at) == "under 1m overdue"
    assert time_left_words(at - dt.timedelta(hours=2, minutes=5), at) == "2h 05m overdue"
    assert time_left_words(at + dt.timedelta(days=2, hours=1), at) == "2d 1h left"
    assert time_left_words(None, at) == ""


def test_time_left_words_uses_the_clock(freeze):
    freeze(utc(2026, 11, 25, 10, 0))
    assert time_left_words(utc(2026, 11, 25, 14, 0)) == "4h 00m left"
    assert clock.now() == utc(2026, 11, 25, 10, 0)


def test_time_left_is_real_time_across_a_clock_change():
    # 00:30 to 05:30 on the spring-forward night is four real hours, not five.
    start = dt.datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    due = dt.datetime(2026, 3, 29, 5, 30, tzinfo=LONDON)
    assert time_left_words(due, start) == "4h 00m left"


@pytest.mark.parametrize(
    ("minutes", "basis", "text"),
    [
        (60, "calendar", "1 hour"),
        (240, "calendar", "4 hours"),
        (240, "working", "4 working hours"),
        (90, "calendar", "1.5 hours"),
        (150, "working", "2.5 working hours"),
        (45, "calendar", "45 minutes"),
        (2880, "calendar", "48 hours"),
    ],
)
def test_clock_words(minutes, basis, text):
    assert clock_words(minutes, basis) == text


# ------------------------------------------------------------------ ages


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(2018, 7, 3), dt.date(2026, 7, 2), 7),
        (dt.date(2018, 7, 3), dt.date(2026, 7, 3), 8),  # on the birthday
        (dt.date(2008, 11, 25), dt.date(2026, 11, 24), 17),
        (dt.date(2008, 11, 25), dt.date(2026, 11, 25), 18),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), 0),
        (dt.date(2025, 12, 31), dt.date(2026, 1, 1), 0),
        # Born on 29 February: in other years the birthday is taken as 1 March (England and Wales).
        (dt.date(2016, 2, 29), dt.date(2017, 2, 28), 0),
        (dt.date(2016, 2, 29), dt.date(2017, 3, 1), 1),
        (dt.date(2016, 2, 29), dt.date(2020, 2, 28), 3),
        (dt.date(2016, 2, 29), dt.date(2020, 2, 29), 4),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
    ],
)
def test_age_on(born, on, age):
    assert age_on(born, on) == age


def test_age_on_unknown_and_today(freeze):
    assert age_on(None) is None
    freeze(dt.datetime(2026, 7, 2, 23, 30, tzinfo=UTC))  # already 3 July in London
    assert age_on(dt.date(2018, 7, 3)) == 8


def _birthday(born: dt.date, year: int) -> dt.date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31)),
    days=st.integers(0, 120 * 366),
)
@example(born=dt.date(2016, 2, 29), days=365)
@example(born=dt.date(2016, 2, 29), days=366)
def test_age_on_counts_birthdays_passed(born, days):
    on = born + dt.timedelta(days=days)
    age = age_on(born, on)
    assert _birthday(born, born.year + age) <= on < _birthday(born, born.year + age + 1)


@pytest.mark.parametrize(
    ("born", "on", "text"),
    [
        (dt.date(2026, 5, 1), dt.date(2026, 5, 1), "age 0 weeks"),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 7), "age 0 weeks"),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 8), "age 1 week"),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 15), "age 2 weeks"),
        (dt.date(2026, 5, 1), dt.date(2026, 5, 31), "age 4 weeks"),
        (dt.date(2026, 5, 1), dt.date(2026, 6, 1), "age 1 month"),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), "age 4 weeks"),  # no 31 February: not a month yet
        (dt.date(2026, 1, 31), dt.date(2026, 3, 1), "age 1 month"),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 30), "age 1 month"),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 31), "age 2 months"),
        (dt.date(2025, 7, 3), dt.date(2026, 7, 2), "age 11 months"),
        (dt.date(2025, 7, 3), dt.date(2026, 7, 3), "age 1"),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), "age 11 months"),
        (dt.date(2024, 2, 29), dt.date(2025, 3, 1), "age 1"),
        (dt.date(2018, 7, 3), dt.date(2026, 11, 25), "age 8"),
        (None, dt.date(2026, 11, 25), "date of birth not known"),
    ],
)
def test_age_text(born, on, text):
    assert age_text(born, on) == text


def _month_anniversary(born: dt.date, months: int) -> dt.date:
    """`months` months after `born`; a day the month lacks (31 April) rolls on to the 1st after."""
    y, m = divmod(born.month - 1 + months, 12)
    try:
        return dt.date(born.year + y, m + 1, born.day)
    except ValueError:
        return dt.date(born.year + y + (m + 1) // 12, (m + 1) % 12 + 1, 1)


@settings(max_examples=200, deadline=None)
@given(born=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)), days=st.integers(0, 20 * 366))
@example(born=dt.date(2026, 1, 31), days=28)
@example(born=dt.date(2025, 12, 31), days=60)
def test_age_text_uses_the_largest_whole_unit(born, days):
    on = born + dt.timedelta(days=days)
    text = age_text(born, on)
    years = age_on(born, on)
    if years >= 1:
        assert text == f"age {years}"
        return
    months = max(k for k in range(13) if _month_anniversary(born, k) <= on)
    if months >= 1:
        assert text == f"age {months} month{'s' if months != 1 else ''}"
    else:
        weeks = days // 7
        assert text == f"age {weeks} week{'s' if weeks != 1 else ''}"
        assert weeks <= 4
