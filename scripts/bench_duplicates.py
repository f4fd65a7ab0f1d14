#!/usr/bin/env python
"""Benchmark: the batch duplicate finder (`manage.py find_duplicates`) over N generated people.

Builds a scratch database (SQLite in --workdir; PostgreSQL when --database-url is given, in a
database of its own, `openmash_dupbench`, created here and dropped afterwards unless --keep) with
`manage.py generate_people --count N --seed S --truth …`, then runs the finder as the command does —
timed end to end, from reading people to writing the pairs — on an empty queue, and measures the
queued pairs against the generator's truth: pairwise precision, recall and F1 ("same real person"
pairs), twin pairs and other household pairs wrongly queued.

    .venv/bin/python scripts/bench_duplicates.py                        # 1,000,000 people, seed 8202
    .venv/bin/python scripts/bench_duplicates.py --count 100000 --reuse  # keep the generated database
    .venv/bin/python scripts/bench_duplicates.py --database-url postgres://postgres@127.0.0.1:5432/openmash

The default seed (8202) was never used to tune anything; the seeds the finder was tuned on are
listed in docs/adr/0012-person-matching.md. A benchmark, not a test: nothing fails, whatever the
numbers. Results go in docs/benchmarks.md.
"""

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_NAME = "openmash_dupbench"


def _postgres(url: str, *, reuse: bool):
    """The benchmark's own database on the server at `url`: (its url, existed already, drop())."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))

    def run(*statements):
        with psycopg.connect(admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(sql.SQL(statement).format(name=sql.Identifier(PG_NAME)))

    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_NAME,)).fetchone() is not None
    if not (reuse and exists):
        run("DROP DATABASE IF EXISTS {name}", "CREATE DATABASE {name}")

    def drop():
        from django.db import connections

        connections.close_all()
        run("DROP DATABASE IF EXISTS {name}")

    return urlunsplit(parts._replace(path="/" + PG_NAME)), reuse and exists, drop


def _cpu_seconds() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pairwise(queued: list[tuple[int, int]], truth_path: Path) -> dict:
    """Precision, recall and F1 of queued (person_a, person_b) pairs against the truth CSV, and the
    wrong pairs that are twins or other members of one household."""
    entity, twin, household = {}, {}, {}
    with open(truth_path, newline="") as f:
        for row in csv.DictReader(f):
            pid = int(row["person_id"])
            entity[pid] = int(row["entity_id"])
            twin[pid] = int(row["twin_group"])
            household[pid] = int(row["household_id"])
    sizes: dict[int, int] = {}
    for e in entity.values():
        sizes[e] = sizes.get(e, 0) + 1
    true_pairs = sum(k * (k - 1) // 2 for k in sizes.values())
    tp = twins = household_pairs = 0
    for a, b in queued:
        if entity.get(a) is not None and entity.get(a) == entity.get(b):
            tp += 1
        elif twin.get(a) and twin.get(a) == twin.get(b):
            twins += 1
        elif household.get(a) is not None and household.get(a) == household.get(b):
            household_pairs += 1
    precision = tp / len(queued) if queued else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(queued=len(queued), true_pairs=true_pairs, true_positives=tp, precision=precision, recall=recall,
                f1=f1, twins_wrongly_queued=twins, household_wrongly_queued=household_pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=8202, help="data seed (8202: never used for tuning)")
    parser.add_argument("--workdir", help="where the SQLite database and the truth go "
                                          "(default /tmp/openmash-dupbench/COUNT-SEED)")
    parser.add_argument("--reuse", action="store_true", help="use the database already generated in --workdir")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--threshold", type=float, help="the finder's threshold (default: the command's)")
    args = parser.parse_args()

    workdir = Path(args.workdir or f"/tmp/openmash-dupbench/{args.count}-{args.seed}")
    workdir.mkdir(parents=True, exist_ok=True)
    truth = workdir / ("truth-pg.csv" if args.database_url else "truth.csv")
    os.environ["OPENMASH_VAR_DIR"] = str(workdir / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "openmash.config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    drop = None
    reused = False
    if args.database_url:
        os.environ["DATABASE_URL"], reused, drop = _postgres(args.database_url, reuse=args.reuse)
    else:
        os.environ["DATABASE_URL"] = ""
        reused = args.reuse and (workdir / "var" / "openmash.sqlite3").exists() and truth.exists()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openmash.core.progress import ProgressBar
    from openmash.people.duplicates.batch import DEFAULT_THRESHOLD
    from openmash.people.duplicates.finder import find_duplicates
    from openmash.people.models import DuplicatePair, Person

    class _Err:
        def write(self, text, ending=""):
            sys.stderr.write(text)

        def flush(self):
            sys.stderr.flush()

    try:
        if not reused:
            if not args.database_url:
                db = workdir / "var" / "openmash.sqlite3"
                if db.exists():
                    db.unlink()
            call_command("migrate", interactive=False, verbosity=0)
            started = time.perf_counter()
            call_command("generate_people", count=args.count, seed=args.seed, truth=str(truth), no_keys=True)
            print(f"generated {args.count:,} people (seed {args.seed}) in {time.perf_counter() - started:.0f} s")
        people = Person.objects.count()
        cleared = DuplicatePair.objects.all().delete()[0]
        print(f"{connection.vendor}: {people:,} people (seed {args.seed}){' (reused)' if reused else ''}; "
              f"{cleared:,} earlier pairs cleared")

        threshold = args.threshold or DEFAULT_THRESHOLD
        # CPU time too: the machine is shared, and the wall clock shows the other work on it.
        cpu_started = _cpu_seconds()
        started = time.perf_counter()
        result = find_duplicates(threshold=threshold, read_progress=ProgressBar("Reading", _Err()),
                                 score_progress=ProgressBar("Scoring", _Err()))
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
        print(result.summary())
        queued = list(DuplicatePair.objects.values_list("person_a_id", "person_b_id"))
        m = pairwise(queued, truth)
        print(f"\nfind_duplicates on {result.people:,} people ({connection.vendor}, threshold {threshold}): "
              f"{wall:.1f} s end to end ({cpu:.1f} s of CPU, this process and its workers; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        print(f"  candidate pairs {result.candidates:,}; queued {m['queued']:,} of {m['true_pairs']:,} true pairs")
        print(f"  precision {m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}")
        print(f"  twin pairs wrongly queued {m['twins_wrongly_queued']:,}; other household pairs wrongly queued "
              f"{m['household_wrongly_queued']:,}")
    finally:
        if drop is not None and not args.keep:
            drop()


if __name__ == "__main__":
    main()
