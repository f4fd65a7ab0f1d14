"""Live boards inside one process: what is announced and when (notify), who is told (Broadcaster),
that a stream leaves nothing behind, and that changes committed elsewhere arrive (the SQLite poller
or the PostgreSQL listener, whichever the test database is). Across processes: tests/test_live_workers.py.
"""

import asyncio
import contextlib
import gc
import json
import threading
import time

import pytest
from django.db import connection, transaction

from openmash.board import live, notify, stream
from openmash.board.codes import BoardKind
from openmash.board.models import BoardChange, BoardDisplay
from openmash.board.services import board_create, board_revoke
from openmash.core import clock
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.core.testing.sse import run_in_thread
from openmash.referrals.services import referral_triage


# Tests that commit for real empty only the board tables afterwards: the audit table refuses to be
# emptied (append-only triggers), and these tests write nothing else.
LIVE_APPS = ["openmash.board"]


@pytest.fixture
def published(monkeypatch):
    """The payloads `live.publish` was called with (nothing is really published)."""
    calls = []
    monkeypatch.setattr(live, "publish", calls.append)
    return calls


# ------------------------------------------------------------------ notify: on commit, and what


def test_a_change_is_announced_only_when_its_transaction_commits(hub, published, django_capture_on_commit_callbacks):
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            answer(hub, referral, "police")
            assert published == [], "announced before the commit"
    assert published == [{"r": referral.reference, "a": ["police"]}]


def test_nothing_is_announced_for_a_change_rolled_back(hub, published, django_capture_on_commit_callbacks):
    referral = make_triaged(hub, rating="red", agencies=["police"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with contextlib.suppress(RuntimeError), transaction.atomic():
            answer(hub, referral, "police")
            raise RuntimeError("something after the answer failed")
    assert callbacks == []
    assert published == []


def test_each_service_names_the_agencies_whose_requests_it_touched(hub, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(hub)
    assert published[-1] == {"r": referral.reference, "a": []}  # a new referral: no requests yet

    with django_capture_on_commit_callbacks(execute=True):
        referral_triage(user=hub["manager"], referral=referral, rating="amber", rationale="r", agency_codes=["police", "gp"])
    assert published[-1]["a"] == ["gp", "police"]

    with django_capture_on_commit_callbacks(execute=True):  # adding an agency, same rating
        referral_triage(user=hub["manager"], referral=referral, rating="amber", rationale="r", agency_codes=["education"])
    assert published[-1]["a"] == ["education"]

    with django_capture_on_commit_callbacks(execute=True):
        answer(hub, referral, "gp")
    assert published[-1]["a"] == ["gp"]

    with django_capture_on_commit_callbacks(execute=True):  # re-rated: every open request moved
        referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="r", agency_codes=[])
    assert published[-1]["a"] == ["education", "police"]

    with django_capture_on_commit_callbacks(execute=True):  # decided: the unanswered requests close
        decide(hub, referral)
    assert published[-1] == {"r": referral.reference, "a": ["education", "police"]}
    assert len(published) == 6


def test_revoking_a_board_announces_it(hub, published, django_capture_on_commit_callbacks):
    board, _ = board_create(user=hub["admin"], name="North wall", kind=BoardKind.HUB)
    with django_capture_on_commit_callbacks(execute=True):
        board_revoke(user=hub["admin"], board=board)
    assert published == [{"revoked": board.pk}]


def test_the_payload_carries_no_personal_data(hub, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_triaged(hub, rating="red", agencies=["police"])
        answer(hub, referral, "police", summary="Known to us: Kerry Smith, 14 Alder Road")
    text = json.dumps(published)
    for personal in ("Jayden", "Tyler", "Kerry", "Smith", "Alder", "SE15", "Helen", "Marsh"):
        assert personal not in text


@pytest.mark.django_db(transaction=True, available_apps=LIVE_APPS)
def test_publish_puts_the_change_where_every_worker_sees_it(monkeypatch):
    """PostgreSQL: a NOTIFY on the board channel. SQLite: a row, old rows pruned."""
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.connect(live._listen_conninfo(), autocommit=True) as listener:
            listener.execute(f"LISTEN {live.CHANNEL}")
            live.publish({"r": "MASH-2026-000001", "a": ["police"]})
            received = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
        assert [json.loads(p) for p in received] == [{"r": "MASH-2026-000001", "a": ["police"]}]
        assert not BoardChange.objects.exists()
        return
    monkeypatch.setattr(live, "KEEP_ROWS", 5)
    monkeypatch.setattr(live, "PRUNE_EVERY", 1)
    live.publish({"r": "MASH-2026-000000", "a": []})  # ids go on from earlier tests: start from here
    start = BoardChange.objects.get().id
    monkeypatch.setattr(live, "PRUNE_EVERY", 10)
    for i in range(1, 20):
        live.publish({"r": f"MASH-2026-{i:06d}", "a": ["police"]})
    ids = list(BoardChange.objects.values_list("id", flat=True))
    last = start + 19
    pruned_at = last - last % 10  # the last change whose id is a multiple of 10 pruned the rest
    assert ids == list(range(pruned_at - 4, last + 1))
    assert json.loads(BoardChange.objects.last().payload) == {"r": "MASH-2026-000019", "a": ["police"]}


# ------------------------------------------------------------------ the broadcaster


class _NoSource:
    def __init__(self, broadcaster):
        self.broadcaster = broadcaster

    def start(self):
        self.broadcaster.mark_ready()

    def stop(self):
        pass


def test_hub_and_decision_boards_hear_every_change_an_agency_board_only_its_own():
    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        with (
            hub.subscribe(board_id=1, kind=BoardKind.HUB, agency=None) as whole,
            hub.subscribe(board_id=2, kind=BoardKind.DECISION, agency=None) as decision,
            hub.subscribe(board_id=3, kind=BoardKind.AGENCY, agency="police") as police,
            hub.subscribe(board_id=4, kind=BoardKind.AGENCY, agency="education") as education,
        ):
            hub.deliver([live.decode('{"r": "MASH-2026-000001", "a": ["police", "gp"]}')])
            assert [s.queue.qsize() for s in (whole, decision, police, education)] == [1, 1, 1, 0]
            for s in (whole, decision, police):
                assert s.queue.get_nowait() == live.CHANGED

            hub.deliver([live.decode('{"r": "MASH-2026-000002", "a": []}')])  # a new referral
            assert [s.queue.qsize() for s in (whole, decision, police, education)] == [1, 1, 0, 0]

            hub.deliver([live.EVERYTHING])  # after a reconnect: not known what changed
            assert education.queue.get_nowait() == live.CHANGED
            hub.stop()

    run_in_thread(main())


def test_a_board_not_yet_told_gets_one_message_however_many_changes():
    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        with hub.subscribe(board_id=1, kind=BoardKind.HUB, agency=None) as s:
            for i in range(1000):
                hub.deliver([live.decode(json.dumps({"r": f"R{i}", "a": ["police"]}))])
            assert s.queue.qsize() == 1
            hub.deliver([live.decode('{"revoked": 1}')])  # "revoked" is never lost behind "changed"
            assert s.queue.qsize() == 1 and s.queue.get_nowait() == live.REVOKED
            hub.deliver([live.decode('{"revoked": 1}'), live.decode('{"r": "R", "a": []}')])
            assert s.queue.get_nowait() == live.REVOKED
        hub.stop()

    run_in_thread(main())


def test_revoked_goes_only_to_that_board_and_bad_payloads_are_ignored():
    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        with (
            hub.subscribe(board_id=7, kind=BoardKind.HUB, agency=None) as seven,
            hub.subscribe(board_id=8, kind=BoardKind.HUB, agency=None) as eight,
        ):
            hub.deliver([live.decode('{"revoked": 7}'), live.decode("not json"), live.decode("[1, 2]")])
            assert seven.queue.get_nowait() == live.REVOKED
            assert eight.queue.empty()
        hub.stop()

    run_in_thread(main())


def _drain_stream(gen, n):
    async def take():
        return [await gen.__anext__() for _ in range(n)]

    return take()


def test_the_stream_says_ready_then_changed_heartbeat_revoked_and_carries_only_the_time(monkeypatch):
    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        monkeypatch.setattr(live, "broadcaster", lambda: hub)
        monkeypatch.setattr(stream, "_release_connection", lambda: None)
        gen = stream._stream(board_id=5, kind=BoardKind.AGENCY, agency="police", heartbeat=0.2, lifetime=60)
        first, ready = await _drain_stream(gen, 2)
        assert first.startswith("retry: 3000\n") and first.endswith("\n\n")
        assert ready.startswith("event: ready\ndata: ")
        hub.deliver([live.decode('{"r": "MASH-2026-000001", "a": ["police"]}')])
        changed = await gen.__anext__()
        assert changed.startswith("event: changed\n")
        assert set(json.loads(changed.split("data: ", 1)[1])) == {"server_now"}
        assert "MASH" not in changed and "police" not in changed
        heartbeat = await asyncio.wait_for(gen.__anext__(), 2)
        assert heartbeat.startswith("event: heartbeat\n")
        hub.deliver([live.decode('{"revoked": 5}')])
        assert (await gen.__anext__()).startswith("event: revoked\n")
        with pytest.raises(StopAsyncIteration):
            await gen.__anext__()
        assert hub.subscriptions == set()
        hub.stop()

    run_in_thread(main())


def test_a_board_whose_data_may_be_older_than_a_change_is_told_at_once(monkeypatch, freeze):
    """`since` is the server time of the data on the screen: a change delivered after it (before the
    stream was up) means refresh; so does not knowing (no `since`, or listening only since after it)."""
    import datetime as dt

    t0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)

    async def main():
        freeze(t0)  # in the event loop's thread, whose clock it is
        hub = live.Broadcaster(source_factory=_NoSource)
        hub.start()  # listening from t0
        assert hub.changed_since(None)
        assert hub.changed_since(t0)  # data read as we started listening: unknown
        freeze(t0 + dt.timedelta(minutes=5))
        data_read = t0 + dt.timedelta(minutes=4)
        assert not hub.changed_since(data_read)
        freeze(t0 + dt.timedelta(minutes=6))
        hub.deliver([live.decode('{"r": "R", "a": ["police"]}')])
        assert hub.changed_since(data_read)
        assert not hub.changed_since(t0 + dt.timedelta(minutes=6, seconds=3))
        hub.stop()

        monkeypatch.setattr(live, "broadcaster", lambda: hub)
        monkeypatch.setattr(stream, "_release_connection", lambda: None)
        fresh = stream._stream(board_id=1, kind=BoardKind.HUB, agency=None, heartbeat=0.2, lifetime=60, since=t0 + dt.timedelta(minutes=7))
        assert [(await fresh.__anext__()).split("\n")[0] for _ in range(3)] == ["retry: 3000", "event: ready", "event: heartbeat"]
        stale = stream._stream(board_id=1, kind=BoardKind.HUB, agency=None, heartbeat=10, lifetime=60, since=data_read)
        assert [(await stale.__anext__()).split("\n")[0] for _ in range(3)] == ["retry: 3000", "event: ready", "event: changed"]
        await fresh.aclose()
        await stale.aclose()
        assert hub.subscriptions == set()

    run_in_thread(main())


def test_since_is_read_only_when_well_formed():
    assert stream._since("2026-11-25T09:00:00.123456+00:00") is not None
    for bad in (None, "", "yesterday", "2026-11-25T09:00:00", "9" * 100):
        assert stream._since(bad) is None


def test_a_stream_ends_after_its_lifetime_so_the_board_reconnects(monkeypatch):
    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        monkeypatch.setattr(live, "broadcaster", lambda: hub)
        monkeypatch.setattr(stream, "_release_connection", lambda: None)
        gen = stream._stream(board_id=5, kind=BoardKind.HUB, agency=None, heartbeat=10, lifetime=0.3)
        items = [item async for item in gen]
        # No `since`: not known whether the board missed something, so "changed" follows "ready".
        assert [i.split("\n")[0] for i in items] == ["retry: 3000", "event: ready", "event: changed"]
        assert hub.subscriptions == set()
        hub.stop()

    run_in_thread(main())


def test_a_client_that_goes_away_leaves_nothing_behind(monkeypatch):
    """Django cancels the response task when the client disconnects; the subscription must go, and
    thousands of connections that came and went must not leave memory behind."""

    async def main():
        hub = live.Broadcaster(source_factory=_NoSource)
        monkeypatch.setattr(live, "broadcaster", lambda: hub)
        monkeypatch.setattr(stream, "_release_connection", lambda: None)

        async def one_client():
            gen = stream._stream(board_id=1, kind=BoardKind.HUB, agency=None, heartbeat=10, lifetime=60)

            async def consume():
                async for _ in gen:
                    pass

            task = asyncio.create_task(consume())
            while not hub.subscriptions:
                await asyncio.sleep(0)
            task.cancel()  # what django.core.handlers.asgi does on http.disconnect
            with contextlib.suppress(asyncio.CancelledError):
                await task

        await one_client()
        assert hub.subscriptions == set()
        gc.collect()
        before = sum(1 for o in gc.get_objects() if isinstance(o, live.Subscription))
        for _ in range(2000):
            await one_client()
        gc.collect()
        after = sum(1 for o in gc.get_objects() if isinstance(o, live.Subscription))
        assert hub.subscriptions == set()
        assert after <= before
        assert len(hub._tasks) <= 1  # only the periodic sweep
        hub.stop()

    run_in_thread(main())


def test_one_broadcaster_per_event_loop():
    async def get():
        first, second = live.broadcaster(), live.broadcaster()
        assert first is second
        return id(first)

    # A new loop (a new process, or the next test) gets its own: nothing is shared between loops.
    assert isinstance(run_in_thread(get()), int)
    assert len(live._broadcasters) <= 1


# ------------------------------------------------------------------ changes committed elsewhere
#
# These tests commit for real (another worker must see the change), so they touch only board tables
# (LIVE_APPS); the services' calls to board_changed are covered above, here a transaction calls
# notify directly.


def _other_thread(fn):
    """Run fn in another thread, as another worker would (its own database connection)."""
    errors = []

    def target():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _commit_change(agencies):
    with transaction.atomic():
        notify.board_changed(reference="MASH-2026-000001", agencies=agencies)


def _board(name, kind=BoardKind.HUB):
    return BoardDisplay.objects.create(name=name, kind=kind, key_hash=BoardDisplay.hash_key(name), key_prefix="brd_")


@pytest.mark.django_db(transaction=True, available_apps=LIVE_APPS)
def test_changes_committed_elsewhere_arrive():
    """The real source for this database (SQLite: the poller; PostgreSQL: LISTEN) delivers a change
    committed by another connection within a second, filtered per board."""

    async def main():
        broadcaster = live.Broadcaster()
        with (
            broadcaster.subscribe(board_id=1, kind=BoardKind.HUB, agency=None) as whole,
            broadcaster.subscribe(board_id=2, kind=BoardKind.AGENCY, agency="education") as education,
        ):
            await asyncio.wait_for(broadcaster.ready(), 5)
            started = time.monotonic()
            await asyncio.to_thread(_other_thread, lambda: _commit_change(["police"]))
            assert await asyncio.wait_for(whole.queue.get(), 1.0) == live.CHANGED
            assert time.monotonic() - started < 1.0
            await asyncio.sleep(0.5)
            assert education.queue.empty()
            await asyncio.to_thread(_other_thread, _rolled_back_change)  # never arrives
            await asyncio.sleep(0.6)
            assert whole.queue.empty()
        broadcaster.stop()
        await asyncio.sleep(0.3)

    run_in_thread(main())


def _rolled_back_change():
    with contextlib.suppress(RuntimeError), transaction.atomic():
        notify.board_changed(reference="MASH-2026-000002", agencies=["police"])
        raise RuntimeError("rolled back")


@pytest.mark.django_db(transaction=True, available_apps=LIVE_APPS)
def test_a_revoked_board_is_told_at_once_and_by_the_sweep_if_the_notice_is_lost():
    told, untold = _board("Told"), _board("Untold")

    def revoke(board, announce):
        with transaction.atomic():
            BoardDisplay.objects.filter(pk=board.pk).update(revoked_at=clock.now())
            if announce:
                notify.board_revoked(board_id=board.pk)

    async def main():
        broadcaster = live.Broadcaster()
        with (
            broadcaster.subscribe(board_id=told.pk, kind=BoardKind.HUB, agency=None) as a,
            broadcaster.subscribe(board_id=untold.pk, kind=BoardKind.HUB, agency=None) as b,
        ):
            await asyncio.wait_for(broadcaster.ready(), 5)
            await asyncio.to_thread(_other_thread, lambda: revoke(told, announce=True))
            assert await asyncio.wait_for(a.queue.get(), 1.0) == live.REVOKED
            assert b.queue.empty()
            # Revoked behind the service's back (no notice): the next sweep (at every heartbeat, and
            # after a change) finds it.
            await asyncio.to_thread(_other_thread, lambda: revoke(untold, announce=False))
            await asyncio.to_thread(_other_thread, lambda: _commit_change([]))
            assert await asyncio.wait_for(b.queue.get(), 2.0) == live.CHANGED
            assert await asyncio.wait_for(b.queue.get(), 2.0) == live.REVOKED
        broadcaster.stop()
        await asyncio.sleep(0.3)

    run_in_thread(main())


@pytest.mark.django_db(transaction=True, available_apps=LIVE_APPS)
def test_the_source_recovers_when_its_connection_is_lost():
    """PostgreSQL: the LISTEN connection is killed; the listener reconnects and tells every board
    (changes may have been missed). SQLite: polling fails for a while (the table is away) and picks up
    where it left off, losing nothing: the rows are still there."""

    async def main():
        broadcaster = live.Broadcaster()
        with broadcaster.subscribe(board_id=1, kind=BoardKind.AGENCY, agency="education") as education:
            await asyncio.wait_for(broadcaster.ready(), 5)
            if connection.vendor == "postgresql":
                await asyncio.to_thread(_other_thread, _terminate_listener)
                # Reconnected: every board refreshes, even one the lost changes might not concern.
                assert await asyncio.wait_for(education.queue.get(), 5) == live.CHANGED
                assert broadcaster._source.connections_made == 2
                await asyncio.to_thread(_other_thread, lambda: _commit_change(["education"]))
            else:
                await asyncio.to_thread(_other_thread, lambda: _rename_change_table("board_boardchange", "board_boardchange_away"))
                await asyncio.sleep(0.6)  # a few failed polls
                await asyncio.to_thread(_other_thread, lambda: _rename_change_table("board_boardchange_away", "board_boardchange"))
                await asyncio.to_thread(_other_thread, lambda: _commit_change(["education"]))
            assert await asyncio.wait_for(education.queue.get(), 2.0) == live.CHANGED
        broadcaster.stop()
        await asyncio.sleep(0.3)

    run_in_thread(main())


def _terminate_listener():
    with connection.cursor() as cursor:
        cursor.execute(
            # This test database's listener only: other test processes have their own.
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            ["openmash board listener"],
        )
        assert cursor.fetchone()[0] is True


def _rename_change_table(old, new):
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')


def test_the_stream_view_never_queries_models():
    """The stream view goes through access_board like every board page; it does not touch models."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(stream.__file__).read_text())
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imports if m and m.endswith(".models")]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "objects"]
