"""Email through Django's SMTP backend to a real SMTP server on 127.0.0.1 (aiosmtpd), not only the
in-memory backend: what arrives, to whom, and that it says nothing about the family."""

import datetime as dt

import pytest

from openmash.core.testing.factories import make_triaged
from openmash.escalation.codes import Channel, DeliveryStatus
from openmash.escalation.models import Notification
from openmash.information_requests.models import InformationRequest
from openmash.people.models import Person

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_breach_emails_arrive_at_a_real_smtp_server(hub, freeze, run_clock_at, smtp_settings):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    result = run_clock_at(T0 + dt.timedelta(hours=4, minutes=20))
    # Per agency: the duty inbox and the manager; both warnings were superseded by the breach.
    assert result.emails["sent"] == 4
    got = smtp_settings.received
    assert sorted(r for mail in got for r in mail.rcpt_tos) == sorted(
        ["mash-police@police.example.gov.uk", "education-safeguarding@council.example.gov.uk"]
        + ["manager@demo.openmash.invalid"] * 2
    )
    assert all(mail.mail_from == "openmash@hub.example.gov.uk" for mail in got)
    police = InformationRequest.objects.get(referral=referral, agency__code="police")
    inbox = next(mail for mail in got if mail.rcpt_tos == ["mash-police@police.example.gov.uk"])
    assert inbox.subject == f"Overdue: {referral.reference} Police information request (overdue by 20m)"
    assert inbox.message["Auto-Submitted"] == "auto-generated"
    assert f"Open the request: https://mash.example.gov.uk/requests/{police.pk}/" in inbox.body
    assert "Overdue by: 20m" in inbox.body

    names = [v for p in Person.objects.filter(referral_links__referral=referral) for v in (p.given_name, p.family_name)]
    for mail in got:
        raw = mail.message.as_string()
        assert not [n for n in names + [referral.referrer_name, "hungry"] if n.lower() in raw.lower()]
    assert set(Notification.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_warning_email_arrives_once_however_many_passes_run(hub, freeze, run_clock_at, smtp_settings):
    freeze(T0)
    make_triaged(hub, rating="amber", agencies=["police"])
    for minutes in (0, 1, 2):
        run_clock_at(T0 + dt.timedelta(hours=12, minutes=minutes))
    # The amber warning to the police, and the decision clock (due at 5pm that day) to the manager.
    got = sorted((mail.rcpt_tos[0], mail.subject.split(": ", 1)[0]) for mail in smtp_settings.received)
    assert [to for to, _ in got] == ["manager@demo.openmash.invalid", "police-rep@demo.openmash.invalid"]
    warning = next(mail for mail in smtp_settings.received if mail.rcpt_tos == ["police-rep@demo.openmash.invalid"])
    assert warning.subject.endswith("Police information request due in 12h 00m")
