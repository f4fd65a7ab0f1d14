"""The people generator and `manage.py generate_people` (people/generator.py)."""

import collections
import csv
import io
import itertools

import pytest
from django.core.management import CommandError, call_command

from openmash.people.generator import (
    ERRORS,
    TRUTH_COLUMNS,
    generate_population,
    generate_queries,
    read_truth,
)
from openmash.people.identifiers import clean_nhs_number, clean_postcode, clean_upn


@pytest.fixture(scope="module")
def population():
    return generate_population(5_000, seed=42)


def test_same_seed_same_people_other_seed_other_people(population):
    assert generate_population(5_000, seed=42) == population
    assert generate_population(5_000, seed=43) != population
    assert len(population) == 5_000


def test_households(population):
    households = collections.defaultdict(list)
    for g in population:
        if not g.errors:
            households[g.household].append(g)
    sizes = collections.Counter(len(m) for m in households.values())
    assert set(sizes) <= {1, 2, 3, 4, 5, 6} and len(sizes) >= 5
    shared_address = sum(len({m.record.postcode for m in members}) == 1 for members in households.values())
    assert shared_address == len(households)
    surnames = [len({m.record.family_name for m in members}) for members in households.values() if len(members) > 1]
    assert 0.6 < sum(n == 1 for n in surnames) / len(surnames) < 0.97  # some with a parent of another surname
    assert any("-" in g.record.family_name for g in population if not g.errors and g.role == "child")


def test_twins_share_household_surname_and_birthday_but_not_a_name(population):
    twins = collections.defaultdict(list)
    for g in population:
        if g.twin_group and not g.errors:
            twins[g.twin_group].append(g)
    assert len(twins) >= 40
    sexes = collections.Counter()
    for members in twins.values():
        a, b = members[:2]
        assert (a.household, a.record.date_of_birth, a.record.family_name) == (b.household, b.record.date_of_birth, b.record.family_name)
        assert a.record.given_name.split()[0] != b.record.given_name.split()[0]
        sexes[a.record.sex == b.record.sex] += 1
    assert sexes[True] and sexes[False]


def test_diverse_names_and_ages(population):
    ethnicities = collections.Counter(g.ethnicity for g in population)
    assert len(ethnicities) >= 9 and max(ethnicities.values()) < 0.5 * len(population)
    children = sum(g.role == "child" for g in population)
    assert 0.3 < children / len(population) < 0.7
    surnames = collections.Counter(g.record.family_name for g in population)
    assert len(surnames) > 800  # a long tail, not a handful of names
    assert surnames.most_common(1)[0][1] < 0.03 * len(population)


def test_identifiers_are_valid(population):
    originals = [g.record for g in population if not g.errors]
    with_nhs = [r for r in originals if r.nhs_number]
    with_upn = [r for r in originals if r.upn]
    assert 0.3 < len(with_nhs) / len(originals) < 0.8 and len(with_upn) > 300
    assert all(clean_nhs_number(r.nhs_number) == r.nhs_number for r in with_nhs)
    assert all(clean_upn(r.upn) == r.upn for r in with_upn)
    assert len({r.nhs_number for r in with_nhs}) == len(with_nhs)
    assert all(clean_postcode(r.postcode) == r.postcode for r in originals)


def test_duplicates_carry_the_issue_errors(population):
    duplicates = [g for g in population if g.errors]
    assert 0.07 < len(duplicates) / len(population) < 0.15
    seen = collections.Counter(e for g in duplicates for e in g.errors)
    assert set(seen) >= set(ERRORS) - {"accents_case"}
    by_entity = collections.defaultdict(list)
    for g in population:
        by_entity[g.entity].append(g)
    for g in duplicates[:200]:
        originals = [o for o in by_entity[g.entity] if not o.errors]
        if originals:  # the cut to --count may have dropped it
            assert originals[0].record != g.record
            assert originals[0].household == g.household


def test_queries_come_from_another_seed(population):
    queries = generate_queries(population, 200, seed=9)
    assert generate_queries(population, 200, seed=9) == queries
    assert generate_queries(population, 200, seed=10) != queries
    entities = {g.entity for g in population}
    counts = collections.Counter(len(errors) for _, _, errors in queries)
    assert all(entity in entities for _, entity, _ in queries)
    assert set(counts) <= {1, 2, 3} and counts[1] > counts[3]
    assert all(len(errors) == 2 for _, _, errors in generate_queries(population, 50, seed=9, errors=2))


# ------------------------------------------------------------------ the command


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_people", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_command_writes_people_and_keeps_the_truth_aside(tmp_path):
    from openmash.people.models import Address, Person, PersonName

    truth = tmp_path / "truth.csv"
    out, err = _run("--count", "600", "--seed", "5", "--truth", str(truth), "--batch-size", "250")
    assert "600 people written" in out
    assert "Writing [" in err and "600/600" in err  # the progress bar
    assert Person.objects.count() == 600
    assert Address.objects.count() >= 550
    rows = read_truth(truth)
    assert tuple(rows[0]) == TRUTH_COLUMNS and len(rows) == 600
    ids = [int(r["person_id"]) for r in rows]
    assert sorted(ids) == sorted(Person.objects.values_list("id", flat=True))
    records = generate_population(600, 5)
    people = Person.objects.in_bulk(ids)
    for row, g in zip(rows, records):
        person = people[int(row["person_id"])]
        assert (person.given_name, person.family_name, person.date_of_birth, person.nhs_number, person.upn) == (
            g.record.given_name, g.record.family_name, g.record.date_of_birth, g.record.nhs_number, g.record.upn)
        assert person.given_name_norm and person.family_name_norm
        assert int(row["entity_id"]) == g.entity and row["errors"] == ";".join(g.errors)
    same = collections.defaultdict(set)
    for r in rows:
        same[r["entity_id"]].add(r["person_id"])
    assert any(len(v) > 1 for v in same.values())
    assert PersonName.objects.count() == sum(len(g.record.other_names) for g in records)
    # nothing about the truth is stored where a search reads
    assert not any(hasattr(p, "entity_id") for p in people.values())
    # a person created afterwards gets a fresh id (the sequences moved on)
    assert Person.objects.create(given_name="New", family_name="Person").pk > max(ids)


@pytest.mark.django_db
def test_command_refuses_a_database_with_people_unless_appending(tmp_path):
    from openmash.people.models import Person

    Person.objects.create(given_name="Real", family_name="Child")
    with pytest.raises(CommandError, match="already holds people"):
        _run("--count", "10", "--seed", "1")
    _run("--count", "10", "--seed", "1", "--append")
    assert Person.objects.count() == 11


@pytest.mark.django_db
def test_same_seed_same_rows(tmp_path):
    from openmash.people.models import Person

    def snapshot():
        return list(Person.objects.order_by("id").values_list("given_name", "family_name", "date_of_birth", "sex", "nhs_number"))

    _run("--count", "200", "--seed", "8")
    first = snapshot()
    Person.objects.all().delete()
    _run("--count", "200", "--seed", "8")
    assert snapshot() == first


def test_truth_file_round_trips(tmp_path, population):
    from openmash.people.generator import write_truth

    path = tmp_path / "t.csv"
    write_truth(path, population[:50], list(range(1, 51)))
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(TRUTH_COLUMNS) and len(rows) == 51
    twins = [r for r in read_truth(path) if r["twin_group"] != "0"]
    assert all(r["role"] == "child" for r in twins)
    assert list(itertools.islice((r["duplicate"] for r in read_truth(path)), 3)) == [str(int(bool(g.errors))) for g in population[:3]]
