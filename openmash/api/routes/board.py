"""Wall board data as JSON, for displays made by others."""

from ninja import Query, Router

from openmash.access.policy import is_agency_rep, is_hub_staff, require
from openmash.api import presenters
from openmash.api.routes.common import reject_unknown_parameters, responses
from openmash.api.schemas import BoardQuery, BoardRowOut
from openmash.board.selectors import board_view_for_user

router = Router(tags=["wall boards"])


@router.get(
    "/board",
    response=responses({200: list[BoardRowOut]}, 403, 422),
    url_name="board",
    operation_id="board_get",
    summary="What a wall board shows",
)
def board_get(request, query: Query[BoardQuery]):
    """The rows of a wall board, sorted as the board sorts them: Urgent first, then overdue, then by
    the time left (the countdown, else the decision clock). References, the children's initials and
    ages, ratings, clocks and one item per agency asked — never names.

    `kind=hub` (the default): every open referral, awaiting triage or gathering information.
    `kind=agency&agency=CODE`: referrals on which that agency has an open request, with that
    agency's requests only. `kind=decision`: referrals gathering information where nothing is still
    waiting within its time (every request answered, or every unanswered one past its due time).

    **Who may call it.** MASH managers and practitioners: any kind. An agency representative: only
    their own agency's board (`kind=agency&agency=<their agency's code>`); any other kind or agency is
    403. Other roles (analyst, administrator, information governance) see no case data: 403.
    `kind=agency` without an agency, with an agency code that does not exist, or `agency` with
    another kind: 422. Views are audited, at most once per caller and board every 15 minutes."""
    require(is_hub_staff(request.auth) or is_agency_rep(request.auth), "Only hub staff and agency representatives can see board data")
    reject_unknown_parameters(request, BoardQuery)
    view = board_view_for_user(user=request.auth, kind=query.kind, agency_code=query.agency)
    return presenters.board_rows(view)
