"""The duplicate finder (issue 5): the batch engine scores as compare() does, and the command queues
the right pairs, once, never a twin, a father of the same name or a pair marked "not the same"."""

import datetime as dt
import itertools
import random

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from openmash.people.duplicates import find_duplicate_pairs
from openmash.people.duplicates import batch
from openmash.people.duplicates.finder import find_duplicates
from openmash.people.generator import generate_population
from openmash.people.matching import weights as W
from openmash.people.matching.compare import PersonRecord, compare
from openmash.people.matching.keys import SEARCH_ONLY_KINDS, blocking_keys
from openmash.people.matching.names import edit_distance, name_parts
from openmash.people.models import Address, DuplicatePair, Person, PersonName

SEED = 43  # a training seed (docs/adr/0012-person-matching.md)


@pytest.fixture(scope="module")
def population():
    return [g.record for g in generate_population(3_000, SEED)]


# ------------------------------------------------------------------ the engine, no database


def test_candidate_pairs_cover_every_pair_sharing_a_blocking_key(population):
    """The array keys find at least every pair the string keys of keys.py find (search-only kinds
    and the kinds the batch skips left out; an initial's kind only where one record has an initial
    for a first name; family name + postcode only where one record has an initial or no date of
    birth)."""
    cols = batch.Columns.from_records(population)
    found = set(batch.candidate_pairs(cols).tolist())
    blocks: dict[str, list[int]] = {}
    for i, record in enumerate(population):
        for key in blocking_keys(record):
            if key.split(":")[0] not in SEARCH_ONLY_KINDS + batch.BATCH_SKIP_KINDS:
                blocks.setdefault(key, []).append(i)

    def initial(i):
        parts = name_parts(population[i].given_name)
        return bool(parts) and len(parts[0]) == 1

    def no_dob(i):
        return population[i].date_of_birth is None

    def kept(kind, i, j):
        if kind in batch.BATCH_INITIAL_ONLY_KINDS:
            return initial(i) or initial(j)
        if kind in batch.BATCH_INITIAL_OR_NO_DOB_KINDS:
            return initial(i) or initial(j) or no_dob(i) or no_dob(j)
        return True

    expected = {i * len(population) + j for key, members in blocks.items()
                for i, j in itertools.combinations(sorted(set(members)), 2)
                if kept(key.split(":")[0], i, j)}
    narrowed = batch.BATCH_INITIAL_ONLY_KINDS + batch.BATCH_INITIAL_OR_NO_DOB_KINDS
    assert any(key.split(":")[0] in narrowed for key in blocks)
    assert expected and expected <= found


def test_the_batch_leaves_out_a_household_s_family_name_pairs(population):
    """Family name + postcode pairs a household's every member with every other: the batch does
    not block on it, so two siblings at one house are not a candidate pair by that key alone."""
    sibling_a = record("Oliver", "Jones", dt.date(2012, 5, 20), postcode="SE22 8HQ", line="3 Rye Lane")
    sibling_b = record("Amelia", "Jones", dt.date(2016, 1, 9), sex="F", postcode="SE22 8HQ", line="3 Rye Lane")
    assert any(k.startswith("f:") for k in set(blocking_keys(sibling_a)) & set(blocking_keys(sibling_b)))
    assert len(batch.candidate_pairs(batch.Columns.from_records([sibling_a, sibling_b]))) == 0


@pytest.mark.parametrize("term_frequencies", [True, False])
@pytest.mark.parametrize("threshold", [0.2, 0.01])
def test_scores_are_compare_scores(population, threshold, term_frequencies):
    """Every candidate pair that compare() scores at or above the threshold is found, with the same
    score to the last bit, and nothing else is — with the same name frequencies given to both, or
    none."""
    cols = batch.Columns.from_records(population)
    codes = batch.candidate_pairs(cols)
    limit = batch.score_threshold(threshold)
    frequencies = batch.name_frequencies(cols) if term_frequencies else None
    a, b, score = batch.Scorer(cols, frequencies).score(codes, limit)
    got = dict(zip(zip(a.tolist(), b.tolist()), score.tolist()))
    n = len(population)
    expected = {}
    for code in codes.tolist():
        i, j = divmod(code, n)
        s = compare(population[i], population[j], frequencies=frequencies).score
        if s >= limit:
            expected[(i, j)] = s
    assert len(expected) > 100
    assert got == expected


def test_name_frequencies_count_first_given_names_and_own_family_names():
    records = [
        PersonRecord(given_name="Muhammad Ali", family_name="Khan"),
        PersonRecord(given_name="muhammad", family_name="Khan", other_names=(("Mo", "Begum"),)),
        PersonRecord(given_name="Zebedee", family_name="Okonkwo-Smith"),
        PersonRecord(given_name="", family_name=""),
    ]
    freq = batch.name_frequencies(batch.Columns.from_records(records))
    assert freq.total == 4
    assert freq.given == {"muhammad": 2, "zebedee": 1}
    assert freq.family == {"khan": 2, "okonkwosmith": 1}


def test_a_common_shared_name_weighs_less_apart_but_not_at_one_house(population):
    """Term frequencies: between records apart, agreeing on the commonest name says less than the
    fixed weight, and a rare name no more than it (weights.TF_MAX_GAIN); at one house (a family
    shares its names) and without frequencies, the fixed weights. A handful of records keeps about
    the fixed weights."""
    rare = record("Zebedee", "Okonkwo", dt.date(2001, 2, 3), postcode="N1 1AA", line="1 Low Road")
    rare_moved = record("Zebedee", "Okonkwo", dt.date(2001, 2, 3), postcode="SW1 2BB", line="9 New Road")
    many = population * 5  # 15,000 records: enough to outweigh the prior share
    freq = batch.name_frequencies(batch.Columns.from_records(many + [rare, rare_moved]))
    given = max(freq.given, key=freq.given.get)
    family = max(freq.family, key=freq.family.get)
    common = record(given, family, dt.date(2001, 2, 3), postcode="N1 1AA", line="1 Low Road")
    common_moved = record(given, family, dt.date(2001, 2, 3), postcode="SW1 2BB", line="9 New Road")
    apart_common = compare(common, common_moved, frequencies=freq)
    apart_rare = compare(rare, rare_moved, frequencies=freq)
    fixed = compare(rare, rare_moved)
    assert not apart_rare.together and not apart_common.together
    for name in ("given_name", "family_name"):
        assert fixed.field(name).weight - apart_common.field(name).weight > 0.5
        assert apart_rare.field(name).weight == pytest.approx(fixed.field(name).weight + W.TF_MAX_GAIN)
    assert apart_rare.score >= fixed.score > apart_common.score
    twin = record("Zebedee", "Okonkwo", dt.date(2001, 2, 3), postcode="N1 1AA", line="1 Low Road", sex="F")
    assert compare(rare, twin, frequencies=freq).score == compare(rare, twin).score
    few = batch.name_frequencies(batch.Columns.from_records([common, common_moved]))
    assert compare(common, common_moved, frequencies=few).score == pytest.approx(
        compare(common, common_moved).score, abs=0.2)


def test_one_character_postcode_test_is_damerau_levenshtein_one():
    rng = random.Random(7)
    letters = "ABDE0123"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(5, 7))) for _ in range(300)]
    pairs = [(x, y) for x in words[:60] for y in words[:60]]
    for x in words[:100]:  # near misses, which random pairs rarely are
        i = rng.randrange(len(x))
        pairs += [(x, x[:i] + x[i + 1:]), (x, x[:i] + "Z" + x[i + 1:]), (x, x[:i] + x[i + 1:i + 2] + x[i:i + 1] + x[i + 2:])]
    pairs = [(x, y) for x, y in pairs if len(x) >= 5 and len(y) >= 5]

    def as_bytes(words):
        out = np.zeros((len(words), 8), np.uint8)
        for k, w in enumerate(words):
            out[k, : len(w)] = np.frombuffer(w.encode(), np.uint8)
        return out, np.array([len(w) for w in words])

    (x, lx), (y, ly) = as_bytes([p[0] for p in pairs]), as_bytes([p[1] for p in pairs])
    got = batch._one_edit(x, lx, y, ly)
    expected = np.array([edit_distance(p, q) == 1 for p, q in pairs])
    assert expected.sum() > 100
    assert (got == expected).all()


def record(given, family, dob, sex="M", postcode="SE15 4AB", line="14 Alder Road", **extra):
    return PersonRecord(given_name=given, family_name=family, date_of_birth=dob, sex=sex, postcode=postcode,
                        address_line=line, **extra)


def test_find_duplicate_pairs_in_memory():
    records = [
        record("William", "Smith", dt.date(2015, 7, 3)),
        record("Bill", "Smith", dt.date(2015, 3, 7)),  # the same boy: nickname, day and month swapped
        record("Oliver", "Jones", dt.date(2016, 5, 20), postcode="SE22 8HQ", line="3 Rye Lane"),
        record("Harry", "Jones", dt.date(2016, 5, 20), postcode="SE22 8HQ", line="3 Rye Lane"),  # his twin
        record("Amelia", "Jones", dt.date(2016, 5, 20), sex="F", postcode="SE22 8HQ", line="3 Rye Lane"),  # triplet
    ]
    pairs = find_duplicate_pairs(records)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
    assert pairs[0][2] == pytest.approx(compare(records[0], records[1]).probability)


def test_household_rules_return_compare_scores(population):
    """With the finder's options (a lower bar at one house, the household rules), the scorer returns
    every pair the plain threshold would, and more, each still with compare()'s score to the bit."""
    cols = batch.Columns.from_records(population)
    codes = batch.candidate_pairs(cols)
    frequencies = batch.name_frequencies(cols)
    scorer = batch.Scorer(cols, frequencies)
    limit = batch.score_threshold(batch.DEFAULT_THRESHOLD)
    plain = scorer.score(codes, limit)
    a, b, score = scorer.score(codes, limit, together_threshold=batch.score_threshold(batch.DEFAULT_TOGETHER_THRESHOLD),
                               household=True)
    got = dict(zip(zip(a.tolist(), b.tolist()), score.tolist()))
    n = len(population)
    for i, j in got:
        assert got[(i, j)] == compare(population[i], population[j], frequencies=frequencies).score
    middle = {(i, j) for i, j in zip(plain[0].tolist(), plain[1].tolist())
              if compare(population[i], population[j]).field("given_name").detail == "middle"}
    assert set(zip(plain[0].tolist(), plain[1].tolist())) - middle <= set(got)
    assert len(got) > len(plain[0]) - len(middle)
    assert all(code // n < code % n for code in (np.array(a) * n + np.array(b)).tolist())


def _found(records):
    return {(i, j) for i, j, _ in find_duplicate_pairs(records)}


def test_household_rules_queue_one_person_recorded_twice_at_one_house():
    """At 14 Alder Road, each pair is one child recorded twice: compare() alone scores them below
    the threshold (independence does not see that a household's members differ in given name and
    date of birth); the household rules queue them."""
    cases = [
        # renamed: a short form the variant table does not know and a new surname, same birth
        (record("Kai", "Francis", dt.date(2013, 8, 31)), record("Zion", "Brown", dt.date(2013, 8, 31))),
        # near: a slip in a short name
        (record("Linh", "Nguyen", dt.date(2016, 2, 9), sex="F"), record("Lin", "Nguyen", dt.date(2016, 2, 9), sex="F")),
        # near: a short form that begins the name
        (record("Finley", "Ward", dt.date(2014, 6, 1)), record("Fin", "Ward", dt.date(2014, 6, 2))),
        # one name: the date of birth typed twice wrong
        (record("Oliver", "Jones", dt.date(2012, 5, 20)), record("Oliver", "Jones", dt.date(2012, 8, 11))),
    ]
    for x, y in cases:
        assert compare(x, y).probability < batch.DEFAULT_THRESHOLD, (x, y)
        assert _found([x, y]) == {(0, 1)}, (x, y)


def test_household_rules_leave_twins_siblings_and_a_father_alone():
    house = [
        record("Oliver", "Jones", dt.date(2016, 5, 20)),
        record("Harry", "Jones", dt.date(2016, 5, 20)),  # his twin
        record("Amelia", "Jones", dt.date(2016, 5, 20), sex="F"),  # a triplet
        record("Ava", "Jones", dt.date(2019, 1, 3), sex="F"),  # a sister
        record("Eva", "Jones", dt.date(2021, 9, 14), sex="F"),  # a sister one letter apart, born years later
        record("Oliver", "Jones", dt.date(1985, 3, 2)),  # his father, of one name
        record("Mia", "Okafor", dt.date(1987, 11, 30), sex="F"),  # his mother, her own surname
    ]
    assert _found(house) == set()


def test_a_middle_name_alone_does_not_carry_a_pair_apart():
    """"Ali Khan" against "Muhammad Ali Ahmed-Khan" of one birthday, moved: compare() scores the
    middle name close; the finder asks for the threshold without it. At one house it still counts."""
    x = record("Ali", "Khan", dt.date(2010, 4, 4), postcode="E1 6AN", line="3 Brick Lane")
    y = record("Muhammad Ali", "Ahmed-Khan", dt.date(2010, 4, 4), postcode="N7 0AB", line="40 Holloway Road")
    assert compare(x, y).field("given_name").detail == "middle"
    assert compare(x, y).probability >= batch.DEFAULT_THRESHOLD
    assert _found([x, y]) == set()
    y_home = record("Muhammad Ali", "Ahmed-Khan", dt.date(2010, 4, 4), postcode="E1 6AN", line="3 Brick Lane")
    assert _found([x, y_home]) == {(0, 1)}


def test_the_batch_s_own_keys_pair_a_postcode_typo_at_one_house():
    """No key of keys.py holds these pairs (no date of birth, an initial, a typo in the postcode);
    the address line with either half of the postcode does."""
    h_malik = record("H", "Malik", None, postcode="SE13 9RY", line="69 Sydenham Gardens")
    haris = record("Haris", "Malik", dt.date(2013, 1, 8), postcode="SE13 9SY", line="69 Sydenham Gardens")
    ciara = record("Ciara", "Mrphy", None, sex="F", postcode="SE97 3RY", line="98 Kirkwood Lane")
    ciara_b = record("Ciara", "Murphy", dt.date(1988, 1, 8), sex="F", postcode="SE27 3RY", line="98 Kirkwood Lane")
    neighbour = record("Haris", "Malik", dt.date(2013, 1, 8), postcode="SE13 9SY", line="71 Sydenham Gardens")
    records = [h_malik, haris, ciara, ciara_b, neighbour]
    def batch_keys(r):
        return {k for k in blocking_keys(r) if k.split(":")[0] not in SEARCH_ONLY_KINDS}

    for x, y in ((0, 1), (2, 3)):
        assert not batch_keys(records[x]) & batch_keys(records[y])
    pairs = set(batch.candidate_pairs(batch.Columns.from_records(records)).tolist())
    assert {0 * 5 + 1, 2 * 5 + 3} <= pairs
    assert 0 * 5 + 4 not in pairs  # a neighbour: another house


def test_closure_leaves_twins_and_a_generation_apart_out():
    records = [
        record("Oliver", "Jones", dt.date(2016, 5, 20)),
        record("Harry", "Jones", dt.date(2016, 5, 20)),
        record("Oliver", "Jones", dt.date(1985, 3, 2)),
        record("Oliver", "Jones", dt.date(2016, 5, 21), postcode="N1 9GU", line="5 Upper Street"),
    ]
    scorer = batch.Scorer(batch.Columns.from_records(records))
    skips = batch._closure_skips(scorer, np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert skips.tolist() == [True, True, False]


# ------------------------------------------------------------------ the command, with the database


def person(given, family, dob, sex="M", postcode="SE15 4AB", line="14 Alder Road", other_names=(), merged_into=None):
    p = Person(date_of_birth=dob, sex=sex, merged_into=merged_into)
    p.set_names(given, family)
    p.save()
    Address.objects.create(person=p, line_1=line, postcode=postcode)
    for g, f in other_names:
        PersonName.objects.create(person=p, given_name=g, family_name=f)
    return p


@pytest.fixture
def household(db):
    """At 14 Alder Road: James Smith (the father), James Smith (his son), twins Jayden and Mason
    Smith; and Jaden Smith, Jayden recorded again with a spelling and the date day-first, moved."""
    return {
        "father": person("James", "Smith", dt.date(1984, 2, 11)),
        "son": person("James", "Smith", dt.date(2012, 9, 23)),
        "jayden": person("Jayden", "Smith", dt.date(2015, 7, 3)),
        "mason": person("Mason", "Smith", dt.date(2015, 7, 3)),
        "jaden": person("Jaden", "Smith", dt.date(2015, 3, 7), postcode="SE15 5TT", line="2 Bellenden Road"),
    }


def queued():
    return {(p.person_a_id, p.person_b_id): p for p in DuplicatePair.objects.all()}


def test_finder_queues_the_duplicate_and_not_the_twin_or_the_father(household):
    result = find_duplicates()
    jayden, jaden = household["jayden"], household["jaden"]
    pairs = queued()
    assert list(pairs) == [(jayden.pk, jaden.pk)]
    pair = pairs[(jayden.pk, jaden.pk)]
    everyone = [
        record("James", "Smith", dt.date(1984, 2, 11)),
        record("James", "Smith", dt.date(2012, 9, 23)),
        record("Jayden", "Smith", dt.date(2015, 7, 3)),
        record("Mason", "Smith", dt.date(2015, 7, 3)),
        record("Jaden", "Smith", dt.date(2015, 3, 7), postcode="SE15 5TT", line="2 Bellenden Road"),
    ]
    # The score the reviewer sees: compare() with the name frequencies of the people read.
    expected = compare(everyone[2], everyone[4], frequencies=batch.name_frequencies(batch.Columns.from_records(everyone)))
    assert pair.status == DuplicatePair.Status.OPEN
    assert pair.score == pytest.approx(expected.score)
    assert pair.probability == pytest.approx(expected.probability)
    assert pair.band == expected.band
    assert (result.people, result.queued) == (5, 1)


def test_finder_reads_other_names(db):
    """Ava Okafor, moved, is Ava Brown's previous name: without it the two would differ."""
    a = person("Ava", "Brown", dt.date(1990, 4, 2), sex="F", other_names=[("Ava", "Okafor")])
    b = person("Ava", "Okafor", dt.date(1990, 4, 2), sex="F", postcode="N1 9GU", line="5 Upper Street")
    PersonName.objects.filter(person=a).delete()
    find_duplicates()
    assert queued() == {}
    PersonName.objects.create(person=a, given_name="Ava", family_name="Okafor")
    find_duplicates()
    assert list(queued()) == [(a.pk, b.pk)]


def test_second_run_adds_nothing(household):
    find_duplicates()
    before = queued()
    result = find_duplicates()
    assert queued().keys() == before.keys()
    assert (result.found, result.already_known, result.queued) == (1, 1, 0)


def test_not_the_same_person_is_never_suggested_again(household):
    find_duplicates()
    DuplicatePair.objects.update(status=DuplicatePair.Status.NOT_SAME)
    find_duplicates()
    assert [p.status for p in queued().values()] == [DuplicatePair.Status.NOT_SAME]


def test_merged_people_are_skipped(household):
    Person.objects.filter(pk=household["jaden"].pk).update(merged_into=household["jayden"])
    result = find_duplicates()
    assert result.people == 4
    assert queued() == {}


def test_dry_run_writes_nothing(household):
    result = find_duplicates(dry_run=True)
    assert (result.found, result.queued) == (1, 1)
    assert queued() == {}


def test_command_prints_a_summary(household, capsys):
    call_command("find_duplicates", "--no-progress")
    out = capsys.readouterr().out
    assert "5 people read" in out and "1 queued" in out
    assert len(queued()) == 1


@pytest.mark.parametrize("options, message", [
    (["--threshold", "1.5"], "--threshold must be a probability"),
    (["--threshold", "0"], "--threshold must be a probability"),
    (["--closure-threshold", "-1"], "--closure-threshold must be"),
    (["--threshold", "0.1", "--closure-threshold", "0.5"], "cannot be above --threshold"),
    (["--limit", "1"], "--limit must be at least 2"),
])
def test_command_rejects_bad_options(db, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("find_duplicates", "--no-progress", *options)
    assert not DuplicatePair.objects.exists()
