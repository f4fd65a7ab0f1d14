from django.db import models

from openmash.core import clock


class AuditEvent(models.Model):
    """One thing somebody did or saw. Append-only: database triggers reject UPDATE and DELETE.

    The actor is copied (id, username, role, agency) rather than linked, so the row stays true even
    if the account later changes role, moves agency or is deactivated.
    """

    occurred_at = models.DateTimeField(default=clock.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=20, blank=True)
    actor_agency = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    referral_reference = models.CharField(max_length=32, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"
