"""An agency's information requests: its worklist, one request with what to search for, and answers."""

from django.http import HttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from openmash.access.policy import is_agency_rep, require
from openmash.api import presenters
from openmash.api.routes.common import reject_unknown_parameters, responses
from openmash.api.schemas import AnswerCreatedOut, AnswerIn, RequestDetailOut, RequestListItemOut, RequestListQuery
from openmash.information_requests import selectors, services

router = Router(tags=["information requests"])


@router.get(
    "/information-requests",
    response=responses({200: list[RequestListItemOut]}, 403, 422),
    url_name="request-list",
    operation_id="information_request_list",
    summary="The caller's agency's requests",
)
def information_request_list(request, query: Query[RequestListQuery]):
    """Agency representatives only: the requests to their own agency, open ones soonest due first
    (others most recently requested first). Hub staff and other roles belong to no agency and get
    403; hub staff see every request on the referral (`GET /referrals/{reference}`)."""
    require(is_agency_rep(request.auth), "Only agency representatives have a list of their agency's requests")
    reject_unknown_parameters(request, RequestListQuery)
    rows = selectors.agency_requests(user=request.auth, status=None if query.status == "all" else query.status)
    return [presenters.request_list_item(r) for r in rows]


@router.get(
    "/information-requests/{int:request_id}",
    response=responses({200: RequestDetailOut}, 404),
    url_name="request-detail",
    operation_id="information_request_get",
    summary="One request, with what the agency needs to search its systems",
)
def information_request_get(request, request_id: int):
    """The children and adults (names, other names, dates of birth, identifiers, current addresses,
    relationships) and the concerns — never other agencies' answers, never the referrer. The
    request's own answers as the caller may see them. A representative of another agency, or a role
    that sees no case data: 404. The view is audited."""
    page = selectors.request_page(user=request.auth, request_id=request_id)
    return presenters.request_page(page)


@router.post(
    "/information-requests/{int:request_id}/answer",
    response=responses({201: AnswerCreatedOut}, 400, 403, 404, 409, 413, 422),
    url_name="request-answer",
    operation_id="information_request_answer",
    summary="Answer a request (or correct the answer)",
)
def information_request_answer(request, request_id: int, payload: AnswerIn, response: HttpResponse):
    """A representative of the request's agency only: hub staff, who can see the request, get 403;
    representatives of other agencies get 404. `held` needs a summary, `declined` a reason; a second
    answer is a correction and needs `correction_reason`. An answer after the due time is accepted
    and marked late. Once the hub has decided, the request is closed: 409.

    With `held`, `involvements` may name who in the agency is involved with each child on the
    referral (`child` is one of `referral.children[].person_id`); they are added to the child's record
    under the answer's restriction. A correction replaces the involvements earlier versions named.
    Involvements on another outcome, a child not on the referral, a missing role or start date, an
    end before the start, or two leads for one child: 422 naming the field (`involvements.0.child`)."""
    target = selectors.request_for_action(user=request.auth, request_id=request_id)
    body = payload.model_dump()
    rows = [services.InvolvementInput(**row) for row in body.pop("involvements")]
    answer = services.information_request_answer(
        user=request.auth, request=target, data=services.AnswerInput(**body, involvements=rows)
    )
    response["Location"] = reverse("api:request-detail", kwargs={"request_id": target.pk})
    return Status(201, {**presenters.answer(answer), "request_id": target.pk})
