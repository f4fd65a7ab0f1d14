"""Escalation: the notices run_clock sends as deadlines approach and pass, and who each reached.

Clocks themselves are computed on read (boards and lists stay right when run_clock is down); these
rows only record what is to be said, to whom, and whether it was said. docs/adr/0010-escalation.md.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from openmash.core import clock
from openmash.escalation.codes import BREACH_PERCENT, Channel, DeliveryStatus, NoticeKind, NoticeStatus


class ScheduledNotice(models.Model):
    """One notice to send at `fire_at`: a warning at `percent`% of a request's clock, a request's
    breach (100%), or a referral's decision breach.

    A notice belongs to one due time (`due_at`). When a re-rating moves a request's due time, the old
    notices are cancelled and new ones planned, so the unique constraints below make planning
    idempotent: however many run_clock processes plan at once, each point exists once.
    """

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        "information_requests.InformationRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    percent = models.PositiveSmallIntegerField(default=BREACH_PERCENT)
    due_at = models.DateTimeField(help_text="The due time this notice is about")
    fire_at = models.DateTimeField(help_text="When it is to be sent")
    status = models.CharField(max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    claimed_by = models.CharField(max_length=120, blank=True, help_text="The run_clock process that claimed it")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was cancelled or superseded")
    closed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["fire_at", "id"]
        indexes = [models.Index(fields=["status", "fire_at"], name="escalation_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "request", "percent", "due_at"],
                condition=Q(request__isnull=False),
                name="escalation_one_notice_per_request_point",
            ),
            models.UniqueConstraint(
                fields=["kind", "referral", "due_at"],
                condition=Q(request__isnull=True),
                name="escalation_one_notice_per_decision_due",
            ),
            models.CheckConstraint(
                condition=Q(kind=NoticeKind.DECISION_BREACH, request__isnull=True)
                | (~Q(kind=NoticeKind.DECISION_BREACH) & Q(request__isnull=False)),
                name="escalation_request_notice_has_request",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=BREACH_PERCENT), name="escalation_percent_in_range"
            ),
            models.CheckConstraint(
                condition=~Q(status=NoticeStatus.PENDING) | Q(claimed_at__isnull=True),
                name="escalation_pending_is_unclaimed",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.percent}% #{self.pk}"


class Notification(models.Model):
    """A notice delivered to one person (in the service, or by email) or to a duty inbox (email).

    Records who, when, which channel, and when the person acknowledged (read) it.
    """

    notice = models.ForeignKey(ScheduledNotice, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    address = models.EmailField(blank=True, help_text="For email: the address it went to")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Email is sent from an outbox, claimed like notices so that two run_clock processes never both send it.
    claimed_by = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "acknowledged_at"], name="escalation_unread_idx"),
            models.Index(fields=["channel", "status", "next_attempt_at"], name="escalation_outbox_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "recipient", "channel"],
                condition=Q(recipient__isnull=False),
                name="escalation_one_notification_per_person_channel",
            ),
            models.UniqueConstraint(
                fields=["notice", "address", "channel"],
                condition=Q(recipient__isnull=True),
                name="escalation_one_notification_per_inbox",
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | (Q(channel=Channel.EMAIL) & ~Q(address="")),
                name="escalation_notification_has_someone",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.EMAIL) | ~Q(address=""), name="escalation_email_has_address"
            ),
        ]

    @property
    def is_read(self) -> bool:
        return self.acknowledged_at is not None
