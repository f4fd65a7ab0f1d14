from django.core.validators import RegexValidator
from django.db import models

from openmash.core.models import TimeStampedModel

agency_code_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,39}$", "Use 2 to 40 lower-case letters, digits and hyphens, starting with a letter"
)


class Agency(TimeStampedModel):
    """A partner agency of the hub (police, acute health, education…).

    The code is the stable key used by the API and agency systems; the name can change.
    Agencies are deactivated, never deleted, because requests and answers refer to them for ever.
    """

    code = models.CharField(max_length=40, unique=True, validators=[agency_code_validator])
    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    duty_inbox_email = models.EmailField(blank=True, help_text="Where breach notices for this agency go")
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name
