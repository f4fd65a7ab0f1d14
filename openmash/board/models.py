import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q

from openmash.board.codes import BoardKind, BoardLabels
from openmash.core import clock


class BoardDisplay(models.Model):
    """A wall screen: a device, not a person. It proves itself with the secret in its link, sees only
    board data, and stops working the moment it is revoked."""

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=BoardKind.choices)
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="boards")
    labels = models.CharField(max_length=10, choices=BoardLabels.choices, default=BoardLabels.INITIALS)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=BoardKind.AGENCY) | Q(agency__isnull=False), name="agency_board_has_agency"
            ),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class BoardChange(models.Model):
    """One committed change for the live boards, for the SQLite default only (docs/adr/0009-live-boards.md).

    PostgreSQL carries changes with NOTIFY; SQLite has no such thing, so each web worker polls this
    table for ids above the last it saw. The id is the change sequence (SQLite AUTOINCREMENT: never
    reused). `payload` is the same small JSON as the NOTIFY payload: agency codes and the referral
    reference, never personal data. Only the newest rows are kept (see `live.KEEP_ROWS`).
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=clock.now)
    payload = models.TextField()

    class Meta:
        ordering = ["id"]
