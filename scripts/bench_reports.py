#!/usr/bin/env python
"""Benchmark: the report pages, the insight pages and the reports API at national scale (issue 6).

Builds a scratch database (SQLite in a data directory; PostgreSQL when --database-url is given, in a
database of its own, `openmash_bench_reports` by default), migrates it, loads N referrals of generated
history with `manage.py generate_history` (16 agencies each: ~16 requests per referral), builds the
report blocks with `manage.py build_report_facts`, then requests every report and insight page and the
API as a signed-in MASH manager and analyst through Django's test client — the real path: middleware,
sign-in, filter form, block refresh, numpy, suppression, templates, audit write.

For each page and period it reports the median of --runs requests in three states:
- cold: this process has no block in memory (as after a restart): every block is read from the database;
- warm: the blocks are in memory; only their tokens are read;
- changed: just after an agency answered a request on a referral of the current month, so that
  month's block must be rebuilt from the live tables first;
and, after a restart, how long the start-up warm-up (facts.warm) takes and the first report after it.

    .venv/bin/python scripts/bench_reports.py --referrals 1000000 --data-dir /tmp/bench-reports --reuse
    .venv/bin/python scripts/bench_reports.py --referrals 1000000 --database-url postgres://postgres@127.0.0.1:5432/openmash --reuse

It is a benchmark, not a test: nothing fails, whatever the numbers.
"""

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_people_search import scratch_environment  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use instead of SQLite")
    parser.add_argument("--database-name", default="openmash_bench_reports")
    parser.add_argument("--data-dir", default="", help="SQLite database here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database; load only if it is not there yet")
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=6601)
    parser.add_argument("--runs", type=int, default=5, help="requests per page and state (the median is reported)")
    parser.add_argument("--only", default="", help="comma-separated page names to run (default: all)")
    args = parser.parse_args()

    data_dir, tmp, drop, _existed = scratch_environment(args, "openmash-bench-reports")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    from openmash.accounts.models import User
    from openmash.accounts.services import api_token_create
    from openmash.core import clock
    from openmash.core.demo import ensure_agencies_and_users
    from openmash.information_requests.models import InformationRequest
    from openmash.information_requests.services import AnswerInput, information_request_answer
    from openmash.referrals.models import Referral
    from openmash.reports import facts
    from openmash.reports.models import FactBlock

    try:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        loaded = Referral.objects.count()
        if loaded not in (0, args.referrals):
            sys.exit(f"The scratch database holds {loaded:,} referrals, not {args.referrals:,}: run without --reuse.")
        if not loaded:
            call_command("generate_history", "--referrals", str(args.referrals), "--seed", str(args.seed))
            print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
        ensure_agencies_and_users()
        t = time.perf_counter()
        if not FactBlock.objects.exists():
            call_command("build_report_facts")
            print(f"blocks built in {time.perf_counter() - t:.0f} s", flush=True)
        requests = InformationRequest.objects.count()
        blob_bytes = sum(len(p) for p in FactBlock.objects.values_list("payload", flat=True).iterator())
        print(f"{connection.vendor}: {Referral.objects.count():,} referrals, {requests:,} information requests, "
              f"{FactBlock.objects.count()} monthly blocks ({blob_bytes / 1e6:,.0f} MB)", flush=True)

        manager = User.objects.get(username="manager")
        analyst = User.objects.get(username="analyst")
        token = api_token_create(user=manager, name="benchmark")
        as_manager, as_analyst = Client(), Client()
        as_manager.force_login(manager)
        as_analyst.force_login(analyst)
        today = clock.local_today()
        first = clock.to_local(Referral.objects.order_by("received_at").values_list("received_at", flat=True)[0]).date()
        periods = {
            "12 months": (today - dt.timedelta(days=364), today),
            "5 years": (today - dt.timedelta(days=5 * 365), today),
            "everything": (first, today),
        }

        def q(period, **extra):
            start, end = periods[period]
            return {"from": start.isoformat(), "to": end.isoformat(), **extra}

        pages = {
            "reports (manager)": lambda p: as_manager.get("/reports/", q(p)),
            "reports (analyst, suppressed)": lambda p: as_analyst.get("/reports/", q(p)),
            "reports filtered (red, police source, police agency)": lambda p: as_manager.get(
                "/reports/", q(p, rating="red", source="6", agency="police")),
            "insight": lambda p: as_analyst.get("/insight/", q(p)),
            "hotspots by sector, CSE": lambda p: as_analyst.get("/insight/hotspots/", q(p, level="sector", cohort="cse")),
            "API performance": lambda p: as_manager.get(
                "/api/v1/reports/performance", q(p), headers={"Authorization": f"Bearer {token}"}),
        }
        if args.only:
            wanted = {w.strip() for w in args.only.split(",")}
            pages = {k: v for k, v in pages.items() if k in wanted}

        open_request = (
            InformationRequest.objects.filter(status="open", referral__received_at__gte=clock.now() - dt.timedelta(days=20))
            .select_related("agency", "referral").order_by("-id")
        )
        reps = {u.agency_id: u for u in User.objects.filter(role="agency_rep", is_active=True)}

        def change():
            """An agency answers one open request of this month: its block must be rebuilt."""
            for request in open_request[:50]:
                rep = reps.get(request.agency_id)
                if rep is not None:
                    information_request_answer(user=rep, request=request, data=AnswerInput(outcome="not_known"))
                    return
            raise SystemExit("no open request this month to answer (generate with an end date of today)")

        def timed(fn):
            t0 = time.perf_counter()
            response = fn()
            ms = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code}: {response.content[:500]!r}")
            return ms

        results = []
        for name, fetch in pages.items():
            for period in periods:
                cold, warm, changed = [], [], []
                for _ in range(args.runs):
                    facts.clear_cache()
                    cold.append(timed(lambda: fetch(period)))
                    warm.append(timed(lambda: fetch(period)))
                    change()
                    time.sleep(0.01)
                    changed.append(timed(lambda: fetch(period)))
                row = (name, period, statistics.median(cold), statistics.median(warm), statistics.median(changed), max(cold + warm + changed))
                results.append(row)
                print(f"  {name:55} {period:11} cold {row[2]:7.0f} ms   warm {row[3]:7.0f} ms   after a change {row[4]:7.0f} ms   (max {row[5]:.0f})", flush=True)
        # A restarted web server reads every stored block on a thread of its own as it starts
        # (REPORTS_WARM_ON_START): how long that takes, and the first report over everything after it.
        warm_ups, firsts = [], []
        first_page = next(iter(pages.items()), None)
        for _ in range(args.runs if first_page else 0):
            facts.clear_cache()
            t0 = time.perf_counter()
            read = facts.warm()
            warm_ups.append((time.perf_counter() - t0) * 1000)
            firsts.append(timed(lambda: first_page[1]("everything")))
        # And a report that arrives the moment the server starts: it waits for the warm-up, then runs.
        arriving = []
        for _ in range(args.runs if first_page else 0):
            facts.clear_cache()
            t0 = time.perf_counter()
            warm_up = facts.warm_in_background()
            timed(lambda: first_page[1]("everything"))
            arriving.append((time.perf_counter() - t0) * 1000)
            warm_up.join()
        if warm_ups:
            print(f"  after a restart: the warm-up reads {read} blocks in {statistics.median(warm_ups):.0f} ms (median; max "
                  f"{max(warm_ups):.0f}); then {first_page[0]} over everything {statistics.median(firsts):.0f} ms (max {max(firsts):.0f}); "
                  f"the same report arriving as the server starts {statistics.median(arriving):.0f} ms (max {max(arriving):.0f})",
                  flush=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{connection.vendor}, {args.referrals:,} referrals (seed {args.seed}), median of {args.runs} per cell; "
              f"peak memory of this process {rss:,.0f} MB; load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if results:
            worst = max(results, key=lambda r: max(r[2], r[3], r[4]))
            print(f"slowest median: {worst[0]} / {worst[1]}: {max(worst[2], worst[3], worst[4]):.0f} ms")
    finally:
        if drop is not None and not args.reuse:
            drop()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
