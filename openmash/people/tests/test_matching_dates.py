"""Date-of-birth comparison (people/matching/dates.py)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.people.matching.dates import compare_dates_of_birth, swapped_day_month

D = dt.date


@pytest.mark.parametrize(
    ("a", "b", "detail", "outcome", "words"),
    [
        (D(2015, 7, 3), D(2015, 7, 3), "exact", "agree", "03/07/2015 on both"),
        (D(2015, 7, 3), D(2015, 3, 7), "swapped", "close", "day and month swapped"),
        (D(2015, 7, 3), D(2015, 7, 4), "one_day", "close", "one day apart"),
        (D(2015, 12, 31), D(2016, 1, 1), "one_day", "close", "one day apart"),
        (D(2015, 7, 3), D(2016, 7, 3), "year_one", "close", "year one apart"),
        (D(2005, 7, 3), D(2015, 7, 3), "year_ten", "close", "year ten apart"),
        (D(2015, 7, 3), D(2015, 7, 8), "digit", "close", "one digit different"),
        (D(2015, 7, 13), D(2015, 7, 31), "transposed", "close", "two digits swapped"),
        (D(2015, 7, 3), D(1984, 2, 19), "generation", "differ", "born 31 years apart"),
        (D(2015, 7, 3), D(2009, 2, 19), "differ", "differ", "different dates"),
        (None, D(2015, 7, 3), "missing", "missing", "not known"),
        (None, None, "missing", "missing", "not known"),
    ],
)
def test_each_kind_of_difference(a, b, detail, outcome, words):
    result = compare_dates_of_birth(a, b)
    assert (result.detail, result.outcome) == (detail, outcome)
    assert words in result.reason
    assert compare_dates_of_birth(b, a).detail == detail


def test_swapped_day_month():
    assert swapped_day_month(D(2015, 7, 3)) == D(2015, 3, 7)
    assert swapped_day_month(D(2015, 7, 13)) is None  # no 13th month
    assert swapped_day_month(D(2015, 7, 7)) is None  # the same date


dates = st.dates(min_value=D(1920, 1, 1), max_value=D(2026, 1, 1))


@settings(deadline=None, max_examples=300)
@given(a=dates, b=dates)
def test_comparison_is_symmetric_and_exact_only_when_equal(a, b):
    assert compare_dates_of_birth(a, b).detail == compare_dates_of_birth(b, a).detail
    assert (compare_dates_of_birth(a, b).detail == "exact") == (a == b)


@settings(deadline=None, max_examples=200)
@given(a=dates, days=st.sampled_from([-1, 1]))
def test_a_day_out_is_always_close(a, days):
    assert compare_dates_of_birth(a, a + dt.timedelta(days=days)).outcome == "close"
