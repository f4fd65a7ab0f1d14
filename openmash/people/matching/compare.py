"""Compare two person records field by field, with a calibrated, explainable score.

`compare(a, b)` returns, for given name, family name, date of birth, sex, postcode, address, NHS
number and UPN, an outcome (agree / close / differ / missing), the detail (exact, variant, swapped…),
a short reason a practitioner can read ("Bill is a short form of William", "day and month swapped")
and the field's Fellegi–Sunter weight (weights.py). The score is the prior plus the weights, in log2
odds; the probability and the band follow from it.

Records are plain dataclasses (`PersonRecord`); `prepare()` does the normalising once per record, so
a search scoring hundreds of candidates, or the duplicate finder scoring millions of pairs, pays for
it once.
"""

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

from openmash.people.identifiers import clean_nhs_number, clean_upn
from openmash.people.matching import weights as W
from openmash.people.matching.dates import compare_dates_of_birth
from openmash.people.matching.names import (
    NameSimilarity,
    family_similarity,
    given_similarity,
    name_parts,
    significant_parts,
)
from openmash.people.matching.postcodes import (
    Postcode,
    compare_addresses,
    compare_postcodes,
    normalise_address,
    parse_postcode,
)

OUTCOMES = ("agree", "close", "differ", "missing")


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What one record says about a person. Everything optional; identifiers as typed."""

    given_name: str = ""
    family_name: str = ""
    other_names: tuple[tuple[str, str], ...] = ()  # (given, family): aliases, previous names
    date_of_birth: dt.date | None = None
    sex: str = ""  # M, F; anything else is "not known"
    postcode: str = ""
    address_line: str = ""
    nhs_number: str = ""
    upn: str = ""


@dataclass(frozen=True, slots=True)
class FamilyName:
    parts: tuple[str, ...]
    significant: tuple[str, ...]
    joined: str
    is_other: bool  # an alias or previous name rather than the record's own


@dataclass(slots=True)
class Prepared:
    """A record normalised for comparison (see `prepare`)."""

    record: PersonRecord
    given: tuple[str, ...]  # parts of the given name: first name, then middle names
    other_given: tuple[str, ...]  # first parts of other names' given names
    family: tuple[FamilyName, ...]  # the record's family name first, then other names'
    dob: dt.date | None
    sex: str
    postcode: Postcode | None
    address: tuple[str, ...]
    nhs_number: str
    upn: str
    notes: list[str] = field(default_factory=list)  # identifiers ignored, and why


def _valid(cleaner, value: str) -> tuple[str, str]:
    try:
        return cleaner(value), ""
    except ValueError:
        return "", "check digit not valid, ignored"


def _family_name(value: str, is_other: bool) -> FamilyName | None:
    parts = name_parts(value, family=True)
    if not parts:
        return None
    return FamilyName(parts, significant_parts(parts), "".join(parts), is_other)


def prepare(record: PersonRecord) -> Prepared:
    """Normalise a record once: name parts, parsed postcode, address words, valid identifiers only
    (an NHS number or UPN whose check digit fails counts as missing, with a note saying so)."""
    family = [f for f in (_family_name(record.family_name, False),) if f]
    other_given = []
    for given, fam in record.other_names:
        parts = name_parts(given)
        if parts:
            other_given.append(parts[0])
        other = _family_name(fam, True)
        if other and all(other.joined != f.joined for f in family):
            family.append(other)
    nhs, nhs_note = _valid(clean_nhs_number, record.nhs_number)
    upn, upn_note = _valid(clean_upn, record.upn)
    sex = record.sex if record.sex in ("M", "F") else ""
    return Prepared(
        record=record,
        given=name_parts(record.given_name),
        other_given=tuple(other_given),
        family=tuple(family),
        dob=record.date_of_birth,
        sex=sex,
        postcode=parse_postcode(record.postcode),
        address=normalise_address(record.address_line),
        nhs_number=nhs,
        upn=upn,
        notes=[n for n in (nhs_note and f"NHS number {nhs_note}", upn_note and f"UPN {upn_note}") if n],
    )


@dataclass(frozen=True, slots=True)
class FieldOutcome:
    field: str
    outcome: str  # agree, close, differ, missing
    detail: str
    reason: str
    weight: float


@dataclass(frozen=True, slots=True)
class Comparison:
    fields: tuple[FieldOutcome, ...]
    score: float  # log2 odds that the two records are the same person (prior included)
    probability: float
    band: str
    together: bool  # the records share an address: identity fields weighed as within a household

    def field(self, name: str) -> FieldOutcome:
        return next(f for f in self.fields if f.field == name)

    @property
    def is_match(self) -> bool:
        return self.probability >= W.MATCH_THRESHOLD


# ------------------------------------------------------------------ names

_GIVEN_RANK = {"exact": 6, "variant": 5, "middle": 4, "typo": 3, "initial": 2, "differ": 0}
_GIVEN_OUTCOME = {"exact": "agree", "variant": "close", "middle": "close", "typo": "close", "initial": "close",
                  "swapped": "close", "differ": "differ", "missing": "missing"}
_FAMILY_OUTCOME = {"exact": "agree", "other": "agree", "part": "close", "typo": "close", "swapped": "close",
                   "differ": "differ", "missing": "missing"}


def _given(a: Prepared, b: Prepared) -> NameSimilarity:
    """1. First names compared (exact, variant, typo, initial).
    2. Failing exact: the first names against the other's aliases.
    3. Failing a variant: middle names that agree exactly, or with a variant → middle."""
    if not a.given and not a.other_given or not b.given and not b.other_given:
        return NameSimilarity("missing", "not known on one record")
    best = given_similarity(a.given[0], b.given[0]) if a.given and b.given else NameSimilarity("differ", "")
    if best.detail == "exact":
        return best
    firsts_a = a.given[:1] + a.other_given
    firsts_b = b.given[:1] + b.other_given
    for x in firsts_a:
        for y in firsts_b:
            if a.given and b.given and (x, y) == (a.given[0], b.given[0]):
                continue  # compared above
            sim = given_similarity(x, y)
            if _GIVEN_RANK[sim.detail] > _GIVEN_RANK[best.detail]:
                reason = f"{sim.reason} (another name on record)" if sim.detail != "exact" else f"{x.title()} is another name on record"
                best = NameSimilarity(sim.detail, reason)
    if _GIVEN_RANK[best.detail] >= _GIVEN_RANK["variant"]:
        return best
    for x in a.given:
        for y in b.given:
            if len(x) > 1 and len(y) > 1 and (x, y) != (a.given[0], b.given[0]):
                sim = given_similarity(x, y)
                if sim.detail in ("exact", "variant") and _GIVEN_RANK["middle"] > _GIVEN_RANK[best.detail]:
                    best = NameSimilarity("middle", f"{x.title()} / {y.title()} is a middle name on one record")
    if best.detail == "differ" and not best.reason:
        return NameSimilarity("differ", "different names")
    return best


@functools.lru_cache(maxsize=500_000)
def _family_pair(x: FamilyName, y: FamilyName) -> NameSimilarity:
    if x.joined == y.joined:
        if x.is_other or y.is_other:
            return NameSimilarity("other", f"{' '.join(x.parts).title()} is another or previous name on record")
        return NameSimilarity("exact", f"{' '.join(x.parts).title()} on both")
    shared = set(x.significant) & set(y.significant)
    if shared:
        longer, shorter = (x, y) if len(x.parts) >= len(y.parts) else (y, x)
        return NameSimilarity("part", f"{' '.join(shorter.parts).title()} is part of {'-'.join(longer.parts).title()}")
    sim = family_similarity(x.joined, y.joined)
    if sim.detail == "typo":
        return sim
    for p in x.significant:
        for q in y.significant:
            if family_similarity(p, q).detail == "typo":
                return NameSimilarity("typo", f"{p.title()} and {q.title()} are spelt alike")
    return NameSimilarity("differ", f"{x.joined.title()} and {y.joined.title()} are different names")


_FAMILY_RANK = {"exact": 5, "other": 4, "part": 3, "typo": 2, "differ": 0}


def _family(a: Prepared, b: Prepared) -> NameSimilarity:
    if not a.family or not b.family:
        return NameSimilarity("missing", "not known on one record")
    best = _family_pair(a.family[0], b.family[0])
    if best.detail == "exact":
        return best
    for x in a.family:
        for y in b.family:
            sim = _family_pair(x, y)
            if _FAMILY_RANK[sim.detail] > _FAMILY_RANK[best.detail]:
                best = sim
    return best


def _swapped(a: Prepared, b: Prepared) -> bool:
    """Is a's given name b's family name and the other way round (each exactly or spelt alike)?"""
    if not (a.given and b.given and a.family and b.family):
        return False
    return _fits(a.given[0], b.family[0].significant) and _fits(b.given[0], a.family[0].significant)


@functools.lru_cache(maxsize=500_000)
def _fits(given: str, family_parts: tuple[str, ...]) -> bool:
    return any(family_similarity(given, part).detail in ("exact", "typo") for part in family_parts)


# ------------------------------------------------------------------ the comparison


def _outcome(field_name: str, outcome: str, detail: str, reason: str, together: bool) -> FieldOutcome:
    return FieldOutcome(field_name, outcome, detail, reason, W.weight(field_name, detail, together=together))


def compare(a: PersonRecord | Prepared, b: PersonRecord | Prepared, *, prior: float = W.PRIOR_LOG2_ODDS,
            frequencies: W.NameFrequencies | None = None) -> Comparison:
    """Compare two records.

    1. Postcode, then the address given the postcode.
    2. Together (the same house: see below) decides which u-probabilities weigh the identity fields
       (weights.py).
    3. Given and family names compared directly and swapped; the swapped reading is taken only when
       both names fit crosswise and it weighs more than the direct one.
    4. Date of birth, sex, NHS number, UPN (valid ones only).
    5. Score = prior + Σ weights; probability = 1 / (1 + 2^−score); band from the probability.

    With `frequencies` (the duplicate finder's, from the records it compares), an exact first given
    name or family name between records apart weighs by how common that name is
    (`weights.NameFrequencies`); without, the fixed weights of weights.py.
    """
    pa = a if isinstance(a, Prepared) else prepare(a)
    pb = b if isinstance(b, Prepared) else prepare(b)

    pc = compare_postcodes(pa.postcode, pb.postcode)
    addr = compare_addresses(pa.address, pb.address)
    # The same house: the same postcode with no address line to contradict it, or the same address
    # line with a postcode that does not contradict it (one character off, only the sector or
    # district known on one record, or none).
    together = (pc.detail == "full" and addr.detail != "differ") or (
        addr.detail in ("exact", "close") and pc.detail in ("full", "typo", "sector", "district", "missing")
    )

    given = _given(pa, pb)
    family = _family(pa, pb)
    given_out = _outcome("given_name", _GIVEN_OUTCOME[given.detail], given.detail, given.reason, together)
    family_out = _outcome("family_name", _FAMILY_OUTCOME[family.detail], family.detail, family.reason, together)
    if frequencies is not None and not together:
        given_out, family_out = _name_frequency(frequencies, pa, pb, given_out, family_out)
    if (given.detail not in ("exact", "missing") or family.detail not in ("exact", "other")) and _swapped(pa, pb):
        reason = (
            f"given and family names swapped ({' '.join(pa.given).title()} {pa.family[0].joined.title()} / "
            f"{' '.join(pb.given).title()} {pb.family[0].joined.title()})"
        )
        sw_given = _outcome("given_name", "close", "swapped", reason, together)
        sw_family = _outcome("family_name", "close", "swapped", reason, together)
        if sw_given.weight + sw_family.weight > given_out.weight + family_out.weight:
            given_out, family_out = sw_given, sw_family

    dob = compare_dates_of_birth(pa.dob, pb.dob)
    if not pa.sex or not pb.sex:
        sex = ("missing", "missing", "not known on one record")
    elif pa.sex == pb.sex:
        sex = ("agree", "exact", f"{'male' if pa.sex == 'M' else 'female'} on both")
    else:
        sex = ("differ", "differ", "male on one record, female on the other")

    fields = [
        given_out,
        family_out,
        _outcome("date_of_birth", dob.outcome, dob.detail, dob.reason, together),
        _outcome("sex", sex[0], sex[1], sex[2], together),
        _outcome("postcode", pc.outcome, pc.detail, pc.reason, together),
        FieldOutcome("address", addr.outcome, addr.detail, addr.reason, W.address_weight(addr.detail, postcode_detail=pc.detail)),
        _identifier("nhs_number", pa.nhs_number, pb.nhs_number, pa, pb),
        _identifier("upn", pa.upn, pb.upn, pa, pb),
    ]
    score = prior + sum(f.weight for f in fields)
    probability = _probability(score)
    return Comparison(tuple(fields), score, probability, W.band(probability), together)


def _name_frequency(frequencies: W.NameFrequencies, pa: Prepared, pb: Prepared, given_out: FieldOutcome,
                    family_out: FieldOutcome) -> tuple[FieldOutcome, FieldOutcome]:
    """The exact first given name and the exact family name weighed by how common they are."""
    if given_out.detail == "exact" and pa.given and pb.given and pa.given[0] == pb.given[0]:
        w = frequencies.given_weight(pa.given[0])
        if w is not None:
            given_out = FieldOutcome(given_out.field, given_out.outcome, given_out.detail, given_out.reason, w)
    if family_out.detail == "exact" and pa.family and pb.family and pa.family[0].joined == pb.family[0].joined:
        w = frequencies.family_weight(pa.family[0].joined)
        if w is not None:
            family_out = FieldOutcome(family_out.field, family_out.outcome, family_out.detail, family_out.reason, w)
    return given_out, family_out


def _identifier(name: str, x: str, y: str, pa: Prepared, pb: Prepared) -> FieldOutcome:
    label = "NHS number" if name == "nhs_number" else "UPN"
    if not x or not y:
        ignored = [n for n in pa.notes + pb.notes if n.startswith(label)]
        return FieldOutcome(name, "missing", "missing", ignored[0] if ignored else "not known on one record", 0.0)
    if x == y:
        return _outcome(name, "agree", "exact", f"same {label}", False)
    return _outcome(name, "differ", "differ", f"different {label}s", False)


def _probability(score: float) -> float:
    if score > 60:
        return 1.0
    if score < -60:
        return 0.0
    return 1.0 / (1.0 + math.pow(2.0, -score))
