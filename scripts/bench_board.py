#!/usr/bin/env python
"""Benchmark: how long a wall board's fragment takes to render, at national scale.

Builds a fresh database (SQLite in a temporary directory; PostgreSQL when --database-url is given, in
a database of its own that is dropped afterwards) with the demo hub and 500 open referrals, each
asked of all 16 agencies (8,000 requests, a realistic mix of answered, not known, declined, waiting
and overdue), made through the real services. Then it asks for `GET /board/fragment?key=…` through
Django's test client — the whole middleware stack, the key check, the selector, the audit check and
the template, as a board's refresh does — many times, and reports p50/p95/max per run and the median
of each over the runs (the machine is shared and noisy).

    .venv/bin/python scripts/bench_board.py                      # SQLite
    .venv/bin/python scripts/bench_board.py --database-url postgres://postgres@127.0.0.1:5432/openmash

Results go in docs/benchmarks.md ("Board fragment render"). It is a benchmark, not a test: nothing
fails, whatever the numbers.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _postgres(url: str):
    """A database of the benchmark's own on the server at `url`: (its url, a function to drop it)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"openmash_bench_board_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))

    def run(*statements):
        with psycopg.connect(admin, autocommit=True) as conn:
            for statement in statements:
                conn.execute(sql.SQL(statement).format(name=sql.Identifier(name)))

    def drop():
        from django.db import connections

        connections.close_all()
        run("DROP DATABASE IF EXISTS {name}")

    run("DROP DATABASE IF EXISTS {name}", "CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path="/" + name)), drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--referrals", type=int, default=500)
    parser.add_argument("--agencies", type=int, default=16, help="agencies asked per referral")
    parser.add_argument("--iterations", type=int, default=200, help="fragment renders per run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="openmash-bench-board-")
    drop = None
    os.environ["OPENMASH_VAR_DIR"] = workdir.name
    os.environ["DJANGO_SETTINGS_MODULE"] = "openmash.config.settings.local"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    if args.database_url:
        os.environ["DATABASE_URL"], drop = _postgres(args.database_url)
    else:
        os.environ["DATABASE_URL"] = ""

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from openmash.board import selectors
    from openmash.board.demo import seed_open_referrals
    from openmash.board.services import board_create
    from openmash.core.demo import ensure_agencies_and_users
    from openmash.information_requests.models import InformationRequest

    try:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        ensure_agencies_and_users()
        seed_open_referrals(count=args.referrals, seed=2026, agencies=args.agencies, awaiting_triage_share=0)
        print(f"{connection.vendor}: {args.referrals} open referrals, {InformationRequest.objects.count()} requests, "
              f"built in {time.perf_counter() - started:.0f} s")

        boards = {
            "hub": board_create(user=None, name="Hub", kind="hub")[1],
            "agency (police)": board_create(user=None, name="Police", kind="agency", agency_code="police")[1],
            "decision": board_create(user=None, name="Decision", kind="decision")[1],
        }
        # As a board's browser asks: compressed (the compression is part of the cost).
        client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_ENCODING="gzip", raise_request_exception=True)
        for name, key in boards.items():
            view = selectors.board_view(board=selectors.board_for_device(key=key))
            client.get("/board/fragment", {"key": key})  # the first refresh of a session is audited; the rest are not
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/board/fragment", {"key": key})
            assert response.status_code == 200, response.status_code
            print(f"\n{name} board: {view.totals.rows} rows, {view.pages} pages; one fragment = "
                  f"{len(queries)} queries, {len(response.content) / 1024:.0f} KiB sent ({response.get('Content-Encoding', 'plain')})")
            summary = {"p50": [], "p95": [], "max": []}
            for run in range(1, args.runs + 1):
                for _ in range(5):  # warm up
                    client.get("/board/fragment", {"key": key})
                times = []
                for _ in range(args.iterations):
                    t0 = time.perf_counter()
                    response = client.get("/board/fragment", {"key": key})
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200
                p50, p95, worst = statistics.median(times), _percentile(times, 0.95), max(times)
                summary["p50"].append(p50)
                summary["p95"].append(p95)
                summary["max"].append(worst)
                print(f"  run {run}: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {worst:6.1f} ms   ({args.iterations} renders)")
            print(f"  median of {args.runs} runs: p50 {statistics.median(summary['p50']):.1f} ms, "
                  f"p95 {statistics.median(summary['p95']):.1f} ms, max {statistics.median(summary['max']):.1f} ms")
    finally:
        if drop is not None:
            drop()
        workdir.cleanup()


if __name__ == "__main__":
    main()
