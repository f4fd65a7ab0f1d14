"""The referral lifecycle driven through the browser, as its users would (issue 2, points 1, 3, 4, 6),
and the administrator's pages.

Every page visited (including the sign-in page and each form's error state) is checked with
axe-core against WCAG 2.2 AA and saved as a full-page screenshot under
test-artifacts/screenshots/<journey>/. A journey passes only with zero violations and no JavaScript
errors in the console.

The journeys build on each other (the referral recorded in the first is triaged in the second, …),
through session fixtures: each journey runs once, and a test run alone builds what it needs first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LONDON = ZoneInfo("Europe/London")
REFERENCE = re.compile(r"MASH-\d{4}-\d{6}")
AGENCY_COUNT = 16
REFERRER = "Joanne Rivers"
POLICE_SUMMARY = "Kerry Smith reported a domestic incident at 14 Alder Road in January; no arrests."
EDUCATION_NOTE = "Checked the pupil database: no record of either child."
DECLINE_REASON = "We hold nothing we can share without a court order for these records."
POLICE_OFFICER = "DC Priya Nair"


@dataclass
class Case:
    """What the journeys so far have left behind."""

    reference: str
    journey: object


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _due_times(page) -> list[dt.datetime]:
    """The due times of the open requests on a referral page, from their machine-readable clocks."""
    table = page.get_by_role("table", name="Information requests")
    stamps = table.locator("tbody time[datetime]").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    return [dt.datetime.fromisoformat(s) for s in stamps]


def _assert_due_in(times: list[dt.datetime], hours: float, what: str):
    expected = _now() + dt.timedelta(hours=hours)
    off = [t for t in times if abs(t - expected) > dt.timedelta(minutes=10)]
    assert not off, f"{what}: due times not about {hours} h from now ({expected:%H:%M} UTC): {off}"


def _submit(page, name: str):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


def _expect_error_summary(page, *messages: str):
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    for message in messages:
        expect(summary).to_contain_text(message)


# ------------------------------------------------------------------ 1. recording a referral


@pytest.fixture(scope="session")
def recorded(start_journey) -> Case:
    """Point 1 (and 2): a practitioner records a referral about two children and their mother."""
    j = start_journey("1-practitioner-records-referral")
    page = j.page
    page.goto("/")
    _submit(page, "Sign in")
    _expect_error_summary(page)
    j.check("sign-in-errors")
    j.sign_in("practitioner")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open referrals")
    j.check("open-referrals")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Record a referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a referral")
    j.check("start")
    page.get_by_role("button", name="Start").click()

    # When and where from: empty first, then a time yesterday morning.
    expect(page.get_by_role("heading", level=1)).to_have_text("When did the hub receive the referral?")
    j.check("received")
    _submit(page, "Continue")
    _expect_error_summary(page, "Select where the referral came from")
    j.check("received-errors")
    yesterday = (_now().astimezone(LONDON) - dt.timedelta(days=1)).date()
    page.get_by_label("Day").fill(str(yesterday.day))
    page.get_by_label("Month").fill(str(yesterday.month))
    page.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_label("Time received").fill("9:30am")
    page.get_by_label("Where did the referral come from?").select_option(label="Schools")
    _submit(page, "Continue")

    # The referrer.
    expect(page.get_by_role("heading", level=1)).to_have_text("Who made the referral?")
    j.check("referrer")
    _submit(page, "Continue")
    _expect_error_summary(page, "Select yes if the referrer did not give their name")
    j.check("referrer-errors")
    page.get_by_label("No, they gave their name").check()
    page.get_by_label("Name", exact=True).fill(REFERRER)
    page.get_by_label("Role or job title").fill("Class teacher")
    page.get_by_label("Organisation").fill("Alder Road Primary School")
    page.get_by_label("Phone number").fill("020 7946 0999")
    page.get_by_label("Email address").fill("j.rivers@alder-road.example.sch.uk")
    _submit(page, "Continue")

    # The children: none yet is an error; then an existing Smith found by searching …
    expect(page.get_by_role("heading", level=1)).to_have_text("Children the referral is about")
    j.check("children")
    _submit(page, "Continue")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("children-errors")
    page.get_by_role("button", name="Add a child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find the child among people already known")
    j.check("child-search")
    _submit(page, "Search")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("child-search-errors")
    page.get_by_label("Last name").fill("Smith")
    _submit(page, "Search")
    expect(page.get_by_role("heading", name=re.compile(r"\d+ (person|people) found"))).to_be_visible()
    j.check("child-search-results")
    page.get_by_role("button", name=re.compile(r"^This is the person Jayden Smith")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Children the referral is about")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Jayden Smith")
    j.check("children-one")

    # … and a new baby sister, not known to the hub.
    page.get_by_role("button", name="Add another child").click()
    page.get_by_label("First name").fill("Poppy")
    page.get_by_label("Last name").fill("Smith")
    _submit(page, "Search")
    expect(page.get_by_role("heading", name="No one found")).to_be_visible()
    j.check("child-search-none")
    page.get_by_role("button", name="Add a new child").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a new child")
    expect(page.get_by_label("First name")).to_have_value("Poppy")
    j.check("new-child")
    page.get_by_label("First name").fill("")
    _submit(page, "Add this child")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("new-child-errors")
    born = (_now().astimezone(LONDON) - dt.timedelta(days=300)).date()
    page.get_by_label("First name").fill("Poppy")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_label("Day").fill(str(born.day))
    page.get_by_label("Month").fill(str(born.month))
    page.get_by_label("Year").fill(str(born.year))
    page.get_by_label("Female").check()
    page.get_by_label("Address line 1", exact=True).fill("14 Alder Road")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("SE15 4AB")
    _submit(page, "Add this child")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Poppy Smith")
    j.check("children-two")
    _submit(page, "Continue")

    # The adults: their mother, found by searching, related to both children.
    expect(page.get_by_role("heading", level=1)).to_have_text("Adults in the household")
    j.check("adults")
    page.get_by_role("button", name="Add an adult").click()
    page.get_by_label("First name").fill("Kerry")
    page.get_by_label("Last name").fill("Smith")
    _submit(page, "Search")
    expect(page.get_by_role("heading", name=re.compile(r"found$"))).to_be_visible()
    j.check("adult-search-results")
    page.get_by_role("button", name=re.compile(r"^This is the person Kerry Smith")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How is Kerry Smith related to the children?")
    j.check("relationships")
    _submit(page, "Continue")
    _expect_error_summary(page, "Select how this adult is related to Jayden Smith")
    j.check("relationships-errors")
    for child in ("Jayden Smith", "Poppy Smith"):
        page.get_by_label(f"Relationship to {child}").select_option(label="Mother")
        page.get_by_role("group", name=f"Do they have parental responsibility for {child}? (optional)").get_by_label("Yes").check()
    _submit(page, "Continue")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Jayden: Mother")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Poppy: Mother")
    j.check("adults-one")
    _submit(page, "Continue")

    # The concerns.
    expect(page.get_by_role("heading", level=1)).to_have_text("What are the concerns?")
    j.check("concerns")
    _submit(page, "Continue")
    _expect_error_summary(page, "Select at least one concern", "Describe the concerns")
    j.check("concerns-errors")
    page.get_by_label("Neglect").check()
    page.get_by_label("Domestic abuse").check()
    page.get_by_label("Describe the concerns").fill(
        "Jayden told his teacher that mum's new boyfriend shouts and threw a plate at her last night. "
        "He was hungry at breakfast club again. There is a baby, Poppy, at home."
    )
    _submit(page, "Continue")

    # The family and consent.
    expect(page.get_by_role("heading", level=1)).to_have_text("What does the family know, and was consent given?")
    j.check("consent")
    _submit(page, "Continue")
    _expect_error_summary(page, "Select whether the family has been told about the referral")
    j.check("consent-errors")
    page.get_by_label("No, the family has not been told").check()
    page.get_by_label("Consent was not sought").check()
    page.get_by_label("Why was consent not sought?").fill("Telling mum could put her and the children at risk from her partner.")
    _submit(page, "Continue")

    # Check your answers; change one answer and come back.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before recording the referral")
    j.check("check-answers")
    page.get_by_role("link", name="Change the concern categories").click()
    expect(page.get_by_label("Neglect")).to_be_checked()
    j.check("concerns-change")
    page.get_by_label("Emotional abuse").check()
    _submit(page, "Continue")
    expect(page).to_have_url(re.compile(r"/referrals/new/check/$"))
    expect(page.locator("main")).to_contain_text("Neglect, Emotional abuse, Domestic abuse")
    expect(page.locator("main")).to_contain_text(REFERRER)
    j.check("check-answers-changed")

    _submit(page, "Record referral")
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("Referral recorded")
    match = REFERENCE.search(panel.inner_text())
    assert match, f"no reference like MASH-2026-000123 in the confirmation: {panel.inner_text()!r}"
    reference = match.group(0)
    j.check("recorded")

    # It waits in the triage queue.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Triage queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Jayden Smith")
    expect(row).to_contain_text("Poppy Smith")
    expect(row).to_contain_text("Not rated")
    j.check("triage-queue")
    return Case(reference=reference, journey=j)


def test_practitioner_records_a_referral(recorded):
    recorded.journey.assert_clean()


# ------------------------------------------------------------------ 1b. consent refused: an override is proposed


def _fill_consent(page, *, people: list[str], given_by: str, name: str = ""):
    """The consent form: these people, the family knows, consent sought and refused (issue 4)."""
    for person in people:
        page.get_by_role("group", name="Who is this about?").get_by_label(person).check()
    page.get_by_label("Yes, the family knows about this referral").check()
    page.get_by_role("group", name="Was consent to share information sought?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="What was the outcome?").get_by_label("Refused", exact=True).check()
    page.get_by_label(given_by).check()
    if name:
        page.get_by_label("Their name").fill(name)
    when = _now().astimezone(LONDON) - dt.timedelta(minutes=20)
    date = page.get_by_role("group", name=re.compile(r"^Date"))
    date.get_by_label("Day").fill(str(when.day))
    date.get_by_label("Month").fill(str(when.month))
    date.get_by_label("Year").fill(str(when.year))
    page.get_by_label("Time", exact=True).fill(f"{when:%H:%M}")
    page.get_by_label("Verbal").check()
    _submit(page, "Save consent")


@pytest.fixture(scope="session")
def override_proposed(recorded, start_journey) -> Case:
    """Issue 4: the mother refuses consent for herself and the children; the practitioner records it on
    the Sharing tab and proposes sharing without consent, with its lawful basis and reason."""
    j = start_journey("1b-consent-refused-override-proposed")
    page = j.page
    reference = recorded.reference
    j.sign_in("practitioner")
    j.goto(f"/referrals/{reference}/", "referral-before-consent")
    expect(page.locator("main")).to_contain_text("Sharing")
    page.get_by_role("link", name="Sharing", exact=True).click()
    expect(page.get_by_role("heading", name="Can information be shared?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No – not yet")
    j.check("sharing-nothing-recorded")

    page.get_by_role("button", name="Record consent").first.click()
    j.check("consent-form")
    _submit(page, "Save consent")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("consent-form-errors")
    _fill_consent(page, people=["Jayden Smith (child)", "Poppy Smith (child)"], given_by="A parent with parental responsibility", name="Kerry Smith")
    expect(page.locator(".govuk-notification-banner")).to_be_visible()
    page.get_by_role("button", name="Record consent").first.click()
    _fill_consent(page, people=["Kerry Smith (adult)"], given_by="The adult themselves")
    main = page.locator("main")
    expect(main).to_contain_text("Refused")
    j.check("consent-refused")

    page.get_by_role("button", name="Propose sharing without consent").click()
    j.check("override-form")
    _submit(page, "Propose for a MASH manager to authorise")
    _expect_error_summary(page, "Select at least one lawful basis", "Give the reason for sharing without consent")
    j.check("override-form-errors")
    page.get_by_label("UK GDPR Article 6(1)(e) – public task").check()
    page.get_by_label(re.compile(r"DPA 2018 Schedule 1 paragraph 18 ")).check()
    page.get_by_label(re.compile(r"Children Act 1989 section 47 ")).check()
    page.get_by_label("Why must information be shared without consent?").fill(
        "Domestic abuse with a baby at home; mum's refusal does not outweigh the risk of significant harm to Jayden and Poppy."
    )
    _submit(page, "Propose for a MASH manager to authorise")
    expect(main).to_contain_text("Waiting for a MASH manager")
    expect(page.get_by_role("link", name="Authorise")).to_have_count(0)  # a practitioner cannot authorise
    j.check("override-proposed")
    return Case(reference=reference, journey=j)


def test_practitioner_records_refused_consent_and_proposes_an_override(override_proposed):
    override_proposed.journey.assert_clean()


# ------------------------------------------------------------------ 2. triage


@pytest.fixture(scope="session")
def triaged(override_proposed, start_journey) -> Case:
    """Point 3: the manager rates it Red (16 requests due in 4 hours), then re-rates it Amber — once the
    override is authorised: until then the server refuses to send requests (issue 4)."""
    recorded = override_proposed
    j = start_journey("2-manager-triages")
    page = j.page
    j.sign_in("manager")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Triage queue").click()
    # The override waits for a manager: the queue says so above the referrals.
    expect(page.locator("#overrides-waiting")).to_contain_text(recorded.reference)
    j.check("triage-queue")
    page.get_by_role("table").get_by_role("link", name=recorded.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(recorded.reference)
    j.check("referral-unrated")

    # Rating before the override is authorised is refused, and nothing is sent.
    page.get_by_role("button", name="Rate this referral").click()
    page.get_by_label("Red", exact=True).check()
    page.get_by_label("Why this rating?").fill("Domestic abuse with a baby in the household.")
    _submit(page, "Save rating and send requests")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Information requests cannot go out yet")
    j.check("rate-refused-without-override")

    # The manager reads the proposal and authorises it.
    j.goto(f"/referrals/{recorded.reference}/sharing/", "sharing-override-waiting")
    page.get_by_role("button", name=re.compile(r"^Authorise")).click()
    expect(page.get_by_role("heading", name="The proposal")).to_be_visible()
    j.check("authorise")
    _submit(page, "Authorise sharing without consent")
    main = page.locator("main")
    expect(main).to_contain_text("Authorised")
    j.check("override-authorised")
    j.goto(f"/referrals/{recorded.reference}/", "referral-unrated-override-in-force")

    page.get_by_role("button", name="Rate this referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rate referral {recorded.reference}")
    agencies = page.get_by_role("group", name="Which agencies should share what they hold?").get_by_role("checkbox")
    expect(agencies).to_have_count(AGENCY_COUNT)
    # The manager's own team is offered first.
    expect(page.get_by_label("Which team is responsible?")).to_have_value("team-a")
    j.check("rate")
    _submit(page, "Save rating and send requests")
    _expect_error_summary(page, "Select a rating: Urgent, Red, Amber or Green", "Give the reason for this rating")
    j.check("rate-errors")
    for i in range(AGENCY_COUNT):
        expect(agencies.nth(i)).to_be_checked()
    page.get_by_label("Red", exact=True).check()
    page.get_by_label("Why this rating?").fill("Domestic abuse with a baby in the household; the child is frightened.")
    _submit(page, "Save rating and send requests")

    expect(page.locator(".govuk-notification-banner")).to_contain_text("rated Red")
    expect(page.locator("main")).to_contain_text(f"0 of {AGENCY_COUNT} agencies have answered")
    rows = page.get_by_role("table", name="Information requests").locator("tbody tr")
    expect(rows).to_have_count(AGENCY_COUNT)
    for i in range(AGENCY_COUNT):
        expect(rows.nth(i)).to_contain_text("Waiting for an answer")
    red_due = _due_times(page)
    assert len(red_due) == AGENCY_COUNT
    _assert_due_in(red_due, 4, "After rating Red")
    j.check("referral-red")

    page.get_by_role("button", name="Re-rate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Re-rate referral {recorded.reference}")
    j.check("re-rate")
    page.get_by_label("Amber", exact=True).check()
    page.get_by_label("Why this change?").fill("Mum is safe at her sister's tonight and the partner has left; risk reduced.")
    page.get_by_label("Which team is responsible?").select_option(label="MASH Team B")
    _submit(page, "Save new rating")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("rated Amber")
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Responsible team")).to_contain_text("MASH Team B")
    history = page.get_by_role("table", name="Rating history")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history).to_contain_text("Red")
    expect(history).to_contain_text("Red → Amber")
    amber_due = _due_times(page)
    _assert_due_in(amber_due, 24, "After re-rating Amber")
    assert min(amber_due) > max(red_due), "re-rating Amber did not move the due times"
    j.check("referral-amber")
    return Case(reference=recorded.reference, journey=j)


def test_manager_triages_the_referral(triaged):
    triaged.journey.assert_clean()


# ------------------------------------------------------------------ 3. agencies answer


def _open_request(j, reference: str):
    """From the representative's list, soonest due first, open the request on this referral."""
    page = j.page
    expect(page).to_have_url(re.compile(r"/requests/$"))
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    stamps = rows.locator("time[datetime]").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    due = [dt.datetime.fromisoformat(s) for s in stamps]
    assert due == sorted(due), f"requests are not listed soonest due first: {stamps}"
    expect(rows.filter(has=page.get_by_role("link", name=reference))).to_contain_text(re.compile(r"left|Overdue"))
    j.check("requests")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Request on referral {reference}")


@pytest.fixture(scope="session")
def answered(triaged, start_journey) -> Case:
    """Point 4: police hold information (managers only), education know nothing, housing declines."""
    j = start_journey("3-agencies-answer")
    page = j.page
    reference = triaged.reference

    j.sign_in("police-rep")
    _open_request(j, reference)
    main = page.locator("main")
    for text in ("Jayden Smith", "Poppy Smith", "Kerry Smith", "Mother of Jayden", "14 Alder Road", "Domestic abuse", "breakfast club"):
        expect(main).to_contain_text(text)
    expect(main).not_to_contain_text(REFERRER)
    expect(main).not_to_contain_text("Information from agencies")
    j.check("police-request")
    _submit(page, "Send answer to the hub")
    _expect_error_summary(page, "Select whether your agency holds information")
    j.check("police-request-errors")
    page.get_by_label("Information held").check()
    page.get_by_label("Summary").fill(POLICE_SUMMARY)
    page.get_by_label("Detail (optional)").fill("Occurrence 01/4471/26: verbal argument, partner left before officers arrived.")
    page.get_by_label("Systems checked").fill("Niche, PNC")
    page.get_by_label("MASH manager only").check()
    # Who in the police is involved with Jayden: one row of the three, the others left blank.
    row = page.get_by_role("group", name="Involvement 1 (optional)")
    child = row.get_by_label("Child", exact=True)
    child.select_option(label=next(t.strip() for t in child.locator("option").all_text_contents() if t.strip().startswith("Jayden Smith")))
    row.get_by_label("Role", exact=True).select_option(label="Police officer")
    row.get_by_label("Practitioner's name").fill(POLICE_OFFICER)
    row.get_by_label("Service or team (optional)").fill("Child Abuse Investigation Team")
    row.get_by_label("Contact details (optional)").fill("020 7946 0321")
    since = row.get_by_role("group", name="Start date")
    since.get_by_label("Day").fill("3")
    since.get_by_label("Month").fill("2")
    since.get_by_label("Year").fill("2099")  # in the future: refused next to the field
    row.get_by_label("Lead professional for this child").check()
    j.check("police-request-involvement")
    _submit(page, "Send answer to the hub")
    _expect_error_summary(page, "Involvement 1: The start date must be today or in the past")
    expect(page.locator("#involvements-0-start_date-error")).to_be_visible()
    j.check("police-request-involvement-error")
    page.get_by_role("group", name="Involvement 1 (optional)").get_by_role("group", name="Start date").get_by_label("Year").fill("2026")
    _submit(page, "Send answer to the hub")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Your answer on {reference} has been sent to the hub")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("It names 1 involvement.")
    expect(main).to_contain_text("Your agency's answer")
    expect(main).to_contain_text(POLICE_SUMMARY)
    expect(main.locator(".app-answer-involvements")).to_contain_text(f"Jayden Smith: Police officer (lead professional), {POLICE_OFFICER}")
    j.check("police-answered")
    j.sign_out()

    j.sign_in("education-rep")
    _open_request(j, reference)
    expect(main).not_to_contain_text(POLICE_SUMMARY)
    j.check("education-request")
    page.get_by_label("Not known to us").check()
    page.get_by_label("Anything to add? (optional)").fill(EDUCATION_NOTE)
    _submit(page, "Send answer to the hub")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent to the hub")
    j.check("education-answered")
    j.sign_out()

    j.sign_in("housing-rep")
    _open_request(j, reference)
    page.get_by_label("Declined").check()
    _submit(page, "Send answer to the hub")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("housing-decline-errors")
    page.get_by_label("Why is your agency declining to share?").fill(DECLINE_REASON)
    _submit(page, "Send answer to the hub")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent to the hub")
    j.check("housing-declined")
    return Case(reference=reference, journey=j)


def test_agencies_answer_their_requests(answered):
    answered.journey.assert_clean()


# ------------------------------------------------------------------ 4. the decision


@pytest.fixture(scope="session")
def decided(answered, start_journey) -> Case:
    """Point 6: the restricted answer is for managers only; the manager decides early, with a reason."""
    j = start_journey("4-manager-decides")
    page = j.page
    reference = answered.reference

    j.sign_in("manager")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Open referrals").click()
    j.check("open-referrals")
    page.get_by_role("link", name=reference).click()
    main = page.locator("main")
    expect(main).to_contain_text("3 of 16 agencies have answered")
    police = page.locator("#agencies ~ h3", has_text="Police").first
    expect(police).to_be_visible()
    expect(main).to_contain_text(POLICE_SUMMARY)
    expect(main.locator(".app-restricted")).to_contain_text("MASH manager only")
    expect(main).to_contain_text(DECLINE_REASON)
    # The police officer named in the restricted answer shows in the household, for the manager.
    expect(main.locator(".app-involved")).to_contain_text(f"Police officer: {POLICE_OFFICER}, Police")
    expect(main.locator(".app-involved")).to_contain_text(f"From Police's answer on referral {reference}")
    j.check("referral-manager")
    page.get_by_role("link", name="Jayden Smith").first.click()
    involved = page.locator(".app-involvements")
    expect(involved).to_contain_text(POLICE_OFFICER)
    expect(involved).to_contain_text(f"From Police's answer on referral {reference}")
    j.check("person-manager")
    j.sign_out()

    j.sign_in("practitioner")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(main).not_to_contain_text(POLICE_SUMMARY)
    expect(main).to_contain_text("This agency's answer is restricted to MASH managers.")
    expect(main).to_contain_text(EDUCATION_NOTE)
    expect(main).not_to_contain_text(POLICE_OFFICER)
    j.check("referral-practitioner")
    page.get_by_role("link", name="Jayden Smith").first.click()
    expect(page.locator("main")).not_to_contain_text(POLICE_OFFICER)
    expect(page.locator("main")).to_contain_text("1 more involvement was named in an agency's answer restricted to MASH managers")
    j.check("person-practitioner")
    page.go_back()
    j.sign_out()

    j.sign_in("manager")
    page.get_by_role("link", name=reference).click()
    j.check("referral-manager-again")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Record the decision on {reference}")
    expect(page.locator(".govuk-warning-text")).to_contain_text("13 of 16 agencies have not answered")
    j.check("decision")
    _submit(page, "Record decision")
    _expect_error_summary(page, "Select the outcome for Jayden Smith", "Give the rationale for the decision")
    j.check("decision-errors")
    page.get_by_role("group", name="Outcome for Jayden Smith").get_by_label("Child and family assessment (section 17)").check()
    page.get_by_role("group", name="Outcome for Poppy Smith").get_by_label("Child and family assessment (section 17)").check()
    page.get_by_label("Level 3 – complex needs").check()
    page.get_by_label("Rationale").fill("Domestic abuse and neglect indicators; police history. Assessment under section 17 for both children.")
    page.get_by_label("Not yet – the referrer will be told").check()
    _submit(page, "Record decision")
    # Agencies are still unanswered: the early-decision reason is asked for, next to its field.
    field_error = page.locator("#early_decision_reason-error")
    expect(field_error).to_be_visible()
    expect(page.locator(".govuk-error-summary a[href='#early_decision_reason']")).to_be_visible()
    j.check("decision-early-reason-error")
    page.get_by_label("Why decide before every agency has answered?").fill(
        "The police information is enough to know an assessment is needed; waiting would delay help."
    )
    _submit(page, "Record decision")

    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Decision recorded for {reference}")
    summary = main.locator(".govuk-summary-list").first
    expect(summary).to_contain_text("Decided")
    expect(summary).to_contain_text(re.compile(r"(\d+[dhm]( \d+[dhm])?|under 1m) after the hub received it"))
    decision = page.locator("#decision + .govuk-summary-list")
    expect(decision).to_contain_text("Jayden Smith")
    expect(decision).to_contain_text("Poppy Smith")
    expect(decision.get_by_text("Child and family assessment (section 17)")).to_have_count(2)
    rows = page.get_by_role("table", name="Information requests").locator("tbody tr")
    expect(rows.filter(has_text="Not needed")).to_have_count(13)
    chronology = page.locator(".app-chronology")
    for text in (
        "Referral received by the hub", "Referral recorded", "Rated Red", "Re-rated Red → Amber",
        f"Information requested from {AGENCY_COUNT} agencies", "Police: information held", "Education: not known to us",
        "Housing: declined", "Decision recorded", "13 unanswered requests closed as not needed",
    ):
        expect(chronology).to_contain_text(text)
    j.check("referral-decided")
    return Case(reference=reference, journey=j)


def test_manager_records_the_decision(decided):
    decided.journey.assert_clean()


# ------------------------------------------------------------------ 4b. the outcome letter


@pytest.fixture(scope="session")
def letter_sent(decided, start_journey) -> Case:
    """Issue 4: the referrer's outcome letter leaves the police's restricted answer out, and says so in
    the sharing log."""
    j = start_journey("4b-outcome-letter")
    page = j.page
    reference = decided.reference
    j.sign_in("manager")
    j.goto(f"/referrals/{reference}/sharing/", "sharing-decided")
    page.get_by_role("button", name="Write to the referrer").click()
    main = page.locator("main")
    expect(main).to_contain_text("Cannot be included")
    expect(main).to_contain_text("Police")
    expect(main).not_to_contain_text(POLICE_SUMMARY)
    j.check("letter-form")
    _submit(page, "Record the letter")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("letter-form-errors")
    page.get_by_label("Secure email").check()
    page.get_by_label("A message to the referrer (optional)").fill("Thank you for acting quickly.")
    _submit(page, "Record the letter")
    expect(page.get_by_role("heading", name="The letter, as sent")).to_be_visible()
    expect(main).to_contain_text(f"Dear {REFERRER}")
    expect(main).to_contain_text("Child and family assessment (section 17)")
    expect(main).not_to_contain_text(POLICE_SUMMARY)
    expect(main).not_to_contain_text("Niche")
    j.check("letter")

    j.goto(f"/referrals/{reference}/sharing/", "sharing-after-letter")
    log = page.get_by_role("table", name=re.compile(r"^Sharing log"))
    expect(log).to_contain_text("Outcome feedback to the referrer")
    expect(log).to_contain_text("Restricted by the agency: MASH manager only")
    expect(log).to_contain_text("Information request sent to an agency")
    expect(log).not_to_contain_text(POLICE_SUMMARY)
    return Case(reference=reference, journey=j)


def test_the_outcome_letter_leaves_restricted_information_out(letter_sent):
    letter_sent.journey.assert_clean()


# ------------------------------------------------------------------ 5. the administrator


def test_administrator_manages_agencies_clock_policy_and_users(start_journey):
    j = start_journey("5-administrator")
    page = j.page
    nav = page.get_by_role("navigation", name="Menu")
    j.sign_in("admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner agencies")
    expect(page.get_by_role("table", name="Partner agencies").locator("tbody tr")).to_have_count(AGENCY_COUNT)
    j.check("agencies")

    page.get_by_role("link", name="Change Housing").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Housing")
    j.check("agency-edit")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Position in lists (optional)").fill("ten")
    _submit(page, "Save")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("agency-edit-errors")
    page.get_by_label("Name", exact=True).fill("Housing")
    page.get_by_label("Position in lists (optional)").fill("100")
    page.get_by_label("Duty inbox email address (optional)").fill("housing-duty@council.example.gov.uk")
    _submit(page, "Save")
    expect(page.get_by_role("row").filter(has_text="Housing")).to_contain_text("housing-duty@council.example.gov.uk")
    j.check("agencies-saved")

    nav.get_by_role("link", name="Clock policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clock policy")
    j.check("clock-policy")
    page.get_by_role("link", name="Change the green clock").click()
    j.check("clock-green")
    page.get_by_label("Hours agencies have to answer").fill("")
    _submit(page, "Save")
    _expect_error_summary(page, "Enter the number of hours")
    j.check("clock-green-errors")
    page.get_by_label("Hours agencies have to answer").fill("48")
    page.get_by_label(re.compile("Working hours")).check()
    _submit(page, "Save")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The Green clock has been changed")
    green = page.locator(".govuk-summary-list__row").filter(has_text="Green")
    expect(green).to_contain_text("48")
    expect(green).to_contain_text("working")
    j.check("clock-policy-saved")

    nav.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    j.check("users")
    page.get_by_role("button", name="Add a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a user")
    j.check("user-add")
    page.get_by_label("Username").fill("camhs-rep2")
    page.get_by_label("First name").fill("Nadia")
    page.get_by_label("Last name").fill("Begum")
    page.get_by_label("Email address").fill("nadia.begum@mh.example.nhs.uk")
    page.get_by_label("Agency representative").check()
    page.get_by_label("Agency", exact=True).select_option(label="Child and adolescent mental health services")
    page.get_by_label("Password", exact=True).fill("short")
    _submit(page, "Save")
    _expect_error_summary(page)
    expect(page.locator("#password-error")).to_be_visible()
    j.check("user-add-errors")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase-2026")
    _submit(page, "Save")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("User camhs-rep2 created")
    expect(page.get_by_role("row").filter(has_text="camhs-rep2")).to_contain_text("Nadia Begum")
    j.check("users-saved")

    nav.get_by_role("link", name="Hub teams").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hub teams")
    j.check("teams")
    page.get_by_role("button", name="Add a team").click()
    _submit(page, "Save")
    _expect_error_summary(page, "Enter a code for the team, like team-a", "Enter the team's name")
    j.check("team-add-errors")
    page.get_by_label("Code").fill("night")
    page.get_by_label("Name").fill("Out-of-hours team")
    _submit(page, "Save")
    expect(page.get_by_role("row").filter(has_text="Out-of-hours team")).to_contain_text("Active")
    page.get_by_role("link", name="Change Out-of-hours team").click()
    page.get_by_label("No", exact=True).check()
    _submit(page, "Save")
    expect(page.get_by_role("row").filter(has_text="Out-of-hours team")).to_contain_text("Inactive")
    j.check("teams-saved")
    j.assert_clean()


# ------------------------------------------------------------------ 6. reports and insight (issue 6)


def test_analyst_and_manager_read_the_reports(decided, start_journey):
    """The analyst starts on the performance measures, filters them, and sees small numbers hidden;
    the insight and hotspots pages read; the manager sees exact counts and opens the referrals behind one."""
    j = start_journey("6-reports")
    page = j.page
    j.sign_in("analyst")
    expect(page.get_by_role("heading", level=1)).to_have_text("Performance measures")
    expect(page.locator("main")).to_contain_text("Counts from 1 to 4 are hidden")
    j.check("performance-analyst")
    page.locator("#id_from-year, [name='from-year']").first.fill("1989")
    _submit(page, "Show the report")
    _expect_error_summary(page)
    j.check("performance-bad-filter")
    page.locator("#id_from-year, [name='from-year']").first.fill(str(dt.date.today().year - 1))
    page.get_by_label("Red").check()
    _submit(page, "Show the report")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("<5")
    j.check("performance-red")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Insight").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    j.check("insight-analyst")
    j.goto("/insight/hotspots/?level=sector", "hotspots-sector")
    j.sign_out()

    j.sign_in("manager")
    j.goto("/reports/", "performance-manager")
    expect(page.locator("main")).not_to_contain_text("Counts from 1 to 4 are hidden")
    page.get_by_label("Team", exact=True).select_option(label="MASH Team A")
    _submit(page, "Show the report")
    expect(page.locator(".app-report-filters")).to_contain_text("MASH Team A")
    j.check("performance-team")
    j.goto("/reports/drilldown/?measure=referrals", "drilldown")
    expect(page.locator("main")).to_contain_text(decided.reference)
    j.assert_clean()
