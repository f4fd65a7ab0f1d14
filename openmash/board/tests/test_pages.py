"""The wall board page and its fragment: the key decides, nothing leaks, views are audited sparingly."""

import datetime as dt
import re

import pytest

from openmash.audit.models import AuditEvent
from openmash.board import selectors
from openmash.board.models import BoardDisplay
from openmash.board.services import VIEW_AUDIT_INTERVAL, board_create, board_revoke, board_seen
from openmash.core.testing.factories import answer, make_referral, make_triaged

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NAMES = ["Jayden", "Tyler", "Smith", "Kerry", "Helen", "Marsh", "Oakfield", "hungry"]


@pytest.fixture
def hub_board(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "csc"])
    answer(hub, referral, "police", summary="Kerry Smith is known to us.")
    waiting = make_referral(hub)
    board, key = board_create(user=None, name="MASH office, north wall", kind="hub")
    return {"board": board, "key": key, "referral": referral, "waiting": waiting, "users": hub}


def _views(board) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="board.view", object_type="board", object_id=str(board.pk)))


def test_the_board_page_shows_references_initials_ratings_clocks_and_ticks(client, hub_board):
    response = client.get("/board/", {"key": hub_board["key"]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "MASH office, north wall" in html
    assert hub_board["referral"].reference in html and hub_board["waiting"].reference in html
    assert "J.S. 8, T.S. 6" in html
    assert ">Red<" in html and "Not rated" in html  # the rating in words, not colour alone
    assert "4:00:00" in html  # red: every agency has 4 hours, counted from triage (now)
    assert 'datetime="2026-11-25T14:00:00+00:00"' in html and 'data-due="2026-11-25T14:00:00+00:00"' in html
    assert 'data-server-now="2026-11-25T10:00:00+00:00"' in html
    assert "Police: answered" in html and "Children&#39;s social care: waiting" in html  # chips say it in words
    assert 'src="/static/board.js"' in html and 'href="/static/board.css"' in html
    assert "govuk-header" not in html and "Sign in" not in html  # its own layout, no service chrome
    for name in NAMES:
        assert name not in html, name
    assert "style=" not in html  # the Content-Security-Policy forbids inline styles
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("username", [None, "manager", "police-rep", "admin", "analyst"])
def test_the_key_decides_not_who_is_signed_in(client, hub_board, username):
    if username:
        client.force_login(hub_board["users"][username])
    for path in ("/board/", "/board/fragment"):
        response = client.get(path, {"key": hub_board["key"]})
        assert response.status_code == 200, (path, username)
        assert hub_board["referral"].reference in response.content.decode()
        assert "Signed in as" not in response.content.decode()


@pytest.mark.parametrize("key", [None, "", "brd_wrong", "brd_" + "x" * 200, "not-a-board-key", "brd_\x00"])
def test_a_bad_key_is_404_and_says_nothing(client, hub_board, key):
    params = {} if key is None else {"key": key}
    for path in ("/board/", "/board/fragment"):
        response = client.get(path, params)
        assert response.status_code == 404, path
        html = response.content.decode()
        assert "This board is not available" in html
        assert hub_board["referral"].reference not in html and "MASH office" not in html and "MASH-" not in html
        assert "govuk-header" not in html
    assert _views(hub_board["board"]) == []


def test_a_revoked_board_is_refused_at_its_next_fetch(client, hub_board):
    assert client.get("/board/fragment", {"key": hub_board["key"]}).status_code == 200
    board_revoke(user=hub_board["users"]["admin"], board=hub_board["board"])
    for path in ("/board/fragment", "/board/"):
        response = client.get(path, {"key": hub_board["key"]})
        assert response.status_code == 404
        assert hub_board["referral"].reference not in response.content.decode()


def test_the_fragment_carries_the_rows_and_the_servers_time(client, hub_board):
    response = client.get("/board/fragment", {"key": hub_board["key"]})
    assert response.status_code == 200
    assert response["X-Server-Now"] == "2026-11-25T10:00:00+00:00"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board-data"')
    assert 'data-page="1"' in html and 'data-pages="1"' in html
    assert hub_board["referral"].reference in html and "<html" not in html
    for name in NAMES:
        assert name not in html, name


def test_the_fragment_pages_beyond_forty(client, hub_board, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    first = client.get("/board/fragment", {"key": hub_board["key"], "page": "1"}).content.decode()
    second = client.get("/board/fragment", {"key": hub_board["key"], "page": "2"}).content.decode()
    beyond = client.get("/board/fragment", {"key": hub_board["key"], "page": "99"}).content.decode()
    assert 'data-page="1" data-pages="2"' in first and "page 1 of 2" in first
    assert 'data-page="2" data-pages="2"' in second and "page 2 of 2" in second
    assert 'data-page="2"' in beyond  # clamped to the last page there is
    unpaged = client.get("/board/fragment", {"key": hub_board["key"]}).content.decode()
    assert 'data-page="1" data-pages="2"' in unpaged and hub_board["waiting"].reference not in unpaged
    assert hub_board["referral"].reference in first and hub_board["referral"].reference not in second
    assert hub_board["waiting"].reference in second


def test_reference_only_boards_show_no_initials(client, hub):
    make_triaged(hub, rating="red", agencies=["police"])
    _, key = board_create(user=None, name="Reception", kind="hub", labels="reference")
    html = client.get("/board/", {"key": key}).content.decode()
    assert "MASH-" in html and "J.S." not in html and "T.S." not in html


def test_an_empty_board_says_so(client, hub):
    _, key = board_create(user=None, name="Managers", kind="decision")
    assert "No referral is ready for a decision." in client.get("/board/", {"key": key}).content.decode()
    _, key = board_create(user=None, name="Police", kind="agency", agency_code="police")
    assert "Nothing outstanding for Police." in client.get("/board/fragment", {"key": key}).content.decode()


def test_layout_classes_follow_the_number_of_rows(client, hub, monkeypatch):
    _, key = board_create(user=None, name="Wall", kind="hub")

    def classes():
        html = client.get("/board/fragment", {"key": key}).content.decode()
        return re.search(r'<div id="board-data" class="([^"]*)"', html).group(1), re.search(r'class="cards ([^"]*)"', html).group(1)

    for _ in range(3):
        make_referral(hub)
    assert classes() == ("board-data board-data--single", "cards--rows-10")
    monkeypatch.setattr("openmash.board.views.SINGLE_COLUMN_UP_TO", 2)
    assert classes() == ("board-data", "cards--rows-2")
    monkeypatch.setattr("openmash.board.views.DENSE_ABOVE", 1)
    assert classes() == ("board-data board-data--dense", "cards--rows-2")


# ------------------------------------------------------------------ audit


def test_each_page_load_is_audited_but_refreshes_only_every_fifteen_minutes(client, hub_board, freeze):
    board, key = hub_board["board"], hub_board["key"]
    client.get("/board/", {"key": key})
    assert len(_views(board)) == 1
    for _ in range(5):
        client.get("/board/fragment", {"key": key})
    freeze(T0 + VIEW_AUDIT_INTERVAL - dt.timedelta(seconds=1))
    client.get("/board/fragment", {"key": key})
    assert len(_views(board)) == 1  # one event for the session so far
    freeze(T0 + VIEW_AUDIT_INTERVAL)
    client.get("/board/fragment", {"key": key})
    client.get("/board/fragment", {"key": key})
    views = _views(board)
    assert len(views) == 2
    assert views[0].details == {"board": board.pk, "name": board.name, "kind": "hub", "via": "page", "rows": 2}
    assert views[1].details["via"] == "fragment"
    assert views[1].actor_username == "system" and views[1].actor_id is None  # a device, not a person
    client.get("/board/", {"key": key})  # a reload starts a new session: always recorded
    assert len(_views(board)) == 3
    board.refresh_from_db()
    assert board.last_seen_at == T0 + VIEW_AUDIT_INTERVAL


def test_refreshes_at_once_record_one_view(hub_board, freeze):
    """Two workers serve the same board's refresh with the board as each loaded it: one event."""
    board = hub_board["board"]
    first, second = BoardDisplay.objects.get(pk=board.pk), BoardDisplay.objects.get(pk=board.pk)
    assert board_seen(board=first, via="fragment") is True  # never seen: recorded
    assert board_seen(board=second, via="fragment") is False  # its copy says "never seen" too, but the UPDATE is conditional
    assert len(_views(board)) == 1


def test_a_revoked_board_records_nothing(hub_board):
    board = hub_board["board"]
    board_revoke(user=hub_board["users"]["admin"], board=BoardDisplay.objects.get(pk=board.pk))
    assert board_seen(board=board, via="page") is False
    assert _views(board) == []


def test_board_responses_are_compressed_for_browsers_that_ask(client, hub_board):
    for path in ("/board/", "/board/fragment"):
        response = client.get(path, {"key": hub_board["key"]}, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
