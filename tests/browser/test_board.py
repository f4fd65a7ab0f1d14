"""Wall boards in headless Chromium (issue 3, "The board" and "Proof").

These journeys run against a service of their own, with a database of their own: the demo hub plus
45 made-up open referrals (`manage.py seed_board_demo`), so that a hub board has more than one screen
of rows without changing what the other journeys see. Boards are set up with `manage.py
board_create`, run against that database, and through the administrator's pages.

Every board screen is 1920×1080 (a wall TV), checked with axe-core (WCAG 2.2 AA) and saved as a
screenshot under test-artifacts/screenshots/board-*/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import conftest
from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, ROOT, Journey, _free_port, _PostgresDatabase, _SqliteDatabase, _tail, _wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LONDON = ZoneInfo("Europe/London")
TV = {"width": 1920, "height": 1080}
EXTRA_REFERRALS = 45
OPEN = EXTRA_REFERRALS + 6  # with the demo's six open referrals: two screens of rows on the hub board

SETUP = f"""
import io, json
import django
django.setup()
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", stdout=io.StringIO())
call_command("seed_board_demo", referrals={EXTRA_REFERRALS}, seed=7, stdout=io.StringIO())
links = {{}}
for name, args in {{
    "hub": ["MASH office, north wall"],
    "police": ["Police MASH desk", "--kind", "agency", "--agency", "police"],
    "decision": ["Managers' room", "--kind", "decision", "--labels", "reference"],
}}.items():
    out = io.StringIO()
    call_command("board_create", *args, stdout=out, stderr=io.StringIO())
    links[name] = out.getvalue().strip()
print(json.dumps(links))
"""


class _BoardPostgres(_PostgresDatabase):
    """A database beside the shared journeys' one (which is named after the same process id)."""

    def __init__(self, url: str):
        super().__init__(url)
        self.name += "_board"
        self.url = self.url.rsplit("/", 1)[0] + "/" + self.name


@dataclass
class BoardHub:
    base_url: str
    keys: dict[str, str]
    env: dict


@pytest.fixture(scope="module")
def board_hub(browser) -> BoardHub:
    url = os.environ.get("DATABASE_URL", "")
    workdir = Path(tempfile.mkdtemp(prefix="openmash-board-e2e-"))
    var_dir = workdir / "var"
    var_dir.mkdir()
    database = _BoardPostgres(url) if url else _SqliteDatabase(var_dir)
    env = {
        **os.environ, **database.env(), "OPENMASH_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "openmash.config.settings.local",
        "DJANGO_DEBUG": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SECRET_KEY", None)
    log = workdir / "server.log"
    process = None
    try:
        database.create()
        done = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.fail(f"Setting up the boards' hub failed:\n{done.stderr[-4000:]}")
        links = json.loads(done.stdout.strip().splitlines()[-1])
        keys = {name: link.split("key=", 1)[1] for name, link in links.items()}
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "openmash.config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
                 "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        _wait_for_health(base_url, process, log)
        yield BoardHub(base_url=base_url, keys=keys, env=env)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if log.exists():
            shutil.copy(log, ARTIFACTS / f"server-board-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log")
        try:
            database.drop()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class BoardJourney(Journey):
    """A journey on a wall TV: 1920×1080, and optionally a screen whose own clock is wrong."""

    viewport: dict = field(default_factory=lambda: dict(TV))
    timezone_id: str = "Europe/London"
    init_script: str | None = None

    def new_browser(self):
        if self.context is not None:
            self.context.close()
        self.context = self.browser.new_context(
            base_url=self.base_url, viewport=self.viewport, locale="en-GB", timezone_id=self.timezone_id,
        )
        if self.init_script:
            self.context.add_init_script(self.init_script)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"{self.page.url}: uncaught {exc}"))
        self.page.on("response", self._on_response)
        return self.page


@pytest.fixture
def journey(browser, board_hub):
    made = []

    def _start(name: str, **options) -> BoardJourney:
        j = BoardJourney(name=name, browser=browser, base_url=board_hub.base_url, **options)
        made.append(j)
        conftest._JOURNEYS.append(j)  # so that a failure keeps the page it failed on
        return j

    yield _start
    for j in made:
        j.close()
        if j in conftest._JOURNEYS:
            conftest._JOURNEYS.remove(j)


# ------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _seconds(text: str) -> int:
    """`3:12:09` → 11529; `overdue 0:12:40` → -760."""
    match = re.fullmatch(r"(overdue )?(\d+):(\d{2}):(\d{2})", text.strip())
    assert match, f"not a countdown: {text!r}"
    value = int(match.group(2)) * 3600 + int(match.group(3)) * 60 + int(match.group(4))
    return -value if match.group(1) else value


def _open(j: BoardJourney, key: str):
    j.page.goto(f"/board/?key={key}")
    expect(j.page.locator("#board-data")).to_be_visible()


def _fits_the_screen(page):
    sizes = page.evaluate("""() => ({
        scrollHeight: document.documentElement.scrollHeight, innerHeight: window.innerHeight,
        scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        clipped: Array.from(document.querySelectorAll('.chips, .card__clock, .card__decision, .card'))
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).length,
        offscreen: Array.from(document.querySelectorAll('.card'))
            .filter(e => e.getBoundingClientRect().bottom > window.innerHeight).length,
    })""")
    assert sizes["scrollHeight"] <= sizes["innerHeight"], f"the board scrolls: {sizes}"
    assert sizes["scrollWidth"] <= sizes["innerWidth"], f"the board scrolls sideways: {sizes}"
    assert sizes["clipped"] == 0 and sizes["offscreen"] == 0, f"something does not fit: {sizes}"


SKEW = """
(() => {{
  // This screen's clock is {label}: Date is shifted, as on a TV that was never set.
  const SHIFT = {shift_ms};
  const RealDate = Date;
  class SkewedDate extends RealDate {{
    constructor(...args) {{ if (args.length === 0) super(RealDate.now() + SHIFT); else super(...args); }}
    static now() {{ return RealDate.now() + SHIFT; }}
  }}
  window.Date = SkewedDate;
}})();
"""


# ------------------------------------------------------------------ the journeys


def test_forty_referrals_fill_the_screen_without_scrolling_and_more_turn_the_page(journey, board_hub):
    j = journey("board-hub-1920x1080")
    page = j.page
    _open(j, board_hub.keys["hub"])
    expect(page.get_by_role("heading", level=1)).to_have_text("MASH office, north wall")
    cards = page.locator(".card")
    expect(cards).to_have_count(40)
    expect(page.locator(".totals__page")).to_have_text("page 1 of 2")
    _fits_the_screen(page)
    # Urgent first: every Urgent row comes before every other.
    ratings = page.locator(".card__rating").all_inner_texts()
    urgent = [i for i, r in enumerate(ratings) if r.strip().lower() == "urgent"]
    assert urgent == list(range(len(urgent))), ratings
    # The header counts every open referral, on every page.
    counts = [int(n) for n in page.locator(".total__n").all_inner_texts()[:5]]
    assert sum(counts) == OPEN, counts
    j.check("page-1")
    first_page = page.locator(".card__ref").all_inner_texts()

    # After about 15 seconds the next page comes up, on its own.
    expect(page.locator(".totals__page")).to_have_text("page 2 of 2", timeout=25_000)
    expect(cards).to_have_count(OPEN - 40)
    assert not set(page.locator(".card__ref").all_inner_texts()) & set(first_page)
    _fits_the_screen(page)
    j.check("page-2")
    j.assert_clean()


def test_the_countdown_ticks_every_second(journey, board_hub):
    j = journey("board-police")
    page = j.page
    _open(j, board_hub.keys["police"])
    clock = page.locator(".card__clock time").first
    now = page.locator("#board-now")
    before, before_now = clock.inner_text(), now.inner_text()
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline and clock.inner_text() == before:
        time.sleep(0.1)
    after = clock.inner_text()
    assert after != before, f"the countdown did not move in 2.5 s: {before!r}"
    assert abs(_seconds(after) - _seconds(before)) <= 3
    assert now.inner_text() != before_now
    # Only the police's own requests are on its board.
    for chips in page.locator(".card__chips").all():
        expect(chips.locator(".chip")).to_have_count(1)
        expect(chips).to_contain_text("Police:")
    _fits_the_screen(page)
    j.check("police")
    j.assert_clean()


@pytest.mark.parametrize("label,shift", [("5 hours 17 minutes fast", dt.timedelta(hours=5, minutes=17, seconds=23)),
                                         ("3 hours slow, in New York", -dt.timedelta(hours=3))])
def test_a_screen_with_a_wrong_clock_still_shows_the_right_time_left(journey, board_hub, label, shift):
    j = journey(
        f"board-skewed-{'fast' if shift > dt.timedelta(0) else 'slow'}",
        init_script=SKEW.format(label=label, shift_ms=int(shift.total_seconds() * 1000)),
        timezone_id="Europe/London" if shift > dt.timedelta(0) else "America/New_York",
    )
    page = j.page
    _open(j, board_hub.keys["hub"])
    skew = page.evaluate("Date.now()") / 1000 - _now().timestamp()
    assert abs(skew - shift.total_seconds()) < 5, "the screen's clock was not skewed"
    page.wait_for_timeout(1200)  # at least one tick of the board's own clock
    clocks = page.locator(".card time[data-due]")
    for i in range(min(clocks.count(), 12)):
        element = clocks.nth(i)
        due = dt.datetime.fromisoformat(element.get_attribute("data-due"))
        shown = _seconds(element.inner_text())
        right = (due - _now()).total_seconds()
        assert abs(shown - right) <= 2.5, f"shown {element.inner_text()!r}, right {right:.0f} s left (due {due})"
    shown_now = dt.datetime.strptime(page.locator("#board-now").inner_text(), "%H:%M:%S").time()
    london = _now().astimezone(LONDON)
    wall = london.replace(hour=shown_now.hour, minute=shown_now.minute, second=shown_now.second)
    assert abs((wall - london).total_seconds()) <= 2.5, f"the header shows {shown_now}, London is {london:%H:%M:%S}"
    j.check("board")
    j.assert_clean()


def test_the_board_stays_the_same_size_after_many_refreshes(journey, board_hub):
    """A week on the wall is thousands of refreshes: nothing may pile up in the page."""
    j = journey("board-refreshes")
    page = j.page
    _open(j, board_hub.keys["decision"])
    expect(page.locator(".card").first).to_be_visible()
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    page.evaluate("async () => { for (let i = 0; i < 40; i++) await window.openmashBoard.refresh(); }")
    page.evaluate("async () => { for (let i = 0; i < 20; i++) document.dispatchEvent(new Event('board:changed')); }")
    page.wait_for_timeout(1000)
    assert page.evaluate("document.getElementsByTagName('*').length") == nodes
    assert page.locator("#board-data").count() == 1
    # A reference-only board: references, never initials.
    for text in page.locator(".card__id").all_inner_texts():
        assert re.fullmatch(r"MASH-\d{4}-\d{6}", text.strip()), text
    _fits_the_screen(page)
    j.check("decision-reference-only")
    j.assert_clean()


def test_a_bad_link_shows_nothing(journey, board_hub):
    j = journey("board-bad-link")
    page = j.page
    response = page.goto("/board/?key=brd_not-a-real-key")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This board is not available.")
    assert "MASH-" not in page.content()
    j.check("not-available")
    j.assert_clean()


def test_an_administrator_sets_up_a_board_and_switches_it_off(journey, board_hub):
    admin = journey("board-admin", viewport={"width": 1280, "height": 900})
    page = admin.page
    admin.sign_in("admin")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Wall boards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wall boards")
    expect(page.get_by_role("table", name="Wall boards")).to_contain_text("MASH office, north wall")
    admin.check("list")
    page.get_by_role("button", name="Set up a wall board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a wall board")
    admin.check("new")
    page.get_by_role("button", name="Set up the board").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a name for the board")
    expect(summary).to_contain_text("Select what the board shows")
    admin.check("new-errors")
    page.get_by_label("Name").fill("Education office")
    page.get_by_label("One agency: its outstanding requests").check()
    page.get_by_label("Agency (for a one-agency board)").select_option(label="Education")
    page.get_by_label("Reference only", exact=True).check()
    page.get_by_role("button", name="Set up the board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Education office is set up")
    link = page.get_by_label("Open this link on the board's screen").input_value()
    assert re.fullmatch(re.escape(board_hub.base_url) + r"/board/\?key=brd_[A-Za-z0-9_-]{32}", link), link
    admin.check("created")

    # The screen: nobody signed in on it.
    screen = journey("board-switched-off")
    screen.page.goto(link)
    expect(screen.page.get_by_role("heading", level=1)).to_have_text("Education office")
    expect(screen.page.locator(".card").first).to_be_visible()
    screen.check("on")

    page.get_by_role("link", name="Back to wall boards").click()
    page.get_by_role("link", name="Switch off Education office").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch off Education office?")
    admin.check("switch-off")
    page.get_by_role("button", name="Switch off the board").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Education office is switched off")
    expect(page.get_by_role("row").filter(has_text="Education office")).to_contain_text("Switched off")
    admin.check("list-after")

    # Its next refresh (here asked for at once, as the live stream would) finds the key refused.
    screen.page.evaluate("window.openmashBoard.refresh()")
    expect(screen.page.get_by_text("This board has been switched off.")).to_be_visible(timeout=5_000)
    expect(screen.page.locator(".card")).to_have_count(0)
    assert screen.page.evaluate("window.openmashBoard.revoked") is True
    screen.check("off")
    admin.assert_clean()
    screen.assert_clean()
