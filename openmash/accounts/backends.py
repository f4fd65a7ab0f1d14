from django.contrib.auth.backends import ModelBackend


class LockoutModelBackend(ModelBackend):
    """Username and password, refusing accounts that are locked after repeated failures.

    Counting failures and locking is done by `accounts.services.account_sign_in`, which is the one
    place sign-in happens; this backend only refuses a locked account even with the right password.
    Single sign-on (OIDC) will arrive as another backend beside this one.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.is_locked
