"""The administrator's wall board pages: list, set up (the link shown once), switch off."""

import re

import pytest

from openmash.audit.models import AuditEvent
from openmash.board.models import BoardDisplay
from openmash.board.services import board_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, hub):
    client.force_login(hub["admin"])
    return client


def _link(response) -> str:
    match = re.search(r'(http://testserver/board/\?key=(brd_[A-Za-z0-9_-]+))', response.content.decode())
    assert match, response.content.decode()[:3000]
    return match.group(1)


def test_the_list_shows_each_board_and_the_navigation_leads_there(admin, hub):
    board_create(user=hub["admin"], name="North wall", kind="hub")
    board_create(user=None, name="Police office", kind="agency", agency_code="police", labels="reference")
    response = admin.get("/admin/boards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "North wall" in html and "Police office" in html and "Police: its outstanding requests" in html
    assert "Reference only" in html and "Never" in html and "Switch off" in html
    assert 'href="/admin/boards/"' in html and "Wall boards" in html  # in the admin navigation


def test_setting_up_a_board_shows_its_link_once(admin, client, hub):
    response = admin.post("/admin/boards/new/", {"name": "  MASH office, north wall ", "kind": "hub", "agency": "", "labels": "initials"})
    assert response.status_code == 200
    link = _link(response)
    assert "shown once" in response.content.decode()
    board = BoardDisplay.objects.get()
    assert board.name == "MASH office, north wall" and board.created_by == hub["admin"]
    key = link.split("key=")[1]
    assert board.key_hash == BoardDisplay.hash_key(key) and key not in str(BoardDisplay.objects.values().get())
    assert AuditEvent.objects.filter(action="board.create", object_id=str(board.pk), actor_username="admin").exists()
    client.logout()
    assert client.get("/board/", {"key": key}).status_code == 200  # the link works on a screen nobody signed in to
    # The list never shows the key again, only its first characters.
    admin.force_login(hub["admin"])
    assert key not in admin.get("/admin/boards/").content.decode()


def test_an_agency_board(admin):
    response = admin.post("/admin/boards/new/", {"name": "Police office", "kind": "agency", "agency": "police", "labels": "reference"})
    assert response.status_code == 200
    board = BoardDisplay.objects.get()
    assert (board.kind, board.agency.code, board.labels) == ("agency", "police", "reference")


@pytest.mark.parametrize("data,messages", [
    ({}, ["Enter a name for the board", "Select what the board shows", "Select how referrals are labelled"]),
    ({"name": "x" * 81, "kind": "hub", "labels": "initials"}, ["Name must be 80 characters or fewer"]),
    ({"name": "Police", "kind": "agency", "agency": "", "labels": "initials"}, ["Select the agency whose requests the board shows"]),
    ({"name": "Police", "kind": "agency", "agency": "no-such-agency", "labels": "initials"}, ["Select the agency whose requests the board shows"]),
    ({"name": "Wall", "kind": "everything", "labels": "names"}, ["Select what the board shows", "Select how referrals are labelled"]),
])
def test_bad_input_is_explained_next_to_the_field(admin, data, messages):
    response = admin.post("/admin/boards/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    for message in messages:
        assert message in html, message
    assert not BoardDisplay.objects.exists()


def test_switching_a_board_off(admin, client, hub):
    board, key = board_create(user=None, name="North wall", kind="hub")
    page = admin.get(f"/admin/boards/{board.pk}/revoke/")
    assert page.status_code == 200 and "Switch off North wall?" in page.content.decode()
    response = admin.post(f"/admin/boards/{board.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/admin/boards/"
    board.refresh_from_db()
    assert board.revoked_at is not None and board.revoked_by == hub["admin"]
    assert AuditEvent.objects.filter(action="board.revoke", object_id=str(board.pk)).count() == 1
    listing = admin.get("/admin/boards/").content.decode()
    assert "North wall is switched off" in listing and "Switched off" in listing
    assert client.get("/board/fragment", {"key": key}).status_code == 404
    # Again (two administrators at once): said plainly, nothing changes.
    admin.post(f"/admin/boards/{board.pk}/revoke/")
    assert "North wall was already switched off" in admin.get("/admin/boards/").content.decode()
    assert AuditEvent.objects.filter(action="board.revoke", object_id=str(board.pk)).count() == 1
    assert "was switched off on" in admin.get(f"/admin/boards/{board.pk}/revoke/").content.decode()


def test_a_board_that_does_not_exist(admin):
    assert admin.get("/admin/boards/999999/revoke/").status_code == 404
    assert admin.post("/admin/boards/999999/revoke/").status_code == 404
    assert admin.get("/admin/boards/99999999999999999999999/revoke/").status_code == 404
