"""Names for matching: normalise, split into parts, know short forms and spellings, sound alike.

Nothing here is for display. Every function is pure and cheap; the hot ones are cached, because a
search or the duplicate finder sees the same few thousand names millions of times.
"""

import functools
from dataclasses import dataclass

import jellyfish

from openmash.people.identifiers import normalise_name
from openmash.people.matching.variant_data import COMMON_GIVEN_NAMES, DIMINUTIVES, SPELLINGS

# Family-name particles: kept in the whole name ("al hassan"), ignored when comparing parts, so
# Al-Hassan and Hassan share a part and a blocking key.
PARTICLES = frozenset(
    "al el de da di du del della la le van von der den ten ter bin ibn ben abu bint st saint".split()
)
# Written apart or with an apostrophe, these belong to the next part: O'Brien = O Brien = OBrien.
_JOIN_PREFIXES = frozenset({"o", "d", "mac", "mc", "fitz"})


@functools.lru_cache(maxsize=200_000)
def name_parts(value: str, *, family: bool = False) -> tuple[str, ...]:
    """The parts of a name, normalised: lower case, accents and punctuation gone, hyphens split.

    Family names also get the British and Irish prefixes put back together ("O Brien", "O'Brien" →
    "obrien"; "Mac Donald" → "macdonald") and "Mc" spelt "Mac" (McDonald = MacDonald), so the
    spellings of one surname have the same parts. `Smith-Ali` and `Smith Ali` are both
    ("smith", "ali").
    """
    parts = normalise_name(value).replace("-", " ").split()
    if not family:
        return tuple(parts)
    out = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in _JOIN_PREFIXES and i + 1 < len(parts):
            part += parts[i + 1]
            i += 1
        if part.startswith("mc") and len(part) > 3:
            part = "mac" + part[2:]
        out.append(part)
        i += 1
    return tuple(out)


def significant_parts(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Family-name parts without particles (al, van, de…), unless the name is nothing else."""
    kept = tuple(p for p in parts if p not in PARTICLES)
    return kept or parts


# ------------------------------------------------------------------ variants (short forms, spellings)


def _parse_variants():
    spelling_head: dict[str, str] = {}
    for line in SPELLINGS.strip().splitlines():
        names = line.lstrip("= ").split()
        for name in names:
            if spelling_head.get(name, names[0]) != names[0]:
                raise ValueError(f"{name} is in two spelling groups")
            spelling_head[name] = names[0]
    roots: dict[str, set[str]] = {}  # spelling head → the full names it is a form of
    full_names: set[str] = set()
    for line in DIMINUTIVES.strip().splitlines():
        full, _, shorts = line.partition(":")
        full = spelling_head.get(full.strip(), full.strip())
        full_names.add(full)
        roots.setdefault(full, set()).add(full)
        for short in shorts.split():
            roots.setdefault(spelling_head.get(short, short), set()).add(full)
    return spelling_head, {k: frozenset(v) for k, v in roots.items()}, frozenset(full_names)


_SPELLING_HEAD, _ROOTS, _FULL_NAMES = _parse_variants()
VARIANT_GROUP_COUNT = len(set(_SPELLING_HEAD.values())) + len(_FULL_NAMES)
# Every name the table knows. Two *known* names one letter apart (Ava / Eva, Jon / Joan) are two
# names, not a typing slip: see `given_similarity`.
KNOWN_GIVEN_NAMES = frozenset(_SPELLING_HEAD) | frozenset(_ROOTS) | frozenset(COMMON_GIVEN_NAMES.split())


def spelling_head(token: str) -> str:
    return _SPELLING_HEAD.get(token, token)


def canonical_names(token: str) -> tuple[str, ...]:
    """The full names a given-name part stands for: Bill → (william,), Alex → (alexander,
    alexandra, alexis), Jaden → (jayden,), an unknown name → itself. Sorted, so keys are stable."""
    head = spelling_head(token)
    return tuple(sorted(_ROOTS.get(head, (head,))))


def variant_reason(a: str, b: str) -> str | None:
    """Why two given-name parts are the same name, in words; None when they are not.

    "Bill is a short form of William", "Bill and Will are both short forms of William",
    "Jaden and Jayden are spellings of the same name"."""
    if a == b:
        return None
    ha, hb = spelling_head(a), spelling_head(b)
    if ha == hb:
        return f"{a.title()} and {b.title()} are spellings of the same name"
    roots_a, roots_b = _ROOTS.get(ha, frozenset()), _ROOTS.get(hb, frozenset())
    if hb in _FULL_NAMES and hb in roots_a:
        return f"{a.title()} is a short form of {b.title()}"
    if ha in _FULL_NAMES and ha in roots_b:
        return f"{b.title()} is a short form of {a.title()}"
    shared = sorted(roots_a & roots_b)
    if shared:
        return f"{a.title()} and {b.title()} are both short forms of {shared[0].title()}"
    return None


# ------------------------------------------------------------------ sound and spelling


@functools.lru_cache(maxsize=200_000)
def phonetic(token: str) -> str:
    """Metaphone of one name part (Smith = Smyth = SM0; Jayden = Jaden = JTN; Mohammed = Muhammad).

    Chosen over NYSIIS and Soundex after trying them on British surnames and the spellings in the
    variant table: Soundex keeps the first letter (Catherine ≠ Kathryn), NYSIIS keeps vowels (Smith
    ≠ Smyth). A part in another script has no English sound: it stands for itself."""
    if not token.isascii():
        return token
    return jellyfish.metaphone(token) or token.upper()


def jaro_winkler(a: str, b: str) -> float:
    return jellyfish.jaro_winkler_similarity(a, b)


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein: a transposition (Jonh / John) is one slip, as a person types it."""
    return jellyfish.damerau_levenshtein_distance(a, b)


def looks_like_typo(a: str, b: str) -> bool:
    """One slip of the keyboard: one letter wrong, missing, extra or two swapped (two for long
    names), or the same sound spelt close enough. Short parts need an exact edit of one."""
    if a == b or not a or not b:
        return False
    shortest = min(len(a), len(b))
    if shortest < 3:
        return False
    distance = edit_distance(a, b)
    if distance == 1:
        # Three letters leave too little to tell a slip from another name (Lan / Yan): the sound
        # must agree as well.
        return shortest > 3 or phonetic(a) == phonetic(b)
    if distance == 2 and shortest >= 7:
        return jaro_winkler(a, b) >= 0.9
    return phonetic(a) == phonetic(b) and jaro_winkler(a, b) >= 0.8


@dataclass(frozen=True, slots=True)
class NameSimilarity:
    """How two name parts relate: `detail` is one of exact, variant, typo, initial, differ."""

    detail: str
    reason: str


@functools.lru_cache(maxsize=500_000)
def given_similarity(a: str, b: str) -> NameSimilarity:
    """Compare two given-name parts.

    1. Equal → exact.
    2. In the variant table together (Bill / William, Jaden / Jayden) → variant.
    3. One is an initial (a single letter) → initial if it is the other's first letter, else differ.
    4. Two names that the variant table knows as *different* names (Ava / Eva, Alexander /
       Alexandra) → differ, however close the spelling: siblings and twins get names like these.
    5. A typing slip or the same sound (Jonh / John, Aleksander / Alexsander) → typo.
    6. Anything else → differ.
    """
    if a == b:
        return NameSimilarity("exact", f"{a.title()} on both")
    reason = variant_reason(a, b)
    if reason:
        return NameSimilarity("variant", reason)
    if len(a) == 1 or len(b) == 1:
        if a[0] == b[0]:
            return NameSimilarity("initial", f"initial {a[0].upper()} fits {max(a, b, key=len).title()}")
        return NameSimilarity("differ", f"initial {min(a, b, key=len).upper()} does not fit {max(a, b, key=len).title()}")
    if a in KNOWN_GIVEN_NAMES and b in KNOWN_GIVEN_NAMES:
        return NameSimilarity("differ", f"{a.title()} and {b.title()} are different names")
    if looks_like_typo(a, b):
        return NameSimilarity("typo", f"{a.title()} and {b.title()} are spelt alike")
    return NameSimilarity("differ", f"{a.title()} and {b.title()} are different names")


@functools.lru_cache(maxsize=500_000)
def family_similarity(a: str, b: str) -> NameSimilarity:
    """Compare two family-name parts: exact, typo (a slip or the same sound: Smith / Smyth,
    Thompson / Thomson), or differ. Surnames have no variant table; the phonetic key does that work."""
    if a == b:
        return NameSimilarity("exact", f"{a.title()} on both")
    if looks_like_typo(a, b) or (len(a) >= 4 and len(b) >= 4 and jaro_winkler(a, b) >= 0.93):
        return NameSimilarity("typo", f"{a.title()} and {b.title()} are spelt alike")
    return NameSimilarity("differ", f"{a.title()} and {b.title()} are different names")

