"""Live boards: a change committed in any web worker reaches every connected board within a second.

Production runs several uvicorn worker processes; a board's event stream is held by one of them and
the change may be committed by another. So changes go through the database, which every worker shares
(docs/adr/0009-live-boards.md):

* **publish** (`publish`, called on commit by `board.notify`, in whichever process made the change):
  PostgreSQL: `SELECT pg_notify('openmash_board', payload)`. SQLite: one `BoardChange` row.
* **receive**, once per process: PostgreSQL: one async `LISTEN` connection (psycopg 3), reconnected
  with back-off if it drops. SQLite has no LISTEN, so a thread reads `BoardChange` rows above the last
  id it saw every `OPENMASH_BOARD_POLL_SECONDS` (0.2 s): an indexed range read on the primary key,
  which under WAL never waits for a writer.
* **fan out** (`Broadcaster`): one per process (per event loop), started by the first stream. It holds
  one small queue per connected stream, decides per board whether a change concerns it, and forgets a
  stream the moment it ends.

The payload is routing only: `{"r": reference, "a": [agency codes]}` or `{"revoked": board id}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
import threading
import weakref
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection, connections

from openmash.board.codes import BoardKind
from openmash.core import clock

log = logging.getLogger(__name__)

CHANNEL = "openmash_board"
KEEP_ROWS = 10_000  # SQLite: change rows kept; a worker 10,000 changes behind has bigger problems
PRUNE_EVERY = 100  # SQLite: prune on every 100th change
POLL_BATCH = 500
RECONNECT_MIN, RECONNECT_MAX = 0.5, 30.0  # PostgreSQL LISTEN reconnect back-off, seconds
LISTEN_KEEPALIVE = 15.0  # PostgreSQL: a LISTEN connection idle this long is checked with SELECT 1
SWEEP_MIN_GAP = 1.0  # revocation checks after changes: at most one a second per worker
# Server clocks of different workers (and hosts) may differ this much; a board whose data is within it
# of a change refreshes.
CLOCK_SLACK = dt.timedelta(seconds=2)

CHANGED, REVOKED = "changed", "revoked"


def heartbeat_seconds() -> float:
    return float(getattr(settings, "OPENMASH_BOARD_HEARTBEAT_SECONDS", 15))


def poll_seconds() -> float:
    return float(getattr(settings, "OPENMASH_BOARD_POLL_SECONDS", 0.2))


# ------------------------------------------------------------------ publish (on commit, any thread)


def publish(payload: dict) -> None:
    """Put one change where every worker will see it. Runs after the change committed (on_commit)."""
    text = json.dumps(payload, separators=(",", ":"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, text])
        return
    from openmash.board.models import BoardChange

    change = BoardChange.objects.create(payload=text)
    if change.id % PRUNE_EVERY == 0:
        BoardChange.objects.filter(id__lte=change.id - KEEP_ROWS).delete()


# ------------------------------------------------------------------ what a change is


@dataclass(frozen=True)
class Change:
    agencies: frozenset[str] = frozenset()
    everything: bool = False  # not known what changed (changes missed while disconnected)
    revoked_board: int | None = None


EVERYTHING = Change(everything=True)


def decode(text: str) -> Change | None:
    try:
        data = json.loads(text)
        if "revoked" in data:
            return Change(revoked_board=int(data["revoked"]))
        return Change(agencies=frozenset(str(a) for a in data.get("a") or ()))
    except (ValueError, TypeError, AttributeError):
        log.warning("Ignored a malformed board change payload")
        return None


# ------------------------------------------------------------------ one connected stream


class Subscription:
    """One connected event stream: which board, and a queue of at most one message.

    One message is enough: a board told "changed" fetches everything, so two changes before it reads
    the first are one refresh. A slow or stalled client therefore never makes the queue grow.
    """

    __slots__ = ("board_id", "kind", "agency", "queue", "__weakref__")

    def __init__(self, *, board_id: int, kind: str, agency: str | None):
        self.board_id, self.kind, self.agency = board_id, kind, agency
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)

    def concerns(self, change: Change) -> bool:
        """Hub and decision boards show every open referral, so any change; an agency board shows
        only its agency's outstanding requests."""
        if change.everything or self.kind != BoardKind.AGENCY:
            return True
        return self.agency in change.agencies

    def offer(self, message: str) -> None:
        if message == REVOKED:
            while not self.queue.empty():  # "revoked" replaces a pending "changed"
                self.queue.get_nowait()
            self.queue.put_nowait(REVOKED)
        elif self.queue.empty():
            self.queue.put_nowait(CHANGED)


# ------------------------------------------------------------------ the per-process broadcaster


class Broadcaster:
    """Fans changes out to the streams connected to this process. Lives on one event loop."""

    def __init__(self, *, source_factory=None):
        self.subscriptions: set[Subscription] = set()
        self._source_factory = source_factory or default_source
        self._source = None
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._sweep_task: asyncio.Task | None = None
        self._sweep_again = False
        # Server times (clock.now()) of when changes started to be received and of the last change
        # delivered, so a connecting board can be told whether its data is older than a change.
        self.listening_since: dt.datetime | None = None
        self.last_change_at: dt.datetime | None = None

    # -- life

    def start(self) -> None:
        """Start receiving changes (once): the LISTEN connection or the poller, and the heartbeat sweep."""
        if self._source is not None:
            return
        self._source = self._source_factory(self)
        self._source.start()
        self._spawn(self._sweep_periodically())

    def stop(self) -> None:
        if self._source is not None:
            self._source.stop()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def mark_ready(self) -> None:
        if self.listening_since is None:
            self.listening_since = clock.now()
        self._ready.set()

    def changed_since(self, since: dt.datetime | None) -> bool:
        """Whether a board showing data read at `since` (server time) may have missed a change.

        Every change committed after `since` was either delivered here before the board subscribed
        (so `last_change_at` is later than `since`) or will reach its subscription. Unknown when this
        process started listening after `since`, or when `since` is not given: then yes.
        """
        if since is None or self.listening_since is None or self.listening_since >= since - CLOCK_SLACK:
            return True
        return self.last_change_at is not None and self.last_change_at >= since - CLOCK_SLACK

    async def ready(self) -> None:
        """Wait until changes are being received, so that nothing committed after this is missed."""
        await self._ready.wait()

    @contextlib.contextmanager
    def subscribe(self, *, board_id: int, kind: str, agency: str | None):
        self.start()
        subscription = Subscription(board_id=board_id, kind=kind, agency=agency)
        self.subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            # Runs however the stream ends (client gone, revoked, server shutting down).
            self.subscriptions.discard(subscription)

    # -- changes in

    def deliver(self, changes: list[Change | None]) -> None:
        """Called on the event loop with changes from the source, oldest first."""
        revoked = {c.revoked_board for c in changes if c is not None and c.revoked_board is not None}
        content = [c for c in changes if c is not None and c.revoked_board is None]
        if content:
            self.last_change_at = clock.now()
        for subscription in list(self.subscriptions):
            if subscription.board_id in revoked:
                subscription.offer(REVOKED)
            elif any(subscription.concerns(c) for c in content):
                subscription.offer(CHANGED)
        if content and self.subscriptions:
            self.request_sweep()

    # -- revoked boards lose their stream

    def request_sweep(self) -> None:
        """Check (soon, coalesced) whether any connected board has been revoked."""
        if self._sweep_task is not None and not self._sweep_task.done():
            self._sweep_again = True
            return
        self._sweep_task = self._spawn(self._sweep())

    async def _sweep(self) -> None:
        while True:
            self._sweep_again = False
            ids = {s.board_id for s in self.subscriptions}
            if ids:
                try:
                    revoked = await sync_to_async(_revoked_among, thread_sensitive=False)(ids)
                except Exception:  # noqa: BLE001 - a failed check is retried at the next heartbeat
                    log.warning("Could not check connected boards for revocation", exc_info=True)
                    revoked = set()
                for subscription in list(self.subscriptions):
                    if subscription.board_id in revoked:
                        subscription.offer(REVOKED)
            if not self._sweep_again:
                return
            await asyncio.sleep(SWEEP_MIN_GAP)

    async def _sweep_periodically(self) -> None:
        while True:
            await asyncio.sleep(heartbeat_seconds())
            if self.subscriptions:
                self.request_sweep()


def _revoked_among(ids: set[int]) -> set[int]:
    from openmash.board.models import BoardDisplay

    try:
        return set(BoardDisplay.objects.filter(pk__in=ids, revoked_at__isnull=False).values_list("pk", flat=True))
    finally:
        # A pool thread must not keep a connection (PostgreSQL connections are counted).
        connection.close()


# ------------------------------------------------------------------ sources of changes


class SqlitePoller:
    """SQLite: a thread reading new `BoardChange` rows every poll interval (there is no LISTEN)."""

    def __init__(self, broadcaster: Broadcaster, *, interval: float | None = None):
        self.broadcaster = broadcaster
        self.interval = interval if interval is not None else poll_seconds()
        self.loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openmash-board-poll", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _call(self, fn, *args) -> bool:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
            return True
        except RuntimeError:  # the event loop has closed: nobody is listening any more
            return False

    def _run(self) -> None:
        from django.db.models import Max

        from openmash.board.models import BoardChange

        last = None
        failing = False
        try:
            while not self._stop.is_set() and not self.loop.is_closed():
                try:
                    if last is None:
                        last = BoardChange.objects.aggregate(m=Max("id"))["m"] or 0
                        if not self._call(self.broadcaster.mark_ready):
                            return
                    rows = list(BoardChange.objects.filter(id__gt=last).order_by("id").values_list("id", "payload")[:POLL_BATCH])
                    if rows:
                        last = rows[-1][0]
                        if not self._call(self.broadcaster.deliver, [decode(p) for _, p in rows]):
                            return
                    if failing:
                        log.info("Board change polling works again")
                        failing = False
                    if len(rows) == POLL_BATCH:
                        continue  # more waiting: read on without sleeping
                except Exception:  # noqa: BLE001 - e.g. database locked or a file briefly gone: retry
                    if not failing:
                        log.warning("Polling for board changes failed; retrying", exc_info=True)
                    failing = True
                    close_old_connections()
                self._stop.wait(self.interval)
        finally:
            connection.close()


class PostgresListener:
    """PostgreSQL: one LISTEN connection per process, reconnected with back-off when it drops.

    After a reconnect every board is told "changed": what was committed while the connection was down
    is unknown, and a refresh costs one fetch per board.
    """

    def __init__(self, broadcaster: Broadcaster):
        self.broadcaster = broadcaster
        self._task: asyncio.Task | None = None
        self.connections_made = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        import psycopg

        delay = RECONNECT_MIN
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(_listen_conninfo(), autocommit=True)
            except (psycopg.Error, OSError) as exc:
                log.warning("Board change listener could not connect (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            try:
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connections_made += 1
                    if self.connections_made > 1:
                        log.info("Board change listener reconnected")
                        self.broadcaster.deliver([EVERYTHING])
                    self.broadcaster.mark_ready()
                    delay = RECONNECT_MIN
                    while True:
                        async for notify in conn.notifies(timeout=LISTEN_KEEPALIVE):
                            self.broadcaster.deliver([decode(notify.payload)])
                        # Quiet for a while: make sure the connection is still there.
                        await conn.execute("SELECT 1")
            except (psycopg.Error, OSError) as exc:
                log.warning("Board change listener lost its connection (%s); reconnecting", exc)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, RECONNECT_MAX)


# Connection parameters that are libpq's (Django's own OPTIONS, like isolation_level, are not).
_LIBPQ_OPTIONS = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "connect_timeout", "options",
    "target_session_attrs", "passfile", "service", "gssencmode", "channel_binding",
}


def _listen_conninfo() -> str:
    from psycopg.conninfo import make_conninfo

    s = connections["default"].settings_dict
    params = {"dbname": s.get("NAME"), "user": s.get("USER"), "password": s.get("PASSWORD"), "host": s.get("HOST"), "port": s.get("PORT")}
    params = {k: v for k, v in params.items() if v}
    params.update({k: v for k, v in (s.get("OPTIONS") or {}).items() if k in _LIBPQ_OPTIONS})
    # TCP keepalives find a connection silently dropped (a restarted server, a firewall) even between
    # the SELECT 1 checks.
    params.update(application_name="openmash board listener", keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
    params.setdefault("connect_timeout", 10)
    return make_conninfo(**params)


def default_source(broadcaster: Broadcaster):
    if connections["default"].vendor == "postgresql":
        return PostgresListener(broadcaster)
    return SqlitePoller(broadcaster)


# ------------------------------------------------------------------ one broadcaster per process

_broadcasters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Broadcaster] = weakref.WeakKeyDictionary()


def broadcaster() -> Broadcaster:
    """This process's broadcaster (one per event loop: uvicorn runs one loop per worker process)."""
    loop = asyncio.get_running_loop()
    found = _broadcasters.get(loop)
    if found is None:
        found = _broadcasters[loop] = Broadcaster()
    return found
