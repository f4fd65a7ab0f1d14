from django.conf import settings
from django.db import models
from django.db.models import Q

from openmash.core.models import TimeStampedModel
from openmash.people.codes import Ethnicity, InvolvementRole, InvolvementSource, RelationshipKind, Sex
from openmash.people.identifiers import format_nhs_number, normalise_name


class Person(TimeStampedModel):
    """A child or adult known to the hub. One row per real person once matching has confirmed it.

    Names are kept as given (for display) and normalised (for search). Identifiers are stored only
    after their check digit/letter has been validated (see `identifiers.py`).
    """

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    given_name_norm = models.CharField(max_length=100, db_index=True, editable=False)
    family_name_norm = models.CharField(max_length=100, db_index=True, editable=False)
    date_of_birth = models.DateField(null=True, blank=True, db_index=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    ethnicity = models.CharField(max_length=4, choices=Ethnicity.choices, default=Ethnicity.NOBT)
    nhs_number = models.CharField(max_length=10, blank=True, db_index=True)
    upn = models.CharField("UPN", max_length=13, blank=True, db_index=True)
    # Set when a reviewer merged this record into another (the duplicate queue); the merged record
    # stays, redirecting to the one kept, so a merge can be undone and old links still resolve.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["family_name_norm", "given_name_norm"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() for part in (self.given_name, self.family_name) if part)

    @property
    def nhs_number_display(self) -> str:
        return format_nhs_number(self.nhs_number)

    def set_names(self, given_name: str, family_name: str):
        self.given_name = given_name.strip()
        self.family_name = family_name.strip()
        self.given_name_norm = normalise_name(self.given_name)
        self.family_name_norm = normalise_name(self.family_name)


class PersonName(models.Model):
    """Other names a person is known by: aliases, previous names, nicknames."""

    class Kind(models.TextChoices):
        ALIAS = "alias", "Also known as"
        PREVIOUS = "previous", "Previous name"
        PREFERRED = "preferred", "Preferred name"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="other_names")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ALIAS)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    given_name_norm = models.CharField(max_length=100, db_index=True, editable=False, blank=True)
    family_name_norm = models.CharField(max_length=100, db_index=True, editable=False, blank=True)

    def __str__(self):
        return f"{self.given_name} {self.family_name}".strip()


class Address(TimeStampedModel):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.CharField(max_length=120)
    line_2 = models.CharField(max_length=120, blank=True)
    town = models.CharField(max_length=80, blank=True)
    postcode = models.CharField(max_length=8, blank=True, db_index=True)
    is_current = models.BooleanField(default=True)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-is_current", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_date__isnull=True) | Q(from_date__isnull=True) | Q(to_date__gte=models.F("from_date")),
                name="address_dates_in_order",
            )
        ]

    def __str__(self):
        return ", ".join(p for p in (self.line_1, self.line_2, self.town, self.postcode) if p)


class Relationship(TimeStampedModel):
    """How an adult relates to a child (mother, step-parent, private foster carer…).

    Recorded from referrals; `source_referral` says which referral told us.
    """

    adult = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_as_adult")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_as_child")
    kind = models.CharField(max_length=24, choices=RelationshipKind.choices)
    parental_responsibility = models.BooleanField(null=True, blank=True)
    source_referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adult", "child", "kind"], name="one_relationship_of_a_kind"),
            models.CheckConstraint(condition=~Q(adult=models.F("child")), name="relationship_not_to_self"),
        ]


class Involvement(TimeStampedModel):
    """An agency or practitioner involved with a person: who knows this child (DESIGN.md §1.11)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="involvements")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="involvements")
    service = models.CharField(max_length=120, blank=True)
    practitioner_name = models.CharField(max_length=120, blank=True)
    practitioner_contact = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=32, choices=InvolvementRole.choices, default=InvolvementRole.OTHER)
    is_lead = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=InvolvementSource.choices, default=InvolvementSource.RECORDED)
    source_id = models.CharField(max_length=64, blank=True, help_text="The agency's own id for this involvement")
    # Named in an agency's answer on a referral (source referral_answer): whoever may not see that
    # answer may not see this either (access.policy.can_see_involvement). Removing the answer removes
    # what it named, so nothing it named can outlive its restriction.
    answer = models.ForeignKey(
        "information_requests.InformationAnswer", null=True, blank=True, on_delete=models.CASCADE,
        related_name="involvements", help_text="The answer version that named this involvement",
    )
    # A correction (a later version of the answer) replaces what the earlier version named. The row
    # stays with the version that named it, as the answer itself does, but is no longer in force.
    replaced_by = models.ForeignKey(
        "information_requests.InformationAnswer", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", help_text="The later answer version that replaced this one",
    )

    class Meta:
        ordering = ["-is_lead", "agency__sort_order", "-start_date"]
        constraints = [
            # Imports are keyed on the agency's own id, so running one twice changes nothing.
            models.UniqueConstraint(
                fields=["agency", "source_id"], condition=~Q(source_id=""), name="one_involvement_per_agency_source_id"
            ),
            # An involvement says it came from an answer exactly when it names the answer.
            models.CheckConstraint(
                condition=(Q(source=InvolvementSource.REFERRAL_ANSWER) & Q(answer__isnull=False))
                | (~Q(source=InvolvementSource.REFERRAL_ANSWER) & Q(answer__isnull=True) & Q(replaced_by__isnull=True)),
                name="involvement_from_answer_names_it",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="involvement_dates_in_order",
            ),
        ]

    @property
    def is_current(self) -> bool:
        from openmash.core import clock

        return self.end_date is None or self.end_date >= clock.local_today()


class PersonSource(TimeStampedModel):
    """An agency's own id for a person (a case number, a pupil id): what an import is keyed on, so
    loading the same file twice changes nothing, and what the API reports as `source_ids`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="sources")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    source_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["agency__sort_order", "source_id"]
        constraints = [models.UniqueConstraint(fields=["agency", "source_id"], name="one_person_per_agency_source_id")]

    def __str__(self):
        return f"{self.agency_id}:{self.source_id}"


class PersonKey(models.Model):
    """A blocking key a person is filed under (matching/keys.py), stored as a 64-bit hash.

    A search turns its query into keys and fetches the few people filed under them by index; the
    rows are rewritten whenever a person's names, date of birth, address or identifiers change.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "person"], name="people_key_lookup")]


class DuplicatePair(models.Model):
    """Two people the duplicate finder thinks may be one, waiting for (or after) review.

    `person_a` always has the lower id, so a pair is found once. "Not the same person" is kept for
    good: the finder never suggests that pair again.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        MERGED = "merged", "Merged"
        NOT_SAME = "not_same", "Not the same person"
        GONE = "gone", "No longer applies"  # one of the two was merged into someone else

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Match weight, log2 odds")
    probability = models.FloatField()
    band = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    found_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_duplicate_pair"),
            models.CheckConstraint(condition=Q(person_a__lt=models.F("person_b")), name="duplicate_pair_in_order"),
        ]


class PersonMerge(models.Model):
    """One record merged into another by a reviewer: who, when, why, and every link moved, so the
    merge can be undone exactly."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_merged")
    pair = models.ForeignKey(DuplicatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    reason = models.TextField()
    moved = models.JSONField(default=list, help_text="[{table, id, field}] rows re-pointed from merged to kept")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField()
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
