from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Lower

from openmash.access.policy import is_administrator, require
from openmash.accounts.models import SignInThrottle, Team, User
from openmash.core import clock
from openmash.core.errors import NotFound


def require_user_admin(*, user):
    require(is_administrator(user), "Only an administrator can manage users")


def user_list(*, user):
    require_user_admin(user=user)
    locks = SignInThrottle.objects.filter(
        Q(locked_until__gt=clock.now()), username_key=Lower(OuterRef("username"))
    ).values("locked_until")[:1]
    return list(User.objects.select_related("agency", "team").annotate(locked_until=Subquery(locks)).order_by("role", "username"))


def user_for_admin(*, user, user_id) -> User:
    require_user_admin(user=user)
    target = User.objects.select_related("agency", "team").filter(pk=user_id).first()
    if target is None:
        raise NotFound("No such user")
    return target


def user_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()


def sign_in_locked_until(*, username: str):
    """When a username's sign-in lock ends, or None if it is not locked."""
    throttle = SignInThrottle.objects.filter(username_key=SignInThrottle.key_for(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > clock.now():
        return throttle.locked_until
    return None


# ------------------------------------------------------------------ hub teams


def team_list(*, active_only: bool = False) -> list[Team]:
    """The hub's teams by name. Team names are not case data: any page may list them."""
    qs = Team.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("name"))


def team_get(*, code: str) -> Team | None:
    return Team.objects.filter(code=code).first() if code else None


def teams_for_admin(*, user) -> list[Team]:
    """Every team, with how many people belong to it."""
    from django.db.models import Count

    require(is_administrator(user), "Only an administrator can manage teams")
    return list(Team.objects.annotate(member_count=Count("members")).order_by("name"))


def team_for_admin(*, user, code: str) -> Team:
    require(is_administrator(user), "Only an administrator can manage teams")
    team = team_get(code=code)
    if team is None:
        raise NotFound("No such team")
    return team
