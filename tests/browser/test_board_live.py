"""A wall board open in Chromium follows the hub live (issue 3, "Live" and "Proof").

An agency's answer submitted through the API appears on the open board within one second, without
the page being reloaded (the board's event stream says "changed", the board fetches its rows); when
the board is switched off, the open screen says so at once. axe-core checks the board as it is shown.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SETUP = """
import json
import django
django.setup()
from openmash.accounts.models import User
from openmash.accounts.services import api_token_create
from openmash.board.services import board_create
from openmash.core.testing.factories import make_triaged
users = {u.username: u for u in User.objects.all()}
referral = make_triaged(users, rating="red", agencies=["police", "education"])
board, key = board_create(user=users["admin"], name="Live board test", kind="hub")
print(json.dumps({
    "reference": referral.reference,
    "request": referral.requests.get(agency__code="police").pk,
    "key": key,
    "token": api_token_create(user=users["police-rep"], name="live board browser test"),
}))
"""

REVOKE = """
import django
django.setup()
from openmash.accounts.models import User
from openmash.board.models import BoardDisplay
from openmash.board.services import board_revoke
board_revoke(user=User.objects.get(username="admin"), board=BoardDisplay.objects.get(name="Live board test"))
"""


def _django(script: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def live_board(server, _prepared_database):
    _, env, _, _ = _prepared_database
    return {**json.loads(_django(SETUP, env).strip().splitlines()[-1]), "env": env}


def _answer_through_the_api(base_url: str, token: str, request_id: int):
    call = urllib.request.Request(
        f"{base_url}/api/v1/information-requests/{request_id}/answer", method="POST",
        data=json.dumps({"outcome": "not_known"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(call, timeout=10) as response:
        assert response.status == 201


def test_an_answer_through_the_api_appears_on_the_open_board_within_a_second(start_journey, server, live_board):
    journey = start_journey("board-live")
    page = journey.page
    # Once the event stream has answered, the board is listening (a change made before then would be
    # sent as soon as the stream is ready: the board tells the stream how old its data is).
    with page.expect_response(lambda r: "/board/events" in r.url, timeout=10_000) as stream:
        page.goto(f"/board/?key={live_board['key']}")
    assert stream.value.status == 200 and "since=" in stream.value.url
    journey.check("board-before-answer")
    card = page.locator(".card").filter(has=page.locator(".card__ref", has_text=live_board["reference"]))
    police = card.locator(".chip", has_text="Police:")
    expect(police).to_have_class("chip chip--waiting")
    page.evaluate("window.__sameDocument = true")

    sent = time.monotonic()
    _answer_through_the_api(server.base_url, live_board["token"], live_board["request"])
    expect(police).to_have_class("chip chip--not_known", timeout=3_000)
    took = time.monotonic() - sent
    assert took < 1.0, f"the answer took {took:.2f} s to reach the open board"
    expect(police).to_contain_text("Police: not known")
    assert page.evaluate("window.__sameDocument === true"), "the board was reloaded"
    journey.check("board-after-answer")
    journey.assert_clean()


def test_a_board_switched_off_while_open_says_so_at_once(start_journey, live_board):
    journey = start_journey("board-live-revoked")
    page = journey.page
    with page.expect_response(lambda r: "/board/events" in r.url, timeout=10_000):
        page.goto(f"/board/?key={live_board['key']}")
    off = page.get_by_text("This board has been switched off.")
    expect(off).to_be_hidden()
    page.evaluate("window.__sameDocument = true")

    _django(REVOKE, live_board["env"])
    revoked = time.monotonic()
    expect(off).to_be_visible(timeout=3_000)
    assert time.monotonic() - revoked < 1.5
    expect(page.locator(".card")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")
    journey.check("board-switched-off")
    journey.assert_clean()
