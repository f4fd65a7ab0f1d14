"""Claiming and delivering (run_clock): who hears of each kind of notice and how; stale warnings are
superseded; a notice missed while run_clock was down is sent when it comes back; claims are exclusive;
emails carry no personal data and are retried when the mail server fails."""

import datetime as dt

import pytest
from django.core import mail

from openmash.accounts.models import User
from openmash.accounts.roles import Role
from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.testing.factories import answer, make_referral, make_triaged
from openmash.escalation.codes import Channel, DeliveryStatus, NoticeKind, NoticeStatus
from openmash.escalation.models import Notification, ScheduledNotice
from openmash.escalation.services import claims_release_stale, notice_deliver, notices_claim, notices_plan
from openmash.escalation.tests.conftest import free_port, notices_of
from openmash.information_requests.models import InformationRequest
from openmash.people.models import Person

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
W, B, D = NoticeKind.REQUEST_WARNING, NoticeKind.REQUEST_BREACH, NoticeKind.DECISION_BREACH


@pytest.fixture
def people(hub):
    """Besides the demo hub: a second police rep, a police rep who has left, one with no email, and
    a manager who has left."""
    police = hub["police-rep"].agency
    extra = {
        "police-rep2": User.objects.create(username="police-rep2", role=Role.AGENCY_REP, agency=police, email="rep2@police.example.gov.uk"),
        "police-gone": User.objects.create(username="police-gone", role=Role.AGENCY_REP, agency=police, email="gone@police.example.gov.uk", is_active=False),
        "police-noemail": User.objects.create(username="police-noemail", role=Role.AGENCY_REP, agency=police, email=""),
        "manager-gone": User.objects.create(username="manager-gone", role=Role.MANAGER, email="gone@council.example.gov.uk", is_active=False),
    }
    return {**hub, **extra}


def received(notice) -> set[tuple[str, str]]:
    """(who, channel) for each notification of a notice; who is a username or an inbox address."""
    return {
        (n.recipient.username if n.recipient_id else n.address, n.channel)
        for n in Notification.objects.filter(notice=notice).select_related("recipient")
    }


def police_request(referral) -> InformationRequest:
    return InformationRequest.objects.get(referral=referral, agency__code="police")


def test_a_warning_goes_to_each_active_representative_of_the_agency_in_the_service_and_by_email(people, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(people, rating="red", agencies=["police", "education"])
    run_clock_at(T0 + dt.timedelta(hours=2, minutes=1))
    warning = notices_of(police_request(referral))[(W, 50)]
    assert warning.status == NoticeStatus.SENT
    assert received(warning) == {
        ("police-rep", Channel.IN_APP), ("police-rep", Channel.EMAIL),
        ("police-rep2", Channel.IN_APP), ("police-rep2", Channel.EMAIL),
        ("police-noemail", Channel.IN_APP),
    }
    assert sorted(m.to[0] for m in mail.outbox if "Police" in m.subject) == ["police-rep@demo.openmash.invalid", "rep2@police.example.gov.uk"]


def test_a_breach_goes_to_the_duty_inbox_the_managers_and_the_agencys_representatives(people, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(people, rating="red", agencies=["police"])
    run_clock_at(T0)
    run_clock_at(T0 + dt.timedelta(hours=4))
    breach = notices_of(police_request(referral))[(B, 100)]
    assert breach.status == NoticeStatus.SENT
    assert received(breach) == {
        ("mash-police@police.example.gov.uk", Channel.EMAIL),
        ("manager", Channel.IN_APP), ("manager", Channel.EMAIL),
        ("police-rep", Channel.IN_APP), ("police-rep2", Channel.IN_APP), ("police-noemail", Channel.IN_APP),
    }


def test_a_breach_for_an_agency_with_no_duty_inbox_still_reaches_the_managers(people, freeze, run_clock_at):
    freeze(T0)
    police = people["police-rep"].agency
    police.duty_inbox_email = ""
    police.save()
    referral = make_triaged(people, rating="red", agencies=["police"])
    run_clock_at(T0 + dt.timedelta(hours=4))
    breach = notices_of(police_request(referral))[(B, 100)]
    assert ("manager", Channel.EMAIL) in received(breach)
    assert not Notification.objects.filter(notice=breach, recipient__isnull=True).exists()


def test_a_decision_breach_goes_to_the_managers(people, freeze, run_clock_at):
    freeze(T0)
    referral = make_referral(people)
    run_clock_at(referral.decision_due_at)
    notice = notices_of(referral)[(D, 100)]
    assert notice.status == NoticeStatus.SENT
    assert received(notice) == {("manager", Channel.IN_APP), ("manager", Channel.EMAIL)}


def test_sending_is_audited_as_the_system(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    run_clock_at(T0 + dt.timedelta(hours=4))
    event = AuditEvent.objects.get(action="escalation.notice_sent", details__kind=B)
    assert (event.actor_username, event.referral_reference, event.object_type) == ("system", referral.reference, "information_request")
    assert event.details["email"] == 2 and event.details["in_app"] == 2


def test_emails_carry_no_personal_data(hub, freeze, run_clock_at, settings):
    settings.OPENMASH_BASE_URL = "https://mash.example.gov.uk"
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    run_clock_at(T0 + dt.timedelta(hours=2, minutes=1))  # warnings
    run_clock_at(T0 + dt.timedelta(hours=4, minutes=1))  # breaches
    run_clock_at(referral.decision_due_at + dt.timedelta(minutes=1))  # the decision clock
    assert {m.extra_headers["X-OpenMASH-Notice"] for m in mail.outbox} == {
        str(n.pk) for n in ScheduledNotice.objects.filter(status=NoticeStatus.SENT)
    }
    assert len({n.kind for n in ScheduledNotice.objects.filter(status=NoticeStatus.SENT)}) == 3

    secrets = [referral.concern_narrative, referral.referrer_name, referral.referrer_organisation, referral.referrer_phone]
    for person in Person.objects.filter(referral_links__referral=referral):
        secrets += [person.given_name, person.family_name, str(person.date_of_birth), person.date_of_birth.strftime("%d/%m/%Y")]
        for address in person.addresses.all():
            secrets += [address.postcode, address.line_1]
    secrets += [w for w in referral.concern_narrative.split() if len(w) > 4]
    secrets = [s for s in secrets if s]
    assert len(secrets) > 8
    for message in mail.outbox:
        text = message.subject + "\n" + message.body
        leaked = [s for s in secrets if s.lower() in text.lower()]
        assert not leaked, f"{message.subject!r} gives away {leaked}"
        assert referral.reference in text
        assert "https://mash.example.gov.uk/" in message.body
    request = police_request(referral)
    breach = next(m for m in mail.outbox if m.to == ["mash-police@police.example.gov.uk"])
    assert breach.subject == f"Overdue: {referral.reference} Police information request (overdue by 1m)"
    assert f"https://mash.example.gov.uk/requests/{request.pk}/" in breach.body
    assert "Overdue by: 1m" in breach.body
    warning = next(m for m in mail.outbox if m.to == ["police-rep@demo.openmash.invalid"])
    assert warning.subject == f"{referral.reference}: Police information request due in 1h 59m"
    assert "Time left: 1h 59m" in warning.body
    decision = next(m for m in mail.outbox if "Decision overdue" in m.subject)
    assert f"https://mash.example.gov.uk/referrals/{referral.reference}/" in decision.body


def test_a_warning_is_superseded_once_the_request_is_overdue(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    run_clock_at(T0)
    result = run_clock_at(T0 + dt.timedelta(hours=4, minutes=10))  # run_clock was down through both warnings
    notices = notices_of(police_request(referral))
    assert notices[(W, 50)].status == notices[(W, 90)].status == NoticeStatus.SUPERSEDED
    assert notices[(B, 100)].status == NoticeStatus.SENT
    assert not Notification.objects.filter(notice__kind=W).exists()
    assert result.notices["superseded"] == 2
    assert all("Overdue" in m.subject for m in mail.outbox)


def test_only_the_latest_due_warning_is_sent_after_downtime(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    run_clock_at(T0 + dt.timedelta(hours=3, minutes=40))  # after 90% (3:36), before the due time
    notices = notices_of(police_request(referral))
    assert (notices[(W, 50)].status, notices[(W, 50)].closed_reason) == (
        NoticeStatus.SUPERSEDED, "A later warning was due: only that one was sent",
    )
    assert notices[(W, 90)].status == NoticeStatus.SENT
    assert notices[(B, 100)].status == NoticeStatus.PENDING


def test_a_notice_missed_while_run_clock_was_down_is_sent_when_it_comes_back(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    run_clock_at(T0 + dt.timedelta(minutes=1))
    assert not mail.outbox
    back = T0 + dt.timedelta(hours=7)  # down from 10:01 to 17:00; the request was due at 14:00
    run_clock_at(back)
    breach = notices_of(police_request(referral))[(B, 100)]
    assert (breach.status, breach.fire_at, breach.sent_at) == (NoticeStatus.SENT, T0 + dt.timedelta(hours=4), back)
    inbox = next(m for m in mail.outbox if m.to == ["mash-police@police.example.gov.uk"])
    assert "Overdue by: 3h 00m" in inbox.body
    # Nothing more is sent on later passes.
    sent = Notification.objects.count()
    run_clock_at(back + dt.timedelta(minutes=1))
    assert Notification.objects.count() == sent and len(mail.outbox) == len({m.extra_headers["X-OpenMASH-Notice"] + m.to[0] for m in mail.outbox})


def test_a_request_answered_after_its_notice_was_claimed_is_not_notified(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    at = freeze(T0 + dt.timedelta(hours=4))
    notices_plan()
    claim = notices_claim(worker="a", limit=10)
    assert {n.kind for n in claim.notices} >= {B}
    answer(hub, referral, "police")
    for notice in claim.notices:
        assert notice_deliver(notice=notice, worker="a", now=at) == NoticeStatus.CANCELLED
    assert not Notification.objects.exists()


def test_a_claimed_notice_cannot_be_claimed_again(hub, freeze):
    freeze(T0)
    make_triaged(hub, rating="red", agencies=["police", "education", "gp"])
    freeze(T0 + dt.timedelta(hours=5))
    notices_plan()
    first = notices_claim(worker="a", limit=4)
    second = notices_claim(worker="b", limit=100)
    third = notices_claim(worker="c", limit=100)
    assert len(first.notices) == 4
    assert {n.pk for n in first.notices}.isdisjoint({n.pk for n in second.notices})
    assert third.candidates == 0 and third.notices == []
    assert ScheduledNotice.objects.filter(status=NoticeStatus.CLAIMED, claimed_by="a").count() == 4
    assert ScheduledNotice.objects.filter(status=NoticeStatus.PENDING, fire_at__lte=clock.now()).count() == 0


def test_work_left_claimed_by_a_dead_process_is_taken_over_and_done_once(hub, freeze, run_clock_at):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    at = freeze(T0 + dt.timedelta(hours=4))
    notices_plan()
    dead = notices_claim(worker="dead", limit=10).notices
    breach = next(n for n in dead if n.kind == B)
    run_clock_at(at + dt.timedelta(minutes=5))  # too soon: the claim may still be alive
    assert not Notification.objects.exists()
    run_clock_at(at + dt.timedelta(minutes=11))  # the claim timeout (10 minutes) has passed
    assert notices_of(police_request(referral))[(B, 100)].status == NoticeStatus.SENT
    sent = set(Notification.objects.values_list("id", "recipient_id", "address", "channel"))
    # The "dead" process wakes up and tries to finish: its claim is gone, so it does nothing.
    assert notice_deliver(notice=breach, worker="dead", now=at + dt.timedelta(minutes=12)) == "lost"
    assert set(Notification.objects.values_list("id", "recipient_id", "address", "channel")) == sent


def test_an_email_the_server_refuses_is_retried_later(hub, freeze, run_clock_at, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nothing listens
    freeze(T0)
    make_triaged(hub, rating="red", agencies=["police"])
    result = run_clock_at(T0 + dt.timedelta(hours=4))
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert result.emails["pending"] == emails.count() == 2
    assert set(emails.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 1)}
    assert all(e.next_attempt_at == T0 + dt.timedelta(hours=4, minutes=1) and "could not connect" in e.last_error for e in emails)
    # In-app notifications are not held up by email.
    assert Notification.objects.filter(channel=Channel.IN_APP, status=DeliveryStatus.SENT).count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_clock_at(T0 + dt.timedelta(hours=4, seconds=30))  # not yet time to retry
    assert not mail.outbox
    run_clock_at(T0 + dt.timedelta(hours=4, minutes=1))
    assert len(mail.outbox) == 2
    assert set(emails.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 2)}


def test_an_email_that_keeps_failing_is_given_up_after_five_attempts(hub, freeze, run_clock_at, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    freeze(T0)
    referral = make_referral(hub)
    at = referral.decision_due_at
    for minutes in (0, 1, 6, 21, 81, 200):
        run_clock_at(at + dt.timedelta(minutes=minutes))
    email = Notification.objects.get(channel=Channel.EMAIL)
    assert (email.status, email.attempts, email.next_attempt_at) == (DeliveryStatus.FAILED, 5, None)


def test_claims_release_only_touches_old_claims(hub, freeze):
    freeze(T0)
    make_triaged(hub, rating="red", agencies=["police"])
    freeze(T0 + dt.timedelta(hours=4))
    notices_plan()
    notices_claim(worker="a", limit=10)
    assert claims_release_stale(now=T0 + dt.timedelta(hours=4, minutes=9)) == 0
    assert claims_release_stale(now=T0 + dt.timedelta(hours=4, minutes=11)) == 3
    assert not ScheduledNotice.objects.filter(status=NoticeStatus.CLAIMED).exists()
