from django.db import models


class BoardKind(models.TextChoices):
    HUB = "hub", "The whole hub: every open referral"
    AGENCY = "agency", "One agency: its outstanding requests"
    DECISION = "decision", "Ready for decision: for MASH managers"


class BoardLabels(models.TextChoices):
    INITIALS = "initials", "Reference, the children's initials and ages"
    REFERENCE = "reference", "Reference only"
