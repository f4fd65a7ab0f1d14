"""Postcodes and address lines for matching.

A postcode has four levels: area (SE), district (SE15), sector (SE15 4) and unit (SE15 4AB). Records
carry full postcodes, partial ones ("SE15 4", "SE15": only the sector or district was known), or
mistyped ones. Full postcodes are validated by `people.identifiers.clean_postcode`.
"""

import functools
import re
from dataclasses import dataclass

from openmash.people.identifiers import clean_postcode
from openmash.people.matching.names import edit_distance, jaro_winkler

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_AREA = re.compile(r"^[A-Z]{1,2}")

OUTCOME = {
    "full": "agree",
    "typo": "close",
    "sector": "close",
    "district": "close",
    "area": "differ",
    "differ": "differ",
    "missing": "missing",
}


@dataclass(frozen=True, slots=True)
class Postcode:
    """What is known of a postcode; the finer parts are blank when only a coarser one was given."""

    area: str
    district: str
    sector: str = ""
    full: str = ""


@functools.lru_cache(maxsize=100_000)
def parse_postcode(value: str) -> Postcode | None:
    """A full, sector-only ("SE15 4") or district-only ("SE15") postcode; None for anything else."""
    raw = re.sub(r"\s+", " ", (value or "").strip().upper())
    if not raw:
        return None
    try:
        full = clean_postcode(raw)
    except ValueError:
        full = ""
    if full:
        outward, inward = full.split(" ")
        return Postcode(_AREA.match(outward).group(0), outward, f"{outward} {inward[0]}", full)
    parts = raw.split(" ")
    if len(parts) == 1 and _OUTWARD.match(parts[0]):
        return Postcode(_AREA.match(parts[0]).group(0), parts[0])
    if len(parts) == 2 and _OUTWARD.match(parts[0]) and re.fullmatch(r"[0-9]", parts[1]):
        return Postcode(_AREA.match(parts[0]).group(0), parts[0], f"{parts[0]} {parts[1]}")
    return None


@dataclass(frozen=True, slots=True)
class PostcodeComparison:
    detail: str
    reason: str

    @property
    def outcome(self) -> str:
        return OUTCOME[self.detail]


def compare_postcodes(a: Postcode | None, b: Postcode | None) -> PostcodeComparison:
    """Compare two parsed postcodes.

    1. Either unknown → missing.
    2. Both full and equal → full.
    3. Both full, one character different, missing, extra or two swapped (SE15 4AB / SE15 4AD,
       SE15 4AB / SE51 4AB) → typo.
    4. The finest level both records know agrees: sector (SE15 4), district (SE15), area (SE).
    5. Anything else → differ (a move, usually).
    """
    if a is None or b is None:
        return PostcodeComparison("missing", "not known on one record")
    if a.full and a.full == b.full:
        return PostcodeComparison("full", f"{a.full} on both")
    if a.full and b.full and edit_distance(a.full.replace(" ", ""), b.full.replace(" ", "")) == 1:
        return PostcodeComparison("typo", f"one character different ({a.full} / {b.full})")
    if a.sector and a.sector == b.sector:
        shown = a.full or a.sector, b.full or b.sector
        if not (a.full and b.full):
            return PostcodeComparison("sector", f"same sector {a.sector}; only the sector is known on one record")
        return PostcodeComparison("sector", f"same sector {a.sector} ({shown[0]} / {shown[1]})")
    if a.district == b.district:
        return PostcodeComparison("district", f"same district {a.district} ({a.full or a.sector or a.district} / {b.full or b.sector or b.district})")
    if a.area == b.area:
        return PostcodeComparison("area", f"same area {a.area} only ({a.full or a.district} / {b.full or b.district})")
    return PostcodeComparison("differ", f"different places ({a.full or a.district} / {b.full or b.district})")


# ------------------------------------------------------------------ address lines

_ABBREVIATIONS = {
    "road": "rd", "street": "st", "avenue": "ave", "av": "ave", "lane": "ln", "drive": "dr",
    "court": "ct", "close": "cl", "gardens": "gdns", "place": "pl", "crescent": "cres",
    "terrace": "ter", "square": "sq", "grove": "gr", "house": "ho", "flat": "flat", "apartment": "flat",
    "apt": "flat", "north": "n", "south": "s", "east": "e", "west": "w", "saint": "st", "mount": "mt",
}


@functools.lru_cache(maxsize=200_000)
def normalise_address(line: str) -> tuple[str, ...]:
    """An address line as comparable words: lower case, no punctuation, usual abbreviations
    ("12 Rye Lane" = "12, Rye Ln"; "Flat 3, 12 Rye Ln" = "3/12 Rye Lane" keeps both numbers)."""
    words = re.sub(r"[^a-z0-9]+", " ", (line or "").lower()).split()
    return tuple(_ABBREVIATIONS.get(w, w) for w in words)


@dataclass(frozen=True, slots=True)
class AddressComparison:
    detail: str  # exact, close, differ, missing
    reason: str

    @property
    def outcome(self) -> str:
        return {"exact": "agree"}.get(self.detail, self.detail)


_ADDRESS_MISSING = AddressComparison("missing", "not known on one record")
_ADDRESS_EXACT = AddressComparison("exact", "same address")
_ADDRESS_CLOSE = AddressComparison("close", "same house number, street spelt alike")
_ADDRESS_DIFFER = AddressComparison("differ", "different address")


def compare_addresses(a: tuple[str, ...], b: tuple[str, ...]) -> AddressComparison:
    """Compare two normalised address lines.

    1. Either empty → missing.  2. Equal → exact.
    3. The same house numbers and a street spelt alike (Jaro–Winkler ≥ 0.88) → close.
    4. Anything else → differ (including the same street, another house: a neighbour).
    """
    if not a or not b:
        return _ADDRESS_MISSING
    if a == b:
        return _ADDRESS_EXACT
    numbers_a, street_a = _address_parts(a)
    numbers_b, street_b = _address_parts(b)
    if numbers_a == numbers_b and street_a and street_b and jaro_winkler(street_a, street_b) >= 0.88:
        return _ADDRESS_CLOSE
    return _ADDRESS_DIFFER


@functools.lru_cache(maxsize=200_000)
def _address_parts(words: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The house and flat numbers, and the rest of the line (the street)."""
    numbers = tuple(w for w in words if any(c.isdigit() for c in w))
    return numbers, " ".join(w for w in words if w not in numbers)
