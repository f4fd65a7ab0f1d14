"""Live boards across processes: two uvicorn workers on one database (issue 3, "Live").

A change made through worker A (an agency's answer through the API) reaches a board whose event
stream is held by worker B within one second; an agency board hears only its own agency's changes;
a revoked board's stream ends at once and its link then answers 404. The database is a fresh one for
this module: a SQLite file (DATABASE_URL empty) or a PostgreSQL database on the server in DATABASE_URL,
as for the browser journeys (tests/browser/conftest.py), so that the SQLite poller and PostgreSQL's
LISTEN/NOTIFY are each exercised by the run on their database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from openmash.core.testing.sse import SSEClient, StreamClosed, run_in_thread
from tests.browser.conftest import _free_port, _PostgresDatabase, _SqliteDatabase, _tail, _wait_for_health

ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT = 2  # seconds, instead of 15, so that the test sees heartbeats

SETUP = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from openmash.accounts.models import User
from openmash.accounts.services import api_token_create
from openmash.board.services import board_create
from openmash.core.demo import ensure_agencies_and_users
from openmash.core.testing.factories import make_triaged
ensure_agencies_and_users()
users = {u.username: u for u in User.objects.all()}
referral = make_triaged(users, rating="red", agencies=["police", "education", "gp"])
keys = {}
for name, kind, agency in [("hub", "hub", ""), ("decision", "decision", ""), ("police", "agency", "police"), ("education", "agency", "education")]:
    keys[name] = board_create(user=users["admin"], name=name, kind=kind, agency_code=agency)[1]
print(json.dumps({
    "keys": keys,
    "token": api_token_create(user=users["police-rep"], name="live test"),
    "gp_token": api_token_create(user=users["gp-rep"], name="live test"),
    "request": referral.requests.get(agency__code="police").pk,
    "gp_request": referral.requests.get(agency__code="gp").pk,
}))
"""

REVOKE = """
import sys
import django
django.setup()
from openmash.accounts.models import User
from openmash.board.models import BoardDisplay
from openmash.board.services import board_revoke
board = BoardDisplay.objects.get(name=sys.argv[1])
board_revoke(user=User.objects.get(username="admin"), board=board)
"""


class _LiveDatabase(_PostgresDatabase):
    """A database of its own: the browser journeys' (openmash_e2e_<pid>) may exist at the same time."""

    def __init__(self, url: str):
        super().__init__(url)
        self.name = f"openmash_live_{os.getpid()}"
        self.url = urlunsplit(urlsplit(url)._replace(path="/" + self.name))


@pytest.fixture(scope="module")
def workers():
    """Two uvicorn processes (A and B) on one fresh database; yields their base URLs and the set-up."""
    url = os.environ.get("DATABASE_URL", "")
    workdir = Path(tempfile.mkdtemp(prefix="openmash-live-"))
    var_dir = workdir / "var"
    var_dir.mkdir()
    database = _LiveDatabase(url) if url else _SqliteDatabase(var_dir)
    env = {
        **os.environ, **database.env(), "OPENMASH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "openmash.config.settings.local", "DJANGO_DEBUG": "0",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
        "OPENMASH_BOARD_HEARTBEAT_SECONDS": str(HEARTBEAT), "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": "2",
    }
    env.pop("DJANGO_SECRET_KEY", None)
    processes = []
    try:
        database.create()
        made = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        if made.returncode != 0:
            pytest.fail(f"Setting up {database} failed:\n{made.stderr[-3000:]}")
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        bases = []
        for name in ("a", "b"):
            port = _free_port()
            log = workdir / f"worker-{name}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "openmash.config.asgi:application", "--host", "127.0.0.1",
                     "--port", str(port), "--no-access-log", "--log-level", "warning"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
            processes.append((process, log))
            bases.append(f"http://127.0.0.1:{port}")
        for (process, log), base in zip(processes, bases):
            _wait_for_health(base, process, log)
        yield {"a": bases[0], "b": bases[1], "env": env, "database": str(database), **setup}
    finally:
        for process, log in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if "Traceback" in log.read_text(errors="replace"):
                print(f"{log.name}:\n{_tail(log)}")
        try:
            database.drop()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _answer(base: str, token: str, request_id: int) -> int:
    call = urllib.request.Request(
        f"{base}/api/v1/information-requests/{request_id}/answer", method="POST",
        data=json.dumps({"outcome": "not_known"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=10) as response:
        return response.status


async def _open(base: str, key: str) -> SSEClient:
    """A board's stream, ready. The first board on a worker that has just started listening is told
    "changed" at once (what came before is unknown): that is read here, so tests start quiet."""
    client = SSEClient(f"{base}/board/events?key={key}&since={_server_now()}")
    assert await client.connect() == 200
    assert client.headers["content-type"].startswith("text/event-stream")
    assert client.headers["cache-control"] == "no-store"
    await client.wait_for("ready", timeout=5)
    try:
        await client.wait_for("changed", timeout=0.3)
    except TimeoutError:
        pass
    return client


def _server_now() -> str:
    # The servers run on this machine: its clock is theirs (the board sends its fragment's time).
    return quote(dt.datetime.now(dt.timezone.utc).isoformat())


def test_a_change_through_one_worker_reaches_boards_on_the_other_within_a_second(workers):
    keys = workers["keys"]

    async def main():
        hub_b = await _open(workers["b"], keys["hub"])
        decision_b = await _open(workers["b"], keys["decision"])
        education_b = await _open(workers["b"], keys["education"])
        police_a = await _open(workers["a"], keys["police"])
        police_b = await _open(workers["b"], keys["police"])
        assert hub_b.retry_ms == 3000

        sent = time.monotonic()
        assert await asyncio.to_thread(_answer, workers["a"], workers["token"], workers["request"]) == 201
        answered = time.monotonic()
        for client in (hub_b, decision_b, police_b, police_a):
            event = await client.wait_for("changed", timeout=max(0.05, sent + 1.0 - time.monotonic()))
            assert event.received - sent < 1.0, f"{event.received - sent:.3f} s (the API call took {answered - sent:.3f} s)"
            assert list(json.loads(event.data)) == ["server_now"]
        # The education board shows none of this: within two heartbeats it hears only heartbeats.
        heard = []
        deadline = time.monotonic() + 2 * HEARTBEAT + 0.5
        while time.monotonic() < deadline:
            try:
                heard.append((await education_b.next_event(timeout=deadline - time.monotonic())).name)
            except TimeoutError:
                break
        assert heard and set(heard) == {"heartbeat"}, heard
        for client in (hub_b, decision_b, education_b, police_a, police_b):
            await client.close()

    run_in_thread(main())


def test_a_revoked_boards_stream_ends_at_once_and_its_link_answers_404(workers):
    key = workers["keys"]["decision"]

    async def main():
        on_a = await _open(workers["a"], key)
        on_b = await _open(workers["b"], key)
        revoked = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", REVOKE, "decision"], cwd=ROOT, env=workers["env"], capture_output=True, text=True,
        )
        assert revoked.returncode == 0, revoked.stderr[-2000:]
        done = time.monotonic()
        for client in (on_a, on_b):
            event = await client.wait_for("revoked", timeout=2)
            assert event.received - done < 1.0
            with pytest.raises(StreamClosed):
                await client.next_event(timeout=2)
            await client.close()
        for base in (workers["a"], workers["b"]):
            again = SSEClient(f"{base}/board/events?key={key}")
            assert await again.connect() == 404
            assert again.body == b"No such board, or it has been switched off.\n"

    run_in_thread(main())


def test_a_board_connecting_after_a_change_is_told_at_once(workers):
    """The board says how old its data is (`since`): a change since then, made before the stream was
    up, is not missed; a board whose data is newer than every change hears nothing."""
    keys = workers["keys"]

    async def main():
        warm = await _open(workers["b"], keys["hub"])  # worker B is listening from here on
        data_read = quote(dt.datetime.now(dt.timezone.utc).isoformat())
        await asyncio.sleep(2.5)  # past the two workers' clock slack
        quiet = SSEClient(f"{workers['b']}/board/events?key={keys['police']}&since={quote(dt.datetime.now(dt.timezone.utc).isoformat())}")
        assert await quiet.connect() == 200
        await quiet.wait_for("ready", timeout=5)
        with pytest.raises(TimeoutError):
            await quiet.wait_for("changed", timeout=1)
        # A change between the board reading its data and connecting its stream:
        assert await asyncio.to_thread(_answer, workers["a"], workers["gp_token"], workers["gp_request"]) == 201
        await warm.wait_for("changed", timeout=2)
        late = SSEClient(f"{workers['b']}/board/events?key={keys['hub']}&since={data_read}")
        assert await late.connect() == 200
        ready = await late.wait_for("ready", timeout=5)
        changed = await late.wait_for("changed", timeout=1)
        assert changed.received - ready.received < 0.5
        for client in (warm, quiet, late):
            await client.close()

    run_in_thread(main())


def test_a_bad_key_is_404_and_nothing_streams(workers):
    async def main():
        for key in ("", "brd_not-a-key", "x" * 5000):
            client = SSEClient(f"{workers['b']}/board/events?key={key}")
            assert await client.connect() == 404

    run_in_thread(main())
