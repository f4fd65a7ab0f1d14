from openmash.access.policy import is_administrator, require
from openmash.accounts.models import User
from openmash.core.errors import NotFound


def require_user_admin(*, user):
    require(is_administrator(user), "Only an administrator can manage users")


def user_list(*, user):
    require_user_admin(user=user)
    return list(User.objects.select_related("agency").order_by("role", "username"))


def user_for_admin(*, user, user_id) -> User:
    require_user_admin(user=user)
    target = User.objects.select_related("agency").filter(pk=user_id).first()
    if target is None:
        raise NotFound("No such user")
    return target


def user_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()
