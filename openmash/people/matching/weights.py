"""Fellegi–Sunter weights: for each field and each kind of (dis)agreement, how likely it is among
pairs that are the same person (m) and among pairs that are not (u). The weight is log2(m / u).

Two sets of u-probabilities are given for the identity fields (given name, family name, date of
birth, sex): among pairs of people **apart** (any two people in the index) and among pairs
**together** — two records at the same address. Fellegi–Sunter assumes the fields disagree
independently; within a household they do not: a twin shares the surname, the address *and* the
date of birth. So once two records share an address, those fields are weighed as they are between
members of one family: agreeing on a surname says almost nothing (most of the household shares it),
agreeing on a date of birth says less (twins), and two different given names say "different
people" as loudly as ever. The address itself is weighed given the postcode (a postcode holds ~15
households). This is what keeps twins and siblings apart while matching the same child at the
same address strongly.

The numbers are set by hand from published rates and common sense (ONS name frequencies for the
surname and given-name u; ~30,000 dates of birth in the index for dob u; the ~1.7 million postcodes
for postcode u; twin births ~1.5 % for dob u within a household; what clerical review of
safeguarding records finds for m). They are meant to be re-estimated from labelled pairs made by the
generator with a training seed (see the ADR); never from the measuring queries.
"""

import math

# field → detail → (m_apart, u_apart, m_together, u_together). "missing" always weighs 0.
TABLE: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "given_name": {
        "exact": (0.86, 0.006, 0.86, 0.01),
        "variant": (0.05, 0.002, 0.05, 0.005),
        # Families reuse names: a sibling's middle name is another's first name, or spelt alike.
        "middle": (0.02, 0.001, 0.02, 0.05),
        "typo": (0.03, 0.002, 0.03, 0.01),
        # m and u both include "one record holds only an initial" (~4 % of records); the initial then
        # fits ~7 % of strangers and ~15 % of a household (siblings often share a first letter).
        "initial": (0.04, 0.0028, 0.04, 0.006),
        "swapped": (0.01, 0.00002, 0.01, 0.0002),
        "differ": (0.005, 0.92, 0.005, 0.98),
    },
    "family_name": {
        "exact": (0.88, 0.004, 0.88, 0.6),
        "other": (0.05, 0.001, 0.05, 0.03),  # a mother's previous name is often her children's
        "part": (0.04, 0.0005, 0.04, 0.1),
        "typo": (0.03, 0.002, 0.03, 0.05),
        "swapped": (0.88, 0.004, 0.88, 0.6),  # the surname agrees, in the other field: the swap is weighed on the given name
        "differ": (0.04, 0.99, 0.04, 0.3),
    },
    "date_of_birth": {
        "exact": (0.9, 0.000033, 0.9, 0.03),
        # Within a household: siblings are born years apart on other days, so a date one slip away
        # from another member's is rare (about 1 in 300 to 1 in 1,000 household pairs).
        "swapped": (0.02, 0.00003, 0.02, 0.001),
        "one_day": (0.01, 0.00007, 0.01, 0.001),
        "digit": (0.02, 0.0013, 0.02, 0.003),
        "transposed": (0.005, 0.0002, 0.005, 0.001),
        "year_one": (0.01, 0.0001, 0.01, 0.001),
        "year_ten": (0.005, 0.0001, 0.005, 0.001),
        # A generation apart (12 years or more, and not one slip): two errors in one date rarely do
        # that, while most pairs of strangers and a parent and child at one address are so.
        "generation": (0.0005, 0.7, 0.0005, 0.4),
        "differ": (0.01, 0.999, 0.01, 0.95),
    },
    "sex": {
        "exact": (0.97, 0.5, 0.97, 0.5),
        "differ": (0.01, 0.5, 0.01, 0.5),
    },
    # Postcode: the same table in both columns (the postcode is what decides "together").
    "postcode": {
        "full": (0.70, 0.0001, 0.70, 0.0001),
        "typo": (0.02, 0.001, 0.02, 0.001),
        "sector": (0.06, 0.003, 0.06, 0.003),
        "district": (0.05, 0.03, 0.05, 0.03),
        "area": (0.03, 0.15, 0.03, 0.15),
        "differ": (0.14, 0.82, 0.14, 0.82),  # families the hub sees move often
    },
    # Address line, given the postcode: "apart" = the postcodes do not agree (moved, or only the
    # sector known), "together" = the same postcode (~15 households share one). `ADDRESS_AFTER_TYPO`
    # is used when the postcodes differ by one character: the same house then all but proves that
    # the postcode was mistyped.
    "address": {
        "exact": (0.2, 0.0005, 0.85, 0.07),
        "close": (0.05, 0.0002, 0.05, 0.01),
        "differ": (0.75, 0.9993, 0.1, 0.92),
    },
    "nhs_number": {
        "exact": (0.995, 0.00000001, 0.995, 0.00000001),
        "differ": (0.005, 1.0, 0.005, 1.0),
    },
    "upn": {
        "exact": (0.99, 0.00000001, 0.99, 0.00000001),
        "differ": (0.01, 1.0, 0.01, 1.0),
    },
}

ADDRESS_AFTER_TYPO = {"exact": (0.85, 0.002), "close": (0.05, 0.001), "differ": (0.1, 0.99)}

# The chance that two records picked at random are the same person, as log2 odds: one in a million,
# the order of an index of a million people holding each person about once. A search narrows the
# field first, but the prior stays fixed so a score means the same on every page and in the batch.
PRIOR_LOG2_ODDS = math.log2(1 / 1_000_000)

# Bands on the match probability. "likely" and above is the match threshold for the duplicate finder
# and the tests (twins and siblings must stay below it); nothing is ever linked automatically.
BANDS: tuple[tuple[float, str], ...] = ((0.99, "very likely"), (0.80, "likely"), (0.20, "possible"), (0.0, "unlikely"))
MATCH_THRESHOLD = 0.80


def _weights():
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for field, details in TABLE.items():
        for detail, (m_apart, u_apart, m_together, u_together) in details.items():
            out[(field, detail)] = (math.log2(m_apart / u_apart), math.log2(m_together / u_together))
    return out


WEIGHTS = _weights()  # (field, detail) → (weight apart, weight together)
ADDRESS_AFTER_TYPO_WEIGHTS = {detail: math.log2(m / u) for detail, (m, u) in ADDRESS_AFTER_TYPO.items()}


def weight(field: str, detail: str, *, together: bool) -> float:
    if detail == "missing":
        return 0.0
    return WEIGHTS[(field, detail)][1 if together else 0]


def address_weight(detail: str, *, postcode_detail: str) -> float:
    """The address line's weight given how the postcodes compared (see `TABLE["address"]`)."""
    if detail == "missing":
        return 0.0
    if postcode_detail == "typo":
        return ADDRESS_AFTER_TYPO_WEIGHTS[detail]
    return WEIGHTS[("address", detail)][1 if postcode_detail == "full" else 0]


# Term-frequency adjustment (the duplicate finder): agreeing exactly on a rare name says more than
# agreeing on "Muhammad" or "Smith". Between records apart, an exact first given name or family name
# weighs log2(m / f), f the share of records holding that name, instead of the fixed u; never less
# than TF_MIN_U (a name held once in a million says no more than one held a hundred times), and
# never more than TF_MAX_GAIN bits above the fixed weight: at a million records, letting rare names
# weigh more (up to +6 bits) queued strangers sharing an uncommon name and a near birth date
# (training seed 6003: precision 0.913 against 0.955 with no gain, at threshold 0.5). So the
# adjustment only takes weight away from common names. The
# share is shrunk towards the fixed u as if TF_PRIOR_RECORDS more records held names at the fixed
# rate, so a handful of records (where everyone may share one surname) keeps about the fixed weights.
# Within a household the fixed weights stay: there the name is shared because the family shares it.
TF_MIN_U = 0.0001
TF_PRIOR_RECORDS = 10_000
TF_MAX_GAIN = 0.0


class NameFrequencies:
    """How common each first given name and each family name is among the records being compared
    (normalised parts: `names.name_parts(given)[0]`, the family name's joined parts), and the
    term-frequency weight of an exact agreement on each. A name not in the table keeps the fixed
    weight."""

    __slots__ = ("given", "family", "total")

    def __init__(self, given: dict[str, int], family: dict[str, int], total: int):
        self.given, self.family, self.total = given, family, max(total, 1)

    def _weight(self, field: str, count: int | None) -> float | None:
        if not count:
            return None
        m, u = TABLE[field]["exact"][:2]
        share = (count + TF_PRIOR_RECORDS * u) / (self.total + TF_PRIOR_RECORDS)
        return min(math.log2(m / max(share, TF_MIN_U)), math.log2(m / u) + TF_MAX_GAIN)

    def given_weight(self, name: str) -> float | None:
        return self._weight("given_name", self.given.get(name))

    def family_weight(self, joined: str) -> float | None:
        return self._weight("family_name", self.family.get(joined))


def band(probability: float) -> str:
    for floor, name in BANDS:
        if probability >= floor:
            return name
    return BANDS[-1][1]
