"""Signing in through the page: one message for every failure, lockout, unlocking, deactivated
accounts, the idle timeout (which keeps a half-recorded referral for its owner), and Argon2."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from openmash.accounts.models import User
from openmash.audit.models import AuditEvent
from openmash.config.settings import base as real_settings
from openmash.core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SIGN_IN = "/sign-in/"
WRONG = "Enter a correct username and password"


def locked_message(minutes=15):
    return (
        f"Too many failed attempts to sign in with this username. Try again in {minutes} minutes, "
        "or ask an administrator to unlock the account"
    )


def locked_until(username):
    from openmash.accounts.selectors import sign_in_locked_until

    return sign_in_locked_until(username=username)


def failures(username):
    from openmash.accounts.models import SignInThrottle

    row = SignInThrottle.objects.filter(username_key=username.lower()).first()
    return row.failures if row else 0


def summary(page: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="govuk-error-summary.*?</ul>', page, re.S)
    if not block:
        return []
    return [(h, html.unescape(t.strip())) for h, t in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', block.group(0), re.S)]


def field_error(page: str, field_id: str) -> str | None:
    match = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message[^"]*"[^>]*>\s*'
        r'<span class="govuk-visually-hidden">Error:</span>\s*(.*?)\s*</p>',
        page, re.S,
    )
    return html.unescape(match.group(1)) if match else None


def sign_in(client, username, password, next_url=""):
    return client.post(SIGN_IN, {"username": username, "password": password, "next": next_url})


def assert_refused(response, message, client):
    assert response.status_code == 400
    page = response.content.decode()
    assert summary(page) == [("#username", message)]
    assert field_error(page, "username") == message
    assert "_auth_user_id" not in client.session


def assert_signed_in(response, client, user, to="/"):
    assert response.status_code == 302 and response["Location"] == to
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_right_password_signs_in_and_resets_the_count(client, hub, freeze):
    freeze(T0)
    for _ in range(4):
        sign_in(client, "practitioner", "wrong")
    assert failures("practitioner") == 4
    assert_signed_in(sign_in(client, "practitioner", DEMO_PASSWORD), client, hub["practitioner"])
    assert failures("practitioner") == 0 and locked_until("practitioner") is None
    assert AuditEvent.objects.filter(action="account.sign_in", actor_username="practitioner").count() == 1


def test_sign_in_goes_on_to_a_local_next_page_only(client, hub):
    assert_signed_in(sign_in(client, "manager", DEMO_PASSWORD, next_url="/referrals/"), client, hub["manager"], "/referrals/")
    client.logout()
    assert_signed_in(sign_in(client, "manager", DEMO_PASSWORD, next_url="https://evil.example/"), client, hub["manager"])


def test_a_wrong_password_gives_the_message_and_no_session(client, hub):
    assert_refused(sign_in(client, "practitioner", "not-the-password"), WRONG, client)
    event = AuditEvent.objects.get(action="account.sign_in_failed")
    assert event.object_id == str(hub["practitioner"].pk) and event.details["username"] == "practitioner"


def test_an_unknown_username_gets_the_same_message(client, hub):
    known = sign_in(client, "practitioner", "not-the-password")
    unknown = sign_in(client, "no-such-user", "not-the-password")
    assert_refused(unknown, WRONG, client)
    assert summary(unknown.content.decode()) == summary(known.content.decode())


def test_missing_username_and_password_are_asked_for(client, hub):
    response = sign_in(client, "", "")
    assert response.status_code == 400
    page = response.content.decode()
    assert summary(page) == [("#username", "Enter your username"), ("#password", "Enter your password")]
    assert field_error(page, "password") == "Enter your password"


def test_five_failures_lock_the_account_even_against_the_right_password(client, hub, freeze, settings):
    assert settings.OPENMASH_LOCKOUT_THRESHOLD == 5
    freeze(T0)
    for _ in range(4):
        assert_refused(sign_in(client, "practitioner", "wrong"), WRONG, client)
    # The failure that reaches the threshold says so.
    assert_refused(sign_in(client, "practitioner", "wrong"), locked_message(), client)
    assert locked_until("practitioner") == T0 + dt.timedelta(minutes=settings.OPENMASH_LOCKOUT_MINUTES)
    # While locked, right and wrong passwords get the same answer: the lock is no password oracle.
    assert_refused(sign_in(client, "practitioner", DEMO_PASSWORD), locked_message(), client)
    assert_refused(sign_in(client, "practitioner", "wrong"), locked_message(), client)
    # Nor are attempts during the lock counted towards the next one.
    assert failures("practitioner") == 0


def test_an_unknown_username_locks_exactly_like_a_real_one(client, hub, freeze):
    """Otherwise five wrong guesses would tell an attacker which usernames exist."""
    freeze(T0)
    real = [sign_in(client, "practitioner", "wrong") for _ in range(6)]
    fake = [sign_in(client, "no-such-person", "wrong") for _ in range(6)]
    assert [summary(r.content.decode()) for r in real] == [summary(f.content.decode()) for f in fake]


def test_usernames_are_locked_whatever_their_case(client, hub, freeze):
    freeze(T0)
    for username in ("Practitioner", "PRACTITIONER", "practitioner", "practitioner", "Practitioner"):
        sign_in(client, username, "wrong")
    assert_refused(sign_in(client, "practitioner", DEMO_PASSWORD), locked_message(), client)


def test_a_lock_does_not_end_sessions_already_open(client, hub, freeze):
    """A colleague mistyping your username five times must not sign you out."""
    from django.test import Client

    freeze(T0)
    mine = Client()
    mine.force_login(hub["practitioner"])
    for _ in range(5):
        sign_in(client, "practitioner", "wrong")
    assert mine.get("/referrals/").status_code == 200


def test_the_threshold_and_period_come_from_settings(client, hub, freeze, settings):
    settings.OPENMASH_LOCKOUT_THRESHOLD = 3
    settings.OPENMASH_LOCKOUT_MINUTES = 60
    freeze(T0)
    for _ in range(3):
        sign_in(client, "manager", "wrong")
    assert_refused(sign_in(client, "manager", DEMO_PASSWORD), locked_message(60), client)
    freeze(T0 + dt.timedelta(minutes=59))
    assert_refused(sign_in(client, "manager", DEMO_PASSWORD), locked_message(60), client)


def test_the_lock_ends_after_the_lockout_period(client, hub, freeze, settings):
    freeze(T0)
    for _ in range(5):
        sign_in(client, "practitioner", "wrong")
    freeze(T0 + dt.timedelta(minutes=settings.OPENMASH_LOCKOUT_MINUTES) - dt.timedelta(seconds=1))
    assert_refused(sign_in(client, "practitioner", DEMO_PASSWORD), locked_message(), client)
    freeze(T0 + dt.timedelta(minutes=settings.OPENMASH_LOCKOUT_MINUTES, seconds=1))
    assert_signed_in(sign_in(client, "practitioner", DEMO_PASSWORD), client, hub["practitioner"])
    assert failures("practitioner") == 0 and locked_until("practitioner") is None


def test_an_administrator_can_unlock_an_account(client, hub, freeze):
    from django.test import Client

    freeze(T0)
    for _ in range(5):
        sign_in(client, "practitioner", "wrong")
    admin = Client()
    admin.force_login(hub["admin"])
    target = hub["practitioner"].pk
    assert "Locked" in admin.get("/admin/users/").content.decode()
    # Only an administrator may unlock.
    other = Client()
    other.force_login(hub["manager"])
    assert other.post(f"/admin/users/{target}/unlock/").status_code == 403
    assert locked_until("practitioner") is not None
    response = admin.post(f"/admin/users/{target}/unlock/")
    assert response.status_code == 302
    assert locked_until("practitioner") is None
    assert AuditEvent.objects.filter(action="user.unlock", actor_username="admin", object_id=str(target)).exists()
    assert_signed_in(sign_in(client, "practitioner", DEMO_PASSWORD), client, hub["practitioner"])


def test_a_deactivated_user_cannot_sign_in(client, hub):
    User.objects.filter(username="police-rep").update(is_active=False)
    assert_refused(sign_in(client, "police-rep", DEMO_PASSWORD), WRONG, client)


def test_a_deactivated_user_is_signed_out_of_an_open_session(client, hub):
    client.force_login(hub["practitioner"])
    assert client.get("/referrals/").status_code == 200
    User.objects.filter(username="practitioner").update(is_active=False)
    response = client.get("/referrals/")
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


# ------------------------------------------------------------------ idle timeout


def test_the_session_times_out_after_the_idle_period(client, hub, freeze, settings):
    idle = dt.timedelta(minutes=settings.OPENMASH_SESSION_IDLE_MINUTES)
    client.force_login(hub["practitioner"])
    freeze(T0)
    assert client.get("/referrals/").status_code == 200
    # Activity keeps the session alive: each request restarts the idle period.
    freeze(T0 + idle - dt.timedelta(minutes=1))
    assert client.get("/referrals/").status_code == 200
    freeze(T0 + 2 * idle - dt.timedelta(minutes=2))
    assert client.get("/referrals/").status_code == 200
    freeze(T0 + 3 * idle)
    response = client.get("/referrals/?status=decided")
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next=%2Freferrals%2F%3Fstatus%3Ddecided"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert (
        f"You were signed out because you had not done anything for {settings.OPENMASH_SESSION_IDLE_MINUTES} minutes. "
        "Sign in again to continue." in text
    )
    event = AuditEvent.objects.get(action="account.sign_out")
    assert event.actor_username == "practitioner" and event.details == {"reason": "idle timeout"}
    # And the case pages are closed to the browser until someone signs in again.
    assert client.get("/referrals/").status_code == 302


REFERRER = {
    "anonymous": "no", "referrer_name": "Helen Marsh", "referrer_role": "Designated safeguarding lead",
    "referrer_organisation": "Oakfield Primary", "referrer_phone": "020 7946 0123", "referrer_email": "",
}


def _start_a_draft(client):
    assert client.post(reverse("referrals:new-start")).status_code == 302
    received = {"received_date-day": "25", "received_date-month": "11", "received_date-year": "2026",
                "received_time": "9:15am", "source": "2A"}
    assert client.post(reverse("referrals:new-received"), received).status_code == 302
    assert client.post(reverse("referrals:new-referrer"), REFERRER).status_code == 302


def test_a_referral_draft_survives_the_timeout_for_its_owner(client, hub, freeze, settings):
    freeze(T0)
    client.force_login(hub["practitioner"])
    _start_a_draft(client)
    freeze(T0 + dt.timedelta(minutes=settings.OPENMASH_SESSION_IDLE_MINUTES + 1))
    timed_out = client.get(reverse("referrals:new-referrer"))
    assert timed_out.status_code == 302 and timed_out["Location"].startswith(SIGN_IN)
    response = sign_in(client, "practitioner", DEMO_PASSWORD, next_url=reverse("referrals:new-referrer"))
    assert_signed_in(response, client, hub["practitioner"], reverse("referrals:new-referrer"))
    page = client.get(reverse("referrals:new-referrer")).content.decode()
    assert 'value="Helen Marsh"' in page
    check = html.unescape(client.get(reverse("referrals:new-check")).content.decode())
    assert "Helen Marsh" in check and "Oakfield Primary" in check


def test_a_draft_kept_after_a_timeout_is_not_shown_to_someone_else(client, hub, freeze, settings):
    freeze(T0)
    client.force_login(hub["practitioner"])
    _start_a_draft(client)
    freeze(T0 + dt.timedelta(minutes=settings.OPENMASH_SESSION_IDLE_MINUTES + 1))
    client.get("/referrals/")
    assert_signed_in(sign_in(client, "manager", DEMO_PASSWORD), client, hub["manager"])
    for name in ("referrals:new-referrer", "referrals:new-check", "referrals:new-start", "referrals:dashboard"):
        page = html.unescape(client.get(reverse(name)).content.decode())
        assert "Helen Marsh" not in page and "Oakfield Primary" not in page, name
        assert "Continue recording it" not in page, name


# ------------------------------------------------------------------ password storage


def test_passwords_are_stored_with_argon2_under_the_real_settings(client, hub, settings):
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS
    admin = client
    admin.force_login(hub["admin"])
    response = admin.post(
        "/admin/users/new/",
        {"username": "new-manager", "first_name": "Nia", "last_name": "Okoro", "email": "nia@council.example.gov.uk",
         "role": "manager", "agency": "", "job_title": "", "is_active": "yes", "password": "correct horse battery"},
    )
    assert response.status_code == 302
    stored = User.objects.get(username="new-manager").password
    assert stored.startswith("argon2$argon2id$")
    assert "correct horse battery" not in stored
    admin.logout()
    assert_signed_in(sign_in(client, "new-manager", "correct horse battery"), client, User.objects.get(username="new-manager"))
