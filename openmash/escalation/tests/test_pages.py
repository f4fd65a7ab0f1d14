"""The notifications page, the unread count in the header of every page, and the administrator's
pages for warning points and the decision clock."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import make_notification, make_referral, make_triaged
from openmash.escalation.codes import Channel
from openmash.escalation.models import Notification
from openmash.information_requests.models import InformationRequest
from openmash.referrals.models import ClockPolicy, DecisionClock
from openmash.referrals.tests.test_pages import assert_refused, client_for

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def header_link(page: str) -> str:
    match = re.search(r'<a class="govuk-link" href="/notifications/" id="app-notifications-link">(.*?)</a>', page, re.S)
    assert match, "no notifications link in the header"
    return html.unescape(match.group(1)).strip()


def rows(page: str) -> list[str]:
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', page, re.S)
    return re.findall(r'<tr class="govuk-table__row" id="notification-(\d+)">(.*?)</tr>', body.group(1), re.S) if body else []


@pytest.fixture
def notified(hub, freeze):
    """A red referral; the manager has two notifications (the older read), the police rep one."""
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    police = InformationRequest.objects.get(referral=referral, agency__code="police")
    education = InformationRequest.objects.get(referral=referral, agency__code="education")
    freeze(T0 + dt.timedelta(hours=2))
    old = make_notification(hub["manager"], education)
    old.acknowledged_at = T0 + dt.timedelta(hours=2, minutes=5)
    old.save()
    freeze(T0 + dt.timedelta(hours=4))
    new = make_notification(hub["manager"], police)
    rep = make_notification(hub["police-rep"], police, kind="request_warning")
    return {"referral": referral, "police": police, "old": old, "new": new, "rep": rep}


def test_the_page_lists_the_users_own_notifications_newest_first_with_the_unread_highlighted(hub, notified):
    page = client_for(hub["manager"]).get("/notifications/").content.decode()
    listed = rows(page)
    assert [int(pk) for pk, _ in listed] == [notified["new"].pk, notified["old"].pk]
    newest, older = listed[0][1], listed[1][1]
    reference = notified["referral"].reference
    assert f'<strong><a class="govuk-link" href="/requests/{notified["police"].pk}/">Overdue: Police information request on {reference}</a></strong>' in newest
    assert "Unread" in newest and "Mark as read" in newest
    assert "Read" in older and "Unread" not in older and "<strong>" not in older
    assert "You have <strong>1</strong> unread notification." in page
    assert notified["rep"].pk not in [int(pk) for pk, _ in listed]


def test_each_notice_links_to_what_the_user_can_open(hub, notified):
    rep = client_for(hub["police-rep"])
    page = rep.get("/notifications/").content.decode()
    link = re.search(r'href="(/requests/\d+/)">50% of the time has gone', page).group(1)
    assert rep.get(link).status_code == 200
    # A representative who moves to another agency keeps the notice but loses the link with the access.
    user = hub["police-rep"]
    user.agency = Agency.objects.get(code="education")
    user.save()
    page = rep.get("/notifications/").content.decode()
    assert "50% of the time has gone: Police information request" in page
    assert f'href="/requests/{notified["police"].pk}/"' not in page


def test_marking_one_read(hub, notified):
    manager = client_for(hub["manager"])
    response = manager.post(reverse("escalation:read", kwargs={"notification_id": notified["new"].pk}))
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    notified["new"].refresh_from_db()
    assert notified["new"].acknowledged_at == T0 + dt.timedelta(hours=4)
    assert header_link(manager.get("/notifications/").content.decode()) == "Notifications"


def test_marking_all_read(hub, notified, freeze):
    manager = client_for(hub["manager"])
    make_notification(hub["manager"], notified["police"], kind="request_warning")
    assert header_link(manager.get("/referrals/").content.decode()) == "Notifications (2 unread)"
    freeze(T0 + dt.timedelta(hours=4, minutes=10))
    response = manager.post(reverse("escalation:read-all"), follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=hub["manager"], acknowledged_at__isnull=True).exists()
    # The old acknowledgement is kept; others' notifications are untouched.
    notified["old"].refresh_from_db()
    assert notified["old"].acknowledged_at == T0 + dt.timedelta(hours=2, minutes=5)
    assert Notification.objects.get(pk=notified["rep"].pk).acknowledged_at is None


def test_acknowledging_marks_the_same_notices_email_to_that_person(hub, notified):
    email = Notification.objects.create(
        notice=notified["new"].notice, recipient=hub["manager"], channel=Channel.EMAIL, address="manager@demo.openmash.invalid",
    )
    client_for(hub["manager"]).post(reverse("escalation:read", kwargs={"notification_id": notified["new"].pk}))
    email.refresh_from_db()
    assert email.acknowledged_at is not None


@pytest.mark.parametrize("who", ["practitioner", "police-rep", "admin", "education-rep"])
def test_nobody_else_can_mark_or_see_a_notification(hub, notified, who):
    client = client_for(hub[who])
    response = client.post(reverse("escalation:read", kwargs={"notification_id": notified["new"].pk}))
    assert response.status_code == 404
    assert Notification.objects.get(pk=notified["new"].pk).acknowledged_at is None
    assert f'id="notification-{notified["new"].pk}"' not in client.get("/notifications/").content.decode()


@pytest.mark.parametrize("notification_id", ["0", "99999999", str(2**63)])
def test_a_notification_that_does_not_exist_is_not_found(hub, notification_id):
    assert client_for(hub["manager"]).post(f"/notifications/{notification_id}/read/").status_code == 404


@pytest.mark.parametrize("path", ["/referrals/", "/people/", "/notifications/", "/accessibility/"])
def test_the_header_shows_the_unread_count_on_every_page(hub, notified, path):
    page = client_for(hub["manager"]).get(path).content.decode()
    assert header_link(page) == "Notifications (1 unread)"


@pytest.mark.parametrize("who, expected", [("police-rep", "Notifications (1 unread)"), ("admin", "Notifications"), ("analyst", "Notifications")])
def test_every_signed_in_user_has_the_link(hub, notified, who, expected):
    assert header_link(client_for(hub[who]).get("/accessibility/").content.decode()) == expected


def test_the_header_count_is_one_query(hub, notified):
    client = client_for(hub["manager"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/referrals/").status_code == 200
    assert len([q for q in queries if "escalation_notification" in q["sql"]]) == 1


def test_a_page_without_a_signed_in_user_has_no_notifications_link(client):
    assert "app-notifications-link" not in client.get("/accessibility/").content.decode()


def test_an_empty_list_says_so(hub):
    page = client_for(hub["practitioner"]).get("/notifications/").content.decode()
    assert "You have no notifications." in page and "Mark all as read" not in page


# ------------------------------------------------------------------ the administrator's settings


def test_warning_points_are_saved_and_audited(hub):
    admin = client_for(hub["admin"])
    edit = reverse("referrals:clock-policy-edit", kwargs={"rating": "red"})
    assert 'value="50, 90"' in admin.get(edit).content.decode()
    response = admin.post(edit, {"hours": "4", "basis": "calendar", "warning_percents": "75%, 25"})
    assert response.status_code == 302
    assert ClockPolicy.objects.get(rating="red").warning_percents == [25, 75]
    event = AuditEvent.objects.get(action="clock_policy.update")
    assert event.details["before"]["warning_percents"] == [50, 90] and event.details["after"]["warning_percents"] == [25, 75]
    assert "Warnings at 25% and 75% of the time" in admin.get(reverse("referrals:clock-policy")).content.decode()
    admin.post(edit, {"hours": "4", "basis": "calendar", "warning_percents": ""})
    assert ClockPolicy.objects.get(rating="red").warning_percents == []
    assert "No warnings before the due time" in admin.get(reverse("referrals:clock-policy")).content.decode()


@pytest.mark.parametrize(
    "warnings, message",
    [
        ("fifty", "Enter the warnings as whole percentages separated by commas, like 50, 90"),
        ("50.5", "Enter the warnings as whole percentages separated by commas, like 50, 90"),
        ("-5", "Enter the warnings as whole percentages separated by commas, like 50, 90"),
        ("5" * 101, "Enter the warnings as whole percentages separated by commas, like 50, 90"),
        ("0, 50", "Enter warnings from 1% to 99% of the time (the due time itself always sends a breach notice)"),
        ("50, 100", "Enter warnings from 1% to 99% of the time (the due time itself always sends a breach notice)"),
        ("50, 50", "Enter each warning once"),
        ("10, 20, 30, 40, 50, 60", "Enter up to 5 warnings"),
    ],
)
def test_bad_warning_points_are_refused(hub, warnings, message):
    admin = client_for(hub["admin"])
    response = admin.post(reverse("referrals:clock-policy-edit", kwargs={"rating": "red"}), {"hours": "4", "basis": "calendar", "warning_percents": warnings})
    assert_refused(response, "warning_percents", message)
    assert ClockPolicy.objects.get(rating="red").warning_percents == [50, 90]
    assert not AuditEvent.objects.filter(action="clock_policy.update").exists()


def test_the_decision_clock_is_changed_by_an_administrator(hub, freeze):
    freeze(T0)
    admin = client_for(hub["admin"])
    assert "8 working hours from receipt" in admin.get(reverse("referrals:clock-policy")).content.decode()
    edit = reverse("referrals:decision-clock-edit")
    assert 'value="8"' in admin.get(edit).content.decode()
    response = admin.post(edit, {"hours": "24", "basis": "calendar"}, follow=True)
    assert "The decision clock has been changed" in response.content.decode()
    assert "24 hours (calendar) from receipt" in response.content.decode()
    row = DecisionClock.objects.get()
    assert (row.minutes, row.basis, row.updated_by) == (24 * 60, "calendar", hub["admin"])
    event = AuditEvent.objects.get(action="decision_clock.update")
    assert event.details == {"before": {"minutes": 480, "basis": "working"}, "after": {"minutes": 1440, "basis": "calendar"}}
    referral = make_referral(hub)
    assert referral.decision_due_at == referral.received_at + dt.timedelta(hours=24)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"hours": "", "basis": "working"}, "hours", "Enter the number of hours"),
        ({"hours": "0", "basis": "working"}, "hours", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ({"hours": "721", "basis": "working"}, "hours", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ({"hours": "eight", "basis": "working"}, "hours", "Enter the number of hours as a number, like 4 or 1.5"),
        ({"hours": "8"}, "basis", "Select calendar hours or working hours"),
    ],
)
def test_a_bad_decision_clock_is_refused(hub, data, field, message):
    response = client_for(hub["admin"]).post(reverse("referrals:decision-clock-edit"), data)
    assert_refused(response, field, message, anchor=field if field != "basis" else "basis")
    assert not DecisionClock.objects.exists()
