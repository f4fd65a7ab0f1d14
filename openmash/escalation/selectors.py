"""Reads for escalation: a person's notifications and their unread count (on every page)."""

from dataclasses import dataclass

from openmash.access.policy import is_agency_rep, is_hub_staff
from openmash.escalation import messages
from openmash.escalation.codes import Channel, NoticeKind
from openmash.escalation.models import Notification

LIST_LIMIT = 200


@dataclass
class NotificationRow:
    notification: Notification
    facts: messages.NoticeFacts
    headline: str
    link: str | None  # None when the user can no longer open what it is about

    @property
    def is_read(self) -> bool:
        return self.notification.acknowledged_at is not None


def _link_for(user, facts: messages.NoticeFacts, agency_id: int | None) -> str | None:
    """The page the notice is about, if this user may open it (access can change after sending:
    a representative who moves agency no longer sees the old agency's requests)."""
    if facts.kind == NoticeKind.DECISION_BREACH:
        return facts.path if is_hub_staff(user) else None
    if is_hub_staff(user) or (is_agency_rep(user) and user.agency_id == agency_id):
        return facts.path
    return None


def notification_list(*, user, limit: int = LIST_LIMIT) -> list[NotificationRow]:
    """The user's notifications in the service, newest first (theirs only: never anyone else's)."""
    rows = (
        Notification.objects.filter(recipient_id=user.pk, channel=Channel.IN_APP)
        .select_related("notice__referral", "notice__request__agency")
        .order_by("-created_at", "-id")[:limit]
    )
    out = []
    for notification in rows:
        facts = messages.NoticeFacts.of(notification.notice)
        agency_id = notification.notice.request.agency_id if notification.notice.request_id else None
        out.append(NotificationRow(notification, facts, messages.headline(facts), _link_for(user, facts, agency_id)))
    return out


def unread_count(*, user) -> int:
    """How many of the user's notifications are unread: one COUNT on an index, for the page header."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, channel=Channel.IN_APP, acknowledged_at__isnull=True).count()


def unread_count_for_request(*, request) -> int:
    """The header's count, computed once per request however often the layout asks."""
    cached = getattr(request, "_openmash_unread", None)
    if cached is None:
        cached = unread_count(user=request.user)
        request._openmash_unread = cached
    return cached
