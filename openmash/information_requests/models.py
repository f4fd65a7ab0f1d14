from django.conf import settings
from django.db import models
from django.db.models import Q

from openmash.core import clock
from openmash.information_requests.codes import AnswerOutcome, RequestStatus, Restriction, SentUnder  # noqa: F401 (re-exported)


class InformationRequest(models.Model):
    """One request per partner agency per referral, with its own due time."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="requests")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="requests")
    requested_at = models.DateTimeField(default=clock.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When the first answer arrived")
    closed_at = models.DateTimeField(null=True, blank=True)
    # On what footing the hub shared the referral with this agency: consent, an authorised override,
    # or (Urgent only) before the override was recorded — which then must be before the decision.
    sent_under = models.CharField(max_length=10, choices=SentUnder.choices, default=SentUnder.CONSENT)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "agency"], name="one_request_per_agency_per_referral"),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.ANSWERED) | Q(answered_at__isnull=False),
                name="answered_request_has_time",
            ),
        ]

    @property
    def late(self) -> bool:
        """Answered after its due time (a late answer is accepted, and shown as late)."""
        return self.answered_at is not None and self.answered_at > self.due_at

    def overdue_at(self, at=None) -> bool:
        return self.status == RequestStatus.OPEN and (at or clock.now()) > self.due_at


class InformationAnswer(models.Model):
    """An agency's answer. A correction is a new version; earlier versions are never changed."""

    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="answers")
    version = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=10, choices=AnswerOutcome.choices)
    summary = models.TextField(max_length=2000, blank=True)
    detail = models.TextField(max_length=20000, blank=True)
    systems_checked = models.CharField(max_length=500, blank=True)
    restriction = models.CharField(max_length=16, choices=Restriction.choices, default=Restriction.NONE)
    decline_reason = models.TextField(max_length=5000, blank=True)
    correction_reason = models.TextField(max_length=2000, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=clock.now)
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["request", "version"]
        constraints = [
            models.UniqueConstraint(fields=["request", "version"], name="answer_versions_unique"),
            models.CheckConstraint(
                condition=~Q(outcome=AnswerOutcome.DECLINED) | ~Q(decline_reason=""), name="declined_answer_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(outcome=AnswerOutcome.HELD) | ~Q(summary=""), name="held_answer_has_summary"
            ),
        ]
