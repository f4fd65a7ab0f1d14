"""NHS numbers, UPNs, postcodes and name normalisation (people/identifiers.py)."""

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from openmash.people.identifiers import (
    clean_nhs_number,
    clean_postcode,
    clean_upn,
    format_nhs_number,
    nhs_number_check_digit,
    normalise_name,
    upn_check_letter,
)

DIGITS = "0123456789"
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the DfE's 23: no I, O or S
NHS_LENGTH = "NHS number must be 10 digits"
NHS_CHECK = "the check digit does not match"
UPN_FORMAT = "UPN must be 13 characters"
UPN_CHECK = "the check letter does not match"


def nhs_valid(value: str) -> bool:
    try:
        clean_nhs_number(value)
    except ValueError:
        return False
    return True


def upn_valid(value: str) -> bool:
    try:
        clean_upn(value)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ NHS numbers


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("9434765919", "9434765919"),
        ("4857773457", "4857773457"),  # NB the NHS design system's hint "485 777 3456" is *not* valid
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  943 476 5919 ", "9434765919"),
        ("943\t476\u00a05919", "9434765919"),
        ("", ""),
        (None, ""),
    ],
)
def test_valid_nhs_numbers(typed, clean):
    assert clean_nhs_number(typed) == clean


def test_the_hint_example_is_not_itself_a_valid_nhs_number():
    # 4,8,5,7,7,7,3,4,5 weighted 10..2 sum to 312; 312 mod 11 = 4, so the check digit is 7, not 6.
    assert nhs_number_check_digit("485777345") == 7
    with pytest.raises(ValueError, match=NHS_CHECK):
        clean_nhs_number("485 777 3456")


@pytest.mark.parametrize("typed", ["9434765918", "9434765910", "1234567890", "4857773456"])
def test_a_wrong_check_digit_is_rejected(typed):
    with pytest.raises(ValueError, match=NHS_CHECK):
        clean_nhs_number(typed)


def test_nine_digits_whose_check_would_be_ten_can_never_be_valid():
    # 1,2,...,9 weighted 10..2 sum to 210; 210 mod 11 = 1; 11 - 1 = 10: no digit can follow them.
    assert nhs_number_check_digit("123456789") is None
    for last in DIGITS:
        with pytest.raises(ValueError, match=NHS_CHECK):
            clean_nhs_number("123456789" + last)


def test_a_check_of_eleven_is_zero():
    # 000000000 sums to 0: 11 - 0 = 11, which is written 0.
    assert nhs_number_check_digit("000000000") == 0
    assert clean_nhs_number("0000000000") == "0000000000"


@pytest.mark.parametrize(
    "typed",
    [
        "943476591",  # 9 digits
        "94347659190",  # 11 digits
        "94347659A9",
        "NHS9434765919",
        "943.476.5919",
        "943/476/5919",
        "٩٤٣٤٧٦٥٩١٩",  # Arabic-Indic digits: not what a person means by an NHS number
        "９４３４７６５９１９",  # full-width digits
        "²²²²²²²²²²",  # superscript twos pass str.isdigit() but int() cannot read them
    ],
)
def test_wrong_shape_is_rejected_with_the_message(typed):
    with pytest.raises(ValueError, match=NHS_LENGTH):
        clean_nhs_number(typed)


def test_format_nhs_number():
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("123") == "123"


nine_digits = st.text(alphabet=DIGITS, min_size=9, max_size=9)


@settings(max_examples=300, deadline=None)
@given(nine=nine_digits)
@example(nine="123456789")
@example(nine="000000000")
@example(nine="943476591")
def test_the_computed_check_digit_validates_and_any_single_change_is_caught(nine):
    check = nhs_number_check_digit(nine)
    if check is None:
        assert not any(nhs_valid(nine + d) for d in DIGITS)
        return
    number = nine + str(check)
    assert clean_nhs_number(number) == number
    # Exactly one completion of nine digits is valid.
    assert [d for d in DIGITS if nhs_valid(nine + d)] == [str(check)]
    # Mod 11 with weights 10..2: changing digit i by k changes the sum by w*k, and 11 is prime and
    # larger than every w and |k|, so the sum always moves — a single wrong digit is always caught.
    for i in range(10):
        for d in DIGITS:
            if d != number[i]:
                assert not nhs_valid(number[:i] + d + number[i + 1 :]), (number, i, d)
    # Swapping two neighbouring different digits among the first nine moves the sum by ±(a-b): caught too.
    for i in range(8):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not nhs_valid(swapped)


# ------------------------------------------------------------------ UPNs


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("B801200005001", "B801200005001"),
        ("A123456789012", "A123456789012"),
        ("P207000016049", "P207000016049"),
        ("b801200005001", "B801200005001"),
        (" B801 2000 05001 ", "B801200005001"),
        ("A80120000501A", "A80120000501A"),  # temporary UPN: the last character is a letter
        ("a80120000501a", "A80120000501A"),
        ("", ""),
        (None, ""),
    ],
)
def test_valid_upns(typed, clean):
    assert clean_upn(typed) == clean


def test_upn_check_letter_worked_example():
    # 8,0,1,2,0,0,0,0,5,0,0,1 weighted 2..13 sum to 93; 93 mod 23 = 1 → B.
    assert upn_check_letter("801200005001") == "B"
    # A temporary UPN's final letter counts by its place in the 23 letters (A=0 ... Z=22).
    assert upn_check_letter("80120000501A") == "A"


@pytest.mark.parametrize(
    "typed",
    [
        "A801200005001",
        "Q207000016049",  # its check letter is P (2·2+7·4+1·9+6·10+4·12+9·13 = 266 ≡ 13)
        "B80120000501A",  # a temporary UPN with the wrong check letter
    ],
)
def test_a_wrong_check_letter_is_rejected(typed):
    with pytest.raises(ValueError, match=UPN_CHECK):
        clean_upn(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "B80120000500",  # 12 characters
        "B8012000050011",  # 14
        "8801200005001",  # no letter first
        "B80120000A001",  # letter in the middle
        "B8012000050AA",  # two letters at the end
        "B80120000500-",
        "B٨٠١٢٠٠٠٠٥٠٠١",  # Arabic-Indic digits
        "B80120000500O",  # O is never used
    ],
)
def test_wrong_shape_upn_is_rejected_with_the_message(typed):
    with pytest.raises(ValueError, match=UPN_FORMAT):
        clean_upn(typed)


upn_bodies = st.builds(
    lambda eleven, last: eleven + last,
    st.text(alphabet=DIGITS, min_size=11, max_size=11),
    st.sampled_from(list(DIGITS + UPN_LETTERS)),
)


@settings(max_examples=200, deadline=None)
@given(body=upn_bodies)
@example(body="801200005001")
@example(body="80120000501A")
def test_i_o_and_s_are_never_valid(body):
    assert upn_check_letter(body) in UPN_LETTERS
    for letter in "IOS":
        assert not upn_valid(letter + body)  # as the check letter
        assert not any(upn_valid(c + body[:11] + letter) for c in UPN_LETTERS)  # as a temporary UPN's last


def _value(char: str) -> int:
    return int(char) if char.isdigit() else UPN_LETTERS.index(char)


@settings(max_examples=200, deadline=None)
@given(body=upn_bodies)
@example(body="801200005001")
@example(body="80120000501B")
def test_the_computed_check_letter_validates_and_a_single_change_is_caught(body):
    upn = upn_check_letter(body) + body
    assert clean_upn(upn) == upn
    assert [c for c in UPN_LETTERS if upn_valid(c + body)] == [upn[0]]
    # Weights 2..13 against modulus 23 (a prime): a change of k in a place weighted w moves the sum
    # by w*k, never a multiple of 23 while 0 < |k| < 23 — so a changed character is caught...
    for i in range(1, 13):
        alphabet = DIGITS if i < 12 else DIGITS + UPN_LETTERS
        for c in alphabet:
            if c == upn[i]:
                continue
            changed = upn[:i] + c + upn[i + 1 :]
            if i == 12 and _value(c) == _value(upn[12]):
                # ...except the one blind spot of the DfE scheme: a final digit swapped for the letter
                # with the same value (0↔A, 1↔B, … 9↔K) keeps the check letter.
                assert upn_valid(changed)
                assert c.isdigit() != upn[12].isdigit()
            else:
                assert not upn_valid(changed), (upn, i, c)


# ------------------------------------------------------------------ postcodes


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("se154ab", "SE15 4AB"),
        ("SE15 4AB", "SE15 4AB"),
        ("  se15   4ab ", "SE15 4AB"),
        ("sw1a1aa", "SW1A 1AA"),
        ("W1A 0AX", "W1A 0AX"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR 0AA", "GIR 0AA"),
        ("gir0aa", "GIR 0AA"),
        ("", ""),
        (None, ""),
    ],
)
def test_postcodes_are_normalised(typed, clean):
    assert clean_postcode(typed) == clean


@pytest.mark.parametrize(
    "typed",
    [
        "SE15",  # outward code only
        "SE15 4",
        "4AB",
        "12345",
        "SE15 4CA",  # C, I, K, M, O and V are never in the last two letters
        "SE15 4AI",
        "SE15 44B",
        "SE154AB1",
        "SE15 4AB X",
        "S£15 4AB",
        "SEE15 4AB",
        "GIR 0AB",
        "1E15 4AB",
    ],
)
def test_invalid_postcodes_are_rejected(typed):
    with pytest.raises(ValueError, match="Enter a real postcode, like SE15 4AB"):
        clean_postcode(typed)


valid_postcodes = st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2}\Z", fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(compact=valid_postcodes, spaces=st.lists(st.integers(0, 8), max_size=3), lower=st.booleans())
def test_any_spacing_or_case_of_a_postcode_normalises_the_same(compact, spaces, lower):
    clean = clean_postcode(compact)
    assert clean.replace(" ", "") == compact
    assert re.fullmatch(r"[A-Z0-9]{2,4} [0-9][A-Z]{2}", clean)
    assert clean[-4] == " "  # one space, before the three-character inward code
    typed = compact.lower() if lower else compact
    for position in spaces:
        typed = typed[:position] + " " + typed[position:]
    assert clean_postcode(typed) == clean
    assert clean_postcode(clean) == clean


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Zoë", "zoe"),
        ("JOSÉ", "jose"),
        ("Nguyễn", "nguyen"),
        ("Ayşe", "ayse"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("St. John", "st john"),
        ("  Anne-Marie   de la  Cruz ", "anne-marie de la cruz"),
        ("Łukasz", "lukasz"),
        ("Michał", "michal"),
        ("Strauß", "strauss"),
        ("Søren", "soren"),
        ("Æthelred", "aethelred"),
        ("Ｊｏｈｎ", "john"),  # full-width letters
        ("Иван", "иван"),
        ("", ""),
        (None, ""),
        ("'", ""),
    ],
)
def test_normalise_name(name, normalised):
    assert normalise_name(name) == normalised


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zoë", "ZOE"),
        ("Łukasz", "Lukasz"),
        ("Michał Wiśniewski", "michal wisniewski"),
        ("Strauß", "STRAUSS"),
        ("O'Brien", "obrien"),
        ("Renée  Dubois", "renee dubois"),
    ],
)
def test_spellings_a_practitioner_would_type_match(a, b):
    assert normalise_name(a) == normalise_name(b)


def test_names_in_other_scripts_do_not_normalise_to_nothing():
    # An empty normalised name would match every name it is compared with from the start.
    assert normalise_name("Иванов") != normalise_name("Петров")
    assert normalise_name("محمد") == "محمد"


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=40))
def test_normalised_names_are_stable_and_plain(name):
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert once == once.strip() and "  " not in once
    assert once == once.casefold()
    assert all(c.isalnum() or c in " -" for c in once)


@settings(max_examples=150, deadline=None)
@given(name=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x24F, categories=["Lu", "Ll", "Zs", "Pd", "Po"]), max_size=30))
def test_case_never_matters_for_latin_names(name):
    assert normalise_name(name.upper()) == normalise_name(name.lower()) == normalise_name(name)


@pytest.mark.parametrize("name", ["ß" * 100, "ﬃ" * 100, "Æ" * 100, "a" * 99 + "ß"])
def test_a_normalised_name_fits_its_column(name):
    assert len(normalise_name(name)) <= 100


@pytest.mark.django_db
def test_a_long_name_that_folds_longer_still_saves(hub):
    # The *_name_norm columns are 100 characters; PostgreSQL refuses a longer value outright.
    from openmash.people.services import NewPerson, person_create

    person = person_create(user=hub["practitioner"], data=NewPerson(given_name="ﬃ" * 100, family_name="Strauß" * 16 + "ßßßß"))
    person.refresh_from_db()
    assert person.given_name_norm == ("ffi" * 34)[:100]
    assert person.family_name_norm.startswith("strauss")
