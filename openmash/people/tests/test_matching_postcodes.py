"""Postcodes and address lines for matching (people/matching/postcodes.py)."""

import pytest

from openmash.people.matching.postcodes import (
    Postcode,
    compare_addresses,
    compare_postcodes,
    normalise_address,
    parse_postcode,
)


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("se15 4ab", Postcode("SE", "SE15", "SE15 4", "SE15 4AB")),
        ("SE154AB", Postcode("SE", "SE15", "SE15 4", "SE15 4AB")),
        ("SE15 4", Postcode("SE", "SE15", "SE15 4")),
        ("se15", Postcode("SE", "SE15")),
        ("W1A 1AA", Postcode("W", "W1A", "W1A 1", "W1A 1AA")),
        ("", None),
        ("not a postcode", None),
        ("SE15 4A", None),
    ],
)
def test_parse(typed, parsed):
    assert parse_postcode(typed) == parsed


@pytest.mark.parametrize(
    ("a", "b", "detail", "outcome"),
    [
        ("SE15 4AB", "se15 4ab", "full", "agree"),
        ("SE15 4AB", "SE15 4AD", "typo", "close"),
        ("SE15 4AB", "SE51 4AB", "typo", "close"),  # two characters swapped
        ("SE15 4AB", "SE15 4", "sector", "close"),  # only the sector known on one record
        ("SE15 4AB", "SE15 4XY", "sector", "close"),
        ("SE15 4AB", "SE15 6XY", "district", "close"),
        ("SE15 4AB", "SE15", "district", "close"),
        ("SE15 4AB", "SE22 9XY", "area", "differ"),
        ("SE15 4AB", "N1 9XY", "differ", "differ"),
        ("SE15 4AB", "", "missing", "missing"),
        ("SE15 4AB", "rubbish", "missing", "missing"),
    ],
)
def test_compare_postcodes(a, b, detail, outcome):
    result = compare_postcodes(parse_postcode(a), parse_postcode(b))
    assert (result.detail, result.outcome) == (detail, outcome)
    assert compare_postcodes(parse_postcode(b), parse_postcode(a)).detail == detail
    assert result.reason


def test_normalise_address():
    assert normalise_address("12, Rye Lane") == normalise_address("12 rye ln") == ("12", "rye", "ln")
    assert normalise_address("Flat 3, 12 Queens Road") == ("flat", "3", "12", "queens", "rd")


@pytest.mark.parametrize(
    ("a", "b", "detail", "outcome"),
    [
        ("12 Rye Lane", "12, RYE LN", "exact", "agree"),
        ("12 Rye Lane", "12 Rye Lnae", "close", "close"),
        ("12 Rye Lane", "14 Rye Lane", "differ", "differ"),  # a neighbour
        ("12 Rye Lane", "3 Oak Close", "differ", "differ"),
        ("12 Rye Lane", "", "missing", "missing"),
    ],
)
def test_compare_addresses(a, b, detail, outcome):
    result = compare_addresses(normalise_address(a), normalise_address(b))
    assert (result.detail, result.outcome) == (detail, outcome)
