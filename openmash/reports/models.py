from django.conf import settings
from django.db import models

from openmash.core import clock


class FactBlock(models.Model):
    """One month's referrals, children and information requests as packed columns, so a report over
    decades reads a few hundred blobs instead of millions of rows (ADR 0015).

    `month` is the London receipt month as year * 12 + (month - 1). A block is a cache: deleting it
    is always safe (it is rebuilt from the live tables on the next read). `token` changes on every
    rebuild so that a process's in-memory copy can tell it is stale.
    """

    month = models.PositiveIntegerField(primary_key=True)
    token = models.CharField(max_length=32)
    built_at = models.DateTimeField(default=clock.now)
    # The block reflects every audit event up to this id except those in `unseen_audit_ids`: ids that were
    # not visible when the block was started (their transactions still in flight, or rolled back).
    through_audit_id = models.BigIntegerField(default=0)
    unseen_audit_ids = models.JSONField(default=list)
    payload = models.BinaryField()


class FactWatermark(models.Model):
    """The last audit event the block invalidation has looked at (a single row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    audit_id = models.BigIntegerField(default=0)


class AreaSet(models.Model):
    """Boundaries a council uploaded (wards, neighbourhoods): polygons to draw, and a postcode lookup
    to count children into them (the map needs no internet: it is drawn from these polygons)."""

    name = models.CharField(max_length=120)
    geojson = models.TextField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Area(models.Model):
    area_set = models.ForeignKey(AreaSet, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name", "code"]
        constraints = [models.UniqueConstraint(fields=["area_set", "code"], name="area_code_once_per_set")]


class AreaPostcode(models.Model):
    """Which area a full postcode lies in (from the council's lookup, e.g. ONS postcode-to-ward)."""

    area_set = models.ForeignKey(AreaSet, on_delete=models.CASCADE, related_name="postcodes")
    postcode = models.CharField(max_length=8)  # normalised: upper case, one space before the inward code
    area_code = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area_set", "postcode"], name="postcode_once_per_area_set")
        ]
