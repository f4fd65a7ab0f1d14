"""Two real `manage.py run_clock` processes racing over one database: every notice is sent exactly
once, on a SQLite file in WAL mode and on PostgreSQL (when DATABASE_URL is a postgres URL).

Each test builds its own database (never the test run's, never the developer's), fills it through the
real services with the clock moved back, so that hundreds of notices are overdue at once (as after
run_clock was down), then starts two run_clock processes at the same moment, claiming five notices at
a time so that their claims interleave. What was sent is counted three ways: notification rows, the
emails a real SMTP server received, and each process's log of what it sent.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[3]
RED, AMBER, AGENCIES = 12, 6, 16

SEED = """
import datetime as dt, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from openmash.core import clock
from openmash.core.testing.hub import quick_hub
from openmash.core.testing.factories import make_triaged
from openmash.referrals.services import decision_clock_update

users = quick_hub()
# A one-hour decision clock, so that every referral's decision is overdue too.
decision_clock_update(user=users["admin"], minutes=60, basis="calendar")
now = clock.now()
for _ in range({red}):
    with clock.frozen(now - dt.timedelta(hours=5)):   # red, 4 h: overdue by an hour; both warnings stale
        make_triaged(users, rating="red")
for _ in range({amber}):
    with clock.frozen(now - dt.timedelta(hours=13)):  # amber, 24 h: the 50% warning is due, the rest is not
        make_triaged(users, rating="amber")
"""

REPORT = """
import json, django
django.setup()
from django.db.models import Count
from openmash.audit.models import AuditEvent
from openmash.escalation.models import Notification, ScheduledNotice
notices = list(ScheduledNotice.objects.values("id", "kind", "status", "claimed_by", "fire_at"))
print(json.dumps({
    "notices": [{**n, "fire_at": n["fire_at"].isoformat()} for n in notices],
    "notifications": list(Notification.objects.values("notice_id", "recipient_id", "address", "channel", "status")),
    "audited": list(AuditEvent.objects.filter(action="escalation.notice_sent").values_list("details__notice", flat=True)),
}))
"""


class _Database:
    """A fresh database for one test: a SQLite file (WAL, as the local settings make it) or a
    PostgreSQL database created on the test server and dropped afterwards."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.workdir = workdir
        self.url = ""
        if kind == "postgres":
            parts = urlsplit(os.environ["DATABASE_URL"])
            self.name = f"openmash_race_{os.getpid()}"
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))

    def _admin(self, *statements):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            for statement, params in statements:
                conn.execute(sql.SQL(statement).format(name=sql.Identifier(self.name)), params)

    def create(self):
        if self.kind == "postgres":
            self.drop()
            self._admin(("CREATE DATABASE {name}", None))

    def drop(self):
        if self.kind == "postgres":
            self._admin(
                ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]),
                ("DROP DATABASE IF EXISTS {name}", None),
            )

    def env(self, smtp) -> dict:
        var = self.workdir / "var"
        var.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "OPENMASH_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "openmash.config.settings.local",
            "EMAIL_HOST": smtp.host,
            "EMAIL_PORT": str(smtp.port),
            "DEFAULT_FROM_EMAIL": "openmash@hub.example.gov.uk",
            "OPENMASH_BASE_URL": "https://mash.example.gov.uk",
            "LOG_LEVEL": "INFO",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SECRET_KEY", None)
        return env


def _kinds():
    kinds = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        kinds.append("postgres")
    return kinds


@pytest.fixture(params=_kinds())
def race_db(request, tmp_path, smtp_server):
    database = _Database(request.param, tmp_path)
    database.create()
    env = database.env(smtp_server)
    try:
        yield database, env
    finally:
        database.drop()


def _python(code: str, env: dict, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _run_clock(env: dict, name: str, log: Path, *args) -> subprocess.Popen:
    out = open(log, "wb")
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_clock", "--worker", name, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )


def _sent_in_log(log: Path) -> list[int]:
    return [int(n) for n in re.findall(r"Sent notice (\d+) ", log.read_text())]


def test_two_run_clock_processes_send_every_notice_exactly_once(race_db, smtp_server, tmp_path):
    database, env = race_db
    _python(SEED.format(red=RED, amber=AMBER), env)

    logs = [tmp_path / "clock-a.log", tmp_path / "clock-b.log"]
    processes = [_run_clock(env, name, log, "--once", "--batch", "5") for name, log in zip(("clock-a", "clock-b"), logs)]
    for process, log in zip(processes, logs):
        assert process.wait(timeout=300) == 0, log.read_text()[-4000:]
    report = json.loads(_python(REPORT, env))

    notices = report["notices"]
    by_status = Counter((n["kind"], n["status"]) for n in notices)
    referrals = RED + AMBER
    # Red: each agency's breach is sent and both its (now stale) warnings superseded. Amber: the 50%
    # warning is sent, the 90% warning and the breach wait for their time. Every decision is overdue.
    assert by_status == {
        ("request_breach", "sent"): RED * AGENCIES,
        ("request_warning", "superseded"): RED * AGENCIES * 2,
        ("request_warning", "sent"): AMBER * AGENCIES,
        ("request_warning", "pending"): AMBER * AGENCIES,
        ("request_breach", "pending"): AMBER * AGENCIES,
        ("decision_breach", "sent"): referrals,
    }, database.kind
    sent = {n["id"] for n in notices if n["status"] == "sent"}

    # Both processes did some of the work: they really raced.
    workers = Counter(n["claimed_by"] for n in notices if n["status"] in ("sent", "superseded"))
    assert set(workers) == {"clock-a", "clock-b"}, workers

    # 1. Each process's log: every sent notice appears once, in one log only.
    logged = _sent_in_log(logs[0]) + _sent_in_log(logs[1])
    assert sorted(logged) == sorted(sent)

    # 2. The notification rows: in the service, one per person; by email, one per address.
    notifications = report["notifications"]
    expected_in_app = RED * AGENCIES * 2 + AMBER * AGENCIES + referrals  # breach: manager + rep; warning: rep; decision: manager
    expected_email = RED * AGENCIES * 2 + AMBER * AGENCIES + referrals  # breach: duty inbox + manager; warning: rep; decision: manager
    assert Counter(n["channel"] for n in notifications) == {"in_app": expected_in_app, "email": expected_email}
    assert {n["notice_id"] for n in notifications} == sent
    assert {n["status"] for n in notifications} == {"sent"}

    # 3. What the SMTP server received: every email once, and nothing else.
    received = Counter((int(m.message["X-OpenMASH-Notice"]), m.rcpt_tos[0]) for m in smtp_server.received)
    assert all(count == 1 for count in received.values()), [k for k, c in received.items() if c > 1][:5]
    assert set(received) == {(n["notice_id"], n["address"]) for n in notifications if n["channel"] == "email"}

    # 4. The audit trail: one event per notice sent.
    assert sorted(report["audited"]) == sorted(sent)


def test_run_clock_keeps_going_until_it_is_told_to_stop(race_db, smtp_server, tmp_path):
    """The loop run.sh starts: it sends what is due, waits, and stops cleanly on SIGTERM."""
    database, env = race_db
    _python(SEED.format(red=1, amber=0), env)
    log = tmp_path / "clock.log"
    process = _run_clock(env, "looping", log, "--interval", "0.2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_sent_in_log(log)) < AGENCIES + 1:
            time.sleep(0.2)
        assert len(_sent_in_log(log)) == AGENCIES + 1, log.read_text()[-3000:]
        time.sleep(1)  # a few more passes: nothing more to send
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text()
    assert "run_clock looping started: a pass every 0.2 s" in text
    assert "run_clock looping stopped" in text
    assert len(_sent_in_log(log)) == AGENCIES + 1
    assert len(smtp_server.received) == AGENCIES * 2 + 1
