"""manage.py board_create (scripted set-up) and seed_board_demo (many referrals for trying boards)."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from openmash.board.models import BoardDisplay
from openmash.referrals.models import Referral

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_board_create_prints_the_boards_link(hub, client):
    out, err = _run("board_create", "Police office", "--kind", "agency", "--agency", "police", "--labels", "reference", "--base-url", "https://mash.example.gov.uk/")
    match = re.fullmatch(r"https://mash\.example\.gov\.uk/board/\?key=(brd_[A-Za-z0-9_-]{32})\n", out)
    assert match, out
    assert "Police office" in err  # what was made goes to stderr, so stdout is the link alone (for scripts)
    board = BoardDisplay.objects.get()
    assert (board.name, board.kind, board.agency.code, board.labels, board.created_by) == ("Police office", "agency", "police", "reference", None)
    response = client.get("/board/", {"key": match.group(1)})
    assert response.status_code == 200 and "Police office" in response.content.decode()


def test_board_create_defaults_to_the_hub_board(hub):
    out, _ = _run("board_create", "North wall")
    assert out.startswith("http://127.0.0.1:8000/board/?key=brd_")
    assert BoardDisplay.objects.get().kind == "hub"


@pytest.mark.parametrize("args,message", [
    (["Police", "--kind", "agency"], "Select the agency"),
    (["Police", "--kind", "agency", "--agency", "nope"], "Select the agency"),
    (["   "], "Enter a name"),
])
def test_board_create_refuses_bad_input(hub, args, message):
    with pytest.raises(CommandError, match=message):
        _run("board_create", *args)
    assert not BoardDisplay.objects.exists()


def test_seed_board_demo_adds_open_referrals_in_every_state(hub):
    out, _ = _run("seed_board_demo", "--referrals", "6", "--seed", "3", "--awaiting-triage", "0.3")
    assert "6 open referrals added" in out
    assert Referral.objects.count() == 6
    assert set(Referral.objects.values_list("status", flat=True)) <= {"awaiting_triage", "gathering"}
    with pytest.raises(CommandError):
        _run("seed_board_demo", "--referrals", "0")
