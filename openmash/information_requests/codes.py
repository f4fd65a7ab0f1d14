"""Code lists for information requests and answers."""

from django.db import models


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    NOT_NEEDED = "not_needed", "Not needed – decided before an answer"


class AnswerOutcome(models.TextChoices):
    HELD = "held", "Information held"
    NOT_KNOWN = "not_known", "Not known to us"
    DECLINED = "declined", "Declined"


class Restriction(models.TextChoices):
    NONE = "none", "None – hub staff may see it"
    MANAGER_ONLY = "manager_only", "MASH manager only"
    NOT_FOR_FAMILY = "not_for_family", "Not to be disclosed to the family"


class SentUnder(models.TextChoices):
    CONSENT = "consent", "Consent"
    OVERRIDE = "override", "Override (lawful basis without consent)"
    URGENT = "urgent", "Urgent – sent before the override was recorded"
