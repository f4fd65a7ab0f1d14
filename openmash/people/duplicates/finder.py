"""The duplicate finder against the database: read everyone once, find pairs, queue the new ones.

1. One streaming pass over every person not merged into another (raw SQL: names, date of birth,
   sex, NHS number, UPN, the current address's postcode and first line), plus one over other names.
2. `batch.find_pairs`: blocking, scoring (the same score as `compare()`), closing over small groups.
3. Pairs already in `DuplicatePair`, in any status, are left alone — "not the same person" is never
   suggested again, and an open pair keeps its review state. A merged person is not read, so never
   paired again.
4. The new pairs are inserted with plain `executemany` (batched transactions; `ON CONFLICT DO
   NOTHING`, so a run alongside another cannot fail on the unique pair), status open, with score,
   probability and band. One audit event records the run (counts only).
"""

import time
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction

from openmash.core import clock
from openmash.people.duplicates.batch import (
    DEFAULT_CLOSURE_THRESHOLD,
    DEFAULT_THRESHOLD,
    Columns,
    find_pairs,
)
from openmash.people.matching import weights as W
from openmash.people.models import Address, DuplicatePair, Person, PersonName

FETCH = 20_000
INSERT_BATCH = 10_000


@dataclass
class FinderResult:
    people: int = 0
    candidates: int = 0
    found: int = 0  # pairs at or above the threshold
    already_known: int = 0  # of those, pairs already queued or reviewed
    queued: int = 0  # new DuplicatePair rows (0 on a dry run)
    dry_run: bool = False
    seconds: dict = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def summary(self) -> str:
        what = "would be queued (dry run)" if self.dry_run else "queued"
        stages = ", ".join(f"{k} {v:.1f}" for k, v in self.seconds.items())
        return (
            f"{self.people:,} people read, {self.candidates:,} candidate pairs, {self.found:,} pairs at or above "
            f"the threshold ({self.already_known:,} already known), {self.queued:,} {what}; "
            f"{self.total_seconds:.1f} s ({stages})."
        )


def _placeholder(line: str | None) -> bool:
    """"(address not given)": a line in brackets stands for no line."""
    return not line or (line.startswith("(") and line.endswith(")"))


def read_people(*, limit: int | None = None, progress=None) -> tuple[np.ndarray, list[tuple]]:
    """(person ids in ascending order, rows for `Columns.from_rows`) for everyone not merged."""
    qn = connection.ops.quote_name
    person, address, name = (qn(m._meta.db_table) for m in (Person, Address, PersonName))
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {person} WHERE merged_into_id IS NULL")
        total = cursor.fetchone()[0]
        if limit:
            total = min(total, limit)
        others: dict[int, list] = {}
        cursor.execute(f"SELECT person_id, given_name, family_name FROM {name} ORDER BY person_id, id")
        for person_id, given, family in cursor.fetchall():
            others.setdefault(person_id, []).append((given or "", family or ""))
        cursor.execute(
            f"SELECT p.id, p.given_name, p.family_name, p.date_of_birth, p.sex, p.nhs_number, p.upn, a.postcode, a.line_1 "
            f"FROM {person} p "
            f"LEFT JOIN (SELECT person_id, MAX(id) AS address_id FROM {address} WHERE is_current GROUP BY person_id) c "
            f"ON c.person_id = p.id LEFT JOIN {address} a ON a.id = c.address_id "
            f"WHERE p.merged_into_id IS NULL ORDER BY p.id{limit_sql}"
        )
        ids: list[int] = []
        rows: list[tuple] = []
        empty = ()
        while True:
            batch = cursor.fetchmany(FETCH)
            if not batch:
                break
            for pid, given, family, dob, sex, nhs, upn, postcode, line in batch:
                ids.append(pid)
                rows.append((given, family, tuple(others[pid]) if pid in others else empty, dob, sex,
                             postcode or "", "" if _placeholder(line) else line, nhs, upn))
            if progress:
                progress(len(ids), max(total, len(ids)))
        if progress and not ids:
            progress(0, 0)
    return np.array(ids, dtype=np.int64), rows


def _existing_pairs() -> np.ndarray:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT person_a_id, person_b_id FROM {connection.ops.quote_name(DuplicatePair._meta.db_table)}")
        return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)


def bands(probability: np.ndarray) -> np.ndarray:
    """W.band for an array of probabilities."""
    out = np.full(len(probability), W.BANDS[-1][1], dtype=object)
    for floor, name in reversed(W.BANDS):
        out[probability >= floor] = name
    return out


def find_duplicates(*, threshold: float = DEFAULT_THRESHOLD, closure_threshold: float | None = DEFAULT_CLOSURE_THRESHOLD,
                    dry_run: bool = False, limit: int | None = None, read_progress=None,
                    score_progress=None) -> FinderResult:
    """Find likely duplicate pairs among all people and queue the new ones (see the module docstring)."""
    result = FinderResult(dry_run=dry_run)
    started = time.perf_counter()
    person_ids, rows = read_people(limit=limit, progress=read_progress)
    result.people = len(rows)
    cols = Columns.from_rows(rows)
    del rows
    result.seconds["read"] = time.perf_counter() - started
    found = find_pairs(cols, threshold=threshold, closure_threshold=closure_threshold, progress=score_progress)
    result.seconds.update(found.seconds)
    started = time.perf_counter()
    result.candidates = found.candidates
    result.found = len(found.a)
    pid_a, pid_b = person_ids[found.a], person_ids[found.b]  # ids ascend with the index: a < b
    existing = _existing_pairs()
    width = int(max(person_ids.max(initial=0), existing.max(initial=0))) + 1
    known = np.isin(pid_a * width + pid_b, existing[:, 0] * width + existing[:, 1])
    result.already_known = int(known.sum())
    new = ~known
    pid_a, pid_b, score = pid_a[new], pid_b[new], found.score[new]
    probability = found.probability[new]
    if not dry_run and len(pid_a):
        result.queued = _insert(pid_a, pid_b, score, probability)
        from openmash.audit.services import audit_record

        audit_record(user=None, action="person.duplicates_found", object_type="person",
                     details={"people": result.people, "candidate_pairs": result.candidates,
                              "found": result.found, "queued": result.queued, "threshold": threshold})
    elif dry_run:
        result.queued = len(pid_a)
    result.seconds["write"] = time.perf_counter() - started
    return result


def _insert(pid_a, pid_b, score, probability) -> int:
    table = connection.ops.quote_name(DuplicatePair._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    sql = (f"INSERT INTO {table} (person_a_id, person_b_id, score, probability, band, status, found_at, review_note) "
           f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
    rows = list(zip(pid_a.tolist(), pid_b.tolist(), score.tolist(), probability.tolist(), bands(probability).tolist()))
    status = DuplicatePair.Status.OPEN.value
    before = DuplicatePair.objects.count()
    for start in range(0, len(rows), INSERT_BATCH):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(a, b, s, p, band, status, now, "") for a, b, s, p, band in rows[start:start + INSERT_BATCH]])
    return DuplicatePair.objects.count() - before
