"""Writes for escalation: planning notices, claiming and delivering them (run_clock), sending email,
and a person acknowledging their notifications.

run_clock acts for the hub, not for a signed-in user: its functions take the claiming process's
name (`worker`) instead of a user, and its audit events are the system's. docs/adr/0010-escalation.md
explains planning versus claiming, the conditional UPDATE and why stale warnings are not sent.
"""

import datetime as dt
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, OuterRef, Subquery

from openmash.accounts.models import User
from openmash.accounts.roles import Role
from openmash.access.policy import access_notification
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.escalation import messages
from openmash.escalation.codes import BREACH_PERCENT, Channel, DeliveryStatus, NoticeKind, NoticeStatus
from openmash.escalation.models import Notification, ScheduledNotice
from openmash.information_requests.models import InformationRequest, RequestStatus
from openmash.referrals import deadlines
from openmash.referrals.codes import ReferralStatus
from openmash.referrals.models import RatingChange, Referral
from openmash.referrals.selectors import clock_rules

log = logging.getLogger("openmash.escalation")

CHUNK = 500
EMAIL_MAX_ATTEMPTS = 5
EMAIL_RETRY_MINUTES = (1, 5, 15, 60)  # after the 1st, 2nd, 3rd, 4th failure


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ------------------------------------------------------------------ planning


@dataclass
class PlanResult:
    created: int = 0
    cancelled: int = 0
    rescheduled: int = 0
    revived: int = 0

    def __bool__(self):
        return bool(self.created or self.cancelled or self.rescheduled or self.revived)


def _cancel(ids: list[int], reason: str, now: dt.datetime) -> int:
    """Cancel notices that are still pending (a claimed one is re-checked by its deliverer instead)."""
    done = 0
    for chunk in _chunks(ids):
        done += ScheduledNotice.objects.filter(id__in=chunk, status=NoticeStatus.PENDING).update(
            status=NoticeStatus.CANCELLED, closed_at=now, closed_reason=reason
        )
    return done


def _wanted_request_notices(now: dt.datetime) -> dict[tuple, tuple]:
    """(kind, request id, percent, due at) → (fire at, referral id) for every open request's clock now."""
    rules = {rule.rating: rule for rule in clock_rules()}
    # A re-rating restarts the clock of every request still open (referral_triage), so the clock of an
    # open request started at the later of its request and the last real change of rating.
    restarted = (
        RatingChange.objects.filter(referral=OuterRef("referral_id"))
        .exclude(previous_rating="")
        .exclude(rating=F("previous_rating"))
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    rows = (
        InformationRequest.objects.filter(status=RequestStatus.OPEN)
        .annotate(restarted_at=Subquery(restarted))
        .values_list("id", "referral_id", "requested_at", "due_at", "referral__rating", "restarted_at")
    )
    wanted = {}
    for request_id, referral_id, requested_at, due_at, rating, restarted_at in rows.iterator(chunk_size=2000):
        start = requested_at
        if restarted_at is not None and requested_at < restarted_at <= due_at:
            start = restarted_at
        rule = rules.get(rating)
        if rule is not None:
            for percent, fire_at in deadlines.warning_points(start, due_at, percents=rule.warning_percents, basis=rule.basis):
                wanted[(NoticeKind.REQUEST_WARNING, request_id, percent, due_at)] = (fire_at, referral_id)
        wanted[(NoticeKind.REQUEST_BREACH, request_id, BREACH_PERCENT, due_at)] = (due_at, referral_id)
    return wanted


def _wanted_decision_notices() -> dict[tuple, tuple]:
    """(kind, referral id, percent, due at) → (fire at, referral id) for every open referral."""
    rows = Referral.objects.exclude(status=ReferralStatus.DECIDED).values_list("id", "decision_due_at")
    return {
        (NoticeKind.DECISION_BREACH, referral_id, BREACH_PERCENT, due_at): (due_at, referral_id)
        for referral_id, due_at in rows.iterator(chunk_size=2000)
    }


def _insert_missing(missing: list[tuple], wanted: dict, *, decision: bool, now: dt.datetime) -> int:
    """INSERT … ON CONFLICT DO NOTHING, in key order (two planners then queue on the same rows in the
    same order instead of deadlocking); whatever another planner inserted first is simply skipped.
    Returns how many rows were offered, which is what was created unless another planner won."""
    for chunk in _chunks(sorted(missing, key=lambda k: (k[0], k[1], k[2], k[3]))):
        rows = []
        for key in chunk:
            kind, target_id, percent, due_at = key
            fire_at, referral_id = wanted[key]
            rows.append(
                ScheduledNotice(
                    kind=kind, referral_id=referral_id, request_id=None if decision else target_id,
                    percent=percent, due_at=due_at, fire_at=fire_at, created_at=now,
                )
            )
        with transaction.atomic():
            ScheduledNotice.objects.bulk_create(rows, ignore_conflicts=True)
    return len(missing)


def notices_plan(*, now: dt.datetime | None = None) -> PlanResult:
    """Make the notices match the clocks as they are now. Idempotent, and safe with several planners.

    1. Every open request: a warning at each of its rating's percentages (counted on the rating's
       basis from when its clock last started) and a breach at its due time. Every open referral: a
       decision breach at its decision due time.
    2. Insert what is missing; the unique constraints make a second planner's identical rows no-ops.
    3. Cancel pending notices that no longer apply: the request was answered or closed (the hub
       decided), its due time moved (a re-rating), its warning point left the policy, or the
       referral was decided. Cancelling is a conditional UPDATE on status = pending, so it never
       touches a notice another process has already claimed (that one is re-checked when delivered).
    4. A pending warning whose time changed (the rating's basis changed) is moved; a warning cancelled
       because its point left the policy comes back if the point does.
    """
    now = now or clock.now()
    result = PlanResult()

    # Requests.
    wanted = _wanted_request_notices(now)
    existing = {}
    for row in ScheduledNotice.objects.filter(
        request__status=RequestStatus.OPEN, kind__in=[NoticeKind.REQUEST_WARNING, NoticeKind.REQUEST_BREACH]
    ).values_list("id", "kind", "request_id", "percent", "due_at", "status", "fire_at").iterator(chunk_size=2000):
        notice_id, kind, request_id, percent, due_at, status, fire_at = row
        existing[(kind, request_id, percent, due_at)] = (notice_id, status, fire_at)
    result.created += _insert_missing([k for k in wanted if k not in existing], wanted, decision=False, now=now)

    current_due = {key[1]: key[3] for key in wanted if key[0] == NoticeKind.REQUEST_BREACH}
    moved, dropped, reschedule, revive = [], [], [], []
    for key, (notice_id, status, fire_at) in existing.items():
        if key in wanted:
            if status == NoticeStatus.PENDING and wanted[key][0] != fire_at:
                reschedule.append((notice_id, wanted[key][0]))
            elif status == NoticeStatus.CANCELLED:
                revive.append(notice_id)
        elif status == NoticeStatus.PENDING:
            (moved if current_due.get(key[1]) != key[3] else dropped).append(notice_id)
    result.cancelled += _cancel(moved, "The due time moved (the referral was re-rated)", now)
    result.cancelled += _cancel(dropped, "The warning point was taken out of the clock policy", now)
    for notice_id, fire_at in reschedule:
        result.rescheduled += ScheduledNotice.objects.filter(id=notice_id, status=NoticeStatus.PENDING).update(fire_at=fire_at)
    for chunk in _chunks(revive):
        result.revived += ScheduledNotice.objects.filter(id__in=chunk, status=NoticeStatus.CANCELLED).update(
            status=NoticeStatus.PENDING, closed_at=None, closed_reason="", claimed_by="", claimed_at=None
        )
    for status, reason in (
        (RequestStatus.ANSWERED, "The agency answered"),
        (RequestStatus.NOT_NEEDED, "The hub decided before the agency answered"),
    ):
        result.cancelled += ScheduledNotice.objects.filter(
            status=NoticeStatus.PENDING, request__status=status
        ).update(status=NoticeStatus.CANCELLED, closed_at=now, closed_reason=reason)

    # The decision clock.
    wanted = _wanted_decision_notices()
    existing = {
        (NoticeKind.DECISION_BREACH, referral_id, percent, due_at): (notice_id, status)
        for notice_id, referral_id, percent, due_at, status in ScheduledNotice.objects.filter(
            kind=NoticeKind.DECISION_BREACH
        ).exclude(referral__status=ReferralStatus.DECIDED).values_list("id", "referral_id", "percent", "due_at", "status")
    }
    result.created += _insert_missing([k for k in wanted if k not in existing], wanted, decision=True, now=now)
    stale = [notice_id for key, (notice_id, status) in existing.items() if key not in wanted and status == NoticeStatus.PENDING]
    result.cancelled += _cancel(stale, "The decision due time changed", now)
    result.cancelled += ScheduledNotice.objects.filter(
        status=NoticeStatus.PENDING, kind=NoticeKind.DECISION_BREACH, referral__status=ReferralStatus.DECIDED
    ).update(status=NoticeStatus.CANCELLED, closed_at=now, closed_reason="The hub decided")
    return result


# ------------------------------------------------------------------ claiming


@dataclass
class Claim:
    candidates: int  # due notices seen; 0 means there is nothing left to do now
    notices: list[ScheduledNotice]  # those this process won


def notices_claim(*, worker: str, now: dt.datetime | None = None, limit: int = 50) -> Claim:
    """Claim up to `limit` due notices for this process.

    The claim is one conditional UPDATE: `SET status='claimed', claimed_by=<worker>, claimed_at=<now>
    WHERE id IN (<due ids>) AND status='pending' AND claimed_at IS NULL`. On SQLite the statement
    holds the database's write lock; on PostgreSQL a second UPDATE of the same rows waits for the
    first to commit and then re-checks its WHERE clause, finds the rows claimed and skips them. Either
    way each notice is claimed by exactly one process; each process then reads back what it won.
    """
    now = now or clock.now()
    ids = list(
        ScheduledNotice.objects.filter(status=NoticeStatus.PENDING, fire_at__lte=now)
        .order_by("fire_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return Claim(0, [])
    won = ScheduledNotice.objects.filter(id__in=ids, status=NoticeStatus.PENDING, claimed_at__isnull=True).update(
        status=NoticeStatus.CLAIMED, claimed_by=worker, claimed_at=now
    )
    if not won:
        return Claim(len(ids), [])
    notices = list(
        ScheduledNotice.objects.filter(id__in=ids, status=NoticeStatus.CLAIMED, claimed_by=worker)
        .select_related("referral", "request__agency")
        .order_by("fire_at", "id")
    )
    return Claim(len(ids), notices)


def claims_release_stale(*, now: dt.datetime | None = None, timeout: dt.timedelta | None = None) -> int:
    """Give back work claimed by a process that stopped half-way (killed, or lost its database).

    Only claims older than the timeout (default 10 minutes), far longer than sending ever takes, so
    a live process is never robbed of its work; the deliverer's own finishing UPDATE is conditional on
    still holding the claim, and notifications are unique per notice and person, so work taken over
    is finished once.
    """
    now = now or clock.now()
    timeout = timeout or dt.timedelta(seconds=settings.OPENMASH_CLAIM_TIMEOUT_SECONDS)
    cutoff = now - timeout
    notices = ScheduledNotice.objects.filter(status=NoticeStatus.CLAIMED, claimed_at__lt=cutoff).update(
        status=NoticeStatus.PENDING, claimed_by="", claimed_at=None
    )
    emails = Notification.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.PENDING, claimed_by="", claimed_at=None
    )
    if notices or emails:
        log.warning("Took back %d notice(s) and %d email(s) left claimed for over %s", notices, emails, timeout)
    return notices + emails


# ------------------------------------------------------------------ delivering


class _ClaimLost(Exception):
    """Our claim was taken back (we were slower than the claim timeout); another process finishes."""


def _close(notice: ScheduledNotice, worker: str, status: str, reason: str, now: dt.datetime) -> bool:
    return bool(
        ScheduledNotice.objects.filter(pk=notice.pk, status=NoticeStatus.CLAIMED, claimed_by=worker).update(
            status=status, closed_at=now, closed_reason=reason
        )
    )


def _why_not_send(notice: ScheduledNotice, now: dt.datetime) -> tuple[str, str] | None:
    """(status, reason) if the notice must not be sent now, judged on the record as it is now."""
    if notice.kind == NoticeKind.DECISION_BREACH:
        referral = Referral.objects.filter(pk=notice.referral_id).values("status", "decision_due_at").first()
        if referral is None or referral["status"] == ReferralStatus.DECIDED:
            return NoticeStatus.CANCELLED, "The hub decided"
        if referral["decision_due_at"] != notice.due_at:
            return NoticeStatus.CANCELLED, "The decision due time changed"
        return None
    request = InformationRequest.objects.filter(pk=notice.request_id).values("status", "due_at").first()
    if request is None or request["status"] == RequestStatus.ANSWERED:
        return NoticeStatus.CANCELLED, "The agency answered"
    if request["status"] != RequestStatus.OPEN:
        return NoticeStatus.CANCELLED, "The hub decided before the agency answered"
    if request["due_at"] != notice.due_at:
        return NoticeStatus.CANCELLED, "The due time moved (the referral was re-rated)"
    if notice.kind == NoticeKind.REQUEST_WARNING:
        # A warning is news only while it is the latest thing to say: once the request is overdue the
        # breach notice speaks for it, and once a later warning is due this one is old news (both
        # happen when run_clock was down). Judged on fire times, not on what was sent, so that two
        # processes holding the 50% and the 90% warning reach the same verdict.
        if now >= notice.due_at:
            return NoticeStatus.SUPERSEDED, "The request was already overdue: the breach notice was sent instead"
        later = ScheduledNotice.objects.filter(
            kind=NoticeKind.REQUEST_WARNING, request_id=notice.request_id, due_at=notice.due_at,
            percent__gt=notice.percent, fire_at__lte=now,
        ).exclude(status=NoticeStatus.CANCELLED)
        if later.exists():
            return NoticeStatus.SUPERSEDED, "A later warning was due: only that one was sent"
    return None


def _people(role: str, agency_id: int | None = None) -> list[User]:
    qs = User.objects.filter(role=role, is_active=True)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    return list(qs.order_by("id"))


def _notifications_for(notice: ScheduledNotice, now: dt.datetime) -> list[Notification]:
    """Who hears of a notice, and how.

    * warning → each active representative of the agency, in the service and by email;
    * request breach → the agency's duty inbox by email; every active MASH manager in the service and
      by email; the agency's representatives in the service;
    * decision breach → every active MASH manager, in the service and by email.
    """
    rows: list[Notification] = []

    def person(user: User, *, email: bool):
        rows.append(Notification(notice=notice, recipient=user, channel=Channel.IN_APP, status=DeliveryStatus.SENT,
                                 created_at=now, sent_at=now))
        if email and user.email:
            rows.append(Notification(notice=notice, recipient=user, address=user.email, channel=Channel.EMAIL,
                                     created_at=now, next_attempt_at=now))

    if notice.kind == NoticeKind.REQUEST_WARNING:
        for rep in _people(Role.AGENCY_REP, notice.request.agency_id):
            person(rep, email=True)
    elif notice.kind == NoticeKind.REQUEST_BREACH:
        inbox = notice.request.agency.duty_inbox_email
        if inbox:
            rows.append(Notification(notice=notice, address=inbox, channel=Channel.EMAIL, created_at=now, next_attempt_at=now))
        else:
            log.warning("Agency %s has no duty inbox: breach notice %d goes to managers only", notice.request.agency.code, notice.pk)
        for manager in _people(Role.MANAGER):
            person(manager, email=True)
        for rep in _people(Role.AGENCY_REP, notice.request.agency_id):
            person(rep, email=False)
    else:
        for manager in _people(Role.MANAGER):
            person(manager, email=True)
    return rows


def notice_deliver(*, notice: ScheduledNotice, worker: str, now: dt.datetime | None = None) -> str:
    """Deliver one notice this process has claimed; returns what became of it.

    1. Judge it on the record as it is now: cancelled if it no longer applies, superseded if it is a
       stale warning.
    2. Otherwise make its notifications (in the service at once; email into the outbox) and mark it
       sent, in one transaction that also writes the system's audit event; the marking is conditional
       on still holding the claim, so work taken over by another process is never done twice.
    """
    now = now or clock.now()
    verdict = _why_not_send(notice, now)
    if verdict is not None:
        status, reason = verdict
        if _close(notice, worker, status, reason, now):
            log.info("Notice %d (%s %s%%, %s) %s: %s", notice.pk, notice.kind, notice.percent, notice.referral.reference, status, reason)
            return status
        return "lost"
    rows = _notifications_for(notice, now)
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            marked = ScheduledNotice.objects.filter(pk=notice.pk, status=NoticeStatus.CLAIMED, claimed_by=worker).update(
                status=NoticeStatus.SENT, sent_at=now
            )
            if not marked:
                raise _ClaimLost()
            audit_record(
                user=None,
                action="escalation.notice_sent",
                object_type="information_request" if notice.request_id else "referral",
                object_id=notice.request_id or notice.referral_id,
                referral_reference=notice.referral.reference,
                details={
                    "notice": notice.pk, "kind": notice.kind, "percent": notice.percent,
                    "due_at": notice.due_at.isoformat(), "fire_at": notice.fire_at.isoformat(),
                    "in_app": sum(r.channel == Channel.IN_APP for r in rows),
                    "email": sum(r.channel == Channel.EMAIL for r in rows),
                },
            )
    except _ClaimLost:
        log.warning("Notice %d was taken over by another process before it was sent here", notice.pk)
        return "lost"
    late = now - notice.fire_at
    log.info(
        "Sent notice %d (%s %s%%, %s%s) to %d in the service and %d by email%s",
        notice.pk, notice.kind, notice.percent, notice.referral.reference,
        f", {notice.request.agency.code}" if notice.request_id else "",
        sum(r.channel == Channel.IN_APP for r in rows), sum(r.channel == Channel.EMAIL for r in rows),
        f" ({int(late.total_seconds() // 60)} min after its time)" if late > dt.timedelta(minutes=2) else "",
    )
    return NoticeStatus.SENT


# ------------------------------------------------------------------ email outbox


def emails_claim(*, worker: str, now: dt.datetime | None = None, limit: int = 50) -> tuple[int, list[Notification]]:
    """Claim up to `limit` emails that are due to be sent, with the same conditional UPDATE as notices."""
    now = now or clock.now()
    ids = list(
        Notification.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return 0, []
    won = Notification.objects.filter(id__in=ids, status=DeliveryStatus.PENDING, claimed_at__isnull=True).update(
        status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now
    )
    if not won:
        return len(ids), []
    return len(ids), list(
        Notification.objects.filter(id__in=ids, status=DeliveryStatus.SENDING, claimed_by=worker)
        .select_related("notice__referral", "notice__request__agency")
        .order_by("id")
    )


def _email_failed(notification: Notification, worker: str, error: str, now: dt.datetime) -> str:
    attempts = notification.attempts + 1
    final = attempts >= EMAIL_MAX_ATTEMPTS
    retry = now + dt.timedelta(minutes=EMAIL_RETRY_MINUTES[min(attempts, len(EMAIL_RETRY_MINUTES)) - 1])
    Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.SENDING, claimed_by=worker).update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
        attempts=attempts, last_error=error[:300], claimed_by="", claimed_at=None,
        next_attempt_at=None if final else retry,
    )
    if final:
        log.error("Email %d (notice %d) failed %d times and will not be retried: %s", notification.pk, notification.notice_id, attempts, error)
    else:
        log.warning("Email %d (notice %d) failed, retrying at %s: %s", notification.pk, notification.notice_id, retry.isoformat(), error)
    return DeliveryStatus.FAILED if final else DeliveryStatus.PENDING


def emails_send(*, notifications: list[Notification], worker: str, now: dt.datetime | None = None) -> Counter:
    """Send claimed emails over one SMTP connection, one message per address; count what happened.

    Each message says only what `messages` allows (no personal data). A message the server refuses
    (or a server that cannot be reached) is retried later, up to EMAIL_MAX_ATTEMPTS times.
    """
    now = now or clock.now()
    outcome = Counter()
    if not notifications:
        return outcome
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        for notification in notifications:
            outcome[_email_failed(notification, worker, f"could not connect: {exc}", now)] += 1
        return outcome
    try:
        for notification in notifications:
            facts = messages.NoticeFacts.of(notification.notice)
            message = EmailMessage(
                subject=messages.email_subject(facts, now), body=messages.email_body(facts, now),
                from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.address], connection=connection,
                headers={"Auto-Submitted": "auto-generated", "X-OpenMASH-Notice": str(notification.notice_id)},
            )
            try:
                message.send()
            except (OSError, smtplib.SMTPException) as exc:
                outcome[_email_failed(notification, worker, str(exc), now)] += 1
                continue
            Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.SENDING, claimed_by=worker).update(
                status=DeliveryStatus.SENT, sent_at=clock.now(), attempts=F("attempts") + 1, last_error=""
            )
            outcome[DeliveryStatus.SENT] += 1
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            pass
    return outcome


# ------------------------------------------------------------------ one pass of run_clock


@dataclass
class PassResult:
    planned: PlanResult = field(default_factory=PlanResult)
    notices: Counter = field(default_factory=Counter)  # sent / cancelled / superseded / lost
    sent_by_kind: Counter = field(default_factory=Counter)
    emails: Counter = field(default_factory=Counter)  # sent / pending (to retry) / failed
    released: int = 0

    def __bool__(self):
        return bool(self.planned or self.notices or self.emails or self.released)

    def summary(self) -> str:
        p = self.planned
        sent = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent_by_kind.items())) or "none"
        return (
            f"planned {p.created} new (at most), cancelled {p.cancelled}, moved {p.rescheduled}, revived {p.revived}; "
            f"notices sent: {sent}; superseded {self.notices['superseded']}, cancelled at sending "
            f"{self.notices['cancelled']}; emails sent {self.emails['sent']}, to retry {self.emails['pending']}, "
            f"failed {self.emails['failed']}"
        )


def clock_pass(*, worker: str, batch: int = 50) -> PassResult:
    """One pass of run_clock: take back abandoned claims, plan, then claim and deliver due notices
    and their emails until none are left. Safe to run in several processes at once."""
    result = PassResult()
    result.released = claims_release_stale()
    result.planned = notices_plan()
    while True:
        claim = notices_claim(worker=worker, limit=batch)
        if not claim.candidates:
            break
        for notice in claim.notices:
            outcome = notice_deliver(notice=notice, worker=worker)
            result.notices[outcome] += 1
            if outcome == NoticeStatus.SENT:
                result.sent_by_kind[notice.kind] += 1
    while True:
        candidates, emails = emails_claim(worker=worker, limit=batch)
        if not candidates:
            break
        result.emails.update(emails_send(notifications=emails, worker=worker))
    return result


# ------------------------------------------------------------------ the person who was told


def notification_acknowledge(*, user, notification_id) -> Notification:
    """Mark one of the user's notifications as read. The same notice's email to them counts as
    acknowledged too: the person has seen it."""
    notification = access_notification(user=user, notification_id=notification_id)
    if notification.acknowledged_at is None:
        now = clock.now()
        Notification.objects.filter(
            notice_id=notification.notice_id, recipient=user, acknowledged_at__isnull=True
        ).update(acknowledged_at=now)
        notification.acknowledged_at = now
    return notification


def notifications_acknowledge_all(*, user) -> int:
    """Mark every unread notification of the user's as read; returns how many there were."""
    now = clock.now()
    unread = Notification.objects.filter(recipient_id=user.pk, channel=Channel.IN_APP, acknowledged_at__isnull=True)
    notice_ids = list(unread.values_list("notice_id", flat=True))
    for chunk in _chunks(notice_ids):
        Notification.objects.filter(recipient_id=user.pk, notice_id__in=chunk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        )
    return len(notice_ids)
