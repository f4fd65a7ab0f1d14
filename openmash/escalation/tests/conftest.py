"""Helpers for the escalation tests: notices by kind, a pass of run_clock at a given time, and a real
SMTP server on 127.0.0.1 (aiosmtpd) for the email tests."""

import datetime as dt
import email
import email.policy
import socket
import threading
from dataclasses import dataclass

import pytest

from openmash.core import clock
from openmash.escalation.models import ScheduledNotice

UTC = dt.timezone.utc


def notices_of(request_or_referral, **filters):
    """{(kind, percent): notice} for a request (or a referral's decision clock)."""
    from openmash.information_requests.models import InformationRequest

    if isinstance(request_or_referral, InformationRequest):
        qs = ScheduledNotice.objects.filter(request=request_or_referral)
    else:
        qs = ScheduledNotice.objects.filter(referral=request_or_referral, request__isnull=True)
    return {(n.kind, n.percent): n for n in qs.filter(**filters)}


@pytest.fixture
def run_clock_at():
    """`run_clock_at(when)`: one pass of run_clock with the clock at `when` (as one worker)."""
    from openmash.escalation.services import clock_pass

    def _run(at: dt.datetime, worker: str = "test-worker"):
        with clock.frozen(at):
            return clock_pass(worker=worker, batch=7)

    return _run


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


class _Collector:
    def __init__(self):
        self.received: list[ReceivedMail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for the length of a test; `.received` is what it got."""
    from aiosmtpd.controller import Controller

    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.host, collector.port = controller.hostname, controller.port
    try:
        yield collector
    finally:
        controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's SMTP backend pointed at the test's SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "OpenMASH <openmash@hub.example.gov.uk>"
    settings.OPENMASH_BASE_URL = "https://mash.example.gov.uk"
    return smtp_server
