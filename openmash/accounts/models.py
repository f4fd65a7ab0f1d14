import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from openmash.accounts.roles import HUB_ROLES, Role
from openmash.core import clock


team_code_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,39}$", "Use 2 to 40 lower-case letters, digits and hyphens, starting with a letter"
)


class Team(models.Model):
    """A team of the hub (MASH managers and practitioners) that takes responsibility for referrals.

    The code is the stable key the API and report filters use; the name can change. Teams are
    deactivated, never deleted: referrals and reports refer to them for ever (docs/adr/0017).
    """

    code = models.CharField(max_length=40, unique=True, validators=[team_code_validator])
    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Role and agency decide what they may see (see `openmash.access`)."""

    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    # Hub staff only: the hub team they work in, which is the default team of the referrals they rate.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    REQUIRED_FIELDS = ["email", "role"]

    class Meta:
        constraints = [
            # An agency representative always belongs to an agency; nobody else needs one.
            models.CheckConstraint(
                condition=~Q(role=Role.AGENCY_REP) | Q(agency__isnull=False), name="agency_rep_has_agency"
            ),
            # Only hub staff (MASH managers and practitioners) belong to a hub team.
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(role__in=sorted(HUB_ROLES)), name="only_hub_staff_in_teams"
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_hub_staff(self) -> bool:
        return self.role in HUB_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER



class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once, when made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The first characters, to tell tokens apart")
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class SignInThrottle(models.Model):
    """Failed sign-ins per username, whether or not an account has that name.

    Keyed on the (lower-cased) username typed rather than on the account, so that a username with no
    account locks exactly like a real one and sign-in cannot be used to find out who has an account.
    """

    username_key = models.CharField(max_length=150, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    @staticmethod
    def key_for(username: str) -> str:
        return (username or "").strip().lower()[:150]
