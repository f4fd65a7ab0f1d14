"""Writes for wall boards: create one (and get its secret link), revoke one."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Q

from openmash.access.policy import is_administrator, require
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.board.codes import BoardKind, BoardLabels
from openmash.board.models import BoardDisplay
from openmash.board.notify import board_revoked
from openmash.core import clock
from openmash.core.errors import Collector, Conflict

KEY_PREFIX = "brd_"
# A board's refreshes are audited at most this often; each page load (a new board session) always is.
VIEW_AUDIT_INTERVAL = dt.timedelta(minutes=15)


def board_create(*, user, name: str, kind: str, agency_code: str = "", labels: str = BoardLabels.INITIALS) -> tuple[BoardDisplay, str]:
    """Create a board display; returns it and its secret key (shown once, only a hash is kept).

    `user` None is the command line (`manage.py board_create`), run by whoever runs the service.
    """
    if user is not None:
        require(is_administrator(user), "Only an administrator can set up wall boards")
    errors = Collector()
    name = (name or "").strip()
    if not name:
        errors.add("name", "Enter a name for the board, like 'MASH office, north wall'")
    elif len(name) > 80:
        errors.add("name", "Name must be 80 characters or fewer")
    if kind not in BoardKind.values:
        errors.add("kind", "Select what the board shows")
    if labels not in BoardLabels.values:
        errors.add("labels", "Select how referrals are labelled")
    agency = None
    if kind == BoardKind.AGENCY:
        agency = Agency.objects.filter(code=agency_code, active=True).first() if agency_code else None
        if agency is None:
            errors.add("agency", "Select the agency whose requests the board shows")
    errors.raise_if_any()
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    with transaction.atomic():
        board = BoardDisplay.objects.create(
            name=name, kind=kind, agency=agency, labels=labels, key_hash=BoardDisplay.hash_key(key),
            key_prefix=key[:10], created_by=user,
        )
        audit_record(
            user=user, action="board.create", object_type="board", object_id=board.pk,
            details={"name": name, "kind": kind, "agency": agency.code if agency else ""},
        )
    return board, key


def board_revoke(*, user, board: BoardDisplay) -> BoardDisplay:
    """Stop a board at once: its link no longer opens anything, its stream is closed."""
    require(is_administrator(user), "Only an administrator can revoke wall boards")
    with transaction.atomic():
        board = BoardDisplay.objects.select_for_update().get(pk=board.pk)
        if board.revoked_at is not None:
            raise Conflict("This board has already been revoked")
        board.revoked_at, board.revoked_by = clock.now(), user
        board.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(user=user, action="board.revoke", object_type="board", object_id=board.pk)
        board_revoked(board_id=board.pk)  # its open event streams end at once, in every worker
    return board


def board_seen(*, board: BoardDisplay, via: str, rows: int | None = None) -> bool:
    """Record that a board display looked at its data; True when an audit event was written.

    A board is a device, not a person, so there is no acting user. Views are audited per board
    session and per interval, not per refresh (a board refreshes on every change and every 30 s):

    1. A page load (`via="page"`) starts a board session: always one `board.view` event.
    2. A refresh (`via="fragment"`) writes one only when the board was last seen
       VIEW_AUDIT_INTERVAL ago or more. The check is first made on the row already loaded (most
       refreshes write nothing, not even a lock), then by a conditional UPDATE, so that of several
       refreshes at once exactly one records the view.
    """
    now = clock.now()
    details = {"board": board.pk, "name": board.name, "kind": board.kind, "via": via}
    if board.agency_id:
        details["agency"] = board.agency.code
    if rows is not None:
        details["rows"] = rows
    fresh = Q(revoked_at__isnull=True)
    if via != "page":
        if board.last_seen_at is not None and now - board.last_seen_at < VIEW_AUDIT_INTERVAL:
            return False
        fresh &= Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - VIEW_AUDIT_INTERVAL)
    with transaction.atomic():
        claimed = BoardDisplay.objects.filter(fresh, pk=board.pk).update(last_seen_at=now)
        if not claimed:
            return False
        board.last_seen_at = now
        audit_record(user=None, action="board.view", object_type="board", object_id=board.pk, details=details)
    return True
