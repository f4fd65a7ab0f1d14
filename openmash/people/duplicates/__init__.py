"""The duplicate finder (issue 5): likely duplicate pairs among all people, queued for review.

* `batch`: the engine — records as arrays, blocking keys, the same score as `compare()`, no database.
* `finder`: reads people from the database in one pass, writes `DuplicatePair` rows
  (`manage.py find_duplicates`).
* `find_duplicate_pairs(records)`: the engine over in-memory `PersonRecord`s, for comparison scripts.
"""

from openmash.people.duplicates.batch import DEFAULT_CLOSURE_THRESHOLD, DEFAULT_THRESHOLD, Columns, find_pairs


def find_duplicate_pairs(records, *, threshold: float = DEFAULT_THRESHOLD,
                         closure_threshold: float | None = DEFAULT_CLOSURE_THRESHOLD) -> list[tuple[int, int, float]]:
    """Likely duplicates among `records` (a sequence of `PersonRecord`): [(i, j, probability)],
    i < j indices into `records`, sorted by (i, j). The same blocking, scoring and threshold as
    `manage.py find_duplicates`, without a database."""
    found = find_pairs(Columns.from_records(records), threshold=threshold, closure_threshold=closure_threshold)
    return list(zip(found.a.tolist(), found.b.tolist(), found.probability.tolist()))


__all__ = ["DEFAULT_CLOSURE_THRESHOLD", "DEFAULT_THRESHOLD", "find_duplicate_pairs"]
