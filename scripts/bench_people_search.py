#!/usr/bin/env python
"""Benchmark: single person search (people.search.match_people) at national scale, and its recall.

Builds a scratch database (SQLite in a data directory; PostgreSQL when --database-url is given, in a
database of its own, `openmash_bench` by default), migrates it, loads N generated people with
`manage.py generate_people` (households, twins, duplicates with errors; the truth kept in a CSV file
beside it) and their blocking keys, then makes measuring queries with
`generator.generate_queries` from a seed that nothing was tuned on, and runs each through
`match_people` as a MASH practitioner — the real path: keys, candidates, scoring, households, and
the audit write. It reports p50/p95/max latency, recall@10 (the share of queries whose true person
is among the ten returned, by number of errors) and candidates scored per query.

    .venv/bin/python scripts/bench_people_search.py                       # SQLite, 1,000,000 people
    .venv/bin/python scripts/bench_people_search.py --count 100000 --data-dir /tmp/bps --reuse
    .venv/bin/python scripts/bench_people_search.py --database-url postgres://postgres@127.0.0.1:5432/openmash

--reuse keeps the scratch database (SQLite: in --data-dir, by default openmash-bench-people in the
temporary directory) after the run and, on the next run with the same --count and --seed, skips
loading. Without it the database is made afresh and dropped at the end.

Seeds already seen by the matching code, its tests or its tuning, and so refused here: data 1, 5, 8,
11, 21, 31, 42, 43, 101, 202; queries 9, 10, 303, 777, 4242 (docs/adr/0012-person-matching.md).
It is a benchmark, not a test: nothing fails, whatever the numbers.
"""

import argparse
import collections
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEEN_DATA_SEEDS = {1, 5, 8, 11, 21, 31, 42, 43, 101, 202}
SEEN_QUERY_SEEDS = {9, 10, 303, 777, 4242}


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _postgres(url: str, name: str, *, fresh: bool):
    """The benchmark's own database on the server at `url`: (its url, whether it existed, drop())."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))

    def run(*statements):
        with psycopg.connect(admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(sql.SQL(statement).format(name=sql.Identifier(name)))

    def drop():
        from django.db import connections

        connections.close_all()
        run("DROP DATABASE IF EXISTS {name}")

    with psycopg.connect(admin, autocommit=True) as conn:
        existed = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    if fresh or not existed:
        run("DROP DATABASE IF EXISTS {name}", "CREATE DATABASE {name}")
        existed = False
    return urlunsplit(parts._replace(path="/" + name)), existed, drop


def scratch_environment(args, name: str):
    """Where a benchmark keeps its scratch data, and the environment Django then starts in.

    The data directory is --data-dir, or (with --reuse) `name` in the temporary directory, or a fresh
    temporary one removed at the end. OPENMASH_VAR_DIR points at it and the local settings are used;
    with --database-url the scratch database is `--database-name` on that server, otherwise SQLite in
    the directory (its files removed first unless --reuse). Returns (data_dir, the temporary directory
    or None, drop() for the PostgreSQL database or None, whether the database was there already).
    """
    tmp = None
    if args.data_dir or args.reuse:
        data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / name)
        data_dir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix=f"{name}-")
        data_dir = Path(tmp.name)
    os.environ["OPENMASH_VAR_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openmash.config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    if args.database_url:
        os.environ["DATABASE_URL"], existed, drop = _postgres(args.database_url, args.database_name, fresh=not args.reuse)
        return data_dir, tmp, drop, existed
    os.environ["DATABASE_URL"] = ""
    sqlite_file = data_dir / "openmash.sqlite3"
    if not args.reuse and sqlite_file.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    return data_dir, tmp, None, sqlite_file.exists()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--database-name", default="openmash_bench", help="PostgreSQL: the scratch database's name")
    parser.add_argument("--data-dir", default="", help="SQLite database and truth file here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database; load only if it is not there yet")
    parser.add_argument("--count", type=int, default=1_000_000, help="people to load")
    parser.add_argument("--seed", type=int, default=7001, help="data seed")
    parser.add_argument("--queries", type=int, default=2_000, help="measuring queries")
    parser.add_argument("--query-seed", type=int, default=9001, help="query seed (never one used in tuning)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=50, help="queries run first and not measured (other seed)")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many queries and print the top functions")
    args = parser.parse_args()
    if args.seed in SEEN_DATA_SEEDS or args.query_seed in SEEN_QUERY_SEEDS or args.seed == args.query_seed:
        parser.error("that seed was seen while building or tuning the matcher: measuring on it would flatter the result")

    data_dir, tmp, drop, existed = scratch_environment(args, "openmash-bench-people")
    truth = data_dir / (f"truth-pg-{args.count}-{args.seed}.csv" if args.database_url else f"truth-{args.count}-{args.seed}.csv")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openmash.accounts.models import User
    from openmash.core.demo import ensure_agencies_and_users
    from openmash.people.generator import generate_population, generate_queries, read_truth
    from openmash.people.models import Person, PersonKey
    from openmash.people.search import match_people
    from openmash.people.selectors import SearchCriteria

    try:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        ensure_agencies_and_users()
        loaded = existed and truth.exists() and Person.objects.count() == args.count
        if not loaded:
            if Person.objects.exists():
                sys.exit("The scratch database holds other people: run once without --reuse to start afresh.")
            call_command("generate_people", "--count", str(args.count), "--seed", str(args.seed), "--truth", str(truth))
        print(f"{connection.vendor}: {Person.objects.count():,} people, {PersonKey.objects.count():,} keys "
              f"({'reused' if loaded else 'loaded'} in {time.perf_counter() - started:.0f} s)", flush=True)

        t0 = time.perf_counter()
        records = generate_population(args.count, args.seed)
        entity_of = {int(r["person_id"]): int(r["entity_id"]) for r in read_truth(truth)}
        queries = generate_queries(records, args.queries, args.query_seed)
        warmup = generate_queries(records, args.warmup, args.query_seed + 1) if args.warmup else []
        print(f"{len(queries):,} queries (seed {args.query_seed}) made in {time.perf_counter() - t0:.0f} s", flush=True)

        user = User.objects.get(username="practitioner")

        def criteria(q):
            return SearchCriteria(
                given_name=q.given_name, family_name=q.family_name, date_of_birth=q.date_of_birth,
                sex=q.sex if q.sex in ("M", "F") else "", postcode=q.postcode, address_line=q.address_line,
                nhs_number=q.nhs_number, upn=q.upn,
                other_names=[f"{g} {f}".strip() for g, f in q.other_names],
            )

        from openmash.people import search as search_module

        scored_counts, query_counts = [], []
        original_candidate_rows = search_module._candidate_rows

        def counting_candidate_rows(visible, **kw):
            out = original_candidate_rows(visible, **kw)
            scored_counts.append(len(out[0]))
            return out

        search_module._candidate_rows = counting_candidate_rows
        statements = [0]

        def count_statements(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        for q, _, _ in warmup:
            match_people(user=user, criteria=criteria(q), limit=args.limit, audit_context="benchmark warm-up")
        scored_counts.clear()

        times, cpu, hits = [], [], []
        by_errors = collections.defaultdict(lambda: [0, 0])
        for q, entity, errors in queries:
            c = criteria(q)
            statements[0] = 0
            with connection.execute_wrapper(count_statements):
                t, p = time.perf_counter(), time.process_time()
                results = match_people(user=user, criteria=c, limit=args.limit, audit_context="benchmark")
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - p) * 1000)
            query_counts.append(statements[0])
            hit = any(entity_of.get(r.person.pk) == entity for r in results)
            hits.append(hit)
            by_errors[len(errors)][0] += hit
            by_errors[len(errors)][1] += 1
        search_module._candidate_rows = original_candidate_rows

        print(f"\nmatch_people on {connection.vendor}, {args.count:,} people (data seed {args.seed}), "
              f"{len(queries):,} queries (seed {args.query_seed}), limit {args.limit}:")
        print(f"  latency ms: p50 {statistics.median(times):.1f}   p95 {_percentile(times, 0.95):.1f}   "
              f"p99 {_percentile(times, 0.99):.1f}   max {max(times):.1f}   mean {statistics.fmean(times):.1f}")
        print(f"  CPU time of this process ms: p50 {statistics.median(cpu):.1f}   p95 {_percentile(cpu, 0.95):.1f}   "
              f"max {max(cpu):.1f}   (wall time minus waiting: the machine is shared; see the load average)")
        print(f"  load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"  recall@{args.limit}: {sum(hits) / len(hits):.4f}  ("
              + ", ".join(f"{n} error{'s' if n > 1 else ''}: {h / t:.3f} of {t}" for n, (h, t) in sorted(by_errors.items()))
              + ")")
        print(f"  candidates scored per query: p50 {statistics.median(scored_counts):.0f}   "
              f"p95 {_percentile(scored_counts, 0.95):.0f}   max {max(scored_counts)}")
        print(f"  database statements per search (reads and the audit insert): p50 {statistics.median(query_counts):.0f}   "
              f"max {max(query_counts)}")

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for q, _, _ in queries[: args.profile]:
                match_people(user=user, criteria=criteria(q), limit=args.limit, audit_context="benchmark profile")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    finally:
        if not args.reuse:
            if drop is not None:
                drop()
            if tmp is not None:
                tmp.cleanup()


if __name__ == "__main__":
    main()
