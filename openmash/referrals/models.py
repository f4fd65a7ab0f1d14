from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from openmash.core import clock
from openmash.core.models import TimeStampedModel
from openmash.referrals.codes import (
    ClockBasis,
    ConcernCategory,
    ConsentStatus,
    ContactMethod,
    FamilyInformed,
    Outcome,
    Rating,
    ReferralSource,
    ReferralStatus,
    ReferrerInformed,
    ThresholdLevel,
)

NARRATIVE_MAX = 20000


class Referral(TimeStampedModel):
    """A referral (a "contact") about one or more children.

    The hub's clock starts at `received_at` — when the hub received it — which may be before it
    was typed in (`created_at`).
    """

    reference = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=2, choices=ReferralSource.choices)

    referrer_anonymous = models.BooleanField(default=False)
    referrer_name = models.CharField(max_length=120, blank=True)
    referrer_role = models.CharField(max_length=120, blank=True)
    referrer_organisation = models.CharField(max_length=160, blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    referrer_email = models.EmailField(max_length=254, blank=True)

    concern_narrative = models.TextField(max_length=NARRATIVE_MAX)
    family_informed = models.CharField(max_length=12, choices=FamilyInformed.choices)
    family_informed_notes = models.TextField(max_length=2000, blank=True)
    consent = models.CharField(max_length=12, choices=ConsentStatus.choices)
    consent_notes = models.TextField(max_length=2000, blank=True)

    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.AWAITING_TRIAGE, db_index=True
    )
    rating = models.CharField(max_length=8, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # The hub team responsible: chosen when a MASH manager rates the referral (docs/adr/0017).
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    strategy_discussion_required_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.AWAITING_TRIAGE) | ~Q(rating=""), name="triaged_referral_has_rating"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.DECIDED) | Q(decided_at__isnull=False),
                name="decided_referral_has_time",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status != ReferralStatus.DECIDED


class ReferralPerson(models.Model):
    """A person named on a referral: a child it is about, or an adult in the household."""

    class Kind(models.TextChoices):
        CHILD = "child", "Child"
        ADULT = "adult", "Adult"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referral_links")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position"]
        constraints = [models.UniqueConstraint(fields=["referral", "person"], name="person_once_per_referral")]


class ReferralConcern(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="concerns")
    category = models.CharField(max_length=24, choices=ConcernCategory.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["referral", "category"], name="concern_once_per_referral")]


class RatingChange(models.Model):
    """Every rating a referral has had, with who, when and why. Never updated or deleted."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="rating_changes")
    rating = models.CharField(max_length=8, choices=Rating.choices)
    previous_rating = models.CharField(max_length=8, choices=Rating.choices, blank=True)
    rationale = models.TextField(max_length=5000)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["changed_at", "id"]


def default_warning_percents() -> list[int]:
    return [50, 90]


class ClockPolicy(models.Model):
    """How long agencies have to answer, per rating, and when they are warned before the due time:
    local policy, edited by an administrator."""

    rating = models.CharField(max_length=8, choices=Rating.choices, unique=True)
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)])
    basis = models.CharField(max_length=8, choices=ClockBasis.choices, default=ClockBasis.CALENDAR)
    # Percentages of the clock (1–99, ascending) at which the agency's representatives are warned.
    warning_percents = models.JSONField(default=default_warning_percents)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "clock policies"

    @property
    def hours(self):
        return self.minutes / 60


class DecisionClock(models.Model):
    """The hub's own clock from receipt to decision (default one working day): a single row, edited
    by an administrator. It sets the decision due time of referrals received afterwards."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)])
    basis = models.CharField(max_length=8, choices=ClockBasis.choices, default=ClockBasis.WORKING)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="decision_clock_is_one_row")]


class Decision(models.Model):
    """The hub's decision on a referral; one outcome per child in `outcomes`."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="decision")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=clock.now)
    rationale = models.TextField(max_length=NARRATIVE_MAX)
    threshold_level = models.PositiveSmallIntegerField(choices=ThresholdLevel.choices)
    early_decision_reason = models.TextField(max_length=5000, blank=True)
    referrer_informed = models.CharField(max_length=16, choices=ReferrerInformed.choices)
    referrer_informed_method = models.CharField(max_length=16, choices=ContactMethod.choices, blank=True)
    referrer_informed_notes = models.TextField(max_length=2000, blank=True)


class ChildOutcome(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="outcomes")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="outcomes")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "person"], name="one_outcome_per_child")]


class ReferenceCounter(models.Model):
    """The last reference number issued per year; bumped with a conditional UPDATE (no gaps, no repeats)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)
