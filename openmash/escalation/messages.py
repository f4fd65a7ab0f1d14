"""What a notice says, in the service and by email.

Built only from what may leave the service: the referral's reference, the agency's name, the due
time, how much time is left (or how late it is) and a link. Never a child's or adult's name, an
address, the concerns or anything an agency shared (docs/adr/0010-escalation.md). The tests assert it.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from openmash.core import clock
from openmash.core.formatting import duration_words, govuk_datetime
from openmash.escalation.codes import NoticeKind


@dataclass(frozen=True)
class NoticeFacts:
    """Everything a message may say about a notice."""

    kind: str
    percent: int
    reference: str
    agency_name: str  # "" for the decision clock
    due_at: dt.datetime
    request_id: int | None

    @classmethod
    def of(cls, notice) -> "NoticeFacts":
        request = notice.request
        return cls(
            kind=notice.kind,
            percent=notice.percent,
            reference=notice.referral.reference,
            agency_name=request.agency.name if request is not None else "",
            due_at=notice.due_at,
            request_id=request.pk if request is not None else None,
        )

    @property
    def path(self) -> str:
        if self.request_id is not None:
            return reverse("information_requests:detail", kwargs={"request_id": self.request_id})
        return reverse("referrals:detail", kwargs={"reference": self.reference})


def headline(facts: NoticeFacts) -> str:
    """One line: what happened, on which referral, for which agency."""
    if facts.kind == NoticeKind.REQUEST_WARNING:
        return f"{facts.percent}% of the time has gone: {facts.agency_name} information request on {facts.reference}"
    if facts.kind == NoticeKind.REQUEST_BREACH:
        return f"Overdue: {facts.agency_name} information request on {facts.reference}"
    return f"Decision overdue: referral {facts.reference}"


def time_left(facts: NoticeFacts, at: dt.datetime) -> str:
    """`2h 00m left` or `overdue by 12m`."""
    delta = facts.due_at.astimezone(clock.UTC) - at.astimezone(clock.UTC)
    if delta.total_seconds() >= 0:
        return f"{duration_words(delta)} left"
    return f"overdue by {duration_words(delta)}"


def email_subject(facts: NoticeFacts, at: dt.datetime) -> str:
    if facts.kind == NoticeKind.REQUEST_WARNING:
        return f"{facts.reference}: {facts.agency_name} information request due in {duration_words(facts.due_at - at)}"
    if facts.kind == NoticeKind.REQUEST_BREACH:
        return f"Overdue: {facts.reference} {facts.agency_name} information request ({time_left(facts, at)})"
    return f"Decision overdue: {facts.reference} ({time_left(facts, at)})"


def email_body(facts: NoticeFacts, at: dt.datetime) -> str:
    url = settings.OPENMASH_BASE_URL + facts.path
    if facts.kind == NoticeKind.DECISION_BREACH:
        what = f"The hub's decision on referral {facts.reference} is overdue."
        action = "Open the referral"
    elif facts.kind == NoticeKind.REQUEST_BREACH:
        what = f"The {facts.agency_name} information request on referral {facts.reference} is overdue."
        action = "Open the request"
    else:
        what = (
            f"{facts.percent}% of the time for the {facts.agency_name} information request on referral "
            f"{facts.reference} has gone."
        )
        action = "Open the request"
    lines = [
        what,
        "",
        f"Due: {govuk_datetime(facts.due_at)} (UK time)",
        f"Time left: {duration_words(facts.due_at - at)}" if facts.due_at >= at else f"Overdue by: {duration_words(facts.due_at - at)}",
        "",
        f"{action}: {url}",
        "",
        "This email has no personal details in it. Sign in to OpenMASH to see the referral.",
        f"– OpenMASH, {settings.OPENMASH_HUB_NAME}",
    ]
    return "\n".join(lines) + "\n"
