import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from openmash.access.policy import is_administrator, require
from openmash.accounts.models import ApiToken, SignInThrottle, Team, User, team_code_validator
from openmash.accounts.roles import HUB_ROLES, Role
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.errors import Collector, InvalidInput

SIGN_IN_FAILED = "Enter a correct username and password"


class AccountLocked(InvalidInput):
    pass


def _locked_message() -> str:
    return (
        f"Too many failed attempts to sign in with this username. Try again in "
        f"{settings.OPENMASH_LOCKOUT_MINUTES} minutes, or ask an administrator to unlock the account"
    )


def account_sign_in(*, request, username: str, password: str) -> User:
    """Check a username and password, locking the username after repeated failures.

    1. While a username is locked, nothing is checked and nothing is counted: the answer is the
       same whether the password is right or wrong, so a lock cannot be used to test passwords.
    2. A failure counts against the username typed, whether or not an account has it, and unknown
       usernames get the same messages as real ones: sign-in does not reveal who has an account.
    3. After OPENMASH_LOCKOUT_THRESHOLD failures in a row the username is locked for
       OPENMASH_LOCKOUT_MINUTES; a success clears the count.
    A lock only stops new sign-ins: sessions already open carry on (otherwise anyone could sign a
    colleague out by mistyping their username five times).
    """
    username = (username or "").strip()
    if not username or not password:
        errors = Collector()
        if not username:
            errors.add("username", "Enter your username")
        if not password:
            errors.add("password", "Enter your password")
        errors.raise_if_any()
    key = SignInThrottle.key_for(username)
    now = clock.now()
    throttle = SignInThrottle.objects.filter(username_key=key).first()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        audit_record(
            user=None, action="account.sign_in_refused_locked", object_type="user",
            details={"username": username, "locked_until": throttle.locked_until.isoformat()},
        )
        raise AccountLocked.single("username", _locked_message())

    user = authenticate(request, username=username, password=password)
    if user is not None:
        with transaction.atomic():
            SignInThrottle.objects.filter(username_key=key).delete()
            audit_record(user=user, action="account.sign_in", object_type="user", object_id=user.pk)
        return user

    with transaction.atomic():
        SignInThrottle.objects.get_or_create(username_key=key)
        SignInThrottle.objects.filter(username_key=key).update(failures=F("failures") + 1, updated_at=now)
        throttle = SignInThrottle.objects.get(username_key=key)
        locked = throttle.failures >= settings.OPENMASH_LOCKOUT_THRESHOLD
        if locked:
            SignInThrottle.objects.filter(username_key=key).update(
                failures=0, locked_until=now + dt.timedelta(minutes=settings.OPENMASH_LOCKOUT_MINUTES)
            )
        account = User.objects.filter(username=username).first()
        audit_record(
            user=None, action="account.sign_in_failed", object_type="user",
            object_id=account.pk if account else "",
            details={"username": username, "failures": throttle.failures, "locked": locked},
        )
    if locked:
        raise AccountLocked.single("username", _locked_message())
    raise InvalidInput.single("username", SIGN_IN_FAILED)


def account_sign_out_recorded(*, user, reason: str):
    audit_record(user=user, action="account.sign_out", object_type="user", object_id=user.pk, details={"reason": reason})


def api_token_create(*, user: User, name: str = "", created_by=None) -> str:
    """Make a new API token for `user` and return it. Only its hash is kept."""
    key = "om_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:80], key_hash=ApiToken.hash_key(key), prefix=key[:8])
        audit_record(
            user=created_by,
            action="api_token.create",
            object_type="api_token",
            object_id=token.pk,
            details={"for_user": user.username},
        )
    return key


def api_token_authenticate(*, key: str) -> User | None:
    if not key or not key.startswith("om_"):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__agency")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        # Recorded coarsely so that a busy integration does not write on every call.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# ------------------------------------------------------------------ administration of users

USERNAME_MAX = 150


def _validate_user_fields(*, username, first_name, last_name, email, role, agency, errors: Collector, existing=None):
    if not username:
        errors.add("username", "Enter a username")
    elif len(username) > USERNAME_MAX or not all(c.isalnum() or c in "@.+-_" for c in username):
        errors.add("username", "Username must be 150 characters or fewer: letters, digits and @ . + - _ only")
    elif User.objects.filter(username__iexact=username).exclude(pk=getattr(existing, "pk", None)).exists():
        errors.add("username", "A user with this username already exists")
    if not first_name:
        errors.add("first_name", "Enter a first name")
    elif len(first_name) > 150:
        errors.add("first_name", "First name must be 150 characters or fewer")
    if not last_name:
        errors.add("last_name", "Enter a last name")
    elif len(last_name) > 150:
        errors.add("last_name", "Last name must be 150 characters or fewer")
    if not email or "@" not in email or len(email) > 254:
        errors.add("email", "Enter an email address in the correct format, like name@example.gov.uk")
    if role not in Role.values:
        errors.add("role", "Select a role")
    elif role == Role.AGENCY_REP and agency is None:
        errors.add("agency", "Select the agency this representative works for")


def _agency_or_error(agency_code: str, errors: Collector) -> Agency | None:
    if not agency_code:
        return None
    agency = Agency.objects.filter(code=agency_code).first()
    if agency is None:
        errors.add("agency", "Select an agency from the list")
    return agency


def _team_or_error(team_code: str, role: str, errors: Collector, current: Team | None = None) -> Team | None:
    """The team chosen for a user: hub staff only, and an active team unless it is the one they have."""
    if not team_code:
        return None
    team = Team.objects.filter(code=team_code).first()
    if team is None:
        errors.add("team", "Select a team from the list")
    elif not team.active and team != current:
        errors.add("team", f"{team.name} is no longer active: choose an active team")
    elif role in Role.values and role not in HUB_ROLES:
        errors.add("team", "Only MASH managers and practitioners belong to a hub team: choose No team")
    return team


def user_create(
    *, user, username: str, first_name: str, last_name: str, email: str, role: str, agency_code: str = "",
    job_title: str = "", password: str, team_code: str = "",
) -> User:
    require(is_administrator(user), "Only an administrator can manage users")
    errors = Collector()
    username, first_name, last_name, email = (v.strip() for v in (username, first_name, last_name, email))
    agency = _agency_or_error(agency_code, errors)
    team = _team_or_error(team_code, role, errors)
    _validate_user_fields(
        username=username, first_name=first_name, last_name=last_name, email=email, role=role, agency=agency,
        errors=errors,
    )
    if len(job_title) > 120:
        errors.add("job_title", "Job title must be 120 characters or fewer")
    candidate = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if not password:
        errors.add("password", "Enter a password")
    else:
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            for message in exc.messages:
                errors.add("password", message)
    errors.raise_if_any()
    with transaction.atomic():
        new = User(
            username=username, first_name=first_name, last_name=last_name, email=email, role=role,
            agency=agency, job_title=job_title.strip(), team=team,
        )
        new.set_password(password)
        new.save()
        audit_record(
            user=user, action="user.create", object_type="user", object_id=new.pk,
            details={"username": username, "role": role, "agency": agency.code if agency else "",
                     "team": team.code if team else ""},
        )
    return new


def user_update(
    *, user, target: User, first_name: str, last_name: str, email: str, role: str, agency_code: str = "",
    job_title: str = "", is_active: bool = True, team_code: str = "",
) -> User:
    require(is_administrator(user), "Only an administrator can manage users")
    errors = Collector()
    first_name, last_name, email = (v.strip() for v in (first_name, last_name, email))
    agency = _agency_or_error(agency_code, errors)
    team = _team_or_error(team_code, role, errors, current=target.team)
    _validate_user_fields(
        username=target.username, first_name=first_name, last_name=last_name, email=email, role=role,
        agency=agency, errors=errors, existing=target,
    )
    if target.pk == user.pk and (not is_active or role != Role.ADMINISTRATOR):
        errors.add("role", "You cannot remove your own administrator access; ask another administrator")
    errors.raise_if_any()
    before = {"role": target.role, "agency": target.agency.code if target.agency_id else "", "active": target.is_active,
              "team": target.team.code if target.team_id else ""}
    with transaction.atomic():
        target.first_name, target.last_name, target.email = first_name, last_name, email
        target.role, target.agency, target.job_title, target.is_active = role, agency, job_title.strip(), is_active
        target.team = team
        target.save()
        audit_record(
            user=user, action="user.update", object_type="user", object_id=target.pk,
            details={"before": before, "after": {"role": role, "agency": agency_code, "active": is_active,
                                                 "team": team.code if team else ""}},
        )
    return target


def user_unlock(*, user, target: User) -> User:
    require(is_administrator(user), "Only an administrator can manage users")
    with transaction.atomic():
        SignInThrottle.objects.filter(username_key=SignInThrottle.key_for(target.username)).delete()
        audit_record(user=user, action="user.unlock", object_type="user", object_id=target.pk)
    target.refresh_from_db()
    return target


def user_set_password(*, user, target: User, password: str) -> User:
    require(is_administrator(user), "Only an administrator can manage users")
    try:
        validate_password(password, target)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], errors={"password": exc.messages}) from None
    with transaction.atomic():
        target.set_password(password)
        target.save(update_fields=["password"])
        audit_record(user=user, action="user.set_password", object_type="user", object_id=target.pk)
    return target


# ------------------------------------------------------------------ hub teams (docs/adr/0017)


def _validate_team_name(name: str, errors: Collector, existing: Team | None):
    if not name:
        errors.add("name", "Enter the team's name")
    elif len(name) > 120:
        errors.add("name", "Name must be 120 characters or fewer")
    elif Team.objects.filter(name__iexact=name).exclude(pk=getattr(existing, "pk", None)).exists():
        errors.add("name", "Another team already has this name")


def team_create(*, user, code: str, name: str) -> Team:
    """Add a hub team. Its code is fixed: the API and saved report links know it by its code."""
    require(is_administrator(user), "Only an administrator can manage teams")
    code, name = (code or "").strip().lower(), (name or "").strip()
    errors = Collector()
    if not code:
        errors.add("code", "Enter a code for the team, like team-a")
    else:
        try:
            team_code_validator(code)
        except ValidationError:
            errors.add("code", "Code must be 2 to 40 lower-case letters, digits and hyphens, starting with a letter")
        else:
            if Team.objects.filter(code=code).exists():
                errors.add("code", "Another team already has this code")
    _validate_team_name(name, errors, None)
    errors.raise_if_any()
    with transaction.atomic():
        team = Team.objects.create(code=code, name=name, active=True)
        audit_record(user=user, action="team.create", object_type="team", object_id=team.code, details={"name": name})
    return team


def team_update(*, user, team: Team, name: str, active: bool = True) -> Team:
    """Rename a team, or deactivate it (no longer offered when a referral is rated; its referrals and
    members keep it, and reports still count it)."""
    require(is_administrator(user), "Only an administrator can manage teams")
    name = (name or "").strip()
    errors = Collector()
    _validate_team_name(name, errors, team)
    errors.raise_if_any()
    before = {"name": team.name, "active": team.active}
    with transaction.atomic():
        team.name, team.active = name, active
        team.save()
        audit_record(
            user=user, action="team.update", object_type="team", object_id=team.code,
            details={"before": before, "after": {"name": name, "active": active}},
        )
    return team
