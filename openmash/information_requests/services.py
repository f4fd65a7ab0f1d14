"""Writes for information requests: an agency's answer, and corrections to it."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from openmash.access.policy import can_answer, require
from openmash.audit.services import audit_record
from openmash.board.notify import board_changed
from openmash.core import clock
from openmash.core.errors import Collector, Conflict
from openmash.sharing.log import log_answer
from openmash.information_requests.models import (
    AnswerOutcome,
    InformationAnswer,
    InformationRequest,
    RequestStatus,
    Restriction,
)


@dataclass
class AnswerInput:
    outcome: str = ""
    summary: str = ""
    detail: str = ""
    systems_checked: str = ""
    restriction: str = Restriction.NONE
    decline_reason: str = ""
    correction_reason: str = ""


LIMITS = {
    "summary": (2000, "The summary"),
    "detail": (20000, "The detail"),
    "systems_checked": (500, "Systems checked"),
    "decline_reason": (5000, "The reason"),
    "correction_reason": (2000, "The reason for the correction"),
}


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

    with transaction.atomic():
        request = InformationRequest.objects.select_for_update(of=("self",)).select_related("referral", "agency").get(pk=request.pk)
        if request.status == RequestStatus.NOT_NEEDED:
            raise Conflict("The hub has already made its decision; this request is closed")
        last = request.answers.aggregate(v=Max("version"))["v"] or 0
        if last and not data.correction_reason:
            errors.add("correction_reason", "Say what this correction changes and why")
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
        log_answer(user=user, request=request, answer=answer)
        board_changed(reference=request.referral.reference, agencies=[request.agency.code])
        audit_record(
            user=user,
            action="information_request.correct" if last else "information_request.answer",
            object_type="information_request",
            object_id=request.pk,
            referral_reference=request.referral.reference,
            details={"version": answer.version, "outcome": answer.outcome, "restriction": answer.restriction, "late": answer.late},
        )
    return answer
