"""Names for matching: parts, the variant table, phonetic codes, similarity (people/matching/names.py)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.people.matching import names as N
from openmash.people.matching.variant_data import DIMINUTIVES, SPELLINGS


@pytest.mark.parametrize(
    ("typed", "family", "parts"),
    [
        ("Smith-Ali", True, ("smith", "ali")),
        ("Smith  Ali", True, ("smith", "ali")),
        ("O'Brien", True, ("obrien",)),
        ("O Brien", True, ("obrien",)),
        ("McDonald", True, ("macdonald",)),
        ("Mac Donald", True, ("macdonald",)),
        ("MacDonald", True, ("macdonald",)),
        ("D'Souza", True, ("dsouza",)),
        ("Wiśniewski", True, ("wisniewski",)),
        ("Al-Hassan", True, ("al", "hassan")),
        ("Mary-Jane", False, ("mary", "jane")),
        ("  ZOË  ", False, ("zoe",)),
        ("", False, ()),
    ],
)
def test_name_parts(typed, family, parts):
    assert N.name_parts(typed, family=family) == parts


def test_particles_are_not_significant_unless_alone():
    assert N.significant_parts(("al", "hassan")) == ("hassan",)
    assert N.significant_parts(("van", "der", "berg")) == ("berg",)
    assert N.significant_parts(("le",)) == ("le",)


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("bill", "william", "Bill is a short form of William"),
        ("william", "will", "Will is a short form of William"),
        ("liam", "william", "Liam is a short form of William"),
        ("will", "bill", "Will and Bill are both short forms of William"),
        ("beth", "elizabeth", "Beth is a short form of Elizabeth"),
        ("liz", "elizabeth", "Liz is a short form of Elizabeth"),
        ("lizzie", "elizabeth", "Lizzie is a short form of Elizabeth"),
        ("eliza", "elizabeth", "Eliza is a short form of Elizabeth"),
        ("maggie", "margaret", "Maggie is a short form of Margaret"),
        ("peggy", "margaret", "Peggy is a short form of Margaret"),
        ("bob", "robert", "Bob is a short form of Robert"),
        ("rob", "robert", "Rob is a short form of Robert"),
        ("jaden", "jayden", "Jaden and Jayden are spellings of the same name"),
        ("jaiden", "jaden", "Jaiden and Jaden are spellings of the same name"),
        ("kate", "kathryn", "Kate is a short form of Kathryn"),  # via the Catherine spellings
        ("mohammed", "muhammad", "Mohammed and Muhammad are spellings of the same name"),
        ("kasia", "katarzyna", "Kasia is a short form of Katarzyna"),
        ("seun", "oluwaseun", "Seun is a short form of Oluwaseun"),
    ],
)
def test_variants_say_why(a, b, reason):
    assert N.variant_reason(a, b) == reason
    assert N.given_similarity(a, b).detail == "variant"


@pytest.mark.parametrize(("a", "b"), [("alexander", "alexandra"), ("daniel", "danielle"), ("george", "georgia"), ("john", "jane")])
def test_names_sharing_a_short_form_are_not_variants_of_each_other(a, b):
    """Alex is short for both, but a boy Alexander and his twin sister Alexandra are two people."""
    assert N.variant_reason(a, b) is None
    assert N.given_similarity(a, b).detail == "differ"


def test_a_short_form_of_several_names_stands_for_each():
    assert N.canonical_names("alex") == ("alexander", "alexandra", "alexis")
    assert N.canonical_names("bill") == ("william",)
    assert N.canonical_names("jaiden") == ("jayden",)
    assert N.canonical_names("zebedee") == ("zebedee",)


def test_the_table_is_large_and_consistent():
    assert N.VARIANT_GROUP_COUNT >= 300
    spellings = [line.lstrip("= ").split() for line in SPELLINGS.strip().splitlines()]
    seen = [name for group in spellings for name in group]
    assert len(seen) == len(set(seen)), "a name is in two spelling groups"
    for line in DIMINUTIVES.strip().splitlines():
        full, _, shorts = line.partition(":")
        assert full.strip() and shorts.split(), line
        assert all(name == name.lower() and name.isalpha() for name in [full.strip(), *shorts.split()]), line


@pytest.mark.parametrize(
    ("a", "b", "detail"),
    [
        ("john", "john", "exact"),
        ("jonh", "john", "typo"),  # two letters swapped
        ("jon", "joan", "differ"),  # two real names, not a slip
        ("ava", "eva", "differ"),
        ("isla", "ella", "differ"),
        ("aleksander", "alexsander", "typo"),
        ("oluwaseunn", "oluwaseun", "typo"),
        ("lan", "yan", "differ"),  # three letters: the sound must agree too
        ("j", "john", "initial"),
        ("j", "mary", "differ"),
        ("mary", "susan", "differ"),
    ],
)
def test_given_similarity(a, b, detail):
    assert N.given_similarity(a, b).detail == detail
    assert N.given_similarity(b, a).detail == detail


@pytest.mark.parametrize(
    ("a", "b", "detail"),
    [("smith", "smith", "exact"), ("smith", "smyth", "typo"), ("thompson", "thomson", "typo"), ("smith", "jones", "differ"),
     ("harris", "harcis", "typo"), ("khan", "kahn", "typo")],
)
def test_family_similarity(a, b, detail):
    assert N.family_similarity(a, b).detail == detail


def test_phonetic_codes():
    assert N.phonetic("smith") == N.phonetic("smyth")
    assert N.phonetic("jayden") == N.phonetic("jaden") == N.phonetic("jaiden")
    assert N.phonetic("catherine") == N.phonetic("kathryn")
    assert N.phonetic("mohammed") == N.phonetic("muhammad")
    assert N.phonetic("иван") == "иван"  # another script stands for itself


names = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=10)
known = st.sampled_from(sorted(N.KNOWN_GIVEN_NAMES))


@settings(deadline=None, max_examples=300)
@given(a=st.one_of(names, known), b=st.one_of(names, known))
def test_similarity_is_symmetric(a, b):
    assert N.given_similarity(a, b).detail == N.given_similarity(b, a).detail
    assert N.family_similarity(a, b).detail == N.family_similarity(b, a).detail


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=30))
def test_name_parts_are_stable(value):
    for family in (False, True):
        parts = N.name_parts(value, family=family)
        assert N.name_parts(" ".join(parts), family=family) == parts
        assert all(p and " " not in p and "-" not in p for p in parts)
