"""GOV.UK-pattern form fields and the time helpers (core/forms.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.core.forms import GovukDateField, GovukTimeField, london_datetime, parse_time

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")
GAP_MESSAGE = "That time did not exist in the UK: the clocks went forward an hour. Enter a time after 2am"


# ------------------------------------------------------------------ parse_time


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("14:30", dt.time(14, 30)),
        ("14.30", dt.time(14, 30)),
        ("09:05", dt.time(9, 5)),
        ("9:05", dt.time(9, 5)),
        ("00:00", dt.time(0, 0)),
        ("23:59", dt.time(23, 59)),
        ("2:30pm", dt.time(14, 30)),
        ("2.30 pm", dt.time(14, 30)),
        ("2:30 PM", dt.time(14, 30)),
        (" 2:30pm ", dt.time(14, 30)),
        ("9am", dt.time(9, 0)),
        ("9 am", dt.time(9, 0)),
        ("11:59pm", dt.time(23, 59)),
        ("12am", dt.time(0, 0)),  # midnight
        ("12:30am", dt.time(0, 30)),
        ("12pm", dt.time(12, 0)),  # midday
        ("12:30pm", dt.time(12, 30)),
        ("1am", dt.time(1, 0)),
        ("midday", dt.time(12, 0)),
        ("Midday", dt.time(12, 0)),
        ("noon", dt.time(12, 0)),
        ("12 noon", dt.time(12, 0)),
        ("midnight", dt.time(0, 0)),
        ("MIDNIGHT", dt.time(0, 0)),
    ],
)
def test_parse_time_reads(typed, time):
    assert parse_time(typed) == time


@pytest.mark.parametrize(
    "typed",
    [
        "25:00",
        "24:00",
        "12:60",
        "13pm",
        "0am",
        "00:30am",
        "14:30pm",
        "14",  # ambiguous: 14:00 or 2pm? ask for 14:00
        "2",
        "",
        None,
        "abc",
        "2:3",
        "2:300",
        "2:30 xm",
        "-1:00",
        "14:30:00",
        "2pm today",
    ],
)
def test_parse_time_refuses(typed):
    assert parse_time(typed) is None


def test_parse_time_reads_every_minute_of_the_day_both_ways():
    for minute_of_day in range(24 * 60):
        hour, minute = divmod(minute_of_day, 60)
        expected = dt.time(hour, minute)
        assert parse_time(f"{hour:02d}:{minute:02d}") == expected
        assert parse_time(f"{hour}.{minute:02d}") == expected
        twelve = hour % 12 or 12
        meridiem = "am" if hour < 12 else "pm"
        assert parse_time(f"{twelve}:{minute:02d}{meridiem}") == expected
        assert parse_time(f"{twelve}:{minute:02d} {meridiem.upper()}") == expected


def test_time_field_messages():
    field = GovukTimeField(label_text="Time received")
    assert field.clean("2:30pm") == dt.time(14, 30)
    with pytest.raises(forms.ValidationError) as raised:
        field.clean("25:00")
    assert raised.value.messages == ["Enter time received as a real time, like 9:30am or 14:30"]
    with pytest.raises(forms.ValidationError) as raised:
        field.clean("1" * 21)
    assert raised.value.messages == ["Enter time received as a real time, like 9:30am or 14:30"]
    with pytest.raises(forms.ValidationError) as raised:
        field.clean("")
    assert raised.value.messages == ["Enter the time received"]
    assert GovukTimeField(label_text="Time", required=False).clean("  ") is None
    assert field.prepare_value(dt.time(9, 5)) == "09:05"


# ------------------------------------------------------------------ GovukDateField


class DateForm(forms.Form):
    dob = GovukDateField(label_text="Date of birth")
    seen = GovukDateField(label_text="Date last seen", required=False)


def date_form(dob=("", "", ""), seen=("", "", "")) -> DateForm:
    data = {}
    for name, parts in (("dob", dob), ("seen", seen)):
        data.update({f"{name}-{part}": value for part, value in zip(("day", "month", "year"), parts)})
    return DateForm(data=data)


def date_errors(day, month, year):
    form = date_form(dob=(day, month, year))
    assert not form.is_valid()
    return form.errors["dob"]


def test_a_real_date_is_read():
    form = date_form(dob=("3", "7", "2018"), seen=(" 29 ", "02", "2024"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"dob": dt.date(2018, 7, 3), "seen": dt.date(2024, 2, 29)}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "2", "2026"), "Date of birth must be a real date"),
        (("29", "2", "2026"), "Date of birth must be a real date"),  # 2026 is not a leap year
        (("31", "4", "2026"), "Date of birth must be a real date"),
        (("0", "1", "2026"), "Date of birth must be a real date"),
        (("1", "13", "2026"), "Date of birth must be a real date"),
        (("1", "1", "0000"), "Date of birth must be a real date"),
        (("1st", "1", "2026"), "Date of birth must be a real date"),
        (("1", "Jan", "2026"), "Date of birth must be a real date"),
        (("-1", "1", "2026"), "Date of birth must be a real date"),
        (("12", "", "2020"), "Date of birth must include a month"),
        (("", "5", "2020"), "Date of birth must include a day"),
        (("12", "5", ""), "Date of birth must include a year"),
        (("", "", "2020"), "Date of birth must include a day and month"),
        (("12", "", ""), "Date of birth must include a month and year"),
        (("3", "7", "18"), "Year must include 4 numbers"),
        (("3", "7", "218"), "Year must include 4 numbers"),
        (("", "", ""), "Enter the date of birth"),
    ],
)
def test_date_messages(parts, message):
    assert date_errors(*parts) == [message]


def test_a_blank_optional_date_is_none():
    form = date_form(dob=("3", "7", "2018"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["seen"] is None
    assert GovukDateField(label_text="Date", required=False).clean(["", "", ""]) is None


def test_a_form_without_the_date_inputs_at_all_is_missing_it():
    form = DateForm(data={})
    assert not form.is_valid()
    assert form.errors["dob"] == ["Enter the date of birth"]


def test_a_wrong_date_is_redisplayed_as_typed():
    form = date_form(dob=("31", "2", "2026"))
    assert not form.is_valid()
    assert form["dob"].value() == ["31", "2", "2026"]
    assert DateForm.base_fields["dob"].prepare_value(dt.date(2018, 7, 3)) == ["3", "7", "2018"]


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), pad=st.booleans())
def test_every_real_date_is_read_back(day, pad):
    fmt = "{:02d}" if pad else "{}"
    field = GovukDateField(label_text="Date")
    assert field.clean([fmt.format(day.day), fmt.format(day.month), str(day.year)]) == day


# ------------------------------------------------------------------ london_datetime


def test_a_time_in_the_spring_gap_is_explained():
    for time in (dt.time(1, 0), dt.time(1, 30), dt.time(1, 59)):
        assert london_datetime(dt.date(2026, 3, 29), time) == (None, GAP_MESSAGE)
    assert london_datetime(dt.date(2027, 3, 28), dt.time(1, 15)) == (None, GAP_MESSAGE)


def test_either_side_of_the_spring_gap_is_fine():
    assert london_datetime(dt.date(2026, 3, 29), dt.time(0, 59)) == (dt.datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "")
    assert london_datetime(dt.date(2026, 3, 29), dt.time(2, 0)) == (dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "")


def test_the_repeated_autumn_hour_is_its_first_occurrence_in_summer_time():
    value, message = london_datetime(dt.date(2026, 10, 25), dt.time(1, 30))
    assert message == ""
    assert value == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert value.astimezone(LONDON).tzname() == "BST"
    assert london_datetime(dt.date(2026, 10, 25), dt.time(1, 0))[0] == dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert london_datetime(dt.date(2026, 10, 25), dt.time(2, 0))[0] == dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "time", "utc"),
    [
        (dt.date(2026, 1, 15), dt.time(14, 30), dt.datetime(2026, 1, 15, 14, 30, tzinfo=UTC)),  # GMT
        (dt.date(2026, 7, 1), dt.time(14, 30), dt.datetime(2026, 7, 1, 13, 30, tzinfo=UTC)),  # BST
        (dt.date(2026, 7, 1), dt.time(0, 30), dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)),
        (dt.date(2026, 12, 31), dt.time(23, 59), dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_ordinary_times_round_trip(day, time, utc):
    value, message = london_datetime(day, time)
    assert (value, message) == (utc, "")
    assert value.utcoffset() == dt.timedelta(0)
    local = value.astimezone(LONDON)
    assert (local.date(), local.time()) == (day, time)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
    minute_of_day=st.integers(0, 24 * 60 - 1),
)
def test_every_wall_clock_time_either_round_trips_or_is_in_the_gap(day, minute_of_day):
    time = dt.time(*divmod(minute_of_day, 60))
    value, message = london_datetime(day, time)
    is_last_sunday = day.weekday() == 6 and (day + dt.timedelta(days=7)).month != day.month
    in_gap = day.month == 3 and is_last_sunday and time.hour == 1
    if in_gap:
        assert (value, message) == (None, GAP_MESSAGE)
        return
    assert message == ""
    local = value.astimezone(LONDON)
    assert (local.date(), local.time(), local.fold) == (day, time, 0)  # fold 0: the first of two
