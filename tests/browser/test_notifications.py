"""Escalation in the browser (issue 3): after a pass of `run_clock` over the demo data, the unread
count is in the header, the notifications page lists the notices with links, and they can be marked
read; the administrator's warning points and decision clock pages refuse bad input clearly.

Every page is checked with axe-core (WCAG 2.2 AA) and saved as a screenshot, as in test_journeys.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNREAD = re.compile(r"^Notifications \((\d+) unread\)$")


@pytest.fixture(scope="session")
def clock_has_run(server, _prepared_database):
    """One pass of run_clock over the service's own database: the demo's overdue requests and
    decisions are notified (emails go to the console backend of the local settings)."""
    _database, env, _seeding, _log = _prepared_database
    done = subprocess.run(
        [sys.executable, "manage.py", "run_clock", "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Sent notice" in done.stderr, done.stderr[-3000:]


def _header(page):
    return page.locator("#app-notifications-link")


def test_a_manager_reads_the_notices_run_clock_sent(start_journey, clock_has_run):
    j = start_journey("7-notifications")
    page = j.page
    j.sign_in("manager")
    expect(_header(page)).to_have_text(UNREAD)
    unread = int(UNREAD.match(_header(page).inner_text().strip()).group(1))
    assert unread >= 2
    _header(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    table = page.get_by_role("table", name="Your notifications, newest first")
    expect(table.locator("tbody tr")).to_have_count(unread)
    expect(table).to_contain_text("Overdue: ")
    expect(table).to_contain_text("Decision overdue: referral MASH-")
    j.check("notifications")

    page.get_by_role("button", name=re.compile("^Mark as read")).first.click()
    expect(_header(page)).to_have_text(f"Notifications ({unread - 1} unread)" if unread > 2 else "Notifications (1 unread)")
    j.check("notifications-one-read")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("marked as read")
    expect(_header(page)).to_have_text("Notifications")
    j.check("notifications-all-read")

    # Each notice opens what it is about.
    table.get_by_role("link", name=re.compile("^Decision overdue")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MASH-")
    j.check("notification-opened")
    j.assert_clean()


def test_an_agency_representative_opens_the_overdue_request(start_journey, clock_has_run):
    j = start_journey("7-notifications-rep")
    page = j.page
    j.sign_in("police-rep")
    expect(_header(page)).to_have_text(UNREAD)
    _header(page).click()
    j.check("rep-notifications")
    page.get_by_role("link", name=re.compile("Police information request on MASH-")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request on referral MASH-")
    j.check("rep-request")
    j.assert_clean()


def test_the_administrator_sets_warning_points_and_the_decision_clock(start_journey):
    j = start_journey("7-escalation-settings")
    page = j.page
    j.sign_in("admin")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Clock policy").click()
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Decision due")).to_contain_text("8 working hours")
    j.check("clock-policy")

    page.get_by_role("link", name="Change the red clock").click()
    page.get_by_label(re.compile("Warn the agency")).fill("50, 120")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter warnings from 1% to 99% of the time")
    j.check("red-warnings-errors")
    page.get_by_label(re.compile("Warn the agency")).fill("25, 50, 90")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Red")).to_contain_text("Warnings at 25%, 50% and 90% of the time")

    page.get_by_role("link", name="Change the decision clock").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the decision clock")
    j.check("decision-clock")
    page.get_by_label("Hours from receipt to decision").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the number of hours")
    j.check("decision-clock-errors")
    page.get_by_label("Hours from receipt to decision").fill("8")
    page.get_by_label(re.compile("Working hours")).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The decision clock has been changed")
    j.check("decision-clock-saved")
    j.assert_clean()
