"""National identifiers and postcodes: normalise, then validate, with the message a user should see.

Each `clean_*` returns the normalised value or raises ValueError with a GOV.UK-style message.
"""

import re

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: I, O and S are never used


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for nine digits; None when no valid number can end them (10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1)))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def clean_nhs_number(value: str) -> str:
    """An NHS number is 10 digits (spaces allowed as 3-3-4) whose last digit is the mod 11 check."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits:
        return ""
    if not re.fullmatch(r"[0-9]{10}", digits):  # not str.isdigit(): that also takes "²" and "٣"
        raise ValueError("NHS number must be 10 digits, like 943 476 5919")
    if nhs_number_check_digit(digits[:9]) != int(digits[9]):
        raise ValueError("Enter a valid NHS number – the check digit does not match; check it for a typing mistake")
    return digits


def format_nhs_number(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (DfE: weights 2–13, modulus 23)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        total += weight * (int(char) if char.isdigit() else _UPN_LETTERS.index(char))
    return _UPN_LETTERS[total % 23]


def clean_upn(value: str) -> str:
    """A UPN: check letter, 11 digits, then a digit (permanent) or a letter (temporary UPN)."""
    upn = re.sub(r"\s", "", value or "").upper()
    if not upn:
        return ""
    if not re.fullmatch(rf"[{_UPN_LETTERS}][0-9]{{11}}[0-9{_UPN_LETTERS}]", upn):  # \d would take "٣"
        raise ValueError("UPN must be 13 characters: a letter, 11 digits, then a digit or letter, like A123456789012")
    if upn_check_letter(upn[1:]) != upn[0]:
        raise ValueError("Enter a valid UPN – the check letter does not match; check it for a typing mistake")
    return upn


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][ABD-HJLNP-UW-Z]{2})$")


def clean_postcode(value: str) -> str:
    """A full UK postcode, upper case with one space before the inward code (`SE15 4AB`)."""
    compact = re.sub(r"\s", "", value or "").upper()
    if not compact:
        return ""
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.match(compact)
    if not match:
        raise ValueError("Enter a real postcode, like SE15 4AB")
    return f"{match.group(1)} {match.group(2)}"


# Latin letters that carry no accent to strip (NFKD leaves them whole), spelt as people type them
# on an English keyboard: Łukasz → lukasz, Søren → soren, Strauß → strauss (by casefold).
_LATIN_FOLDS = str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"})


NORMALISED_NAME_MAX = 100  # the `*_name_norm` columns; folding can lengthen a name (ß → ss, ﬃ → ffi)


def normalise_name(value: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: for matching, never display.

    Letters of other scripts are kept (lower-cased), so a name written in Cyrillic or Arabic still
    matches itself rather than normalising to nothing. Cut to NORMALISED_NAME_MAX characters, which
    still matches from the start."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_LATIN_FOLDS)
    plain = "".join(c for c in plain if c.isalnum() or c.isspace() or c == "-")
    return re.sub(r"\s+", " ", plain).strip()[:NORMALISED_NAME_MAX].rstrip()
