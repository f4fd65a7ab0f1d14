"""Code lists for escalation: what a scheduled notice is about, where it is in its life, and how a
notification reaches a person."""

from django.db import models


class NoticeKind(models.TextChoices):
    REQUEST_WARNING = "request_warning", "Request warning"
    REQUEST_BREACH = "request_breach", "Request overdue"
    DECISION_BREACH = "decision_breach", "Decision overdue"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its time"
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled (no longer applies)"
    SUPERSEDED = "superseded", "Superseded by a later notice"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the service"
    EMAIL = "email", "Email"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# A breach is the 100% point of its clock: the same column keeps one notice per point unique.
BREACH_PERCENT = 100
