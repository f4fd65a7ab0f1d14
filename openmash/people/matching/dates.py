"""Date-of-birth comparison: what kind of difference two dates show, in words.

The errors people make writing a date of birth, most likely first: day and month swapped (3/7 for
7/3, American order or a form read the wrong way), one day out (born near midnight; counted from a
different day), one digit mistyped, the year one out (a mistyped last digit or a wrong school year)
or ten out (the decade digit).
"""

import datetime as dt
from dataclasses import dataclass

# Dates this many years apart, and not one slip from each other, are a generation apart: a parent
# and a child of one name at one address are the commonest false match in a household.
GENERATION_YEARS = 12

# Outcome for each detail (compare.py turns the detail into a weight).
OUTCOME = {
    "exact": "agree",
    "swapped": "close",
    "one_day": "close",
    "digit": "close",
    "transposed": "close",
    "year_one": "close",
    "year_ten": "close",
    "generation": "differ",
    "differ": "differ",
    "missing": "missing",
}


@dataclass(frozen=True, slots=True)
class DateComparison:
    detail: str
    reason: str

    @property
    def outcome(self) -> str:
        return OUTCOME[self.detail]


def _digits(d: dt.date) -> str:
    return f"{d.day:02d}{d.month:02d}{d.year:04d}"


def _shown(a: dt.date, b: dt.date) -> str:
    # Formatted by hand: strftime costs more than the whole comparison.
    return f"{a.day:02d}/{a.month:02d}/{a.year} / {b.day:02d}/{b.month:02d}/{b.year}"


def compare_dates_of_birth(a: dt.date | None, b: dt.date | None) -> DateComparison:
    """Compare two dates of birth.

    1. Either unknown → missing.
    2. Equal → exact.
    3. Same year with day and month exchanged → swapped.
    4. One day apart → one_day.
    5. Same day and month, year one or ten apart → year_one / year_ten.
    6. Written DDMMYYYY, one digit different → digit; two neighbouring digits exchanged → transposed.
    7. Years 12 or more apart → generation (a parent and a child, not a mistyped date).
    8. Anything else → differ.
    """
    if a is None or b is None:
        return DateComparison("missing", "not known on one record")
    if a == b:
        return DateComparison("exact", f"{a.day:02d}/{a.month:02d}/{a.year} on both")
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return DateComparison("swapped", f"day and month swapped ({_shown(a, b)})")
    if abs((a - b).days) == 1:
        return DateComparison("one_day", f"one day apart ({_shown(a, b)})")
    if (a.day, a.month) == (b.day, b.month):
        gap = abs(a.year - b.year)
        if gap == 1:
            return DateComparison("year_one", f"same day, year one apart ({a.year} / {b.year})")
        if gap == 10:
            return DateComparison("year_ten", f"same day, year ten apart ({a.year} / {b.year})")
    da, db = _digits(a), _digits(b)
    diffs = [i for i in range(8) if da[i] != db[i]]
    if len(diffs) == 1:
        return DateComparison("digit", f"one digit different ({_shown(a, b)})")
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1 and da[diffs[0]] == db[diffs[1]] and da[diffs[1]] == db[diffs[0]]:
        return DateComparison("transposed", f"two digits swapped ({_shown(a, b)})")
    if abs(a.year - b.year) >= GENERATION_YEARS:
        return DateComparison("generation", f"born {abs(a.year - b.year)} years apart ({_shown(a, b)})")
    return DateComparison("differ", f"different dates ({_shown(a, b)})")


def swapped_day_month(d: dt.date) -> dt.date | None:
    """The date with day and month exchanged, when that is a different real date."""
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return d.replace(month=d.day, day=d.month)
    except ValueError:
        return None
