"""Abstract base models shared by the domains."""

from django.conf import settings
from django.db import models

from openmash.core import clock


class TimeStampedModel(models.Model):
    """Created/updated times from the domain clock (not the database's), so tests can move time."""

    created_at = models.DateTimeField(default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
