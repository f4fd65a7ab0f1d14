import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from openmash.core import clock

LAST_SEEN_KEY = "openmash_last_seen"
KEPT_AFTER_TIMEOUT = ("referral_draft",)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every page needs a signed-in user unless marked `login_not_required`.

    The JSON API authenticates each call with its bearer token instead (see `openmash.api`), and
    answers 401 itself rather than redirecting to the sign-in page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SessionTimeoutMiddleware:
    """Sign a user out after a period without any request (council laptops are shared)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path_info.startswith("/api/"):
            now = clock.now()
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle = dt.timedelta(minutes=settings.OPENMASH_SESSION_IDLE_MINUTES)
            if last_seen is not None and now - dt.datetime.fromisoformat(last_seen) > idle:
                from openmash.accounts.services import account_sign_out_recorded

                account_sign_out_recorded(user=request.user, reason="idle timeout")
                # A half-recorded referral is kept for its owner to finish after signing in again
                # (it stays tied to them; see referrals.drafts).
                kept = {k: request.session[k] for k in KEPT_AFTER_TIMEOUT if k in request.session}
                logout(request)
                request.session.update(kept)
                messages.info(
                    request,
                    f"You were signed out because you had not done anything for "
                    f"{settings.OPENMASH_SESSION_IDLE_MINUTES} minutes. Sign in again to continue.",
                )
                return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}")
            request.session[LAST_SEEN_KEY] = now.isoformat()
        return self.get_response(request)
