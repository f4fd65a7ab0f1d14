"""The sharing pages with the Django test client: each form's happy path, each kind of bad input shown
next to its field with nothing written, role refusals, what an agency sees of the referrer, the
outcome letter leaving restricted answers out, and the sharing-log search and its CSV export."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from openmash.core.testing.factories import answer, authorised_override, decide, give_consent, make_referral, make_triaged
from openmash.information_requests.models import InformationRequest
from openmash.sharing.models import ConsentEntry, ConsentOverride, LawfulBasis, OutcomeLetter, ReferrerRelease, SharingEvent
from openmash.sharing.services import override_propose, referrer_release

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 4, 10, 11, 0, tzinfo=UTC)  # Friday 10 April 2026, 12:00 in London (BST)
BASES = ["uk-gdpr-6-1-e", "dpa-2018-sch1-p18"]


# ------------------------------------------------------------------ reading a page


def raw(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page's words: tags dropped, entities decoded, white space collapsed."""
    words = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", words))).replace(" ,", ",").replace(" .", ".")


def summary(page: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="govuk-error-summary.*?</ul>', page, re.S)
    assert block, "no GOV.UK error summary on the page"
    return [(h, html.unescape(t.strip())) for h, t in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', block.group(0), re.S)]


def field_error(page: str, field_id: str) -> str | None:
    match = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message[^"]*"[^>]*>\s*'
        r'<span class="govuk-visually-hidden">Error:</span>\s*(.*?)\s*</p>',
        page, re.S,
    )
    return html.unescape(match.group(1)) if match else None


def assert_refused(response, field: str, message: str, anchor: str | None = None):
    """400, the message in the error summary linking to the field, and the same message beside it."""
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert (f"#{anchor or field}", message) in summary(page), summary(page)
    assert field_error(page, field) == message, field_error(page, field)


def assert_form_error(response, message: str):
    """400 and a form-level message (a Conflict from the service) in the error summary."""
    assert response.status_code == 400, response.status_code
    assert any(message in text for _, text in summary(response.content.decode())), summary(response.content.decode())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_(hub):
    return lambda username: client_for(hub[username])


def people(referral, kind=None):
    qs = referral.people.all()
    if kind:
        qs = qs.filter(kind=kind)
    return [str(pk) for pk in qs.values_list("person_id", flat=True)]


def url(name, referral=None, **kwargs):
    if referral is not None:
        kwargs["reference"] = referral.reference
    return reverse(f"sharing:{name}", kwargs=kwargs)


# ------------------------------------------------------------------ the Summary and Sharing tabs


def test_the_sharing_tab_shows_consent_cover_history_and_log(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    response = as_("practitioner").get(url("referral", referral))
    assert response.status_code == 200
    page = text_of(response)
    assert 'aria-current="page">Sharing</a>' in raw(response) and ">Summary</a>" in raw(response)
    assert "Yes – consent covers the 2 agencies asked" in page
    assert "Given by Kerry Smith (a parent with parental responsibility), verbally" in page
    assert "Information request sent to an agency" in page and "MASH → to Police" in page
    assert page.count("Record consent for") == 3
    # Consent is not missing, so there is nothing to propose from the answer box; the button is still there.
    assert "Propose sharing without consent" in page


def test_the_sharing_tab_says_what_is_not_covered_and_what_can_be_done(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    give_consent(hub, referral, agencies=["education"])
    page = text_of(as_("practitioner").get(url("referral", referral)))
    assert "No – not yet" in page
    assert "Police – not covered by consent from Jayden Smith, Kerry Smith, Tyler Smith" in page
    assert "Education –" not in page
    assert reverse("sharing:override-propose", kwargs={"reference": referral.reference}) in raw(as_("practitioner").get(url("referral", referral)))


def test_the_summary_page_warns_when_information_cannot_be_shared(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    response = as_("manager").get(reverse("referrals:detail", kwargs={"reference": referral.reference}))
    page = text_of(response)
    assert 'aria-current="page">Summary</a>' in raw(response)
    assert "Information cannot be shared yet: consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover sharing with any agency, and no override is authorised." in page
    assert f'href="/referrals/{referral.reference}/sharing/#can-share"' in raw(response)
    # The referral-level consent is labelled as what the referrer said, not as the current position.
    assert "Consent – what the referrer told us" in page and "Family told – at referral" in page


def test_the_summary_page_has_no_warning_when_consent_covers(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    page = text_of(as_("manager").get(reverse("referrals:detail", kwargs={"reference": referral.reference})))
    assert "cannot be shared yet" not in page and "Urgent: information requests went out" not in page


def test_the_summary_page_warns_when_urgent_requests_went_out_before_an_override(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, rating="urgent", agencies=["police"], with_consent=False)
    page = text_of(as_("manager").get(reverse("referrals:detail", kwargs={"reference": referral.reference})))
    assert "Urgent: information requests went out before consent or an authorised override covered them" in page
    sharing = text_of(as_("manager").get(url("referral", referral)))
    assert "1 information request went out before consent or an authorised override covered it" in sharing
    authorised_override(hub, referral)
    page = text_of(as_("manager").get(reverse("referrals:detail", kwargs={"reference": referral.reference})))
    assert "Urgent: information requests went out" not in page


SHARING_PAGES = ["referral", "consent", "override-propose", "referrer-release", "letter-new"]


@pytest.mark.parametrize("username", ["police-rep", "education-rep", "analyst", "admin", "ig"])
def test_a_referrals_sharing_pages_do_not_exist_for_anyone_outside_the_hub(hub, freeze, as_, username):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    answer(hub, referral, "police")
    decide(hub, referral)
    referral.refresh_from_db()
    from openmash.sharing.services import LetterInput, outcome_letter_create

    letter = outcome_letter_create(user=hub["manager"], referral=referral, data=LetterInput(channel="phone", include_answer_ids=[], not_shared_reason="Not needed."))
    client = as_(username)
    urls = [url(name, referral) for name in SHARING_PAGES]
    urls += [url("override-authorise", referral, override_id=override.pk), url("override-reject", referral, override_id=override.pk)]
    urls += [url("letter", referral, letter_id=letter.pk)]
    before = (ConsentEntry.objects.count(), ConsentOverride.objects.count(), ReferrerRelease.objects.count(), OutcomeLetter.objects.count())
    for address in urls:
        assert client.get(address).status_code == 404, address
        assert client.post(address, {"reason": "x", "second_reason": "y", "agencies": ["police"]}).status_code == 404, address
    assert (ConsentEntry.objects.count(), ConsentOverride.objects.count(), ReferrerRelease.objects.count(), OutcomeLetter.objects.count()) == before
    assert ConsentOverride.objects.get(pk=override.pk).status == "proposed"


# ------------------------------------------------------------------ recording consent


def consent_post(referral, **fields):
    data = {
        "person_ids": people(referral, "child"), "family_informed": "yes", "sought": "yes", "outcome": "given",
        "given_by": "parent_pr", "given_by_name": "Kerry Smith", "obtained_date-day": "10", "obtained_date-month": "4",
        "obtained_date-year": "2026", "obtained_time": "9:30am", "method": "written", "scope_agencies": ["all"],
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_recording_consent_makes_one_entry_per_person_and_says_so(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    client = as_("practitioner")
    assert client.get(url("consent", referral)).status_code == 200
    response = client.post(url("consent", referral), consent_post(referral))
    assert response.status_code == 302
    assert response.url == url("referral", referral) + "#consent"
    entries = list(ConsentEntry.objects.filter(referral=referral))
    assert sorted(str(e.person_id) for e in entries) == sorted(people(referral, "child"))
    # 9:30am on 10 April 2026 in London (British Summer Time) is 08:30 UTC.
    assert all(e.obtained_at == dt.datetime(2026, 4, 10, 8, 30, tzinfo=UTC) and e.scope_all_agencies for e in entries)
    page = text_of(client.get(response.url))
    assert "Consent recorded for Jayden Smith, Tyler Smith." in page


def test_consent_not_sought_needs_only_the_reason_and_ignores_hidden_answers(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    # A half-typed date under "Yes" (hidden once "No" was chosen) must not stop the form.
    response = as_("practitioner").post(url("consent", referral), consent_post(
        referral, person_ids=people(referral), sought="no", not_sought_reason="risk_to_child", family_informed="no",
        **{"obtained_date-day": "99", "obtained_time": "nonsense", "outcome": "given"},
    ))
    assert response.status_code == 302
    entries = ConsentEntry.objects.filter(referral=referral)
    assert entries.count() == 3
    assert {(e.sought, e.not_sought_reason, e.outcome, e.obtained_at) for e in entries} == {("no", "risk_to_child", "", None)}


def test_consent_given_to_chosen_agencies_only(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    response = as_("practitioner").post(url("consent", referral), consent_post(referral, scope_agencies=["gp", "education"]))
    assert response.status_code == 302
    assert {tuple(e.scope_agencies) for e in ConsentEntry.objects.filter(referral=referral)} == {("education", "gp")}


@pytest.mark.parametrize(
    "fields, field, message, anchor",
    [
        ({"person_ids": None}, "person_ids", "Select the people this consent is about", None),
        ({"family_informed": None}, "family_informed", "Select whether the family knows about the referral", None),
        ({"sought": None}, "sought", "Select whether consent to share was sought", None),
        ({"sought": "no"}, "not_sought_reason", "Select why consent was not sought", None),
        ({"sought": "no", "not_sought_reason": "other"}, "notes", "Say why consent was not sought", None),
        ({"outcome": None}, "outcome", "Select whether consent was given, refused or withdrawn", None),
        ({"given_by": None}, "given_by", "Select who gave consent", None),
        ({"given_by_name": ""}, "given_by_name", "Give the name of the parent or carer", None),
        ({"given_by": "self"}, "given_by", "For a child, choose the young person or a parent or carer with parental responsibility", None),
        ({"method": None}, "method", "Select how: verbally or in writing", None),
        ({"obtained_date-day": "", "obtained_date-month": "", "obtained_date-year": "", "obtained_time": ""},
         "obtained_date", "Give the date and time consent was given", "obtained_date-day"),
        ({"obtained_date-day": "31", "obtained_date-month": "2"}, "obtained_date", "Date must be a real date", "obtained_date-day"),
        ({"obtained_date-day": "11"}, "obtained_date", "The date and time must not be in the future", "obtained_date-day"),
        ({"obtained_time": ""}, "obtained_time", "Enter the time, like 9:30am or 14:30", None),
        ({"obtained_time": "25:00"}, "obtained_time", "Enter time as a real time, like 9:30am or 14:30", None),
        ({"scope_agencies": None}, "scope_agencies", "Select every partner agency, or the agencies the consent covers", None),
        ({"scope_agencies": ["all", "police"]}, "scope_agencies", "Select every partner agency, or only the agencies the consent covers, not both", None),
        ({"scope_agencies": ["nonsense"]}, "scope_agencies", "Select agencies from the list", None),
        ({"notes": "x" * 2001}, "notes", "Notes must be 2,000 characters or fewer", None),
    ],
)
def test_the_consent_form_refuses_bad_input_and_writes_nothing(hub, freeze, as_, fields, field, message, anchor):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    response = as_("practitioner").post(url("consent", referral), consent_post(referral, **fields))
    assert_refused(response, field, message, anchor)
    assert not ConsentEntry.objects.filter(referral=referral).exists()


def test_the_consent_form_shows_every_problem_at_once(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    client = as_("practitioner")
    page = client.post(url("consent", referral), {}).content.decode()
    assert [text for _, text in summary(page)] == [
        "Select the people this consent is about", "Select whether the family knows about the referral",
        "Select whether consent to share was sought",
    ]
    # A date that is not a date, and the service's own rules, in one go.
    response = client.post(url("consent", referral), consent_post(referral, given_by=None, **{"obtained_date-day": "32"}))
    assert [text for _, text in summary(response.content.decode())] == ["Select who gave consent", "Date must be a real date"]
    assert not ConsentEntry.objects.filter(referral=referral).exists()


def test_the_consent_form_refuses_a_person_not_on_the_referral(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    other = make_referral(hub, with_consent=False)
    response = as_("practitioner").post(url("consent", referral), consent_post(referral, person_ids=people(other, "child")[:1]))
    assert_refused(response, "person_ids", "Select people from the list")
    assert not ConsentEntry.objects.filter(referral=referral).exists()


def test_consent_withdrawn_is_a_new_entry_and_stops_sharing(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    client = as_("practitioner")
    before = ConsentEntry.objects.filter(referral=referral).count()
    response = client.post(url("consent", referral), consent_post(referral, outcome="withdrawn", method="verbal", scope_agencies=None))
    assert response.status_code == 302
    assert ConsentEntry.objects.filter(referral=referral).count() == before + 2
    page = text_of(client.get(url("referral", referral)))
    assert "Withdrawn by Kerry Smith" in page and "Earlier entry" in page and "No – not yet" in page


# ------------------------------------------------------------------ proposing an override


def test_proposing_an_override_through_the_page(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    client = as_("practitioner")
    page = client.get(url("override-propose", referral)).content.decode()
    # One fieldset per kind of basis, each with its legend; only active bases are offered.
    for legend in ("UK GDPR Article 6 – lawful basis", "Special-category and criminal-offence data – condition",
                   "Law-enforcement processing (DPA 2018 Part 3)", "Statutory power or duty"):
        assert re.search(rf"<legend[^>]*>\s*{re.escape(legend)}\s*</legend>", page), legend
    response = client.post(url("override-propose", referral), {"lawful_basis": BASES, "reason": "Telling the family would put the children at risk."})
    assert response.status_code == 302 and response.url.endswith("#overrides")
    override = ConsentOverride.objects.get(referral=referral)
    assert override.status == "proposed" and sorted(override.bases.values_list("code", flat=True)) == sorted(BASES)
    assert "A MASH manager must authorise it before information is shared." in text_of(client.get(response.url))


def test_a_retired_basis_is_not_offered(hub, freeze, as_):
    freeze(T0)
    LawfulBasis.objects.filter(code="ca-1989-s17").update(active=False)
    referral = make_referral(hub, with_consent=False)
    client = as_("practitioner")
    assert 'value="ca-1989-s17"' not in client.get(url("override-propose", referral)).content.decode()
    response = client.post(url("override-propose", referral), {"lawful_basis": ["ca-1989-s17"], "reason": "Risk."})
    assert_refused(response, "lawful_basis", "Select lawful bases from the list")


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reason": "Risk."}, "lawful_basis", "Select at least one lawful basis"),
        ({"lawful_basis": ["made-up"], "reason": "Risk."}, "lawful_basis", "Select lawful bases from the list"),
        ({"lawful_basis": BASES, "reason": "   "}, "reason", "Give the reason for sharing without consent"),
        ({"lawful_basis": BASES, "reason": "x" * 5001}, "reason", "The reason must be 5,000 characters or fewer"),
    ],
)
def test_the_override_form_refuses_bad_input_and_writes_nothing(hub, freeze, as_, data, field, message):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    assert_refused(as_("practitioner").post(url("override-propose", referral), data), field, message)
    assert not ConsentOverride.objects.filter(referral=referral).exists()


def test_the_override_form_shows_every_problem_at_once(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    page = as_("practitioner").post(url("override-propose", referral), {}).content.decode()
    assert [text for _, text in summary(page)] == ["Select at least one lawful basis", "Give the reason for sharing without consent"]


def test_a_second_override_cannot_be_proposed_while_one_waits(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Risk.")
    client = as_("practitioner")
    page = text_of(client.get(url("override-propose", referral)))
    assert "An override is already waiting for a MASH manager" in page and 'name="reason"' not in raw(client.get(url("override-propose", referral)))
    response = client.post(url("override-propose", referral), {"lawful_basis": BASES, "reason": "Again."})
    assert_form_error(response, "An override is already waiting for a MASH manager; authorise or reject it first")
    assert ConsentOverride.objects.filter(referral=referral).count() == 1


# ------------------------------------------------------------------ authorising and rejecting


@pytest.fixture
def proposed(hub, freeze):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    override = override_propose(user=hub["practitioner"], referral=referral, basis_codes=BASES, reason="Telling the family would put the children at risk.")
    return referral, override


def test_a_practitioner_cannot_authorise_or_reject(hub, as_, proposed):
    referral, override = proposed
    client = as_("practitioner")
    for name, data in (("override-authorise", {}), ("override-reject", {"reason": "No."})):
        address = url(name, referral, override_id=override.pk)
        assert client.get(address).status_code == 403
        assert client.post(address, data).status_code == 403
    override.refresh_from_db()
    assert override.status == "proposed" and override.decided_by is None
    # The Sharing tab offers them no such buttons.
    page = client.get(url("referral", referral)).content.decode()
    assert url("override-authorise", referral, override_id=override.pk) not in page


def test_a_manager_authorises_a_practitioners_proposal(hub, as_, proposed):
    referral, override = proposed
    client = as_("manager")
    address = url("override-authorise", referral, override_id=override.pk)
    page = text_of(client.get(address))
    assert "Telling the family would put the children at risk." in page and "second reason" not in page
    response = client.post(address, {})
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.status == "authorised" and override.decided_by == hub["manager"] and not override.self_authorised
    tab = text_of(client.get(response.url))
    assert "Sharing without consent authorised for" in tab
    assert "Yes – sharing without consent is authorised" in tab and "Self-authorised" not in tab


def test_self_authorisation_needs_a_second_reason_and_is_flagged(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    override = override_propose(user=hub["manager"], referral=referral, basis_codes=BASES, reason="Risk to the children.")
    client = as_("manager")
    address = url("override-authorise", referral, override_id=override.pk)
    page = text_of(client.get(address))
    assert "You proposed this override yourself" in page and "Your second reason for authorising it yourself" in page
    assert_refused(client.post(address, {}), "second_reason", "You proposed this override: give a second reason to authorise it yourself")
    assert_refused(client.post(address, {"second_reason": " risk to the children. "}), "second_reason", "The second reason must say something the first does not")
    override.refresh_from_db()
    assert override.status == "proposed"
    response = client.post(address, {"second_reason": "No other manager is on duty tonight and the police need the checks now."})
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.status == "authorised" and override.self_authorised
    tab = text_of(client.get(response.url))
    assert "flagged as self-authorised" in tab and "Self-authorised: second reason" in tab
    report = text_of(as_("ig").get(url("override-report") + "?self_authorised=on"))
    assert referral.reference in report and "No other manager is on duty tonight" in report


def test_rejecting_needs_a_reason(hub, as_, proposed):
    referral, override = proposed
    client = as_("manager")
    address = url("override-reject", referral, override_id=override.pk)
    assert client.get(address).status_code == 200
    assert_refused(client.post(address, {"reason": ""}), "reason", "Give the reason for rejecting the override")
    override.refresh_from_db()
    assert override.status == "proposed"
    response = client.post(address, {"reason": "Consent has not been sought; seek it first."})
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.status == "rejected" and override.decision_reason == "Consent has not been sought; seek it first."
    tab = text_of(client.get(response.url))
    assert "Why it was rejected" in tab and "Consent has not been sought; seek it first." in tab
    # Once rejected, another can be proposed.
    assert "Propose sharing without consent" in tab


def test_an_override_is_found_only_under_its_own_referral(hub, as_, proposed):
    referral, override = proposed
    other = make_referral(hub)
    client = as_("manager")
    for name in ("override-authorise", "override-reject"):
        assert client.get(url(name, other, override_id=override.pk)).status_code == 404
        assert client.post(url(name, other, override_id=override.pk), {"reason": "x"}).status_code == 404
        assert client.get(url(name, referral, override_id=override.pk + 1000)).status_code == 404
    override.refresh_from_db()
    assert override.status == "proposed"


def test_an_override_already_decided_cannot_be_decided_again(hub, as_, proposed):
    referral, override = proposed
    client = as_("manager")
    client.post(url("override-authorise", referral, override_id=override.pk), {})
    page = text_of(client.get(url("override-reject", referral, override_id=override.pk)))
    assert "This override has already been authorised by" in page and 'name="reason"' not in raw(client.get(url("override-reject", referral, override_id=override.pk)))
    assert_form_error(client.post(url("override-reject", referral, override_id=override.pk), {"reason": "Too late."}), "This override has already been authorised")
    override.refresh_from_db()
    assert override.status == "authorised"


# ------------------------------------------------------------------ the referrer's identity


def test_only_a_manager_releases_the_referrer(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    client = as_("practitioner")
    assert client.get(url("referrer-release", referral)).status_code == 403
    assert client.post(url("referrer-release", referral), {"agencies": ["police"], "reason": "Statement."}).status_code == 403
    assert not ReferrerRelease.objects.exists()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reason": "The police need a statement."}, "agencies", "Select the agencies that may see who made the referral"),
        ({"agencies": ["education"], "reason": "x"}, "agencies", "Select agencies that have been asked on this referral"),
        ({"agencies": ["police"], "reason": ""}, "reason", "Give the reason for releasing the referrer's identity"),
    ],
)
def test_the_release_form_refuses_bad_input(hub, freeze, as_, data, field, message):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    assert_refused(as_("manager").post(url("referrer-release", referral), data), field, message)
    assert not ReferrerRelease.objects.exists()


def test_the_agency_sees_the_referrer_only_after_release(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education"])
    request = referral.requests.get(agency__code="police")
    rep = as_("police-rep")
    request_page = reverse("information_requests:detail", kwargs={"request_id": request.pk})
    before = text_of(rep.get(request_page))
    assert "Helen Marsh" not in before and "020 7946 0123" not in before
    assert "Not shared with your agency" in before
    manager = as_("manager")
    assert manager.get(url("referrer-release", referral)).status_code == 200
    response = manager.post(url("referrer-release", referral), {"agencies": ["police"], "reason": "The police need a statement."})
    assert response.status_code == 302 and response.url.endswith("#referrer")
    assert "Who made the referral can now be seen by Police." in text_of(manager.get(response.url))
    after = text_of(rep.get(request_page))
    assert "Helen Marsh, Designated safeguarding lead, Oakfield Primary" in after and "020 7946 0123" in after
    # Another agency still does not.
    education = referral.requests.get(agency__code="education")
    other = text_of(as_("education-rep").get(reverse("information_requests:detail", kwargs={"request_id": education.pk})))
    assert "Helen Marsh" not in other
    assert SharingEvent.objects.filter(referral=referral, kind="referrer_released", to_agency__code="police").count() == 1


def test_an_anonymous_referrer_has_nothing_to_release(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"], referrer_anonymous=True, referrer_name="", referrer_phone="")
    client = as_("manager")
    assert "The referrer is anonymous: there is no identity to release." in text_of(client.get(url("referral", referral)))
    assert "Release to agencies" not in text_of(client.get(url("referral", referral)))
    page = text_of(client.get(url("referrer-release", referral)))
    assert "The referrer is anonymous" in page and 'name="reason"' not in raw(client.get(url("referrer-release", referral)))


# ------------------------------------------------------------------ the outcome letter


@pytest.fixture
def decided(hub, freeze):
    """Decided: Police restricted its answer to managers, Education shared, the GP does not know the family."""
    freeze(T0)
    referral = make_triaged(hub, agencies=["police", "education", "gp"])
    answer(hub, referral, "police", summary="Father has a conviction for violence (2019).", restriction="manager_only")
    answer(hub, referral, "education", summary="Attendance 71% this term.")
    answer(hub, referral, "gp", outcome="not_known")
    decide(hub, referral)
    referral.refresh_from_db()
    return referral


def test_the_letter_form_offers_only_unrestricted_information(hub, as_, decided):
    response = as_("manager").get(url("letter-new", decided))
    assert response.status_code == 200
    page = text_of(response)
    assert "Attendance 71% this term." in page
    assert "Cannot be included – restricted by Police: MASH manager only" in page
    assert "conviction" not in page
    police = decided.requests.get(agency__code="police").answers.get()
    education = decided.requests.get(agency__code="education").answers.get()
    raw = response.content.decode()
    assert f'value="{education.pk}"' in raw and f'value="{police.pk}"' not in raw
    assert "GP liaison (not known to us)" in page
    assert 'value="in_service"' not in raw


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"include_answer_ids": ["EDUCATION"]}, "channel", "Select how the letter goes to the referrer"),
        ({"channel": "in_service", "include_answer_ids": ["EDUCATION"]}, "channel", "Select how the letter goes to the referrer"),
        ({"channel": "phone"}, "not_shared_reason", "Say why the information not included is being withheld from the referrer"),
        ({"channel": "phone", "include_answer_ids": ["POLICE"]}, "include_answer_ids", "Police's answer is restricted (MASH manager only) and cannot go to the referrer"),
        ({"channel": "phone", "include_answer_ids": ["abc"]}, "include_answer_ids", "Select answers from the list"),
        ({"channel": "phone", "include_answer_ids": ["EDUCATION"], "message": "x" * 2001}, "message", "The message must be 2,000 characters or fewer"),
    ],
)
def test_the_letter_form_refuses_bad_input_and_writes_nothing(hub, as_, decided, data, field, message):
    ids = {"POLICE": str(decided.requests.get(agency__code="police").answers.get().pk),
           "EDUCATION": str(decided.requests.get(agency__code="education").answers.get().pk)}
    data = {k: [ids.get(x, x) for x in v] if isinstance(v, list) else v for k, v in data.items()}
    assert_refused(as_("manager").post(url("letter-new", decided), data), field, message)
    assert not OutcomeLetter.objects.exists()
    assert not SharingEvent.objects.filter(kind="outcome_letter").exists()


def test_the_letter_form_shows_every_problem_at_once(hub, as_, decided):
    page = as_("manager").post(url("letter-new", decided), {}).content.decode()
    assert [text for _, text in summary(page)] == [
        "Select how the letter goes to the referrer", "Say why the information not included is being withheld from the referrer",
    ]


def test_writing_the_letter_leaves_restricted_information_out_and_shows_it_as_sent(hub, as_, decided):
    education = decided.requests.get(agency__code="education").answers.get()
    client = as_("manager")
    response = client.post(url("letter-new", decided), {"channel": "secure_email", "include_answer_ids": [str(education.pk)], "message": "Thank you for your call."})
    assert response.status_code == 302
    letter = OutcomeLetter.objects.get(referral=decided)
    assert response.url == url("letter", decided, letter_id=letter.pk)
    page = text_of(client.get(response.url))
    assert "The outcome letter has been recorded and logged as a disclosure." in page
    assert "Helen Marsh, Designated safeguarding lead, Oakfield Primary" in page and "Secure email" in page
    assert "- Education: Attendance 71% this term." in page and "Thank you for your call." in page
    assert "conviction" not in page
    assert re.search(r'<pre class="app-letter__body">Dear Helen Marsh,\n\nThank you for your referral', client.get(response.url).content.decode())
    # A practitioner may read the letter, but not write one.
    practitioner = as_("practitioner")
    assert practitioner.get(response.url).status_code == 200
    assert practitioner.get(url("letter-new", decided)).status_code == 403
    assert practitioner.post(url("letter-new", decided), {"channel": "phone", "not_shared_reason": "x"}).status_code == 403
    assert OutcomeLetter.objects.count() == 1
    tab = text_of(client.get(url("referral", decided)))
    assert "Outcome feedback to the referrer" in tab and "Restricted by the agency: MASH manager only" in tab


def test_a_letter_waits_for_the_decision(hub, freeze, as_):
    freeze(T0)
    referral = make_triaged(hub, agencies=["police"])
    client = as_("manager")
    page = text_of(client.get(url("letter-new", referral)))
    assert "Record the decision before writing to the referrer." in page and 'name="channel"' not in raw(client.get(url("letter-new", referral)))
    assert_form_error(client.post(url("letter-new", referral), {"channel": "phone"}), "Record the decision before writing to the referrer")
    assert "You can write to the referrer once the decision is recorded." in text_of(client.get(url("referral", referral)))


def test_a_letter_of_another_referral_is_not_found(hub, as_, decided):
    from openmash.sharing.services import LetterInput, outcome_letter_create

    letter = outcome_letter_create(user=hub["manager"], referral=decided, data=LetterInput(channel="phone", not_shared_reason="Not needed."))
    other = make_referral(hub)
    assert as_("manager").get(url("letter", other, letter_id=letter.pk)).status_code == 404
    assert as_("manager").get(url("letter", decided, letter_id=letter.pk)).status_code == 200


# ------------------------------------------------------------------ triage needs consent or an override


def test_triage_without_consent_is_refused_on_the_page_and_sends_nothing(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    client = as_("manager")
    triage = reverse("referrals:triage", kwargs={"reference": referral.reference})
    response = client.get(triage)
    page = text_of(response)
    assert "Can information requests go out?" in page and "No. Consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover any of the agencies" in page
    assert "Not covered by consent" not in page  # when no agency is covered, the panel says so once
    assert f'href="/referrals/{referral.reference}/sharing/#can-share"' in raw(response)
    response = client.post(triage, {"rating": "red", "rationale": "Because.", "agencies": ["police", "education"]})
    assert_form_error(response, "Information requests cannot go out yet: consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover 2 of the agencies chosen")
    assert not InformationRequest.objects.filter(referral=referral).exists()
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage"


def test_the_triage_page_marks_the_agencies_consent_does_not_cover(hub, freeze, as_):
    freeze(T0)
    referral = make_referral(hub, with_consent=False)
    give_consent(hub, referral, agencies=["education", "police"])
    page = text_of(as_("manager").get(reverse("referrals:triage", kwargs={"reference": referral.reference})))
    assert "Not to every agency. Consent from Jayden Smith, Kerry Smith, Tyler Smith does not cover 14 of them (marked below)" in page
    assert page.count("Not covered by consent") == 14
    response = as_("manager").post(reverse("referrals:triage", kwargs={"reference": referral.reference}),
                                   {"rating": "amber", "rationale": "Because.", "agencies": ["police", "education"]})
    assert response.status_code == 302
    assert set(InformationRequest.objects.filter(referral=referral).values_list("sent_under", flat=True)) == {"consent"}


def test_the_triage_page_says_when_requests_can_go(hub, freeze, as_):
    freeze(T0)
    covered = make_referral(hub)
    client = as_("manager")
    page = text_of(client.get(reverse("referrals:triage", kwargs={"reference": covered.reference})))
    assert "Yes – consent from everyone on the referral covers every agency" in page and "Not covered by consent" not in page
    overridden = make_referral(hub, with_consent=False)
    authorised_override(hub, overridden)
    page = text_of(client.get(reverse("referrals:triage", kwargs={"reference": overridden.reference})))
    assert "Yes – sharing without consent is authorised" in page
    response = client.post(reverse("referrals:triage", kwargs={"reference": overridden.reference}), {"rating": "amber", "rationale": "Because.", "agencies": ["police"]})
    assert response.status_code == 302
    assert InformationRequest.objects.get(referral=overridden).sent_under == "override"


# ------------------------------------------------------------------ the manager's worklist and navigation


def test_managers_see_overrides_waiting_on_their_dashboard(hub, as_, proposed):
    referral, override = proposed
    page = text_of(as_("manager").get(reverse("referrals:dashboard")))
    assert "Sharing without consent: 1 waiting for a MASH manager" in page
    assert url("referral", referral) + f"#override-{override.pk}" in raw(as_("manager").get(reverse("referrals:dashboard")))
    assert "waiting for a MASH manager" not in text_of(as_("practitioner").get(reverse("referrals:dashboard")))


def nav_items(response) -> list[str]:
    block = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', response.content.decode(), re.S).group(0)
    return [html.unescape(t.strip()) for t in re.findall(r'class="govuk-service-navigation__link"[^>]*>\s*(?:<strong[^>]*>)?\s*(.*?)\s*(?:</strong>)?\s*</a>', block, re.S)]


@pytest.mark.parametrize(
    "username, present, absent",
    [
        ("ig", ["Sharing log", "Overrides"], ["Lawful bases", "Open referrals"]),
        ("manager", ["Sharing log", "Overrides", "Open referrals"], ["Lawful bases"]),
        ("practitioner", ["Open referrals"], ["Sharing log", "Overrides", "Lawful bases"]),
        ("admin", ["Lawful bases"], ["Sharing log", "Overrides"]),
        ("police-rep", ["Information requests"], ["Sharing log", "Overrides", "Lawful bases"]),
    ],
)
def test_the_navigation_for_each_role(hub, as_, username, present, absent):
    items = nav_items(as_(username).get(reverse("escalation:list")))
    assert all(p in items for p in present), items
    assert not any(a in items for a in absent), items


# ------------------------------------------------------------------ information governance: the log


@pytest.fixture
def logged(hub, freeze):
    """Two referrals with log entries: one under consent, one under an override, with a release whose
    reason starts like a spreadsheet formula."""
    freeze(T0)
    consented = make_triaged(hub, agencies=["police", "education"])
    overridden = make_referral(hub, with_consent=False)
    authorised_override(hub, overridden, bases=("uk-gdpr-6-1-d", "ca-1989-s47"))
    from openmash.referrals.services import referral_triage

    referral_triage(user=hub["manager"], referral=overridden, rating="red", rationale="Because.", agency_codes=["gp"])
    referrer_release(user=hub["manager"], referral=consented, agency_codes=["police"], reason='=HYPERLINK("http://evil.example","click")')
    return consented, overridden


def test_the_ig_officer_searches_the_log(hub, as_, logged):
    consented, overridden = logged
    client = as_("ig")
    response = client.get(url("log"))
    assert response.status_code == 200
    page = text_of(response)
    assert "4 entries" in page
    # Information governance may read the log but not open referrals: the reference is text, not a link.
    assert consented.reference in page and f'href="/referrals/{consented.reference}/sharing/#log"' not in raw(response)
    page = text_of(client.get(url("log"), {"basis": "uk-gdpr-6-1-d"}))
    assert "1 entry" in page and overridden.reference in page and consented.reference not in page
    page = text_of(client.get(url("log"), {"basis": "consent", "agency": "education"}))
    assert "1 entry" in page and "MASH → to Education" in page
    page = text_of(client.get(url("log"), {"reference": overridden.reference}))
    assert "1 entry" in page
    # A manager gets links to the referral's Sharing tab.
    page = as_("manager").get(url("log")).content.decode()
    assert f'href="/referrals/{consented.reference}/sharing/#log"' in page


def test_the_log_is_shown_a_page_at_a_time(hub, as_, logged, monkeypatch):
    from openmash.sharing import selectors

    monkeypatch.setattr(selectors, "LOG_PAGE", 3)
    client = as_("ig")
    first = client.get(url("log"), {"agency": ""})
    assert "Showing 1 to 3 of 4." in text_of(first) and "Page 1 of 2" in text_of(first)
    assert "/sharing/log/?agency=&amp;page=2" in raw(first)
    second = text_of(client.get(url("log"), {"agency": "", "page": "2"}))
    assert "Showing 4 to 4 of 4." in second and "Page 2 of 2" in second
    # A page number that is not a number is the first page, not an error.
    assert "Showing 1 to 3 of 4." in text_of(client.get(url("log"), {"page": "x"}))


def test_the_log_search_finds_a_person_by_name_or_number(hub, as_, logged):
    consented, _ = logged
    client = as_("ig")
    # Both referrals are about a Jayden Smith (two records made by the factory); the release names no one.
    assert "3 entries" in text_of(client.get(url("log"), {"person": "jayden smith"}))
    person_id = consented.people.filter(kind="child").first().person_id
    assert "2 entries" in text_of(client.get(url("log"), {"person": str(person_id)}))
    assert "No entries match this search." in text_of(client.get(url("log"), {"person": "Nobody"}))


def test_the_log_search_by_period(hub, as_, logged):
    client = as_("ig")
    assert "4 entries" in text_of(client.get(url("log"), {"date_from-day": "10", "date_from-month": "4", "date_from-year": "2026"}))
    assert "No entries match" in text_of(client.get(url("log"), {"date_to-day": "9", "date_to-month": "4", "date_to-year": "2026"}))


@pytest.mark.parametrize(
    "params, field, message, anchor",
    [
        ({"date_from-day": "31", "date_from-month": "2", "date_from-year": "2026"}, "date_from", "From date must be a real date", "date_from-day"),
        ({"date_to-day": "1", "date_to-month": "4"}, "date_to", "To date must include a year", "date_to-day"),
        ({"date_from-day": "10", "date_from-month": "4", "date_from-year": "2026", "date_to-day": "9", "date_to-month": "4", "date_to-year": "2026"},
         "date_to", "The to date must be the same as or after the from date", "date_to-day"),
        ({"agency": "nowhere"}, "agency", "Select an agency from the list", None),
        ({"basis": "made-up"}, "basis", "Select a basis from the list", None),
    ],
)
def test_the_log_search_refuses_bad_input(hub, as_, logged, params, field, message, anchor):
    assert_refused(as_("ig").get(url("log"), params), field, message, anchor)
    response = as_("ig").get(url("log-csv"), params)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


def test_the_log_export_is_a_csv_with_a_header_and_no_formulas(hub, as_, logged):
    consented, overridden = logged
    response = as_("ig").get(url("log-csv"), {"agency": "police"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="sharing-log-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["When (UK time)", "When (UTC, ISO 8601)", "Referral", "Decision"]
    assert len(body) == 2 and {r[2] for r in body} == {consented.reference}
    released = next(r for r in body if r[header.index("Kind")] == "Referrer's identity released to an agency")
    assert released[header.index("Why")] == '\'=HYPERLINK("http://evil.example","click")'
    assert released[header.index("When (UK time)")] == "2026-04-10 12:00:00"
    assert released[header.index("People")] == ""
    sent = next(r for r in body if r[header.index("Kind")] == "Information request sent to an agency")
    assert "Jayden Smith (" in sent[header.index("People")] and sent[header.index("Basis")] == "Consent"
    # No cell of the export starts with a formula character.
    assert not any(cell[:1] in ("=", "+", "-", "@") for row in body for cell in row)
    overridden_rows = list(csv.reader(io.StringIO(as_("manager").get(url("log-csv"), {"reference": overridden.reference}).content.decode("utf-8-sig"))))
    assert overridden_rows[1][header.index("Basis")] == "Override: ca-1989-s47, uk-gdpr-6-1-d"


@pytest.mark.parametrize("username", ["practitioner", "police-rep", "analyst", "admin"])
def test_only_information_governance_and_managers_read_the_log(hub, as_, username):
    client = as_(username)
    for name in ("log", "log-csv", "override-report"):
        assert client.get(url(name)).status_code == 403


def test_the_override_report_flags_self_authorised_overrides(hub, freeze, as_):
    freeze(T0)
    one = make_referral(hub, with_consent=False)
    authorised_override(hub, one)
    two = make_referral(hub, with_consent=False)
    from openmash.sharing.services import override_authorise

    own = override_propose(user=hub["manager"], referral=two, basis_codes=BASES, reason="Risk.")
    override_authorise(user=hub["manager"], override=own, second_reason="No other manager on duty.")
    client = as_("ig")
    page = text_of(client.get(url("override-report")))
    assert "2 overrides" in page and one.reference in page and two.reference in page
    assert raw(client.get(url("override-report"))).count("Self-authorised</strong>") == 2  # the explanation, and the one flagged override
    only = text_of(client.get(url("override-report"), {"self_authorised": "on"}))
    assert "1 override self-authorised" in only and two.reference in only and one.reference not in only
    assert "Second reason: No other manager on duty." in only


# ------------------------------------------------------------------ the lawful-basis list (administrators)


def test_an_administrator_adds_and_changes_a_lawful_basis(hub, as_):
    client = as_("admin")
    page = text_of(client.get(url("bases")))
    assert "Children Act 2004 section 11" in page and "ca-2004-s11" in page
    assert client.get(url("basis-create")).status_code == 200
    response = client.post(url("basis-create"), {"code": "ca-1989-s44", "label": "Children Act 1989 section 44 – emergency protection", "category": "statute", "active": "yes"})
    assert response.status_code == 302
    basis = LawfulBasis.objects.get(code="ca-1989-s44")
    assert basis.active and basis.category == "statute"
    edit = url("basis-edit", code="ca-1989-s44")
    page = text_of(client.get(edit))
    assert "ca-1989-s44" in page and 'name="code"' not in raw(client.get(edit))
    response = client.post(edit, {"label": "Children Act 1989 s44", "category": "statute", "active": "no"})
    assert response.status_code == 302
    basis.refresh_from_db()
    assert basis.label == "Children Act 1989 s44" and not basis.active and basis.code == "ca-1989-s44"
    assert "Retired" in text_of(client.get(url("bases")))


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"code": "", "label": "X", "category": "statute", "active": "yes"}, "code", "Give a short code, for example uk-gdpr-6-1-e"),
        ({"code": "Bad Code!", "label": "X", "category": "statute", "active": "yes"}, "code", "The code may use only lower-case letters, digits and hyphens (40 at most)"),
        ({"code": "ca-1989-s47", "label": "X", "category": "statute", "active": "yes"}, "code", "There is already a basis with this code"),
        ({"code": "new-one", "label": "", "category": "statute", "active": "yes"}, "label", "Give the wording staff will choose"),
        ({"code": "new-one", "label": "X", "active": "yes"}, "category", "Select what kind of basis this is"),
    ],
)
def test_the_lawful_basis_form_refuses_bad_input(hub, as_, data, field, message):
    count = LawfulBasis.objects.count()
    assert_refused(as_("admin").post(url("basis-create"), data), field, message)
    assert LawfulBasis.objects.count() == count


@pytest.mark.parametrize("username", ["manager", "practitioner", "ig", "police-rep", "analyst"])
def test_only_an_administrator_changes_the_lawful_bases(hub, as_, username):
    client = as_(username)
    for address in (url("bases"), url("basis-create"), url("basis-edit", code="ca-1989-s47")):
        assert client.get(address).status_code == 403
    assert client.post(url("basis-edit", code="ca-1989-s47"), {"label": "X", "category": "statute", "active": "no"}).status_code == 403
    assert LawfulBasis.objects.get(code="ca-1989-s47").active


def test_an_unknown_lawful_basis_is_not_found(hub, as_):
    assert as_("admin").get(url("basis-edit", code="no-such-basis")).status_code == 404


def test_the_decision_page_warns_when_urgent_requests_still_need_an_override(hub, login):
    from openmash.core.testing.factories import authorised_override, make_triaged

    referral = make_triaged(hub, rating="urgent", agencies=["police"], with_consent=False)
    page = login(hub["manager"]).get(f"/referrals/{referral.reference}/decision/")
    assert page.status_code == 200
    assert "cannot be recorded until a MASH manager authorises an override" in page.content.decode()
    authorised_override(hub, referral)
    page = login(hub["manager"]).get(f"/referrals/{referral.reference}/decision/")
    assert "cannot be recorded until a MASH manager authorises an override" not in page.content.decode()


def test_the_confirmation_after_recording_points_to_consent(hub, login):
    from openmash.core.testing.factories import make_referral

    referral = make_referral(hub, with_consent=False)
    page = login(hub["practitioner"]).get(f"/referrals/recorded/{referral.reference}/").content.decode()
    assert f"/referrals/{referral.reference}/sharing/consent/" in page and "propose sharing without consent" in page
