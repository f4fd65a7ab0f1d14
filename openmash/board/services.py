"""Writes for wall boards: create one (and get its secret link), revoke one."""

import secrets

from django.db import transaction

from openmash.access.policy import is_administrator, require
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.board.codes import BoardKind, BoardLabels
from openmash.board.models import BoardDisplay
from openmash.core import clock
from openmash.core.errors import Collector, Conflict

KEY_PREFIX = "brd_"


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
    return board
