"""The form pages with the Django test client: bad input is refused with a 400, a GOV.UK error
summary and the message next to its field, and nothing is saved; the multi-page referral form works
end to end; a draft belongs to the user who started it."""

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import User
from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, make_referral, make_triaged
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.people.models import Person, Relationship
from openmash.referrals.models import ClockPolicy, Decision, RatingChange, Referral

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 4, 10, 11, 0, tzinfo=UTC)  # Friday 10 April 2026, 12:00 in London (BST)
DRAFT = "referral_draft"


# ------------------------------------------------------------------ reading a refused page


def summary(page: str) -> list[tuple[str, str]]:
    """(link, text) of each item of the GOV.UK error summary."""
    block = re.search(r'<div class="govuk-error-summary.*?</ul>', page, re.S)
    assert block, "no GOV.UK error summary on the page"
    return [(h, html.unescape(t.strip())) for h, t in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', block.group(0), re.S)]


def field_error(page: str, field_id: str) -> str | None:
    """The GOV.UK error message shown with a field (`<p id="<field>-error" class="govuk-error-message">`)."""
    match = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message[^"]*"[^>]*>\s*'
        r'<span class="govuk-visually-hidden">Error:</span>\s*(.*?)\s*</p>',
        page, re.S,
    )
    return html.unescape(match.group(1)) if match else None


def assert_refused(response, field: str, message: str, anchor: str | None = None):
    """400, the message in the summary linking to the field, and the same message beside the field."""
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert (f"#{anchor or field}", message) in summary(page), summary(page)
    assert field_error(page, field) == message


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def practitioner(hub):
    return client_for(hub["practitioner"])


@pytest.fixture
def manager(hub):
    return client_for(hub["manager"])


def draft(client) -> dict:
    return client.session.get(DRAFT) or {}


def received(day="10", month="4", year="2026", time="9:30am", source="2A"):
    return {"received_date-day": day, "received_date-month": month, "received_date-year": year,
            "received_time": time, "source": source}


PERSON = {"given_name": "Jayden", "family_name": "Smith", "other_names": "", "date_of_birth-day": "3",
          "date_of_birth-month": "7", "date_of_birth-year": "2018", "sex": "M", "ethnicity": "NOBT", "nhs_number": "",
          "upn": "", "address_line_1": "14 Alder Road", "address_line_2": "", "town": "London", "postcode": "SE15 4AB"}


# ------------------------------------------------------------------ recording a referral: bad input


@pytest.mark.parametrize(
    "fields, field, message, anchor",
    [
        pytest.param(received(day="31", month="2"), "received_date", "Date received must be a real date",
                     "received_date-day", id="31-february"),
        pytest.param(received(day="", month="4"), "received_date", "Date received must include a day",
                     "received_date-day", id="no-day"),
        pytest.param(received(time="25:00"), "received_time", "Enter time received as a real time, like 9:30am or 14:30",
                     None, id="25-00"),
        pytest.param(received(time="23:00"), "received_date", "The time the referral was received must be now or in the past",
                     "received_date-day", id="later-today"),
        pytest.param(received(day="11"), "received_date", "The time the referral was received must be now or in the past",
                     "received_date-day", id="tomorrow"),
        pytest.param(received(day="29", month="3", time="1:30am"), "received_time",
                     "That time did not exist in the UK: the clocks went forward an hour. Enter a time after 2am",
                     None, id="clocks-go-forward-gap"),
        pytest.param(received(source=""), "source", "Select where the referral came from", None, id="no-source"),
    ],
)
def test_the_received_page_refuses_bad_times(hub, freeze, practitioner, fields, field, message, anchor):
    freeze(T0)
    response = practitioner.post(reverse("referrals:new-received"), fields)
    assert_refused(response, field, message, anchor)
    assert Referral.objects.count() == 0


def test_the_received_page_takes_a_time_in_the_hour_the_clocks_go_back(hub, freeze, practitioner):
    freeze(dt.datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    response = practitioner.post(reverse("referrals:new-received"), received(day="25", month="10", time="1:30am"))
    assert response.status_code == 302
    assert (draft(practitioner)["received_date"], draft(practitioner)["received_time"]) == ("2026-10-25", "01:30:00")


@pytest.mark.parametrize(
    "changes, field, message, anchor",
    [
        pytest.param({"nhs_number": "943 476 5918"}, "nhs_number",
                     "Enter a valid NHS number – the check digit does not match; check it for a typing mistake", None, id="nhs-number"),
        pytest.param({"upn": "B123456789012"}, "upn",
                     "Enter a valid UPN – the check letter does not match; check it for a typing mistake", None, id="upn"),
        pytest.param({"date_of_birth-day": "11", "date_of_birth-month": "4", "date_of_birth-year": "2026"}, "date_of_birth", "Date of birth must be today or in the past",
                     "date_of_birth-day", id="born-tomorrow"),
        pytest.param({"date_of_birth-year": "2008", "date_of_birth-month": "4", "date_of_birth-day": "10"}, "date_of_birth",
                     "A child must be under 18 on the day the referral was received; record an older person as an adult",
                     "date_of_birth-day", id="18-on-the-day"),
        pytest.param({"postcode": "SE15"}, "postcode", "Enter a real postcode, like SE15 4AB", None, id="postcode"),
        pytest.param({"given_name": "J" * 101}, "given_name", "First name must be 100 characters or fewer", None, id="long-name"),
        pytest.param({"sex": ""}, "sex", "Select the person's sex, or 'Not known'", None, id="no-sex"),
    ],
)
def test_the_new_person_page_refuses_bad_details(hub, freeze, practitioner, changes, field, message, anchor):
    freeze(T0)
    practitioner.post(reverse("referrals:new-received"), received())
    response = practitioner.post(reverse("referrals:new-person-create", kwargs={"kind": "child"}), {**PERSON, **changes})
    assert_refused(response, field, message, anchor)
    assert draft(practitioner)["children"] == []
    assert Person.objects.count() == 0


def test_the_concerns_page_needs_a_concern(hub, freeze, practitioner):
    freeze(T0)
    response = practitioner.post(reverse("referrals:new-concerns"), {"concern_narrative": "Hungry at school."})
    assert_refused(response, "concern_categories", "Select at least one concern")
    assert "concern_categories" not in draft(practitioner)
    response = practitioner.post(reverse("referrals:new-concerns"), {"concern_categories": ["neglect"], "concern_narrative": "x" * 20001})
    assert_refused(response, "concern_narrative", "The description of the concerns must be 20,000 characters or fewer")


def test_the_consent_page_needs_a_reason_when_consent_was_not_sought(hub, freeze, practitioner):
    freeze(T0)
    response = practitioner.post(reverse("referrals:new-consent"), {"family_informed": "no", "consent": "not_sought"})
    assert_refused(response, "consent_notes", "Say why consent was not sought")
    response = practitioner.post(reverse("referrals:new-consent"), {"family_informed": "no"})
    assert_refused(response, "consent", "Select whether consent to share information was given, refused or not sought")
    assert Referral.objects.count() == 0


def test_the_check_page_sends_each_problem_back_to_its_page(hub, freeze, practitioner):
    freeze(T0)
    practitioner.post(reverse("referrals:new-start"))
    response = practitioner.post(reverse("referrals:new-check"))
    assert response.status_code == 400
    links = dict((text, href) for href, text in summary(response.content.decode()))
    assert links["Enter the date and time the hub received the referral"] == reverse("referrals:new-received")
    assert links["Add at least one child"] == reverse("referrals:new-people", kwargs={"kind": "child"})
    assert links["Select at least one concern"] == reverse("referrals:new-concerns")
    assert Referral.objects.count() == 0 and DRAFT in practitioner.session


# ------------------------------------------------------------------ recording a referral: the whole journey


def test_recording_a_referral_through_every_page(hub, freeze, practitioner):
    freeze(T0 - dt.timedelta(days=30))
    earlier = make_referral(hub)  # Kerry Smith is already known to the hub
    kerry = earlier.people.get(kind="adult").person
    freeze(T0)
    people_before = Person.objects.count()

    def go(name, data=None, expect=None, **kwargs):
        response = practitioner.post(reverse(name, kwargs=kwargs or None), data or {})
        assert response.status_code == 302, (name, response.status_code, summary(response.content.decode()) if response.status_code == 400 else "")
        if expect:
            assert response["Location"] == expect
        return response

    go("referrals:new-start", expect=reverse("referrals:new-received"))
    go("referrals:new-received", received(time="10:05"), expect=reverse("referrals:new-referrer"))
    go("referrals:new-referrer", {"anonymous": "no", "referrer_name": "Helen Marsh", "referrer_role": "DSL",
                                  "referrer_organisation": "Oakfield Primary", "referrer_phone": "",
                                  "referrer_email": "h.marsh@oakfield.example.sch.uk"},
       expect=reverse("referrals:new-people", kwargs={"kind": "child"}))
    # Continuing without a child is refused.
    refused = practitioner.post(reverse("referrals:new-people", kwargs={"kind": "child"}))
    assert refused.status_code == 400 and ("#people", "Add at least one child") in summary(refused.content.decode())

    search = practitioner.get(reverse("referrals:new-person-search", kwargs={"kind": "child"}), {"family_name": "Nobody"})
    assert search.status_code == 200
    go("referrals:new-person-create", PERSON, kind="child")
    go("referrals:new-person-create", {**PERSON, "given_name": "Tyler", "date_of_birth-year": "2020", "nhs_number": "943 476 5919"},
       kind="child")
    go("referrals:new-people", kind="child", expect=reverse("referrals:new-people", kwargs={"kind": "adult"}))

    found = practitioner.get(reverse("referrals:new-person-search", kwargs={"kind": "adult"}), {"given_name": "kerry", "family_name": "smith"})
    assert found.status_code == 200 and "Kerry" in found.content.decode()
    go("referrals:new-person-select", {"person_id": kerry.pk}, kind="adult",
       expect=reverse("referrals:new-relationships", kwargs={"index": 0}))
    go("referrals:new-relationships", {"child_0": "mother", "child_1": "mother", "pr_0": "yes", "pr_1": "yes"}, index=0,
       expect=reverse("referrals:new-people", kwargs={"kind": "adult"}))
    go("referrals:new-person-create", {**PERSON, "given_name": "Dean", "family_name": "Cole", "date_of_birth-year": "1990",
                                       "sex": "M"}, kind="adult")
    go("referrals:new-relationships", {"child_0": "parent_partner", "child_1": "parent_partner"}, index=1)
    go("referrals:new-people", kind="adult", expect=reverse("referrals:new-concerns"))
    go("referrals:new-concerns", {"concern_categories": ["neglect", "domestic_abuse"], "concern_narrative": "Hungry; shouting heard."},
       expect=reverse("referrals:new-consent"))
    go("referrals:new-consent", {"family_informed": "no", "consent": "not_sought", "consent_notes": "Would put the children at risk."},
       expect=reverse("referrals:new-check"))
    check = practitioner.get(reverse("referrals:new-check"))
    assert check.status_code == 200
    assert Referral.objects.count() == 1  # nothing written before the practitioner confirms

    done = go("referrals:new-check")
    referral = Referral.objects.exclude(pk=earlier.pk).get()
    assert done["Location"] == reverse("referrals:new-done", kwargs={"reference": referral.reference})
    assert DRAFT not in practitioner.session
    page = practitioner.get(done["Location"])
    assert page.status_code == 200 and referral.reference in page.content.decode()

    assert referral.received_at == dt.datetime(2026, 4, 10, 9, 5, tzinfo=UTC)  # 10:05 BST
    assert (referral.source, referral.referrer_name, referral.referrer_email, referral.consent) == (
        "2A", "Helen Marsh", "h.marsh@oakfield.example.sch.uk", "not_sought",
    )
    children = [link.person for link in referral.people.filter(kind="child").order_by("position")]
    adults = [link.person for link in referral.people.filter(kind="adult").order_by("position")]
    assert [c.given_name for c in children] == ["Jayden", "Tyler"] and children[1].nhs_number == "9434765919"
    assert adults[0].pk == kerry.pk and adults[1].given_name == "Dean"
    assert Person.objects.count() == people_before + 3
    assert set(Relationship.objects.filter(source_referral=referral).values_list("adult__given_name", "child__given_name", "kind",
                                                                                   "parental_responsibility")) == {
        ("Kerry", "Jayden", "mother", True), ("Kerry", "Tyler", "mother", True),
        ("Dean", "Jayden", "parent_partner", None), ("Dean", "Tyler", "parent_partner", None),
    }
    assert set(referral.concerns.values_list("category", flat=True)) == {"neglect", "domestic_abuse"}
    # A second submission of the same page cannot record it twice.
    again = practitioner.post(reverse("referrals:new-check"))
    assert again.status_code == 400 and Referral.objects.count() == 2


def test_a_draft_belongs_to_the_user_who_started_it(hub, freeze):
    freeze(T0)
    browser = Client()
    browser.force_login(hub["practitioner"])
    browser.post(reverse("referrals:new-received"), received())
    browser.post(reverse("referrals:new-referrer"), {"anonymous": "no", "referrer_name": "Helen Marsh", "referrer_phone": "020 7946 0123"})
    assert draft(browser)["owner"] == hub["practitioner"].pk
    # The manager signs in on the same browser without the practitioner signing out.
    session = browser.session
    session["_auth_user_id"] = str(hub["manager"].pk)
    session["_auth_user_hash"] = hub["manager"].get_session_auth_hash()
    session.save()
    page = html.unescape(browser.get(reverse("referrals:new-referrer")).content.decode())
    assert "Helen Marsh" not in page
    check = html.unescape(browser.get(reverse("referrals:new-check")).content.decode())
    assert "Helen Marsh" not in check
    assert draft(browser)["owner"] == hub["manager"].pk


# ------------------------------------------------------------------ triage and decision pages


def test_the_triage_page_refuses_bad_input(hub, freeze, manager):
    freeze(T0)
    referral = make_referral(hub)
    url = reverse("referrals:triage", kwargs={"reference": referral.reference})
    assert_refused(manager.post(url, {"rationale": "DV.", "agencies": ["police"]}), "rating", "Select a rating: Urgent, Red, Amber or Green")
    assert_refused(manager.post(url, {"rating": "red", "agencies": ["police"]}), "rationale", "Give the reason for this rating")
    assert_refused(manager.post(url, {"rating": "red", "rationale": "DV."}), "agencies", "Select at least one agency to ask for information")
    assert_refused(manager.post(url, {"rating": "red", "rationale": "DV.", "agencies": ["fire-service"]}), "agencies", "Select agencies from the list")
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage"
    assert not InformationRequest.objects.exists() and not RatingChange.objects.exists()
    ok = manager.post(url, {"rating": "amber", "rationale": "DV.", "agencies": ["police", "education"]})
    assert ok.status_code == 302
    assert InformationRequest.objects.filter(referral=referral).count() == 2


def test_the_decision_page_refuses_bad_input(hub, freeze, manager):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    answer(hub, referral, "police")
    jayden, tyler = [link.person for link in referral.people.filter(kind="child").order_by("position")]
    url = reverse("referrals:decision", kwargs={"reference": referral.reference})
    base = {"rationale": "Early help will meet the need.", "threshold_level": "2", "referrer_informed": "yes",
            "referrer_informed_method": "phone", f"outcome_{jayden.pk}": "early_help"}
    assert_refused(manager.post(url, {**base, "early_decision_reason": "Seen today."}), f"outcome_{tyler.pk}",
                   "Select the outcome for Tyler Smith")
    assert_refused(manager.post(url, {**base, f"outcome_{tyler.pk}": "nfa"}), "early_decision_reason",
                   "Some agencies have not answered yet; give the reason for deciding before they do")
    assert_refused(manager.post(url, {**base, f"outcome_{tyler.pk}": "nfa", "early_decision_reason": "Seen today.",
                                      "referrer_informed_method": ""}),
                   "referrer_informed_method", "Select how the referrer was told")
    assert not Decision.objects.exists()
    assert InformationRequest.objects.get(referral=referral, agency__code="education").status == "open"
    ok = manager.post(url, {**base, f"outcome_{tyler.pk}": "nfa", "early_decision_reason": "Seen today."})
    assert ok.status_code == 302
    assert Decision.objects.get(referral=referral).outcomes.count() == 2


# ------------------------------------------------------------------ the agency's answer form


def test_the_answer_form_refuses_incomplete_answers(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    request = InformationRequest.objects.get(referral=referral)
    rep = client_for(hub["police-rep"])
    url = reverse("information_requests:detail", kwargs={"request_id": request.pk})
    assert_refused(rep.post(url, {"outcome": "held", "summary": " ", "restriction": "none"}), "summary",
                   "Summarise the information your agency holds")
    assert_refused(rep.post(url, {"outcome": "declined"}), "decline_reason", "Give the reason for declining to share")
    assert_refused(rep.post(url, {}), "outcome",
                   "Select whether your agency holds information, does not know the family, or declines")
    assert not InformationAnswer.objects.exists()
    request.refresh_from_db()
    assert request.status == "open"
    ok = rep.post(url, {"outcome": "declined", "decline_reason": "Live investigation."})
    assert ok.status_code == 302
    assert InformationAnswer.objects.get(request=request).decline_reason == "Live investigation."
    # Another agency's representative cannot even find it.
    assert client_for(hub["education-rep"]).post(url, {"outcome": "not_known"}).status_code == 404


# ------------------------------------------------------------------ administration pages


def test_the_agency_pages_refuse_bad_input(hub):
    admin = client_for(hub["admin"])
    url = reverse("agencies:create")
    base = {"code": "fire", "name": "Fire and rescue", "duty_inbox_email": "", "sort_order": "", "active": "yes"}
    assert_refused(admin.post(url, {**base, "code": "fire service!"}), "code",
                   "Code must be 2 to 40 lower-case letters, digits and hyphens, starting with a letter")
    assert_refused(admin.post(url, {**base, "code": "police"}), "code", "Another agency already has this code")
    assert_refused(admin.post(url, {**base, "name": "POLICE"}), "name", "Another agency already has this name")
    assert not Agency.objects.filter(code="fire").exists() and Agency.objects.count() == 16
    edit = reverse("agencies:edit", kwargs={"code": "gp"})
    assert_refused(admin.post(edit, {"name": "Police", "active": "yes"}), "name", "Another agency already has this name")
    assert Agency.objects.get(code="gp").name == "GP liaison"


def test_the_user_pages_refuse_bad_input(hub):
    admin = client_for(hub["admin"])
    url = reverse("accounts:user-create")
    base = {"username": "newrep", "first_name": "Nia", "last_name": "Okoro", "email": "nia@council.example.gov.uk",
            "role": "agency_rep", "agency": "police", "job_title": "", "is_active": "yes", "password": "a long enough pass phrase"}
    assert_refused(admin.post(url, {**base, "password": "short"}), "password",
                   "This password is too short. It must contain at least 12 characters.")
    assert_refused(admin.post(url, {**base, "agency": ""}), "agency", "Select the agency this representative works for")
    assert_refused(admin.post(url, {**base, "username": "Police-Rep"}), "username", "A user with this username already exists")
    assert not User.objects.filter(username="newrep").exists()
    edit = reverse("accounts:user-edit", kwargs={"user_id": hub["police-rep"].pk})
    assert_refused(admin.post(edit, {**base, "agency": ""}), "agency", "Select the agency this representative works for")
    assert User.objects.get(username="police-rep").agency.code == "police"


@pytest.mark.parametrize(
    "hours, message",
    [
        ("abc", "Enter the number of hours as a number, like 4 or 1.5"),
        ("", "Enter the number of hours"),
        ("0", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ("0.05", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ("-1", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ("1000", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
        ("10000", "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)"),
    ],
)
def test_the_clock_policy_page_refuses_bad_hours(hub, hours, message):
    admin = client_for(hub["admin"])
    response = admin.post(reverse("referrals:clock-policy-edit", kwargs={"rating": "red"}), {"hours": hours, "basis": "calendar"})
    assert_refused(response, "hours", message)
    assert ClockPolicy.objects.get(rating="red").minutes == 240
    assert not AuditEvent.objects.filter(action__startswith="clock_policy").exists()


def test_the_clock_policy_page_saves_good_hours(hub):
    admin = client_for(hub["admin"])
    response = admin.post(reverse("referrals:clock-policy-edit", kwargs={"rating": "red"}), {"hours": "2.5", "basis": "working"})
    assert response.status_code == 302
    policy = ClockPolicy.objects.get(rating="red")
    assert (policy.minutes, policy.basis) == (150, "working")


@pytest.mark.parametrize("reference", ["MASH%00X", "MASH-2026-000001%00", "x" * 40, "MASH 2026"])
def test_a_reference_that_cannot_exist_is_not_found_on_every_referral_page(hub, login, reference):
    client = login(hub["manager"])
    for suffix in ("", "triage/", "decision/"):
        assert client.get(f"/referrals/{reference}/{suffix}").status_code == 404
