"""Reads for information requests: an agency's worklist and the summary an agency needs to search."""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from openmash.access.policy import (
    access_information_request,
    can_answer,
    can_see_answer,
    is_agency_rep,
    requests_visible_to,
)
from openmash.audit.services import audit_record
from openmash.information_requests.models import InformationAnswer, InformationRequest, RequestStatus
from openmash.people.models import Involvement
from openmash.people.selectors import Household, referral_household
from openmash.referrals.codes import ConcernCategory
from openmash.sharing.models import ReferrerRelease


def agency_requests(*, user, status: str | None = RequestStatus.OPEN, limit: int = 500) -> list[InformationRequest]:
    """The user's agency's requests, soonest due first (an agency representative's worklist)."""
    qs = requests_visible_to(user).select_related("referral", "agency")
    if status:
        qs = qs.filter(status=status)
    order = ["due_at", "id"] if status == RequestStatus.OPEN else ["-requested_at", "-id"]
    rows = list(qs.order_by(*order)[:limit])
    audit_record(
        user=user, action="information_request.list", object_type="information_request",
        details={"status": status or "all", "count": len(rows)},
    )
    return rows


@dataclass
class RequestPage:
    request: InformationRequest
    household: Household
    concerns: list[ConcernCategory]  # the code is the value; .label is for pages
    answers: list[InformationAnswer]
    can_answer: bool
    hidden_answers: int = 0  # answers the viewer may not see (restricted to MASH managers)
    # Whether a MASH manager has released the referrer's identity to the viewer's agency.
    referrer_released: bool = False
    # Who the current answer names as involved (what a correction starts with), when the viewer may see it.
    current_involvements: list[Involvement] = field(default_factory=list)


def answers_with_involvements():
    """Answer versions, each with the involvements it named (in force or replaced by a correction),
    for pages and the API to show with the answer: they are seen exactly where the answer is."""
    return InformationAnswer.objects.select_related("answered_by", "request").prefetch_related(
        Prefetch("involvements", queryset=Involvement.objects.select_related("person").order_by("id"))
    )


def request_page(*, user, request_id) -> RequestPage:
    """What an agency needs to search its own systems: the children, adults, addresses and concerns —
    not other agencies' answers, and not who made the referral. Audited as a view."""
    request = access_information_request(user=user, request_id=request_id)
    referral = request.referral
    household = referral_household(referral=referral)
    every = list(answers_with_involvements().filter(request=request).order_by("version"))
    answers = [a for a in every if can_see_answer(user, a)]
    audit_record(
        user=user, action="information_request.view", object_type="information_request", object_id=request.pk,
        referral_reference=referral.reference,
    )
    return RequestPage(
        request=request,
        household=household,
        concerns=[ConcernCategory(c) for c in referral.concerns.values_list("category", flat=True)],
        answers=answers,
        can_answer=can_answer(user, request) and request.status != RequestStatus.NOT_NEEDED,
        hidden_answers=len(every) - len(answers),
        referrer_released=is_agency_rep(user)
        and ReferrerRelease.objects.filter(referral=referral, agency_id=request.agency_id).exists(),
        # The latest version's are the ones in force: a correction replaces what earlier ones named.
        current_involvements=[i for i in answers[-1].involvements.all() if i.replaced_by_id is None]
        if answers and answers[-1] is every[-1] else [],
    )


def request_for_action(*, user, request_id) -> InformationRequest:
    return access_information_request(user=user, request_id=request_id)
