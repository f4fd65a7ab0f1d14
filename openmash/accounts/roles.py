"""The roles of DESIGN.md §2. What each may see and do lives in `openmash.access`."""

from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "MASH manager"
    PRACTITIONER = "practitioner", "MASH practitioner"
    AGENCY_REP = "agency_rep", "Agency representative"
    ANALYST = "analyst", "Analyst"
    IG_OFFICER = "ig_officer", "Information-governance officer"
    ADMINISTRATOR = "administrator", "Administrator"


HUB_ROLES = frozenset({Role.MANAGER, Role.PRACTITIONER})
