"""Comparing two person records: outcomes field by field, reasons, score, band (people/matching/compare.py)."""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.people.identifiers import upn_check_letter
from openmash.people.matching import weights as W
from openmash.people.matching.compare import OUTCOMES, PersonRecord, compare, prepare

D = dt.date
NHS_A, NHS_B = "9434765919", "4857773457"


def _upn(body: str) -> str:
    return upn_check_letter(body) + body


UPN_A, UPN_B = _upn("209123415001"), _upn("209123415002")

JAYDEN = PersonRecord(
    given_name="Jayden", family_name="Smith", date_of_birth=D(2015, 7, 3), sex="M",
    postcode="SE15 4AB", address_line="12 Rye Lane", nhs_number=NHS_A, upn=UPN_A,
)


def outcome(a: PersonRecord, b: PersonRecord, field: str):
    f = compare(a, b).field(field)
    return f.outcome, f.detail


CASES = [
    # field, change to the second record, outcome, detail, words in the reason
    ("given_name", {}, "agree", "exact", "Jayden on both"),
    ("given_name", {"given_name": "Jaden"}, "close", "variant", "Jayden and Jaden are spellings of the same name"),
    ("given_name", {"given_name": "Jaydne"}, "close", "typo", "spelt alike"),
    ("given_name", {"given_name": "J"}, "close", "initial", "initial J fits Jayden"),
    ("given_name", {"given_name": "Leon Jayden"}, "close", "middle", "middle name"),
    ("given_name", {"given_name": "Kayla"}, "differ", "differ", "Jayden and Kayla are different names"),
    ("given_name", {"given_name": ""}, "missing", "missing", "not known"),
    ("given_name", {"given_name": "Smith", "family_name": "Jayden"}, "close", "swapped", "given and family names swapped"),
    ("family_name", {}, "agree", "exact", "Smith on both"),
    ("family_name", {"family_name": "Jones", "other_names": (("", "Smith"),)}, "agree", "other", "another or previous name"),
    ("family_name", {"family_name": "Smith-Ali"}, "close", "part", "Smith is part of Smith-Ali"),
    ("family_name", {"family_name": "Smyth"}, "close", "typo", "Smith and Smyth are spelt alike"),
    ("family_name", {"family_name": "Okafor"}, "differ", "differ", "different names"),
    ("family_name", {"family_name": ""}, "missing", "missing", "not known"),
    ("date_of_birth", {}, "agree", "exact", "03/07/2015 on both"),
    ("date_of_birth", {"date_of_birth": D(2015, 3, 7)}, "close", "swapped", "day and month swapped"),
    ("date_of_birth", {"date_of_birth": D(2015, 7, 4)}, "close", "one_day", "one day apart"),
    ("date_of_birth", {"date_of_birth": D(2015, 7, 8)}, "close", "digit", "one digit different"),
    ("date_of_birth", {"date_of_birth": D(2016, 7, 3)}, "close", "year_one", "year one apart"),
    ("date_of_birth", {"date_of_birth": D(2005, 7, 3)}, "close", "year_ten", "year ten apart"),
    ("date_of_birth", {"date_of_birth": D(2012, 1, 20)}, "differ", "differ", "different dates"),
    ("date_of_birth", {"date_of_birth": D(1990, 1, 20)}, "differ", "generation", "born 25 years apart"),
    ("date_of_birth", {"date_of_birth": None}, "missing", "missing", "not known"),
    ("sex", {}, "agree", "exact", "male on both"),
    ("sex", {"sex": "F"}, "differ", "differ", "male on one record, female on the other"),
    ("sex", {"sex": "U"}, "missing", "missing", "not known"),
    ("postcode", {}, "agree", "full", "SE15 4AB on both"),
    ("postcode", {"postcode": "SE15 4AD"}, "close", "typo", "one character different"),
    ("postcode", {"postcode": "SE15 4"}, "close", "sector", "only the sector is known"),
    ("postcode", {"postcode": "SE15 6XY"}, "close", "district", "same district SE15"),
    ("postcode", {"postcode": "SE22 9XY"}, "differ", "area", "same area SE only"),
    ("postcode", {"postcode": "N1 9XY"}, "differ", "differ", "different places"),
    ("postcode", {"postcode": ""}, "missing", "missing", "not known"),
    ("address", {}, "agree", "exact", "same address"),
    ("address", {"address_line": "12 Rye Lnae"}, "close", "close", "same house number"),
    ("address", {"address_line": "14 Rye Lane"}, "differ", "differ", "different address"),
    ("address", {"address_line": ""}, "missing", "missing", "not known"),
    ("nhs_number", {}, "agree", "exact", "same NHS number"),
    ("nhs_number", {"nhs_number": NHS_B}, "differ", "differ", "different NHS numbers"),
    ("nhs_number", {"nhs_number": ""}, "missing", "missing", "not known"),
    ("nhs_number", {"nhs_number": "9434765918"}, "missing", "missing", "check digit not valid"),
    ("upn", {}, "agree", "exact", "same UPN"),
    ("upn", {"upn": UPN_B}, "differ", "differ", "different UPNs"),
    ("upn", {"upn": ""}, "missing", "missing", "not known"),
    ("upn", {"upn": "A" + UPN_A[1:] if UPN_A[0] != "A" else "B" + UPN_A[1:]}, "missing", "missing", "check digit not valid"),
]


@pytest.mark.parametrize(("field", "change", "expected", "detail", "words"), CASES, ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_every_outcome(field, change, expected, detail, words):
    result = compare(JAYDEN, replace(JAYDEN, **change)).field(field)
    assert (result.outcome, result.detail) == (expected, detail)
    assert words in result.reason
    if expected == "missing":
        assert result.weight == 0
    elif expected == "agree":
        assert result.weight > 0


def test_every_field_reaches_every_outcome():
    seen = {(c[0], c[2]) for c in CASES}
    for field in ("given_name", "family_name", "date_of_birth", "sex", "postcode", "address", "nhs_number", "upn"):
        expected = set(OUTCOMES) - ({"close"} if field in ("sex", "nhs_number", "upn") else set())
        assert {o for f, o in seen if f == field} == expected, field


def test_reasons_a_practitioner_reads():
    william = PersonRecord(given_name="William", family_name="Jones", date_of_birth=D(2012, 5, 6))
    bill = PersonRecord(given_name="Bill", family_name="Jones", date_of_birth=D(2012, 6, 5))
    c = compare(william, bill)
    assert c.field("given_name").reason == "Bill is a short form of William"
    assert c.field("date_of_birth").reason.startswith("day and month swapped")


def test_the_issue_example_is_found_and_explained():
    """"Jayden Smith, 3/7/2015" and "Jaden Smyth-Ali, 7/3/2015, moved to SE15"."""
    recorded = PersonRecord(given_name="Jayden", family_name="Smith", date_of_birth=D(2015, 7, 3), sex="M", postcode="E8 1SW")
    typed = PersonRecord(given_name="Jaden", family_name="Smyth-Ali", date_of_birth=D(2015, 3, 7), sex="M", postcode="SE15 4AB")
    c = compare(recorded, typed)
    assert [c.field(f).outcome for f in ("given_name", "family_name", "date_of_birth", "sex", "postcode")] == [
        "close", "close", "close", "agree", "differ"]
    assert c.score > compare(recorded, replace(typed, given_name="Kayla", sex="F")).score + 10


def test_swapped_names_score_nearly_as_well_as_the_right_way_round():
    swapped = replace(JAYDEN, given_name="Smith", family_name="Jayden")
    assert compare(JAYDEN, swapped).is_match
    assert compare(JAYDEN, swapped).field("given_name").detail == "swapped"


def test_initials_count_for_a_little():
    initial = replace(JAYDEN, given_name="J", nhs_number="", upn="")
    other = replace(JAYDEN, given_name="K", nhs_number="", upn="")
    assert compare(JAYDEN, initial).score > compare(JAYDEN, other).score


def test_identifiers_count_only_when_valid():
    plain = replace(JAYDEN, nhs_number="", upn="")
    same_nhs = compare(plain, replace(JAYDEN, given_name="X", family_name="Y", date_of_birth=None, postcode="", address_line="", upn=""))
    assert same_nhs.field("nhs_number").outcome == "missing"  # the other has none
    a = PersonRecord(given_name="A", family_name="B", nhs_number=NHS_A)
    assert compare(a, replace(a, given_name="C")).field("nhs_number").weight > 20
    broken = replace(a, nhs_number="9434765918")
    assert prepare(broken).nhs_number == ""
    assert compare(a, broken).field("nhs_number").reason == "NHS number check digit not valid, ignored"


# ------------------------------------------------------------------ twins, siblings, parents

HOUSE = dict(family_name="Okafor", postcode="SE15 4AB", address_line="12 Rye Lane")
CHILD = PersonRecord(given_name="David", date_of_birth=D(2016, 4, 9), sex="M", **HOUSE)


@pytest.mark.parametrize(
    "other",
    [
        PersonRecord(given_name="Daniel", date_of_birth=D(2016, 4, 9), sex="M", **HOUSE),  # twin brother
        PersonRecord(given_name="Blessing", date_of_birth=D(2016, 4, 9), sex="F", **HOUSE),  # twin sister
        PersonRecord(given_name="Danielle", date_of_birth=D(2016, 4, 9), sex="F", **HOUSE),  # twin spelt alike
        PersonRecord(given_name="Precious", date_of_birth=D(2013, 11, 2), sex="F", **HOUSE),  # sister
        PersonRecord(given_name="Samuel", date_of_birth=D(2018, 1, 30), sex="M", **HOUSE),  # brother
        PersonRecord(given_name="David", date_of_birth=D(1984, 2, 1), sex="M", **HOUSE),  # father of the same name
        PersonRecord(given_name="Daniel", date_of_birth=D(2016, 4, 9), sex="M", family_name="Okafor"),  # twin, no address
        PersonRecord(given_name="Daniel", date_of_birth=D(2016, 4, 9), sex="M", family_name="Okafor", postcode="SE15 4"),
    ],
    ids=["twin-brother", "twin-sister", "twin-danielle", "sister", "brother", "father", "twin-no-address", "twin-sector"],
)
def test_twins_siblings_and_parents_are_not_the_same_person(other):
    c = compare(CHILD, other)
    assert not c.is_match, [(f.field, f.detail, round(f.weight, 1)) for f in c.fields]
    assert c.band in ("unlikely", "possible")


@pytest.mark.parametrize(
    "same",
    [
        replace(CHILD),
        replace(CHILD, given_name="Dave"),
        replace(CHILD, date_of_birth=D(2016, 9, 4)),
        replace(CHILD, postcode="N1 9XY", address_line="3 Oak Close"),  # moved
        replace(CHILD, family_name="Okafor-Mensah"),
        replace(CHILD, given_name="Okafor", family_name="David"),
        replace(CHILD, postcode="SE15 4AD"),  # postcode typo, same house
        replace(CHILD, given_name="Davdi"),
    ],
    ids=["same", "nickname", "dob-swapped", "moved", "hyphenated", "swapped", "postcode-typo", "typo"],
)
def test_the_same_child_with_one_error_is_a_match(same):
    c = compare(CHILD, same)
    assert c.is_match, [(f.field, f.detail, round(f.weight, 1)) for f in c.fields]


def test_twins_with_nhs_numbers_are_told_apart_even_more():
    twin = PersonRecord(given_name="Daniel", date_of_birth=D(2016, 4, 9), sex="M", **HOUSE)
    assert compare(replace(CHILD, nhs_number=NHS_A), replace(twin, nhs_number=NHS_B)).score < compare(CHILD, twin).score


# ------------------------------------------------------------------ score, probability, band


def test_score_is_prior_plus_weights_and_probability_follows():
    c = compare(JAYDEN, replace(JAYDEN, given_name="Jaden", postcode="N1 9XY"))
    assert c.score == pytest.approx(W.PRIOR_LOG2_ODDS + sum(f.weight for f in c.fields))
    assert c.probability == pytest.approx(1 / (1 + 2 ** -c.score))
    assert c.band == W.band(c.probability)


@pytest.mark.parametrize(("p", "band"), [(0.999, "very likely"), (0.99, "very likely"), (0.9, "likely"), (0.5, "possible"), (0.05, "unlikely"), (0.0, "unlikely")])
def test_bands(p, band):
    assert W.band(p) == band


def test_weights_are_finite_and_sensible():
    for (field, detail), (apart, together) in W.WEIGHTS.items():
        assert abs(apart) < 40 and abs(together) < 40, (field, detail)
        if detail == "exact":
            assert apart > 0, field
        if detail == "differ":
            assert apart < 0 or field == "address", field


first = st.sampled_from(["Jayden", "Jaden", "J", "William", "Bill", "Mary Jane", "Jane", "", "Ava", "Eva", "Smith"])
last = st.sampled_from(["Smith", "Smyth", "Smith-Ali", "Okafor", "O'Brien", "OBrien", "", "Jayden"])
dates = st.one_of(st.none(), st.sampled_from([D(2015, 7, 3), D(2015, 3, 7), D(2015, 7, 4), D(2016, 7, 3), D(1980, 1, 1)]))
records = st.builds(
    PersonRecord, given_name=first, family_name=last, date_of_birth=dates, sex=st.sampled_from(["M", "F", "U", ""]),
    postcode=st.sampled_from(["SE15 4AB", "SE15 4AD", "SE15 4", "N1 9XY", ""]),
    address_line=st.sampled_from(["12 Rye Lane", "12 Rye Ln", "14 Rye Lane", ""]),
    nhs_number=st.sampled_from(["", NHS_A, NHS_B, "9434765918"]),
    other_names=st.sampled_from([(), (("Jay", "Brown"),)]),
)


@settings(deadline=None, max_examples=300)
@given(a=records, b=records)
def test_comparison_is_symmetric(a, b):
    ab, ba = compare(a, b), compare(b, a)
    assert ab.score == pytest.approx(ba.score)
    assert [(f.field, f.outcome, f.detail) for f in ab.fields] == [(f.field, f.outcome, f.detail) for f in ba.fields]
    assert all(f.outcome in OUTCOMES and f.reason for f in ab.fields)


@settings(deadline=None, max_examples=200)
@given(a=records)
def test_a_record_agrees_with_itself(a):
    c = compare(a, a)
    # A postcode known only to its sector agrees only as far as the sector.
    assert all(f.outcome in ("agree", "missing") or (f.field, f.detail) == ("postcode", "sector") for f in c.fields)
