"""Tell the live boards that something changed — once the change is committed, never before.

Services that change what a board shows call `board_changed` inside their transaction; the
notification is published by `transaction.on_commit`, so a rolled-back change is never announced and
a board never fetches data that is not yet there. What travels is routing only: the agencies whose
requests were touched, and the referral reference (kept inside the service; the event stream carries
only "this board changed" and the server's time). See docs/adr/0009-live-boards.md.
"""

from collections.abc import Iterable
from functools import partial

from django.db import transaction


def board_changed(*, reference: str, agencies: Iterable[str]) -> None:
    """Announce, on commit, that `reference` changed for `agencies` (hub and decision boards always care).

    `agencies` is read now, inside the transaction (a queryset of codes is fine), so what is announced
    is what this transaction did.
    """
    codes = sorted({str(code) for code in agencies})
    transaction.on_commit(partial(_publish, {"r": reference, "a": codes}), robust=True)


def board_revoked(*, board_id: int) -> None:
    """Announce, on commit, that a board was revoked: its open streams end at once, in every worker."""
    transaction.on_commit(partial(_publish, {"revoked": int(board_id)}), robust=True)


def _publish(payload: dict) -> None:
    # Imported here: the services that call board_changed should not load the stream machinery.
    from openmash.board import live

    live.publish(payload)
