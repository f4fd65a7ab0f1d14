"""Blocking keys: the few short strings under which a person is filed, so that a search (or the
duplicate finder) fetches a small candidate set by index lookups instead of scoring everyone.

Each key joins two or three *different* fields. An error in a record usually damages one field
(a typo in the surname, a nickname, day and month swapped, a moved postcode); every such error
leaves at least one key whole, because some key does not use the damaged field:

| key | fields | survives | people per key at 1M (estimate) |
|---|---|---|---|
| ``n:NAME:DOB`` | any one name part (given, via its full name; family, each part) + full date of birth | an error in any *other* name; hyphenated, double-barrelled, changed surnames; swapped names; initials; nicknames; any postcode error | 1–3 (twins share it) |
| ``y:NAMES:YEAR`` | given + family (sorted, so a swap keeps it) + birth year | day/month swapped, ±1 day, a wrong day or month digit, postcode errors | 1–5 |
| ``m:NAMES:DAYMONTH`` | given + family + day and month, unordered | the year one or ten out, a wrong year digit, day/month swapped | 1–5 |
| ``p:NAMES:DISTRICT`` | given + family + postcode district | date of birth missing or wholly wrong; postcode unit typo; sector-only postcode | 1–10 |
| ``i:INITIAL:FAMILY:YEAR`` | first initial + family part + birth year | a given name written as an initial *and* a day/month error | 5–20 |
| ``a:POSTCODE:YEAR`` | full postcode + birth year | both names changed at once (a nickname the table does not know and a new surname) | 1–3 |
| ``am:POSTCODE:DAYMONTH`` | full postcode + day and month, unordered | both names changed *and* the year wrong | 1–3 |
| ``g:GIVEN:POSTCODE`` | given name + full postcode | date of birth missing or wrong *and* the surname changed or mistyped | 1 |
| ``f:FAMILY:POSTCODE`` | family name part + full postcode | date of birth missing or wrong *and* an initial, nickname or typo in the given name | the household, 1–6 |
| ``nn:NAMES`` | given + family only | moved *and* date of birth missing (search only: see below) | 1 to several hundred |
| ``nhs:…``, ``upn:…`` | a valid identifier | everything else wrong | 1 |

NAME is a Metaphone code (Smith = Smyth); a given name is first turned into the full name(s) it
stands for (Bill → William, Jaden → Jayden), so nicknames in the variant table cost nothing. NAMES
is the sorted pair of the given and family codes.

Why the keys are selective enough: every key but `i` and `nn` holds a name *and* at least a birth
year or a postcode, or holds a full postcode, so a key covers a handful of people even for Smith or Muhammad in an index of
a million (≈1,000,000 × 1.3 % Smiths ÷ ~80 birth years ≈ 160 Smiths a year, of whom ~2 % share a
given name). Nothing keys on the date of birth alone or the postcode alone: those blocks hold tens to
hundreds of people, and the duplicate finder's work grows with the square of a block. (A search may
still look up the date of birth, and its swapped form, through the index Person already has.) The one
exception, `nn` (the two names alone), is there for the query that has lost both its date of birth
and its address; for a rare name it is a block of one, for Muhammad Khan it is hundreds, so the
search skips any block over its limit and the duplicate finder does not use `nn` at all
(`SEARCH_ONLY_KINDS`).

`search_keys` adds, for a query only, the name + date keys for the date with day and month
swapped and for a day either side, so a query carrying two errors still finds its person. The
stored keys stay symmetric (the duplicate finder compares records with records).
"""

import datetime as dt
import hashlib

from openmash.people.matching.compare import PersonRecord, Prepared, prepare
from openmash.people.matching.dates import swapped_day_month
from openmash.people.matching.names import canonical_names, phonetic

KEY_KINDS = ("n", "y", "m", "p", "i", "a", "am", "g", "f", "nn", "nhs", "upn")
# Kinds whose blocks can hold hundreds of people (names alone): looked up by a search, which skips a
# block that is too big to say anything, but not paired up by the duplicate finder.
SEARCH_ONLY_KINDS = ("nn",)
# A search ignores a block holding more people than this: it says little ("Muhammad Khan") and would
# cost more to score than every other block together. Measured in memory on 1,000,000 generated
# people: recall@10 unchanged (0.996), candidates p95 486 → 185, scoring p95 46 → 11 ms.
SEARCH_BLOCK_LIMIT = 200


def _given_codes(p: Prepared) -> set[str]:
    """Codes of the first given name (through its full names), other first names and middle names."""
    codes = set()
    firsts = p.given[:1] + p.other_given
    for token in firsts + p.given[1:]:
        if len(token) < 2:
            continue
        for name in canonical_names(token):
            codes.add(phonetic(name))
    return codes


def _family_codes(p: Prepared) -> set[str]:
    return {phonetic(part) for f in p.family for part in f.significant if len(part) >= 2}


def _initials(p: Prepared) -> set[str]:
    """First letters of the first given name and of the full names it stands for (Bill → b, w)."""
    if not p.given:
        return set()
    token = p.given[0]
    return {token[0]} | {name[0] for name in canonical_names(token)}


def _day_month(d: dt.date) -> str:
    low, high = sorted((d.day, d.month))
    return f"{low:02d}{high:02d}"


def blocking_keys(record: PersonRecord | Prepared) -> set[str]:
    """The keys a record is filed under (see the module docstring for what each is for)."""
    p = record if isinstance(record, Prepared) else prepare(record)
    given = _given_codes(p)
    family = _family_codes(p)
    names = given | family
    pairs = {f"{min(g, f)}.{max(g, f)}" for g in given for f in family if g != f}
    keys: set[str] = set()
    if p.dob:
        dob = p.dob.strftime("%Y%m%d")
        keys.update(f"n:{code}:{dob}" for code in names)
        keys.update(f"y:{pair}:{p.dob.year}" for pair in pairs)
        keys.update(f"m:{pair}:{_day_month(p.dob)}" for pair in pairs)
        keys.update(f"i:{initial}:{code}:{p.dob.year}" for initial in _initials(p) for code in family)
        if p.postcode and p.postcode.full:
            keys.add(f"a:{p.postcode.full}:{p.dob.year}")
            keys.add(f"am:{p.postcode.full}:{_day_month(p.dob)}")
    if p.postcode:
        keys.update(f"p:{pair}:{p.postcode.district}" for pair in pairs)
        if p.postcode.full:
            keys.update(f"g:{code}:{p.postcode.full}" for code in given)
            keys.update(f"f:{code}:{p.postcode.full}" for code in family)
    keys.update(f"nn:{pair}" for pair in pairs)
    if p.nhs_number:
        keys.add(f"nhs:{p.nhs_number}")
    if p.upn:
        keys.add(f"upn:{p.upn}")
    return keys


def search_keys(record: PersonRecord | Prepared) -> set[str]:
    """Keys to look up for a query: its own keys, plus name + date for the date with day and month
    swapped and for a day either side (a query may carry two errors: a typo *and* a swapped date)."""
    p = record if isinstance(record, Prepared) else prepare(record)
    keys = blocking_keys(p)
    if p.dob:
        names = _given_codes(p) | _family_codes(p)
        near = [p.dob + dt.timedelta(days=1), p.dob - dt.timedelta(days=1), swapped_day_month(p.dob)]
        for d in near:
            if d:
                keys.update(f"n:{code}:{d:%Y%m%d}" for code in names)
    return keys


def key_hash(key: str) -> int:
    """A key as a signed 64-bit integer, for a compact indexed column (collisions only widen a
    candidate set slightly; the scorer decides)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
