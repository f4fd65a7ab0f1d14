"""Consent, overrides, lawful bases, the sharing log, referrer releases and outcome letters.

Consent entries, decided overrides and log events are never edited: a change of mind is a new entry
(consent withdrawn), and the log is append-only in the database itself (migration 0002).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from openmash.core import clock
from openmash.referrals.codes import FamilyInformed
from openmash.sharing.codes import (
    BasisCategory,
    BasisKind,
    Channel,
    ConsentGivenBy,
    ConsentMethod,
    ConsentOutcome,
    ConsentSought,
    NotSoughtReason,
    OverrideStatus,
    SharingDecision,
    SharingKind,
)


class LawfulBasis(models.Model):
    """One entry of the list an administrator maintains. Retired, never deleted, once relied on."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=BasisCategory.choices)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.label


class ConsentEntry(models.Model):
    """What was done about consent for one person on one referral, at one time.

    The newest entry for a person is their current position; earlier ones are their history.
    """

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="consent_entries")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consent_entries")
    family_informed = models.CharField(max_length=12, choices=FamilyInformed.choices)
    sought = models.CharField(max_length=3, choices=ConsentSought.choices)
    not_sought_reason = models.CharField(max_length=24, choices=NotSoughtReason.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=ConsentOutcome.choices, blank=True)
    given_by = models.CharField(max_length=12, choices=ConsentGivenBy.choices, blank=True)
    given_by_name = models.CharField(max_length=120, blank=True)
    obtained_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=8, choices=ConsentMethod.choices, blank=True)
    scope_all_agencies = models.BooleanField(default=True)
    scope_agencies = models.JSONField(default=list, blank=True, help_text="Agency codes, when not all agencies")
    scope_information = models.CharField(max_length=500, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sought=ConsentSought.NO) | ~Q(not_sought_reason=""), name="unsought_consent_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(sought=ConsentSought.YES) | ~Q(outcome=""), name="sought_consent_has_outcome"
            ),
        ]

    def covers(self, agency_code: str) -> bool:
        return self.outcome == ConsentOutcome.GIVEN and (self.scope_all_agencies or agency_code in self.scope_agencies)


class ConsentOverride(models.Model):
    """Sharing without consent, with its evidence: proposed by one person, authorised by a manager."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="overrides")
    bases = models.ManyToManyField(LawfulBasis, related_name="overrides")
    reason = models.TextField(max_length=5000)
    status = models.CharField(max_length=12, choices=OverrideStatus.choices, default=OverrideStatus.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why it was rejected; or, when the proposer authorised it themselves, their second reason.
    decision_reason = models.TextField(max_length=5000, blank=True)
    self_authorised = models.BooleanField(default=False)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=OverrideStatus.PROPOSED) | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="decided_override_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status=OverrideStatus.REJECTED) | ~Q(decision_reason=""), name="rejected_override_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(self_authorised=True) | ~Q(decision_reason=""), name="self_authorised_override_has_second_reason"
            ),
            # At most one override waiting or in force per referral.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=[OverrideStatus.PROPOSED, OverrideStatus.AUTHORISED]),
                name="one_live_override_per_referral",
            ),
        ]


class ReferrerRelease(models.Model):
    """A manager's decision to let one agency see who made the referral."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="referrer_releases")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["referral", "agency"], name="referrer_released_once_per_agency")]


class OutcomeLetter(models.Model):
    """Feedback to the referrer, as sent: the text is kept exactly as it went out."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="outcome_letters")
    recipient = models.CharField(max_length=300)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    body = models.TextField()
    included_answers = models.JSONField(default=list)  # answer ids
    withheld_answers = models.JSONField(default=list)  # [{answer, agency, why}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]


class SharingEvent(models.Model):
    """One decision to share, or not to share (the seventh golden rule; reference §2.4).

    What was shared is named (`items`: fields and answer versions), never copied: the log must not
    itself become a way round a restriction.
    """

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="sharing_events")
    occurred_at = models.DateTimeField(default=clock.now, db_index=True)
    kind = models.CharField(max_length=24, choices=SharingKind.choices)
    decision = models.CharField(max_length=12, choices=SharingDecision.choices)
    from_agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_party = models.CharField(max_length=160)
    to_agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_party = models.CharField(max_length=300)
    items = models.JSONField(default=list)
    what = models.TextField(max_length=2000)
    withheld = models.TextField(max_length=2000, blank=True)
    why = models.TextField(max_length=5000)
    basis_kind = models.CharField(max_length=10, choices=BasisKind.choices, blank=True)
    basis_codes = models.JSONField(default=list)
    override = models.ForeignKey(ConsentOverride, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.IN_SERVICE)
    referrer_identity_protected = models.BooleanField(default=True)
    subjects = models.ManyToManyField("people.Person", related_name="+", blank=True)
    request = models.ForeignKey(
        "information_requests.InformationRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.ForeignKey(
        "information_requests.InformationAnswer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    letter = models.ForeignKey(OutcomeLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=160, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    actor_agency = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["to_agency", "occurred_at"]), models.Index(fields=["from_agency", "occurred_at"])]
