"""`GET /board/events?key=…`: the board's event stream (Server-Sent Events). docs/adr/0009-live-boards.md.

The stream says only *that* the board changed, never what: after `changed` the board fetches its
fragment, which is access-checked like any page. `since` (optional) is the server time of the data
the board shows (its fragment's `data-server-now`). Events (each `data` is `{"server_now": ISO 8601}`):

* `ready`     — the stream is receiving changes; from here on nothing is missed;
* `changed`   — something this board shows has changed: refresh. Sent at once after `ready` when a
                change may have come between the board's data (`since`) and the stream — always
                without `since`, and after this worker started listening (a restart);
* `heartbeat` — every OPENMASH_BOARD_HEARTBEAT_SECONDS (15 s), so the board can tell a live stream from
                a silently dead one, and proxies do not close an idle connection;
* `revoked`   — the board has been revoked: stop (the stream then ends, and the link answers 404).

The stream also ends after about half an hour; the board reconnects at once (with its `since`). That
re-checks the key and spreads boards over the workers again after a restart.
"""

import asyncio
import datetime as dt
import json
import random

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponseNotFound, StreamingHttpResponse
from django.views.decorators.http import require_GET

from openmash.access.policy import access_board
from openmash.board import live
from openmash.core import clock
from openmash.core.errors import NotFound
from openmash.core.formatting import iso

RETRY_MS = 3000  # EventSource's own reconnect delay (the board's script adds back-off on top)
LIFETIME_SECONDS = (25 * 60, 35 * 60)  # jittered, so boards connected together do not reconnect together


def _board_for_stream(key: str):
    try:
        board = access_board(key=key)
        return board.pk, board.kind, board.agency.code if board.agency_id else None
    finally:
        _release_connection()


def _release_connection():
    # The stream lives for half an hour: it must not hold a database connection meanwhile (the
    # request's thread may have one from the key check or from saving a session). Never inside a
    # transaction (a test's), which the connection still serves.
    if not connection.in_atomic_block:
        connection.close()


def _event(name: str) -> str:
    return f"event: {name}\ndata: {json.dumps({'server_now': iso(clock.now())})}\n\n"


def _since(value: str | None) -> dt.datetime | None:
    """The server time of the data the board shows (its fragment's data-server-now), if well formed."""
    if not value or len(value) > 64:
        return None
    try:
        since = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return since if since.tzinfo is not None else None


async def _stream(*, board_id: int, kind: str, agency: str | None, heartbeat: float, lifetime: float, since: dt.datetime | None = None):
    hub = live.broadcaster()
    with hub.subscribe(board_id=board_id, kind=kind, agency=agency) as subscription:
        yield f"retry: {RETRY_MS}\n: OpenMASH board events\n\n"
        await sync_to_async(_release_connection)()
        await hub.ready()
        yield _event("ready")
        if hub.changed_since(since):
            # Something may have changed between the board's data and this stream: refresh now.
            subscription.offer(live.CHANGED)
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + lifetime
        while (left := ends_at - loop.time()) > 0:
            try:
                message = await asyncio.wait_for(subscription.queue.get(), timeout=min(heartbeat, left))
            except TimeoutError:
                if loop.time() < ends_at:
                    yield _event("heartbeat")
                continue
            if message == live.REVOKED:
                yield _event("revoked")
                return
            yield _event("changed")


@login_not_required
@require_GET
async def events(request):
    """A board device's stream; the key is checked as for the board page (bad or revoked: 404)."""
    try:
        board_id, kind, agency = await sync_to_async(_board_for_stream)(request.GET.get("key", ""))
    except NotFound:
        # Plain text: an EventSource shows nothing, and a stream needs no page around its refusal.
        return HttpResponseNotFound("No such board, or it has been switched off.\n", content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        _stream(
            board_id=board_id, kind=kind, agency=agency, heartbeat=live.heartbeat_seconds(),
            lifetime=random.uniform(*LIFETIME_SECONDS), since=_since(request.GET.get("since")),
        ),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a reverse proxy (nginx) must pass events on at once
    return response
