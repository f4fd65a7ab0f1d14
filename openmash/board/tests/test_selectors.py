"""What a board shows: statuses, countdowns, sorting, kinds, labels, totals — fast, and never a name."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.board import selectors
from openmash.board.codes import BoardKind, BoardLabels
from openmash.board.selectors import ItemStatus, board_data, board_view
from openmash.board.services import board_create
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.referrals.services import referral_triage

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
H = dt.timedelta(hours=1)
NAMES = ["Jayden", "Tyler", "Smith", "Kerry", "Helen", "Marsh", "Oakfield", "hungry", "Alder"]


def _agency(code):
    from openmash.agencies.models import Agency

    return Agency.objects.get(code=code)


def _row(view, reference):
    return next(r for r in view.rows if r.reference == reference)


def _items(row):
    return {i.agency_code: i.status for i in row.items}


def test_each_agency_status_and_the_countdown_to_the_earliest_unanswered_due_time(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "csc", "education", "gp"])  # due T0+4h
    answer(hub, referral, "police", "held")
    answer(hub, referral, "csc", "not_known")
    answer(hub, referral, "education", "declined")
    freeze(T0 + H)
    referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="More agencies.", agency_codes=["housing"])  # due T0+5h

    row = _row(board_data(kind=BoardKind.HUB), referral.reference)
    assert _items(row) == {"police": "answered", "csc": "not_known", "education": "declined", "gp": "waiting", "housing": "waiting"}
    assert row.countdown_due_at == T0 + 4 * H and not row.overdue

    freeze(T0 + 4 * H + dt.timedelta(minutes=30))
    row = _row(board_data(kind=BoardKind.HUB), referral.reference)
    assert _items(row)["gp"] == "overdue" and _items(row)["housing"] == "waiting"
    assert row.countdown_due_at == T0 + 4 * H and row.overdue  # the earliest unanswered, now past

    answer(hub, referral, "gp", "held")
    answer(hub, referral, "housing", "not_known")
    row = _row(board_data(kind=BoardKind.HUB), referral.reference)
    assert row.countdown_due_at is None and not row.overdue  # every agency has answered
    assert {i.status for i in row.items} <= {"answered", "not_known", "declined"}


def test_a_corrected_answer_shows_its_latest_outcome(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    answer(hub, referral, "police", "not_known")
    answer(hub, referral, "police", "held", correction_reason="Found a record after all.")
    assert _items(_row(board_data(kind=BoardKind.HUB), referral.reference)) == {"police": "answered"}


def test_items_follow_the_hubs_agency_order_with_short_labels(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["probation", "csc", "adult-mh", "police"])
    row = _row(board_data(kind=BoardKind.HUB), referral.reference)
    assert [(i.agency_code, i.agency_short) for i in row.items] == [("csc", "CSC"), ("police", "POL"), ("adult-mh", "AMH"), ("probation", "PRO")]
    assert row.items[1].agency_name == "Police" and row.items[1].status_words == "waiting"


def test_awaiting_triage_has_no_countdown_but_its_decision_clock(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    row = _row(board_data(kind=BoardKind.HUB), referral.reference)
    assert (row.rating, row.status, row.items, row.countdown_due_at) == ("", "awaiting_triage", [], None)
    assert row.decision_due_at == referral.decision_due_at and row.rating_words == "Not rated"


def test_sorting_urgent_first_then_overdue_then_time_left(hub, freeze):
    freeze(T0 - 30 * H)
    amber_overdue_long = make_triaged(hub, rating="amber", agencies=["police"])  # due T0-6h
    freeze(T0 - 25 * H)
    amber_overdue_short = make_triaged(hub, rating="amber", agencies=["police"])  # due T0-1h
    freeze(T0 - H)
    red = make_triaged(hub, rating="red", agencies=["police"])  # due T0+3h
    freeze(T0 - 2 * H)
    green = make_triaged(hub, rating="green", agencies=["police"])  # due T0+46h
    freeze(T0 - dt.timedelta(minutes=10))
    urgent = make_triaged(hub, rating="urgent", agencies=["police"])  # due T0+50m
    freeze(T0 - 3 * H)
    urgent_overdue = make_triaged(hub, rating="urgent", agencies=["police"])  # due T0-2h
    freeze(T0)
    waiting_triage = make_referral(hub)  # decision due by the next working day
    order = [r.reference for r in board_data(kind=BoardKind.HUB).rows]
    assert order == [
        urgent_overdue.reference, urgent.reference,
        amber_overdue_long.reference, amber_overdue_short.reference,
        red.reference, waiting_triage.reference, green.reference,
    ]


def test_hub_board_shows_every_open_referral_and_no_decided_one(hub, freeze):
    freeze(T0)
    waiting = make_referral(hub)
    gathering = make_triaged(hub, rating="green", agencies=["police"])
    decided = make_triaged(hub, rating="green", agencies=["police"])
    decide(hub, decided)
    refs = {r.reference for r in board_data(kind=BoardKind.HUB).rows}
    assert refs == {waiting.reference, gathering.reference}


def test_agency_board_shows_only_its_outstanding_requests(hub, freeze):
    freeze(T0)
    asked = make_triaged(hub, rating="red", agencies=["police", "csc", "gp"])
    answered = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, answered, "police")
    not_asked = make_triaged(hub, rating="red", agencies=["csc"])
    make_referral(hub)  # awaiting triage: nothing asked of anyone yet

    view = board_data(kind=BoardKind.AGENCY, agency=_agency("police"))
    assert [r.reference for r in view.rows] == [asked.reference]
    assert _items(view.rows[0]) == {"police": "waiting"}  # the agency's own request only
    assert view.agency_code == "police" and view.agency_name == "Police"
    assert not_asked.reference not in {r.reference for r in view.rows}

    freeze(T0 + 5 * H)
    view = board_data(kind=BoardKind.AGENCY, agency=_agency("police"))
    assert _items(view.rows[0]) == {"police": "overdue"} and view.totals.overdue == 1


def test_decision_board_shows_referrals_ready_for_a_decision(hub, freeze):
    freeze(T0)
    all_answered = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, all_answered, "police")
    answer(hub, all_answered, "csc", "not_known")
    still_waiting = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, still_waiting, "police")
    make_referral(hub)  # awaiting triage is never ready
    freeze(T0 + H)
    later = make_triaged(hub, rating="red", agencies=["police", "csc"])  # due T0+5h
    answer(hub, later, "police")

    assert [r.reference for r in board_data(kind=BoardKind.DECISION).rows] == [all_answered.reference]

    # Past the first requests' due time: the unanswered one is overdue, so that referral is ready too
    # (decide on what is known); the later one still has time.
    freeze(T0 + 4 * H + dt.timedelta(minutes=1))
    rows = board_data(kind=BoardKind.DECISION).rows
    assert [r.reference for r in rows] == [still_waiting.reference, all_answered.reference]
    assert _items(rows[0]) == {"police": "answered", "csc": "overdue"}  # every agency of the referral
    assert later.reference not in {r.reference for r in rows}

    freeze(T0 + 5 * H + dt.timedelta(minutes=1))
    assert later.reference in {r.reference for r in board_data(kind=BoardKind.DECISION).rows}


def test_labels_are_initials_and_ages_or_nothing(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    assert _row(board_data(kind=BoardKind.HUB), referral.reference).initials == "J.S. 8, T.S. 6"
    assert _row(board_data(kind=BoardKind.HUB, labels=BoardLabels.REFERENCE), referral.reference).initials == ""


def test_a_board_reads_its_own_settings(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police"])
    board, _ = board_create(user=None, name="Police", kind="agency", agency_code="police", labels="reference")
    view = board_view(board=board)
    assert (view.kind, view.agency_code, view.labels) == ("agency", "police", "reference")
    assert [(r.reference, r.initials) for r in view.rows] == [(referral.reference, "")]


def test_no_names_narrative_or_referrer_anywhere(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, referral, "police", summary="Kerry Smith known to police at 14 Alder Road.")
    make_referral(hub)
    for kind, agency in ((BoardKind.HUB, None), (BoardKind.AGENCY, _agency("csc")), (BoardKind.DECISION, None)):
        text = repr(dataclasses.asdict(board_data(kind=kind, agency=agency)))
        for name in NAMES:
            assert name not in text, (kind, name)


def test_totals_by_rating_and_overdue(hub, freeze):
    freeze(T0 - 30 * H)
    make_triaged(hub, rating="amber", agencies=["police"])  # answers overdue at T0, decision overdue too
    freeze(T0)
    make_triaged(hub, rating="red", agencies=["police"])
    make_triaged(hub, rating="red", agencies=["police"])
    make_referral(hub)
    totals = board_data(kind=BoardKind.HUB).totals
    assert totals.by_rating == {"urgent": 0, "red": 2, "amber": 1, "green": 0, "": 1}
    assert list(totals.by_rating) == ["urgent", "red", "amber", "green", ""]
    assert (totals.overdue, totals.decision_overdue, totals.rows) == (1, 1, 4)


def test_pages_of_forty_clamped_to_the_pages_there_are(hub, freeze, monkeypatch):
    freeze(T0)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    made = [make_referral(hub) for _ in range(5)]
    every = [r.reference for r in board_data(kind=BoardKind.HUB).rows]
    assert sorted(every) == sorted(r.reference for r in made)

    def page(number):
        view = board_data(kind=BoardKind.HUB, page=number)
        return view.page, view.pages, [r.reference for r in view.rows]

    assert page(1) == (1, 3, every[0:2])
    assert page(2) == (2, 3, every[2:4])
    assert page(3) == page(9) == (3, 3, every[4:])
    assert page("x") == page(-2) == page("1") == (1, 3, every[0:2])
    view = board_data(kind=BoardKind.HUB, page=3)
    assert view.totals.rows == 5 and view.rows[0].initials == "J.S. 8, T.S. 6"  # the page's rows are complete
    assert (board_data(kind=BoardKind.DECISION, page=1).pages, board_data(kind=BoardKind.DECISION, page=1).rows) == (1, [])


def test_only_the_rows_shown_are_filled_in(hub, freeze, monkeypatch):
    freeze(T0)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    first = make_triaged(hub, rating="urgent", agencies=["police"])
    second = make_triaged(hub, rating="red", agencies=["police", "csc"])
    view = board_data(kind=BoardKind.HUB, page=2)
    assert [(r.reference, len(r.items), r.initials) for r in view.rows] == [(second.reference, 2, "J.S. 8, T.S. 6")]
    assert first.reference not in repr(view)


@pytest.mark.parametrize("kind,labels", [("hub", "initials"), ("hub", "reference"), ("agency", "initials"), ("decision", "initials")])
def test_a_fixed_number_of_queries_however_many_rows(hub, freeze, kind, labels):
    freeze(T0)
    agency = _agency("gp") if kind == "agency" else None

    def queries():
        with CaptureQueriesContext(connection) as captured:
            view = board_data(kind=kind, agency=agency, labels=labels)
        with CaptureQueriesContext(connection) as paged:
            board_data(kind=kind, agency=agency, labels=labels, page=1)
        assert len(paged) == len(captured)
        return len(captured), len(view.rows)

    def add(n):
        for _ in range(n):
            referral = make_triaged(hub, rating="red", agencies=["police", "csc", "gp"])
            answer(hub, referral, "csc")
            answer(hub, referral, "police")  # ready for a decision once gp is overdue
            make_referral(hub)

    add(1)
    freeze(T0 + 5 * H)
    few, rows_few = queries()
    freeze(T0)
    add(4)
    freeze(T0 + 5 * H)
    many, rows_many = queries()
    assert rows_many > rows_few
    assert many == few <= 5  # referrals, their due times, requests, agencies, children
