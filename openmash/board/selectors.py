"""Reads for wall boards: what a board shows, and the administrator's list of boards.

A board shows references, children's initials and ages, ratings, clocks and agency ticks — never a
name, a narrative or a referrer (DESIGN.md §1.5). Names are read from the database only to make
initials here, and go no further than this module.

`board_view` must stay fast at national scale (500 open referrals × 16 agencies = 8,000 requests):
it makes a fixed number of queries whatever the number of rows, fetched as tuples, and loads agency
items and initials only for the page of rows a screen shows.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import F, Max, Min, OuterRef, Subquery

from openmash.access.policy import access_board, is_administrator, is_agency_rep, is_hub_staff, require
from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.audit.services import audit_record
from openmash.board.codes import BoardKind, BoardLabels
from openmash.board.labels import agency_short_names, child_label
from openmash.board.models import BoardDisplay
from openmash.core import clock
from openmash.core.errors import Collector, NotFound
from openmash.information_requests.models import AnswerOutcome, InformationAnswer, InformationRequest, RequestStatus
from openmash.referrals.codes import RATING_ORDER, Rating, ReferralStatus
from openmash.referrals.models import Referral, ReferralPerson

OPEN_STATUSES = (ReferralStatus.AWAITING_TRIAGE, ReferralStatus.GATHERING)
PAGE_SIZE = 40  # rows on one screen: no scrolling at 1920×1080 (docs/adr/0008-wall-boards.md)
API_AUDIT_INTERVAL = dt.timedelta(minutes=15)


class ItemStatus:
    """Where one agency's answer stands, as a board shows it."""

    ANSWERED = "answered"  # information held
    NOT_KNOWN = "not_known"
    DECLINED = "declined"
    WAITING = "waiting"  # open, not yet due
    OVERDUE = "overdue"  # open and past its due time

    ALL = (ANSWERED, NOT_KNOWN, DECLINED, WAITING, OVERDUE)
    WORDS = {
        ANSWERED: "answered",
        NOT_KNOWN: "not known",
        DECLINED: "declined",
        WAITING: "waiting",
        OVERDUE: "overdue",
    }


_OUTCOME_STATUS = {
    AnswerOutcome.HELD: ItemStatus.ANSWERED,
    AnswerOutcome.NOT_KNOWN: ItemStatus.NOT_KNOWN,
    AnswerOutcome.DECLINED: ItemStatus.DECLINED,
}


@dataclass(slots=True)
class BoardItem:
    agency_code: str
    agency_short: str  # a few capitals for a chip: POL, CSC, HA
    agency_name: str
    status: str  # one of ItemStatus.ALL
    due_at: dt.datetime

    @property
    def status_words(self) -> str:
        return ItemStatus.WORDS[self.status]


@dataclass(slots=True)
class BoardRow:
    reference: str
    rating: str  # "" while awaiting triage
    status: str  # awaiting_triage | gathering
    countdown_due_at: dt.datetime | None  # the earliest unanswered due time
    decision_due_at: dt.datetime
    overdue: bool  # an agency's answer is past its due time
    decision_overdue: bool
    initials: str = ""  # "J.S. 8, T.S. 6"; "" on a board set to show references only
    items: list[BoardItem] = field(default_factory=list)
    id: int = 0

    @property
    def clock_due_at(self) -> dt.datetime:
        """The clock the row is sorted by: the earliest unanswered request, else the decision."""
        return self.countdown_due_at or self.decision_due_at

    @property
    def rating_words(self) -> str:
        return Rating(self.rating).label if self.rating else "Not rated"


@dataclass
class BoardTotals:
    by_rating: dict[str, int]  # urgent, red, amber, green and "" (not rated), in that order
    overdue: int  # rows with an agency's answer overdue
    decision_overdue: int
    rows: int


@dataclass
class BoardView:
    kind: str
    agency_code: str
    agency_name: str
    labels: str
    at: dt.datetime  # the server's time the view was computed at
    rows: list[BoardRow]  # the rows of `page` (every row when the whole board was asked for)
    totals: BoardTotals  # over every row, on every page
    page: int = 1
    pages: int = 1

    @property
    def local_time(self) -> str:
        """The time in the hub (Europe/London), as the board's header clock shows it."""
        return clock.to_local(self.at).strftime("%H:%M:%S")


# ------------------------------------------------------------------ the board's data


def _clamp(page, pages: int) -> int:
    try:
        page = int(page)
    except (TypeError, ValueError):
        page = 1
    return min(max(page, 1), pages)


def board_data(
    *, kind: str, agency: Agency | None = None, labels: str = BoardLabels.INITIALS, at: dt.datetime | None = None, page=None,
) -> BoardView:
    """A board of `kind`: its rows, sorted, and its header totals — every row, or one page of
    PAGE_SIZE (`page` counts from 1 and is clamped to the pages there are). No access check or audit:
    the callers (`board_view` for a device, `board_view_for_user` for the API) do those.

    Five queries, however many rows (two when the board is empty):
    1. The open referrals (one query), and for each its open requests' earliest and latest due times
       (one grouped query; an agency board counts that agency's requests only). Grouped queries
       rather than a subquery per referral: the plan stays a single scan on both databases, even
       before PostgreSQL has statistics for a table that has just grown.
    2. The kind chooses: `hub` every open referral; `agency` those with an open request to that
       agency; `decision` referrals gathering information with nothing waiting within its time
       (every request answered, or the latest unanswered one already past due). The countdown is
       the earliest unanswered due time.
    3. Rows sort Urgent first, then overdue, then by the time left on their leading clock (the
       countdown, else the decision clock), then by reference; the totals count every row. Only the
       rows shown go further.
    4. Their requests, each with its latest answer's outcome from a subquery (an agency board: that
       agency's open requests only); the agencies, for chip labels and order; their children, for
       initials and ages (unless the board shows references only).
    """
    at = at or clock.now()
    today = clock.to_local(at).date()
    agency_id = agency.pk if agency is not None else None
    open_referrals = Referral.objects.filter(status__in=OPEN_STATUSES).order_by()
    # Open requests are on open referrals only (a decision closes its unanswered ones), so there is no
    # join: referrals not on the board are simply not looked up.
    unanswered = InformationRequest.objects.filter(status=RequestStatus.OPEN)
    if kind == BoardKind.AGENCY:
        unanswered = unanswered.filter(agency_id=agency_id)
    due = {
        referral_id: (earliest, latest)
        for referral_id, earliest, latest in unanswered.order_by().values("referral_id").annotate(
            earliest=Min("due_at"), latest=Max("due_at")
        ).values_list("referral_id", "earliest", "latest")
    }
    rows = []
    for pk, reference, rating, status, decision_due_at in open_referrals.values_list("id", "reference", "rating", "status", "decision_due_at"):
        countdown, latest = due.get(pk, (None, None))
        if kind == BoardKind.AGENCY and countdown is None:
            continue
        if kind == BoardKind.DECISION and (status != ReferralStatus.GATHERING or (latest is not None and latest >= at)):
            continue
        rows.append(BoardRow(
            id=pk, reference=reference, rating=rating, status=status, countdown_due_at=countdown, decision_due_at=decision_due_at,
            overdue=countdown is not None and countdown < at, decision_overdue=decision_due_at < at,
        ))
    rows.sort(key=lambda r: (r.rating != Rating.URGENT, r.clock_due_at >= at, r.clock_due_at, r.reference))

    by_rating = {str(rating): 0 for rating in [*sorted(RATING_ORDER, key=RATING_ORDER.get), ""]}
    for row in rows:
        by_rating[row.rating] = by_rating.get(row.rating, 0) + 1
    totals = BoardTotals(
        by_rating=by_rating, overdue=sum(r.overdue for r in rows), decision_overdue=sum(r.decision_overdue for r in rows), rows=len(rows),
    )
    pages, number = 1, 1
    if page is not None:
        pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
        number = _clamp(page, pages)
        rows = rows[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        ids = [r.id for r in rows]
    else:
        ids = open_referrals.values("id")  # every row (and maybe more): a subquery, not thousands of parameters
    if rows:
        _fill(rows, ids, kind=kind, agency_id=agency_id, labels=labels, at=at, today=today)
    return BoardView(
        kind=kind, agency_code=agency.code if agency else "", agency_name=agency.name if agency else "",
        labels=labels, at=at, rows=rows, totals=totals, page=number, pages=pages,
    )


def _fill(rows: list[BoardRow], ids, *, kind: str, agency_id: int | None, labels: str, at: dt.datetime, today: dt.date):
    """Give `rows` their agency items and children's labels (three queries)."""
    requests = InformationRequest.objects.filter(referral_id__in=ids).order_by()
    if kind == BoardKind.AGENCY:
        found = requests.filter(agency_id=agency_id, status=RequestStatus.OPEN).values_list("referral_id", "agency_id", "status", "due_at")
        found = [(r, a, s, d, None) for r, a, s, d in found]
    else:
        latest = InformationAnswer.objects.filter(request=OuterRef("pk")).order_by("-version").values("outcome")[:1]
        found = (
            requests.filter(status__in=(RequestStatus.OPEN, RequestStatus.ANSWERED))
            .annotate(outcome=Subquery(latest))
            .values_list("referral_id", "agency_id", "status", "due_at", "outcome")
        )
    agencies = {pk: (code, name, order) for pk, code, name, order in Agency.objects.order_by().values_list("id", "code", "name", "sort_order")}
    short = agency_short_names([code for code, _, _ in agencies.values()])
    by_referral = {row.id: row for row in rows}
    for referral_id, request_agency, status, due_at, outcome in found:
        if status == RequestStatus.OPEN:
            item_status = ItemStatus.OVERDUE if due_at < at else ItemStatus.WAITING
        else:
            # An answered request always has an answer; were it missing, it is still answered.
            item_status = _OUTCOME_STATUS.get(outcome, ItemStatus.ANSWERED)
        row = by_referral.get(referral_id)
        if row is None:  # an open referral that is not on this board
            continue
        code, name, _ = agencies[request_agency]
        row.items.append(
            BoardItem(agency_code=code, agency_short=short[code], agency_name=name, status=item_status, due_at=due_at)
        )
    order = {code: (sort_order, name) for code, name, sort_order in agencies.values()}
    for row in rows:
        row.items.sort(key=lambda item: order[item.agency_code])

    if labels != BoardLabels.REFERENCE:
        children: dict[int, list[tuple[int, str]]] = {}
        found = ReferralPerson.objects.filter(referral_id__in=ids, kind=ReferralPerson.Kind.CHILD).order_by().values_list(
            "referral_id", "position", "person__given_name", "person__family_name", "person__date_of_birth"
        )
        for referral_id, position, given, family, born in found:
            children.setdefault(referral_id, []).append((position, child_label(given, family, born, today)))
        for row in rows:
            row.initials = ", ".join(text for _, text in sorted(children.get(row.id, [])))


def board_view(*, board: BoardDisplay, page=1, at: dt.datetime | None = None) -> BoardView:
    """One screen of what a board display shows, by its kind, agency and labels setting. Views by a
    device are audited by `board.services.board_seen`, per session and interval, not here per refresh."""
    return board_data(kind=board.kind, agency=board.agency, labels=board.labels, at=at, page=page or 1)


def board_for_device(*, key) -> BoardDisplay:
    """The board whose secret is `key`; NotFound if there is none or it has been revoked."""
    return access_board(key=key)


# ------------------------------------------------------------------ the API


def board_view_for_user(*, user, kind: str, agency_code: str = "") -> BoardView:
    """A board's data for a person (the JSON API), with initials and ages.

    Hub staff may have any kind; an agency representative only their own agency's board
    (kind=agency and their agency's code); other roles none (Forbidden). A kind or agency that does
    not exist is InvalidInput. Audited at most once per caller and board every 15 minutes: displays
    made by others poll, and one event per poll would bury the audit trail.
    """
    require(is_hub_staff(user) or is_agency_rep(user), "Only hub staff and agency representatives can see board data")
    errors = Collector()
    agency = None
    if kind not in BoardKind.values:
        errors.add("kind", f"Must be one of {', '.join(BoardKind.values)}")
    elif kind == BoardKind.AGENCY:
        agency = Agency.objects.filter(code=agency_code).first() if agency_code else None
        if agency is None:
            errors.add("agency", "Give the code of an agency (agency=police) for kind=agency" if not agency_code else f"No agency with the code {agency_code!r}")
    elif agency_code:
        errors.add("agency", "agency is only for kind=agency")
    errors.raise_if_any()
    if is_agency_rep(user):
        require(kind == BoardKind.AGENCY and agency.pk == user.agency_id, "An agency representative can see only their own agency's board")
    view = board_data(kind=kind, agency=agency, labels=BoardLabels.INITIALS)
    target = f"{kind}:{agency.code}" if agency else kind
    recent = AuditEvent.objects.filter(
        object_type="board", object_id=target, action="board.view", actor_id=user.pk, occurred_at__gt=view.at - API_AUDIT_INTERVAL
    )
    if not recent.exists():
        audit_record(user=user, action="board.view", object_type="board", object_id=target, details={"via": "api", "rows": view.totals.rows})
    return view


# ------------------------------------------------------------------ administration


def board_list(*, user) -> list[BoardDisplay]:
    require(is_administrator(user), "Only an administrator can manage wall boards")
    return list(BoardDisplay.objects.select_related("agency", "created_by", "revoked_by").order_by(F("revoked_at").asc(nulls_first=True), "name", "id"))


def board_for_admin(*, user, board_id) -> BoardDisplay:
    require(is_administrator(user), "Only an administrator can manage wall boards")
    try:
        board_id = int(board_id)
    except (TypeError, ValueError):
        raise NotFound("No such board") from None
    board = BoardDisplay.objects.select_related("agency").filter(pk=board_id).first()
    if board is None:
        raise NotFound("No such board")
    return board
