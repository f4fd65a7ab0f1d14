"""How times, dates and durations are written on pages: GOV.UK style, in Europe/London."""

import datetime as dt

from openmash.core import clock


def govuk_datetime(value: dt.datetime | None) -> str:
    """`25 November 2026 at 2:05pm` in Europe/London; midday and midnight spelt out."""
    if value is None:
        return ""
    local = clock.to_local(value)
    if local.hour == 12 and local.minute == 0:
        time = "midday"
    elif local.hour == 0 and local.minute == 0:
        time = "midnight"
    else:
        hour = local.hour % 12 or 12
        time = f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    return f"{local.day} {local:%B %Y} at {time}"


def govuk_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = clock.to_local(value).date()
    return f"{value.day} {value:%B %Y}"


def duration_words(delta: dt.timedelta) -> str:
    """A compact duration for clocks: `3h 12m`, `2d 4h`, `45m`, `under 1m`. Sign is ignored."""
    seconds = abs(int(delta.total_seconds()))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return "under 1m"


def time_left_words(due_at: dt.datetime | None, at: dt.datetime | None = None) -> str:
    """`3h 12m left` before the due time, `2h 05m overdue` after it."""
    if due_at is None:
        return ""
    at = at or clock.now()
    # In UTC: Python subtracts two datetimes of the same zone by wall clock, which is an hour out
    # across a clock change.
    delta = due_at.astimezone(clock.UTC) - at.astimezone(clock.UTC)
    if delta.total_seconds() >= 0:
        return f"{duration_words(delta)} left"
    return f"{duration_words(delta)} overdue"


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 with offset, in UTC, for machine-readable attributes and the API."""
    if value is None:
        return None
    return value.astimezone(clock.UTC).isoformat()


def age_on(date_of_birth: dt.date | None, on: dt.date | None = None) -> int | None:
    if date_of_birth is None:
        return None
    on = on or clock.local_today()
    years = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    return years


def age_text(date_of_birth: dt.date | None, on: dt.date | None = None) -> str:
    """`age 11`, `age 4 months`, `age 2 weeks` — a baby's age in years would read as 0."""
    if date_of_birth is None:
        return "date of birth not known"
    on = on or clock.local_today()
    years = age_on(date_of_birth, on)
    if years >= 1:
        return f"age {years}"
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month - (on.day < date_of_birth.day)
    if months >= 1:
        return f"age {months} month{'s' if months != 1 else ''}"
    weeks = max((on - date_of_birth).days // 7, 0)
    return f"age {weeks} week{'s' if weeks != 1 else ''}"


def clock_words(minutes: int, basis: str) -> str:
    """A clock policy in words: `1 hour`, `4 hours`, `1.5 working hours`, `90 minutes`."""
    kind = "working " if basis == "working" else ""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} {kind}hour{'s' if hours != 1 else ''}"
    if minutes < 60:
        return f"{minutes} {kind}minutes"
    return f"{minutes / 60:g} {kind}hours"
