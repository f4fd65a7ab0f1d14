"""Writes for information requests: an agency's answer, and corrections to it."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from openmash.access.policy import can_answer, require
from openmash.audit.services import audit_record
from openmash.board.notify import board_changed
from openmash.core import clock
from openmash.core.errors import Collector, Conflict
from openmash.people.codes import InvolvementRole, InvolvementSource
from openmash.people.models import Involvement
from openmash.referrals.models import ReferralPerson
from openmash.sharing.log import log_answer
from openmash.information_requests.models import (
    AnswerOutcome,
    InformationAnswer,
    InformationRequest,
    RequestStatus,
    Restriction,
)


@dataclass
class InvolvementInput:
    """Someone in the answering agency involved with a child on the referral (who knows this child)."""

    child: int | str | None = None  # the person id of one of the referral's children
    service: str = ""
    practitioner_name: str = ""
    practitioner_contact: str = ""
    role: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    is_lead: bool = False


@dataclass
class AnswerInput:
    outcome: str = ""
    summary: str = ""
    detail: str = ""
    systems_checked: str = ""
    restriction: str = Restriction.NONE
    decline_reason: str = ""
    correction_reason: str = ""
    involvements: list[InvolvementInput] = field(default_factory=list)


LIMITS = {
    "summary": (2000, "The summary"),
    "detail": (20000, "The detail"),
    "systems_checked": (500, "Systems checked"),
    "decline_reason": (5000, "The reason"),
    "correction_reason": (2000, "The reason for the correction"),
}
INVOLVEMENT_LIMITS = {
    "service": (120, "The service"),
    "practitioner_name": (120, "The practitioner's name"),
    "practitioner_contact": (200, "The contact details"),
}
MAX_INVOLVEMENTS = 30
EARLIEST_DATE = dt.date(1900, 1, 1)


def _child_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _involvement_errors(rows: list[InvolvementInput], *, children: set[int], errors: Collector) -> None:
    """Check what an answer says about who is involved; errors are keyed `involvements.N.field`.

    1. The child is one of the referral's children, by person id (never a name to match).
    2. A role from the list; a practitioner's name or, when no one person is named, the service.
    3. Lengths as stored; from a real date, not in the future; to (optional) not before from.
    4. One lead professional per child in an answer: two would contradict each other.
    """
    today = clock.local_today()
    leads: dict[int, int] = {}
    for i, row in enumerate(rows):
        key = f"involvements.{i}"
        for attr in INVOLVEMENT_LIMITS:
            setattr(row, attr, " ".join((getattr(row, attr) or "").split()))
        row.role = (row.role or "").strip()
        row.child = _child_id(row.child)
        if row.child is None or row.child not in children:
            errors.add(f"{key}.child", "Choose a child on this referral")
        if row.role not in InvolvementRole.values:
            errors.add(f"{key}.role", "Select the practitioner's role")
        if not row.practitioner_name and not row.service:
            errors.add(f"{key}.practitioner_name", "Enter the practitioner's name, or the service if no one person is named")
        for attr, (limit, label) in INVOLVEMENT_LIMITS.items():
            if len(getattr(row, attr)) > limit:
                errors.add(f"{key}.{attr}", f"{label} must be {limit:,} characters or fewer")
        if row.start_date is None:
            errors.add(f"{key}.start_date", "Enter the date the involvement started")
        elif row.start_date < EARLIEST_DATE:
            errors.add(f"{key}.start_date", "The start date must be after 1900")
        elif row.start_date > today:
            errors.add(f"{key}.start_date", "The start date must be today or in the past")
        if row.end_date is not None:
            if row.end_date < EARLIEST_DATE:
                errors.add(f"{key}.end_date", "The end date must be after 1900")
            elif row.start_date is not None and row.end_date < row.start_date:
                errors.add(f"{key}.end_date", "The end date must be the same as or after the start date")
        if row.is_lead is not True and row.is_lead is not False:
            errors.add(f"{key}.is_lead", "Say whether this practitioner is the lead professional")
        elif row.is_lead and row.child is not None:
            if row.child in leads:
                errors.add(f"{key}.is_lead", f"Only one lead professional for each child: involvement {leads[row.child] + 1} is already the lead")
            else:
                leads[row.child] = i


def information_request_answer(*, user, request: InformationRequest, data: AnswerInput) -> InformationAnswer:
    """Record an agency's answer (or a corrected version of it).

    1. Only a representative of the request's agency may answer.
    2. *Information held* needs a summary; *declined* needs a reason; a restriction applies to
       what is held. *Not known* needs nothing more.
    3. The first answer sets the request's answered time; an answer after the due time is accepted
       and marked late.
    4. A later answer is a new version with a reason for the correction; earlier ones stay as they were.
    5. Once the hub has decided, requests never answered are closed ("not needed") and take no
       answer; an agency can still correct an answer it gave, because the record must be right.
    6. An answer holding information may name who in the agency is involved with each child on the
       referral; they become involvements (source `referral_answer`) under the answer's restriction.
       A correction replaces what the earlier version named: those stay with that version but are
       no longer in force. The answer and its involvements are written in one transaction.
    """
    require(can_answer(user, request), "Only the agency's representatives can answer this request")
    errors = Collector()
    for attr in LIMITS:
        setattr(data, attr, (getattr(data, attr) or "").strip())
    if data.outcome not in AnswerOutcome.values:
        errors.add("outcome", "Select whether your agency holds information, does not know the family, or declines")
    if data.outcome != AnswerOutcome.HELD:
        # Only information actually held can be restricted; a "not known" answer is never sensitive.
        # Reset before checking, so a decline or "not known" is not refused over a question it skips.
        data.restriction = Restriction.NONE
    if data.restriction not in Restriction.values:
        errors.add("restriction", "Select who may see this information")
    if data.outcome == AnswerOutcome.HELD and not data.summary:
        errors.add("summary", "Summarise the information your agency holds")
    if data.outcome == AnswerOutcome.DECLINED and not data.decline_reason:
        errors.add("decline_reason", "Give the reason for declining to share")
    for attr, (limit, label) in LIMITS.items():
        if len(getattr(data, attr)) > limit:
            errors.add(attr, f"{label} must be {limit:,} characters or fewer")
    if data.outcome != AnswerOutcome.DECLINED:
        data.decline_reason = ""
    rows = list(data.involvements or [])
    if rows and data.outcome in AnswerOutcome.values and data.outcome != AnswerOutcome.HELD:
        errors.add(
            "involvements",
            "Name who is involved only when your agency holds information: remove the involvements, or choose “Information held”",
        )
        rows = []
    elif len(rows) > MAX_INVOLVEMENTS:
        errors.add("involvements", f"Name up to {MAX_INVOLVEMENTS} involvements in one answer")
        rows = []

    with transaction.atomic():
        request = InformationRequest.objects.select_for_update(of=("self",)).select_related("referral", "agency").get(pk=request.pk)
        if request.status == RequestStatus.NOT_NEEDED:
            raise Conflict("The hub has already made its decision; this request is closed")
        last = request.answers.aggregate(v=Max("version"))["v"] or 0
        if last and not data.correction_reason:
            errors.add("correction_reason", "Say what this correction changes and why")
        if rows:
            children = set(
                ReferralPerson.objects.filter(referral_id=request.referral_id, kind=ReferralPerson.Kind.CHILD)
                .values_list("person_id", flat=True)
            )
            _involvement_errors(rows, children=children, errors=errors)
        errors.raise_if_any()
        now = clock.now()
        answer = InformationAnswer.objects.create(
            request=request,
            version=last + 1,
            outcome=data.outcome,
            summary=data.summary,
            detail=data.detail,
            systems_checked=data.systems_checked,
            restriction=data.restriction,
            decline_reason=data.decline_reason,
            correction_reason=data.correction_reason if last else "",
            answered_by=user,
            answered_at=now,
            late=now > request.due_at,
        )
        if request.answered_at is None:
            request.answered_at = now
        request.status = RequestStatus.ANSWERED
        request.save(update_fields=["answered_at", "status"])
        replaced = _replace_involvements(user=user, request=request, answer=answer, rows=rows)
        log_answer(user=user, request=request, answer=answer)
        board_changed(reference=request.referral.reference, agencies=[request.agency.code])
        audit_record(
            user=user,
            action="information_request.correct" if last else "information_request.answer",
            object_type="information_request",
            object_id=request.pk,
            referral_reference=request.referral.reference,
            details={
                "version": answer.version, "outcome": answer.outcome, "restriction": answer.restriction, "late": answer.late,
                # Ids only: who is named is in the involvements themselves, under the answer's restriction.
                "involvements": [inv.pk for inv in answer.named_involvements],
                "involvements_replaced": replaced,
            },
        )
    return answer


def _replace_involvements(*, user, request: InformationRequest, answer: InformationAnswer, rows: list[InvolvementInput]) -> list[int]:
    """Write the involvements `answer` names, and retire those the request's earlier versions named
    (still in force); returns the ids retired. Sets `answer.named_involvements`."""
    earlier = Involvement.objects.filter(answer__request=request, replaced_by__isnull=True).exclude(answer=answer)
    replaced = sorted(earlier.values_list("pk", flat=True))
    if replaced:
        Involvement.objects.filter(pk__in=replaced).update(replaced_by=answer)
    answer.named_involvements = Involvement.objects.bulk_create([
        Involvement(
            person_id=row.child, agency_id=request.agency_id, service=row.service,
            practitioner_name=row.practitioner_name, practitioner_contact=row.practitioner_contact,
            role=row.role, is_lead=row.is_lead, start_date=row.start_date, end_date=row.end_date,
            source=InvolvementSource.REFERRAL_ANSWER, answer=answer, created_by=user,
        )
        for row in rows
    ])  # one INSERT for up to MAX_INVOLVEMENTS rows
    return replaced
