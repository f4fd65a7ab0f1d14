"""Turning what a person or a script asked for into a ReportFilter, with a message per bad field.

Used by the pages' filter form and by the API, so both refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt

from openmash.accounts.models import Team
from openmash.agencies.models import Agency
from openmash.core import clock
from openmash.core.errors import InvalidInput
from openmash.referrals.codes import Rating, ReferralSource
from openmash.reports.measures import ReportFilter

MAX_YEARS = 50  # a longer period is surely a typing slip (and would read every block there is)
EARLIEST = dt.date(1990, 1, 1)


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The 12 months ending today: what a partnership board usually asks about."""
    today = today or clock.local_today()
    from openmash.people.history import months_before

    return months_before(today, 12) + dt.timedelta(days=1), today


def _date(value, field: str, label: str, errors: dict) -> dt.date | None:
    if isinstance(value, dt.date):
        day = value
        if day < EARLIEST:
            errors[field] = [f"The {label} date must be on or after {EARLIEST:%-d %B %Y}"]
            return None
        return day
    text = (value or "").strip()
    if not text:
        errors[field] = [f"Enter the {label} date"]
        return None
    try:
        day = dt.date.fromisoformat(text)
        if len(text) != 10:
            raise ValueError
    except ValueError:
        errors[field] = [f"The {label} date must be a real date, as YYYY-MM-DD"]
        return None
    if day < EARLIEST:
        errors[field] = [f"The {label} date must be on or after {EARLIEST:%-d %B %Y}"]
        return None
    return day


def build_filter(*, start, end, ratings=(), sources=(), agency: str = "", team: str = "") -> ReportFilter:
    """Check every field and raise InvalidInput naming each bad one (field names as the API's).
    `team`: a hub team's code, active or not (reports count past teams too); empty for every team."""
    errors: dict[str, list[str]] = {}
    first = _date(start, "from", "start", errors)
    last = _date(end, "to", "end", errors)
    if first and last:
        if last < first:
            errors["to"] = ["The end date must be the same as or after the start date"]
        elif (last - first).days > MAX_YEARS * 366:
            errors["to"] = [f"The period must be at most {MAX_YEARS} years"]
        elif last > clock.local_today() + dt.timedelta(days=366):
            errors["to"] = ["The end date must not be more than a year from today"]
    ratings = tuple(r for r in ratings if r)
    bad = [r for r in ratings if r not in Rating.values]
    if bad:
        errors["rating"] = [f"Unknown rating {bad[0]!r}: use one of {', '.join(Rating.values)}"]
    sources = tuple(s for s in sources if s)
    bad = [s for s in sources if s not in ReferralSource.values]
    if bad:
        errors["source"] = [f"Unknown referral source {bad[0]!r}: use a Children in Need census source code"]
    agency = (agency or "").strip()
    if agency and not Agency.objects.filter(code=agency).exists():
        errors["agency"] = [f"Unknown agency {agency!r}"]
    team = (team or "").strip()
    if team and not Team.objects.filter(code=team).exists():
        errors["team"] = [f"Unknown team {team!r}: use a hub team's code"]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return ReportFilter(start=first, end=last, ratings=tuple(dict.fromkeys(ratings)),
                        sources=tuple(dict.fromkeys(sources)), agency=agency, team=team or None)
