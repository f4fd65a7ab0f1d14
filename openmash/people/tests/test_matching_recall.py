"""A small recall check on generated data: blocking + comparison find the true person in the top
ten, and twins and siblings stay below the match threshold.

The full measurement (1,000,000 people, database lookups, p95, Splink side by side) is the benchmark
of issue 5 and uses other seeds (docs/adr/0012-person-matching.md); these seeds are the tests' own.
"""

import collections
import itertools

import pytest

from openmash.people.generator import generate_population, generate_queries
from openmash.people.matching.compare import compare, prepare
from openmash.people.matching.keys import SEARCH_ONLY_KINDS, blocking_keys, search_keys

DATA_SEED, QUERY_SEED = 202, 303


@pytest.fixture(scope="module")
def indexed():
    records = generate_population(20_000, DATA_SEED)
    prepared = [prepare(g.record) for g in records]
    index = collections.defaultdict(list)
    for i, p in enumerate(prepared):
        for key in blocking_keys(p):
            index[key].append(i)
    return records, prepared, index


def _top_ten(query, prepared, index):
    pq = prepare(query)
    candidates = set()
    for key in search_keys(pq):
        candidates.update(index.get(key, ()))
    return sorted(candidates, key=lambda i: compare(pq, prepared[i]).score, reverse=True)[:10], len(candidates)


def test_recall_at_ten_on_queries_with_errors(indexed):
    records, prepared, index = indexed
    queries = generate_queries(records, 400, QUERY_SEED)
    found = collections.Counter()
    asked = collections.Counter()
    sizes = []
    for query, entity, errors in queries:
        top, size = _top_ten(query, prepared, index)
        sizes.append(size)
        asked[len(errors)] += 1
        found[len(errors)] += any(records[i].entity == entity for i in top)
    assert found[1] == asked[1], "every query with one error finds its person"
    assert sum(found.values()) / sum(asked.values()) >= 0.98
    assert sorted(sizes)[int(len(sizes) * 0.95)] <= 100  # candidate sets stay small


def test_twins_and_siblings_are_not_matches(indexed):
    records, prepared, _ = indexed
    households = collections.defaultdict(list)
    for i, g in enumerate(records):
        if g.role == "child" and not g.errors:
            households[g.household].append(i)
    twins = siblings = twin_matches = sibling_matches = 0
    for members in households.values():
        for a, b in itertools.combinations(members, 2):
            if records[a].entity == records[b].entity:
                continue
            is_twin = records[a].twin_group and records[a].twin_group == records[b].twin_group
            match = compare(prepared[a], prepared[b]).is_match
            if is_twin:
                twins += 1
                twin_matches += match
            else:
                siblings += 1
                sibling_matches += match
    assert twins >= 100 and siblings >= 1000
    assert twin_matches <= twins * 0.01
    assert sibling_matches == 0


def test_duplicates_found_by_the_batch_keys_score_as_matches(indexed):
    """Pairs of records of one person that share a duplicate-finder key: most are matches, and
    almost no pair that is not one person is."""
    records, prepared, index = indexed
    pairs = set()
    for key, ids in index.items():
        if key.split(":")[0] not in SEARCH_ONLY_KINDS and len(ids) > 1:
            pairs.update(itertools.combinations(sorted(ids), 2))
    true = {p for p in pairs if records[p[0]].entity == records[p[1]].entity}
    predicted = {p for p in pairs if compare(prepared[p[0]], prepared[p[1]]).is_match}
    assert len(predicted & true) / len(predicted) >= 0.99  # precision
    assert len(predicted & true) / len(true) >= 0.85  # recall among blocked pairs
