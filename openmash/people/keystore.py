"""The blocking-key table (PersonKey): each person filed under the hashed keys of matching/keys.py.

A search turns its query into keys and reads the few people filed under them through the index
`people_key_lookup` (key, person). The rows are derived data: `refresh_person_keys` rewrites them for
the people a service has just created, edited, imported or merged (inside the caller's transaction),
and `rebuild_all_keys` (`manage.py rebuild_person_keys`) writes them for a whole database.

A merged record (`Person.merged_into` set) is filed under no key: it redirects to the record kept,
and a search must not offer it. Undoing a merge refreshes its keys again.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence

from django.db import connection, transaction

from openmash.people.matching.compare import PersonRecord
from openmash.people.matching.keys import blocking_keys, key_hash
from openmash.people.models import Address, Person, PersonKey, PersonName

# What person_create stores as line 1 when only a postcode was given: not an address to compare.
NO_ADDRESS_LINE = "(address not given)"
# Ids per query: well under SQLite's limit on bound parameters, and a few hundred KB of rows.
_CHUNK = 900
_REBUILD_BATCH = 20_000


def _record(row: Sequence, address: tuple[str, str] | None, other_names: Sequence[tuple[str, str]]) -> PersonRecord:
    """row = (id, given_name, family_name, date_of_birth, sex, nhs_number, upn)."""
    postcode, line_1 = address or ("", "")
    return PersonRecord(
        given_name=row[1] or "",
        family_name=row[2] or "",
        other_names=tuple((g or "", f or "") for g, f in other_names),
        date_of_birth=row[3],
        sex=row[4] if row[4] in ("M", "F") else "",
        postcode=postcode or "",
        address_line="" if line_1 == NO_ADDRESS_LINE else (line_1 or ""),
        nhs_number=row[5] or "",
        upn=row[6] or "",
    )


PERSON_COLUMNS = ("id", "given_name", "family_name", "date_of_birth", "sex", "nhs_number", "upn")


def matching_record(row: Sequence, address: tuple[str, str] | None, other_names: Sequence[tuple[str, str]]) -> PersonRecord:
    """A matching record from plain values: row = PERSON_COLUMNS (date of birth a date), address =
    (postcode, line 1) of the current address or None, other names = [(given, family)] by id. The
    search builds its candidates' records with it from rows it read itself, exactly as
    `records_for` does."""
    return _record(row, address, other_names)


def person_record(person: Person) -> PersonRecord:
    """What the index knows about `person` as a matching record: names, other names, date of birth,
    sex, identifiers and the current address (postcode and line 1). Uses `current_addresses` and
    `other_names` when the caller prefetched them."""
    current = getattr(person, "current_addresses", None)
    if current is None:
        current = list(person.addresses.filter(is_current=True))
    address = (current[0].postcode, current[0].line_1) if current else None
    names = [(n.given_name, n.family_name) for n in person.other_names.all()]
    row = tuple(getattr(person, c) for c in PERSON_COLUMNS)
    return _record(row, address, names)


def as_date(value):
    # Raw rows: PostgreSQL returns dates; SQLite returns the ISO text Django stored.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _in(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def records_for(person_ids: Sequence[int]) -> dict[int, PersonRecord]:
    """Matching records of these people (those not merged into another), read with two raw queries
    (people with their current address; other names): no model instances and no ORM compiling, as
    a search does this for hundreds of candidates in a few milliseconds."""
    ids = list(person_ids)
    if not ids:
        return {}
    q = connection.ops.quote_name
    cols = ", ".join(f"p.{q(Person._meta.get_field(c).column)}" for c in PERSON_COLUMNS)
    people_sql = (
        f"SELECT {cols}, a.{q('postcode')}, a.{q('line_1')}, p.{q('merged_into_id')} FROM {q(Person._meta.db_table)} p "
        f"LEFT JOIN {q(Address._meta.db_table)} a ON a.{q('person_id')} = p.{q('id')} AND a.{q('is_current')} = %s "
        # Merged records are dropped below, not here: "merged_into_id IS NULL" matches nearly every
        # row and, with stale statistics after a bulk load, led PostgreSQL away from the primary key.
        f"WHERE p.{q('id')} IN ({_in(ids)}) "
        f"ORDER BY p.{q('id')}, a.{q('created_at')} DESC, a.{q('id')} DESC"
    )
    names_sql = (
        f"SELECT {q('person_id')}, {q('given_name')}, {q('family_name')} FROM {q(PersonName._meta.db_table)} "
        f"WHERE {q('person_id')} IN ({_in(ids)}) ORDER BY {q('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(people_sql, [True, *ids])
        rows = cursor.fetchall()
        cursor.execute(names_sql, ids)
        names: dict[int, list[tuple[str, str]]] = {}
        for pid, given, family in cursor.fetchall():
            names.setdefault(pid, []).append((given, family))
    out: dict[int, PersonRecord] = {}
    for row in rows:
        pid = row[0]
        if pid in out or row[9] is not None:
            continue  # an older current address (the newest one came first), or a merged record
        person = (*row[:3], as_date(row[3]), *row[4:7])
        address = (row[7], row[8]) if row[7] is not None or row[8] is not None else None
        out[pid] = _record(person, address, names.get(pid, ()))
    return out


def key_hashes(record: PersonRecord) -> list[int]:
    """The hashed blocking keys a record is filed under (sorted, so a rewrite is reproducible)."""
    return sorted({key_hash(k) for k in blocking_keys(record)})


def _chunks(ids: Sequence[int], size: int = _CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def _insert_keys(rows: list[tuple[int, int]]) -> None:
    """INSERT (person_id, key) rows: COPY on PostgreSQL, executemany elsewhere (Django's
    bulk_create would spend longer compiling SQL than the database spends inserting)."""
    if not rows:
        return
    table = connection.ops.quote_name(PersonKey._meta.db_table)
    person_col = connection.ops.quote_name(PersonKey._meta.get_field("person").column)
    key_col = connection.ops.quote_name(PersonKey._meta.get_field("key").column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({person_col}, {key_col}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({person_col}, {key_col}) VALUES (%s, %s)", rows)


def refresh_person_keys(person_ids: Iterable[int]) -> None:
    """Rewrite the PersonKey rows of these people from what their records say now.

    1. Per chunk of ids: read names, date of birth, sex, identifiers, the current address and other
       names (three queries, plain tuples).
    2. Delete the chunk's key rows; insert the keys of every person who still exists and is not
       merged into another (a merged record is found through the record kept).
    Runs in the caller's transaction (a savepoint), so keys change together with the person."""
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return
    with transaction.atomic():
        for chunk in _chunks(ids):
            records = records_for(chunk)
            PersonKey.objects.filter(person_id__in=chunk)._raw_delete(PersonKey.objects.db)
            _insert_keys([(pid, h) for pid, record in records.items() for h in key_hashes(record)])


def _lookup_index():
    return next(i for i in PersonKey._meta.indexes if i.name == "people_key_lookup")


def _has_lookup_index() -> bool:
    with connection.cursor() as cursor:
        return "people_key_lookup" in connection.introspection.get_constraints(cursor, PersonKey._meta.db_table)


def _batch_keys(batch: list[tuple]) -> list[tuple[int, int]]:
    """[(person row, current address, other names)] → [(person id, key hash)]: pure, so it can run
    in a worker process."""
    out = []
    for row, address, names in batch:
        out.extend((row[0], h) for h in key_hashes(_record(row, address, names)))
    return out


def _batches(people, first_id: int, batch_size: int) -> Iterator[list[tuple]]:
    """People by id in batches (keyset pagination, plain rows), each with its current address and
    other names read by id range."""
    last = first_id - 1
    while True:
        rows = list(people.filter(pk__gt=last).order_by("pk").values_list(*PERSON_COLUMNS)[:batch_size])
        if not rows:
            return
        low, high = rows[0][0], rows[-1][0]
        addresses: dict[int, tuple[str, str]] = {}
        for pid, postcode, line_1 in (
            Address.objects.filter(person_id__gte=low, person_id__lte=high, is_current=True)
            .order_by("person_id", "-created_at", "-id")
            .values_list("person_id", "postcode", "line_1")
        ):
            addresses.setdefault(pid, (postcode, line_1))
        names: dict[int, list[tuple[str, str]]] = {}
        for pid, given, family in (
            PersonName.objects.filter(person_id__gte=low, person_id__lte=high)
            .order_by("id")
            .values_list("person_id", "given_name", "family_name")
        ):
            names.setdefault(pid, []).append((given, family))
        yield [(row, addresses.get(row[0]), names.get(row[0], ())) for row in rows]
        last = high


def rebuild_all_keys(progress: Callable[[int, int], None] | None = None, *, batch_size: int = _REBUILD_BATCH,
                     first_id: int = 0, workers: int | None = None) -> int:
    """Rewrite every person's keys (or those of people with id ≥ `first_id`, as after a bulk load
    that appended them); return the number of key rows written.

    Run on its own (a command, not inside a transaction) it takes the fast path for a big load:
    1. Empty the table: dropped and created again for everyone (deleting 14 M rows one by one, the
       index kept up to date, took longer than writing them); the rows of the people concerned
       otherwise. With the table empty, the lookup index is dropped for the load and built once at
       the end (one sort instead of millions of random index inserts); on SQLite the foreign-key
       check per row is off during the load (every id comes from the person table itself).
    2. Walk people by id in batches (`_batches`); compute each batch's keys in `workers` processes
       (default: one per core, for 50,000 people or more) while the main process reads the next
       batch and inserts the previous one's rows, a transaction per batch.
    3. Rebuild the index; ANALYZE the key table (and, on its own, the person, address and name
       tables a search reads) so the planner knows their new sizes.
    Inside a transaction (tests, or a caller's own), the same steps run in place, in one process."""
    import multiprocessing
    import os
    from collections import deque

    standalone = not connection.in_atomic_block
    people = Person.objects.filter(merged_into__isnull=True, pk__gte=first_id)
    total = people.count()
    if first_id <= 0 and standalone:
        with connection.schema_editor() as editor:
            editor.delete_model(PersonKey)
            editor.create_model(PersonKey)
    else:
        with transaction.atomic():
            PersonKey.objects.filter(person_id__gte=first_id)._raw_delete(PersonKey.objects.db)
    drop_index = standalone and _has_lookup_index() and not PersonKey.objects.exists()
    if drop_index:
        with connection.schema_editor() as editor:
            editor.remove_index(PersonKey, _lookup_index())
    sqlite_load = standalone and connection.vendor == "sqlite"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
            if sqlite_load:
                cursor.execute("PRAGMA foreign_keys = OFF")
                cursor.execute("PRAGMA synchronous")
                synchronous = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous = OFF")  # derived rows: after a crash, rebuild again
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if standalone and total >= 50_000 else 0
    pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
    written = done = 0

    def insert(rows: list[tuple[int, int]], people_in_batch: int):
        nonlocal written, done
        with transaction.atomic():
            _insert_keys(rows)
        written += len(rows)
        done += people_in_batch
        if progress:
            progress(min(done, total), total)

    try:
        pending: deque = deque()
        for batch in _batches(people, first_id, batch_size):
            if pool is None:
                insert(_batch_keys(batch), len(batch))
                continue
            pending.append((pool.apply_async(_batch_keys, (batch,)), len(batch)))
            if len(pending) > workers:
                result, count = pending.popleft()
                insert(result.get(), count)
        while pending:
            result, count = pending.popleft()
            insert(result.get(), count)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if sqlite_load:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
        if drop_index and not _has_lookup_index():
            with connection.schema_editor() as editor:
                editor.add_index(PersonKey, _lookup_index())
    with connection.cursor() as cursor:
        # After a bulk load the planner's statistics are stale; PostgreSQL then chose hash joins
        # over the whole address table for a search's candidate rows (≈ 240 ms instead of 5 ms).
        tables = [PersonKey] + ([Person, Address, PersonName] if standalone else [])
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    if progress and total == 0:
        progress(0, 0)
    return written
