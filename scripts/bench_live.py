#!/usr/bin/env python
"""Benchmark the live boards: how long a change takes to reach every connected board, and whether a
long run leaks memory or loses streams (issue 3, "Proof"; results in docs/benchmarks.md).

    .venv/bin/python scripts/bench_live.py                      # latency, SQLite (the default)
    .venv/bin/python scripts/bench_live.py --database postgres  # latency, PostgreSQL (DATABASE_URL's server)
    .venv/bin/python scripts/bench_live.py --soak 600           # 10 minutes, one change a second

What it does:

1. Makes a fresh database (a SQLite file in a temporary directory, or a PostgreSQL database
   `openmash_bench_<pid>`), migrates it and fills it through the real services: the 16 agencies and
   demo users, REFERRALS open referrals each triaged to all 16 agencies, BOARDS boards (3/5 hub,
   1/5 decision, 1/5 police) and an API token for the police representative.
2. Starts two uvicorn processes on that database (`--topology ports`: one port each, the boards
   split between them; `--topology workers`: one `uvicorn --workers 2`, the kernel shares out the
   connections) with the README's settings.
3. Connects every board to /board/events and waits for "ready" on all.
4. Latency: CHANGES changes per run, RUNS runs. Each change is a police answer through the API
   (`POST /api/v1/information-requests/{id}/answer`), sent to the two processes in turn, about a
   second apart; latency is from just before the API call is sent to each board's "changed" event
   (so it includes the API call itself). Reports p50/p95/max per run and the median of the runs.
   With --fetch, each board then fetches its fragment as the real board does, and the time to the
   fragment's arrival is reported too (the full loop, with 50 boards rendering at once).
5. Soak (--soak SECONDS): one change a second for that long; the resident memory (RSS) of the
   server processes every 10 s; every board must see every change and no stream may drop; every
   30 s (--churn-every) one board disconnects and reconnects (a screen switched off and on).

The database is dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/openmash"


# ------------------------------------------------------------------ seeding (runs inside Django)


def seed(referrals: int, boards: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from openmash.accounts.services import api_token_create
    from openmash.board.services import board_create
    from openmash.core import clock
    from openmash.core.demo import ensure_agencies_and_users
    from openmash.core.testing.factories import make_triaged
    from openmash.information_requests.models import InformationRequest

    users = ensure_agencies_and_users()
    ratings = ["urgent", "red", "amber", "green"]
    started = time.monotonic()

    for i in range(referrals):
        # Received over the last day, so that clocks on the board differ.
        make_triaged(users, rating=ratings[i % 4], received_at=clock.now() - dt.timedelta(minutes=10 + (i * 7) % 1400))
    seeded = time.monotonic() - started
    keys = []
    for i in range(boards):
        share = i % 5
        kind, agency = ("decision", "") if share == 3 else ("agency", "police") if share == 4 else ("hub", "")
        keys.append({"kind": kind, "key": board_create(user=users["admin"], name=f"Bench {i:02d}", kind=kind, agency_code=agency)[1]})
    police = list(InformationRequest.objects.filter(agency__code="police", status="open").order_by("id").values_list("id", flat=True))
    return {
        "boards": keys,
        "token": api_token_create(user=users["police-rep"], name="bench"),
        "requests": police,
        "seconds_to_seed": round(seeded, 1),
    }


# ------------------------------------------------------------------ the database and the servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Database:
    def __init__(self, kind: str, pg_url: str, workdir: Path):
        self.kind = kind
        self.var_dir = workdir / "var"
        self.var_dir.mkdir()
        if kind == "postgres":
            parts = urlsplit(pg_url)
            self.name = f"openmash_bench_{os.getpid()}"
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        else:
            self.url = ""

    def _admin(self, *statements):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self):
        if self.kind == "postgres":
            self.drop()
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.kind == "postgres":
            self._admin(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
                f'DROP DATABASE IF EXISTS "{self.name}"',
            )

    def env(self) -> dict:
        env = {
            **os.environ, "DATABASE_URL": self.url, "OPENMASH_VAR_DIR": str(self.var_dir),
            "DJANGO_SETTINGS_MODULE": "openmash.config.settings.local", "DJANGO_DEBUG": "0",
            "PYTHONDONTWRITEBYTECODE": "1", "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": "5",
        }
        env.pop("DJANGO_SECRET_KEY", None)
        return env


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Servers:
    def __init__(self, topology: str, env: dict, workdir: Path):
        self.topology, self.env, self.workdir = topology, env, workdir
        self.processes: list[subprocess.Popen] = []
        self.bases: list[str] = []

    def start(self):
        command = [sys.executable, "-m", "uvicorn", "openmash.config.asgi:application", "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
        runs = [["--port", str(_free_port())] for _ in range(2)] if self.topology == "ports" else [["--port", str(_free_port()), "--workers", "2"]]
        for i, extra in enumerate(runs):
            log = open(self.workdir / f"server-{i}.log", "wb")
            self.processes.append(subprocess.Popen(command + extra, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
            self.bases.append(f"http://127.0.0.1:{extra[1]}")
        for base in self.bases:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2):
                        break
                except (urllib.error.URLError, ConnectionError, OSError):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{base} did not start: see {self.workdir}")
                    time.sleep(0.2)
        if self.topology == "workers":
            deadline = time.monotonic() + 30
            while len(self.worker_pids()) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (uvicorn's workers, not its supervisor)."""
        if self.topology == "ports":
            return [p.pid for p in self.processes]
        # --workers: the supervisor's children (multiprocessing spawn also starts a tracker; skip it).
        pids = []
        for pid in _children(self.processes[0].pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmd:
                pids.append(pid)
        return pids

    def base_for(self, i: int) -> str:
        return self.bases[i % len(self.bases)]

    def stop(self):
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


# ------------------------------------------------------------------ boards and changes


class Board:
    def __init__(self, index: int, base: str, key: str, kind: str, fetch: bool, pool):
        self.index, self.base, self.key, self.kind, self.fetch, self.pool = index, base, key, kind, fetch, pool
        self.changed: list[float] = []
        self.fetched: list[float] = []
        self.drops = 0
        self.client = None
        self.task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    async def open(self):
        from openmash.core.testing.sse import SSEClient

        self.ready.clear()
        # Like a real board: `since` is the time of the data it shows (here: now; the servers run on
        # this machine, so its clock is theirs).
        since = quote(dt.datetime.now(dt.timezone.utc).isoformat())
        self.client = SSEClient(f"{self.base}/board/events?key={self.key}&since={since}")
        status = await self.client.connect()
        if status != 200:
            raise SystemExit(f"board {self.index}: /board/events answered {status}")
        self.task = asyncio.create_task(self._read(self.client))
        await asyncio.wait_for(self.ready.wait(), 30)

    async def _read(self, client):
        from openmash.core.testing.sse import StreamClosed

        try:
            while True:
                event = await client.next_event()
                if event.name == "ready":
                    self.ready.set()
                elif event.name == "changed":
                    self.changed.append(event.received)
                    if self.fetch:
                        asyncio.get_running_loop().run_in_executor(self.pool, self._fetch)
        except StreamClosed:
            self.drops += 1
        except asyncio.CancelledError:
            pass

    def _fetch(self):
        with urllib.request.urlopen(f"{self.base}/board/fragment?key={self.key}", timeout=30) as response:
            response.read()
        self.fetched.append(time.monotonic())

    async def close(self):
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.client is not None:
            await self.client.close()


class Changer:
    """Police answers through the API, one request after another; corrections once all are answered."""

    def __init__(self, servers: Servers, token: str, requests: list[int]):
        self.servers, self.token, self.requests = servers, token, requests
        self.n = 0

    def change(self) -> tuple[float, float]:
        request_id = self.requests[self.n % len(self.requests)]
        body = {"outcome": "not_known"} if self.n < len(self.requests) else {"outcome": "not_known", "correction_reason": f"Checked again ({self.n})"}
        base = self.servers.base_for(self.n)
        self.n += 1
        call = urllib.request.Request(
            f"{base}/api/v1/information-requests/{request_id}/answer", method="POST", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        sent = time.monotonic()
        with urllib.request.urlopen(call, timeout=30) as response:
            if response.status != 201:
                raise SystemExit(f"the answer was refused: {response.status}")
        return sent, time.monotonic()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def wait_all(boards: list[Board], sent: float, attr: str, timeout: float = 15) -> list[float]:
    """Each board's first `attr` time after `sent` (waits up to `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        firsts = [next((t for t in getattr(b, attr) if t >= sent), None) for b in boards]
        if all(f is not None for f in firsts):
            return [f - sent for f in firsts]
        await asyncio.sleep(0.005)
    missing = sum(1 for b in boards if not any(t >= sent for t in getattr(b, attr)))
    raise SystemExit(f"{missing} board(s) never got the change ({attr}) within {timeout} s")


async def latency(args, servers: Servers, setup: dict) -> dict:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(setup["boards"]) + 4)
    boards = [Board(i, servers.base_for(i), b["key"], b["kind"], args.fetch, pool) for i, b in enumerate(setup["boards"])]
    await asyncio.gather(*(b.open() for b in boards))
    changer = Changer(servers, setup["token"], setup["requests"])
    loop = asyncio.get_running_loop()
    runs = []
    for run in range(args.runs):
        notified, updated, api = [], [], []
        for _ in range(args.changes):
            sent, answered = await loop.run_in_executor(pool, changer.change)
            api.append(answered - sent)
            notified += await wait_all(boards, sent, "changed")
            if args.fetch:
                updated += await wait_all(boards, sent, "fetched")
            # Jittered, so that changes fall at every point of the SQLite pollers' 0.2 s cycle.
            await asyncio.sleep(args.gap * random.uniform(0.75, 1.25))
        summary = {
            "run": run + 1, "changes": args.changes, "deliveries": len(notified),
            "p50_ms": round(pct(notified, 50) * 1000, 1), "p95_ms": round(pct(notified, 95) * 1000, 1),
            "max_ms": round(max(notified) * 1000, 1), "api_p50_ms": round(pct(api, 50) * 1000, 1),
        }
        if args.fetch:
            summary.update(
                fetched_p50_ms=round(pct(updated, 50) * 1000, 1), fetched_p95_ms=round(pct(updated, 95) * 1000, 1),
                fetched_max_ms=round(max(updated) * 1000, 1),
            )
        print(json.dumps(summary), flush=True)
        runs.append(summary)
    drops = sum(b.drops for b in boards)
    await asyncio.gather(*(b.close() for b in boards))
    pool.shutdown(wait=False)
    medians = {k: round(statistics.median(r[k] for r in runs), 1) for k in runs[0] if k.endswith("_ms")}
    return {"runs": runs, "median_of_runs": medians, "streams_dropped": drops}


async def soak(args, servers: Servers, setup: dict) -> dict:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    boards = [Board(i, servers.base_for(i), b["key"], b["kind"], False, pool) for i, b in enumerate(setup["boards"])]
    await asyncio.gather(*(b.open() for b in boards))
    changer = Changer(servers, setup["token"], setup["requests"])
    loop = asyncio.get_running_loop()
    pids = servers.worker_pids()
    samples = []  # (seconds since start, [rss KiB per process])
    latencies, missed, reconnects = [], 0, 0
    started = time.monotonic()
    next_sample = started
    next_churn = started + args.churn_every
    for n in range(int(args.soak * args.rate)):
        due = started + n / args.rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        now = time.monotonic()
        if now >= next_sample:
            samples.append((round(now - started), [rss_kib(p) for p in pids]))
            next_sample += 10
        if now >= next_churn:
            board = boards[reconnects % len(boards)]
            await board.close()
            await board.open()
            reconnects += 1
            next_churn += args.churn_every
        sent, _ = await loop.run_in_executor(pool, changer.change)
        try:
            latencies += await wait_all(boards, sent, "changed", timeout=5)
        except SystemExit as exc:
            missed += 1
            print(f"change {n}: {exc}", flush=True)
        if n % 60 == 59:
            print(f"{n + 1} changes, {round(time.monotonic() - started)} s, RSS {samples[-1][1]} KiB", flush=True)
    samples.append((round(time.monotonic() - started), [rss_kib(p) for p in pids]))
    drops = sum(b.drops for b in boards)
    await asyncio.gather(*(b.close() for b in boards))
    pool.shutdown(wait=False)
    # Memory: first sample after a minute's warm-up against the last; and the trend over the rest.
    warm = [s for s in samples if s[0] >= 60] or samples
    per_process = []
    for i, pid in enumerate(pids):
        xs = [s[0] for s in warm]
        ys = [s[1][i] for s in warm]
        slope = statistics.linear_regression(xs, ys).slope * 60 if len(xs) > 1 else 0.0
        per_process.append({
            "pid": pid, "rss_start_kib": samples[0][1][i], "rss_after_1min_kib": warm[0][1][i], "rss_end_kib": samples[-1][1][i],
            "rss_max_kib": max(s[1][i] for s in samples), "trend_kib_per_min_after_1min": round(slope, 1),
        })
    return {
        "seconds": args.soak, "changes": changer.n, "boards": len(boards), "changes_missed_by_some_board": missed,
        "streams_dropped": drops, "planned_reconnects": reconnects,
        "p50_ms": round(pct(latencies, 50) * 1000, 1), "p95_ms": round(pct(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1), "processes": per_process, "rss_samples": samples,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("DATABASE_URL") or DEFAULT_PG, help="a PostgreSQL server (its database is not used)")
    parser.add_argument("--topology", choices=["ports", "workers"], default="ports")
    parser.add_argument("--referrals", type=int, default=500)
    parser.add_argument("--boards", type=int, default=50)
    parser.add_argument("--changes", type=int, default=30, help="changes per latency run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between changes in a latency run")
    parser.add_argument("--fetch", action="store_true", help="boards fetch their fragment on each change, as the real board does")
    parser.add_argument("--soak", type=float, default=0, help="run a soak of this many seconds instead of the latency runs")
    parser.add_argument("--rate", type=float, default=1.0, help="changes a second during the soak")
    parser.add_argument("--churn-every", type=float, default=30, help="soak: seconds between a board disconnecting and reconnecting")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    parser.add_argument("--seed-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        print(json.dumps(seed(args.referrals, args.boards)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="openmash-bench-live-"))
    database = Database(args.database, args.pg_url, workdir)
    servers = None
    try:
        database.create()
        env = database.env()
        made = subprocess.run(
            [sys.executable, __file__, "--seed-only", "1", "--referrals", str(args.referrals), "--boards", str(args.boards)],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        if made.returncode != 0:
            raise SystemExit(made.stderr[-3000:])
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        print(
            f"{args.database}: {args.referrals} open referrals x 16 agencies seeded in {setup['seconds_to_seed']} s; "
            f"{len(setup['boards'])} boards; topology {args.topology}; {os.cpu_count()} CPUs", flush=True,
        )
        servers = Servers(args.topology, env, workdir)
        servers.start()
        result = asyncio.run(soak(args, servers, setup) if args.soak else latency(args, servers, setup))
        result.update(database=args.database, topology=args.topology, referrals=args.referrals, boards=len(setup["boards"]))
        print(json.dumps(result, indent=1 if args.soak else None))
    finally:
        if servers is not None:
            servers.stop()
            for log in workdir.glob("server-*.log"):
                text = log.read_text(errors="replace")
                if "Traceback" in text or "ERROR" in text:
                    print(f"--- {log.name} (errors)\n{text[-3000:]}", file=sys.stderr)
        if not args.keep:
            database.drop()
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept: {workdir} {getattr(database, 'name', '')}", file=sys.stderr)


if __name__ == "__main__":
    main()
