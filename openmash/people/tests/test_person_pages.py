"""What a practitioner sees when finding a person: the candidate panel (band, why each field matched,
the household with ages, so a twin is visibly someone else), the choice "this is the person" or
"none of these" (audited, nothing linked automatically), the child's history as soon as they are
linked, the person page (history, involvements with the lead, agencies' ids, a merged record
redirecting), and the involvements in a referral's household."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.testing.factories import make_referral, make_triaged
from openmash.people.models import Involvement, Person, PersonMerge, PersonSource
from openmash.people.search import match_people
from openmash.people.selectors import SearchCriteria
from openmash.people.services import NewPerson
from openmash.referrals.services import AdultEntry, PersonRef

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 4, 10, 11, 0, tzinfo=UTC)  # Friday 10 April 2026, 12:00 in London
TWINS_DOB = dt.date(2018, 7, 3)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r" ([:,.])", r"\1", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()))


def sentence(s: str) -> str:
    return s[:1].upper() + s[1:]


def section(response, element_id: str) -> str:
    """The visible text of one candidate card (`candidate-<id>`) or other section by id."""
    page = response.content.decode()
    start = page.index(f'id="{element_id}"')
    end = page.find('<section class="govuk-summary-card', start + 1)
    chunk = page[start: end if end > 0 else len(page)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", chunk)).split())


@pytest.fixture
def twins(hub, freeze):
    """Twins Alexander and Alexandra Smith (born 3 July 2018) and their mother Kerry, at 14 Alder
    Road; referred on 10 January 2026."""
    freeze(dt.datetime(2026, 1, 10, 11, 0, tzinfo=UTC))
    referral = make_referral(
        hub,
        received_at=dt.datetime(2026, 1, 10, 10, 0, tzinfo=UTC),
        children=[
            PersonRef(new=NewPerson(given_name="Alexander", family_name="Smith", date_of_birth=TWINS_DOB, sex="M",
                                    address_line_1="14 Alder Road", postcode="SE15 4AB", nhs_number="943 476 5919")),
            PersonRef(new=NewPerson(given_name="Alexandra", family_name="Smith", date_of_birth=TWINS_DOB, sex="F",
                                    address_line_1="14 Alder Road", postcode="SE15 4AB")),
        ],
        adults=[AdultEntry(person=PersonRef(new=NewPerson(given_name="Kerry", family_name="Smith", date_of_birth=dt.date(1990, 5, 5),
                                                          sex="F", address_line_1="14 Alder Road", postcode="SE15 4AB")),
                           relationships={0: "mother", 1: "mother"})],
    )
    freeze(T0)
    people = {link.person.given_name: link.person for link in referral.people.select_related("person")}
    return referral, people


SEARCH = {"given_name": "Alexander", "family_name": "Smith", "date_of_birth-day": "3", "date_of_birth-month": "7",
          "date_of_birth-year": "2018", "postcode": "SE15 4AB"}


# ------------------------------------------------------------------ the candidate panel


def test_the_search_page_shows_each_candidate_with_its_reasons_and_household(hub, twins):
    _, people = twins
    alexander, alexandra = people["Alexander"], people["Alexandra"]
    response = client_for(hub["practitioner"]).get(reverse("people:search"), SEARCH)
    assert response.status_code == 200
    candidates = match_people(user=hub["practitioner"], criteria=SearchCriteria(
        given_name="Alexander", family_name="Smith", date_of_birth=TWINS_DOB, postcode="SE15 4AB"))
    assert candidates[0].person == alexander and candidates[0].band in ("likely", "very likely")

    card = section(response, f"candidate-{alexander.pk}")
    assert f"{sentence(candidates[0].band)} match" in card
    for f in candidates[0].comparison.fields:
        assert sentence(f.reason) in card, f
    # The field-by-field outcomes are tagged in words.
    assert "Agrees" in card and "Missing" in card
    # The twin is in Alexander's household: her own name, her own date of birth and age, and why she differs.
    assert "Alexandra Smith" in card and "3 July 2018 (age 7)" in card and "Same birthday" in card
    assert "Twin: same date of birth, different first name (Alexandra)" in card
    assert "Kerry Smith" in card and "Mother" in card

    # Alexandra herself, if offered, is labelled below the match threshold and shows Alexander as her twin.
    offered = {c.person.pk: c for c in candidates}
    if alexandra.pk in offered:
        assert offered[alexandra.pk].band in ("possible", "unlikely")
        twin_card = section(response, f"candidate-{alexandra.pk}")
        assert f"{sentence(offered[alexandra.pk].band)} match" in twin_card
        assert "Twin: same date of birth, different first name (Alexander)" in twin_card
    # The page links to each record; it offers no choice (that is for recording a referral).
    assert reverse("people:detail", kwargs={"person_id": alexander.pk}) in response.content.decode()
    assert "This is the person" not in text(response)


def test_the_search_page_refuses_bad_input_next_to_the_field(hub):
    response = client_for(hub["practitioner"]).get(reverse("people:search"), {"nhs_number": "123"})
    assert response.status_code == 400
    assert 'id="nhs_number-error"' in response.content.decode()


def test_only_hub_staff_may_search(hub):
    assert client_for(hub["police-rep"]).get(reverse("people:search"), SEARCH).status_code == 403
    assert client_for(hub["manager"]).get(reverse("people:search"), SEARCH).status_code == 200


# ------------------------------------------------------------------ choosing while recording


def start_draft(client, day="10", month="4", time="9:30am"):
    client.post(reverse("referrals:new-start"))
    response = client.post(reverse("referrals:new-received"), {
        "received_date-day": day, "received_date-month": month, "received_date-year": "2026", "received_time": time, "source": "2A"})
    assert response.status_code == 302


def test_the_recording_search_offers_a_choice_and_links_nobody_by_itself(hub, twins):
    _, people = twins
    client = client_for(hub["practitioner"])
    start_draft(client)
    response = client.get(reverse("referrals:new-person-search", kwargs={"kind": "child"}), SEARCH)
    assert response.status_code == 200
    page = text(response)
    assert "This is the person" in page and "None of these – add a new child" in page
    # Each button names its person for screen readers (and shows no markup as text).
    assert "This is the person Alexander Smith, born 3 July 2018" in page and "&lt;span" not in response.content.decode()
    card = section(response, f"candidate-{people['Alexander'].pk}")
    assert re.search(r"(Very likely|Likely) match", card) and "Twin: same date of birth, different first name (Alexandra)" in card
    shown = client.session["referral_draft"]["last_search"]["shown"]
    assert shown[0] == people["Alexander"].pk
    assert client.session["referral_draft"]["children"] == []  # nothing linked by searching
    search = AuditEvent.objects.filter(action="person.search").latest("id")
    assert search.details["results"] == shown and search.details["context"] == "recording a referral"


def test_choosing_a_candidate_is_audited_with_the_candidates_shown(hub, twins):
    _, people = twins
    client = client_for(hub["practitioner"])
    start_draft(client)
    client.get(reverse("referrals:new-person-search", kwargs={"kind": "child"}), SEARCH)
    shown = client.session["referral_draft"]["last_search"]["shown"]
    response = client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"person_id": people["Alexander"].pk})
    assert response.status_code == 302 and response["Location"] == reverse("referrals:new-people", kwargs={"kind": "child"})
    event = AuditEvent.objects.get(action="person.match_choice")
    assert event.details["shown"] == shown and event.details["chosen"] == people["Alexander"].pk
    assert event.object_id == str(people["Alexander"].pk) and event.actor_username == "practitioner"
    assert event.details["criteria"]["given_name"] == "Alexander" and event.details["kind"] == "child"
    assert client.session["referral_draft"]["children"] == [{"person_id": people["Alexander"].pk}]
    assert "last_search" not in client.session["referral_draft"]


def test_none_of_these_is_audited_and_goes_on_to_a_new_person(hub, twins):
    client = client_for(hub["practitioner"])
    start_draft(client)
    client.get(reverse("referrals:new-person-search", kwargs={"kind": "child"}), {**SEARCH, "given_name": "Alexandr"})
    shown = client.session["referral_draft"]["last_search"]["shown"]
    assert shown
    response = client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"choice": "new"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("referrals:new-person-create", kwargs={"kind": "child"}))
    assert "given_name=Alexandr" in response["Location"] and "postcode=SE15+4AB" in response["Location"]
    event = AuditEvent.objects.get(action="person.match_choice")
    assert event.details["shown"] == shown and event.details["chosen"] == "new" and event.object_id == ""
    assert client.session["referral_draft"]["children"] == []


def test_a_linked_child_shows_their_history_at_once(hub, twins, freeze):
    referral, people = twins
    alexander, alexandra, kerry = people["Alexander"], people["Alexandra"], people["Kerry"]
    agency = {a.code: a for a in Agency.objects.all()}
    Involvement.objects.create(person=alexander, agency=agency["csc"], role="allocated_social_worker", is_lead=True,
                               practitioner_name="Nadia Kowalski", practitioner_contact="020 7946 0999", service="Family support team")
    Involvement.objects.create(person=alexander, agency=agency["education"], role="school_dsl", practitioner_name="Helen Marsh")
    Involvement.objects.create(person=alexander, agency=agency["youth-justice"], role="youth_justice_worker",
                               practitioner_name="Old Worker", end_date=dt.date(2026, 1, 1))
    # Alexandra alone was referred again in February (still open); Alexander was not.
    freeze(dt.datetime(2026, 2, 20, 12, tzinfo=UTC))
    hers = make_referral(hub, received_at=dt.datetime(2026, 2, 20, 11, tzinfo=UTC),
                         children=[PersonRef(person_id=alexandra.pk)], adults=[])
    freeze(T0)

    client = client_for(hub["practitioner"])
    start_draft(client)
    client.get(reverse("referrals:new-person-search", kwargs={"kind": "child"}), SEARCH)
    response = client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"person_id": alexander.pk}, follow=True)
    page = text(response)
    assert response.status_code == 200
    assert f"What the hub already knows about Alexander Smith" in page
    assert (f"This is a re-referral for Alexander Smith: the previous referral, {referral.reference}, "
            "was received on 10 January 2026, within 12 months.") in page
    assert f"Open case: {referral.reference}, received 10 January 2026, is still awaiting triage." in page
    # Brothers, sisters and household: Alexandra's own referral, once.
    assert "Referrals of Alexander's brothers, sisters and household" in page
    assert f"{hers.reference} 20 February 2026 Alexandra Smith (brother or sister, age 7): Awaiting triage" in page
    # Current involvements, the lead first and marked; the ended one left out.
    involved = page[page.index("Who is involved with Alexander now"):]
    assert involved.index("Lead professional") < involved.index("Helen Marsh")
    assert "Nadia Kowalski" in involved and "020 7946 0999" in involved and "Family support team" in involved
    assert "Old Worker" not in involved
    event = AuditEvent.objects.filter(action="person.history").latest("id")
    assert event.object_id == str(alexander.pk) and event.details["context"] == "recording a referral"


def test_a_child_not_referred_within_12_months_is_not_flagged(hub, twins, freeze):
    _, people = twins
    freeze(dt.datetime(2027, 1, 11, 12, tzinfo=UTC))
    client = client_for(hub["practitioner"])
    client.post(reverse("referrals:new-start"))
    received = {"received_date-day": "10", "received_date-month": "1", "received_date-year": "2027", "received_time": "9:00am", "source": "2A"}
    # Received 10 January 2027: 12 months to the day after the twins' referral, so still a re-referral …
    assert client.post(reverse("referrals:new-received"), received).status_code == 302
    client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"person_id": people["Alexander"].pk})
    assert "This is a re-referral" in text(client.get(reverse("referrals:new-people", kwargs={"kind": "child"})))
    # … but received on 11 January 2027 it is not.
    assert client.post(reverse("referrals:new-received"), {**received, "received_date-day": "11"}).status_code == 302
    page = text(client.get(reverse("referrals:new-people", kwargs={"kind": "child"})))
    assert "re-referral" not in page.lower() and "What the hub already knows about Alexander Smith" in page
    # Choosing without a search first is still audited, with no candidates shown.
    event = AuditEvent.objects.get(action="person.match_choice")
    assert event.details["shown"] == [] and event.details["chosen"] == people["Alexander"].pk


# ------------------------------------------------------------------ the person page


def test_the_person_page_shows_history_involvements_and_agency_ids(hub, twins):
    referral, people = twins
    alexander = people["Alexander"]
    agency = {a.code: a for a in Agency.objects.all()}
    lead = Involvement.objects.create(person=alexander, agency=agency["csc"], role="allocated_social_worker", is_lead=True,
                                      practitioner_name="Nadia Kowalski", practitioner_contact="n.kowalski@council.example.gov.uk",
                                      start_date=dt.date(2025, 9, 1), source="import", source_id="CSC-INV-1")
    Involvement.objects.create(person=alexander, agency=agency["gp"], role="gp_practice", practitioner_name="Dr Aziz")
    Involvement.objects.create(person=alexander, agency=agency["youth-justice"], role="youth_justice_worker",
                               practitioner_name="Sam Ended", start_date=dt.date(2024, 1, 1), end_date=dt.date(2025, 1, 1))
    PersonSource.objects.create(person=alexander, agency=agency["education"], source_id="PUPIL-778")
    response = client_for(hub["practitioner"]).get(reverse("people:detail", kwargs={"person_id": alexander.pk}))
    assert response.status_code == 200
    page = text(response)
    assert "Agencies' own ids Education: PUPIL-778" in page
    involvements = page[page.index("Agencies and practitioners involved"):]
    # The lead first, with role, agency, practitioner, contact, dates and source; the ended one last, marked.
    assert involvements.index("Lead professional") < involvements.index("Dr Aziz") < involvements.index("Sam Ended")
    assert ("Allocated social worker Lead professional Children's social care Nadia Kowalski "
            "n.kowalski@council.example.gov.uk 1 September 2025 to now Imported from an agency system") in involvements
    assert "Youth justice worker Ended" in involvements and "1 January 2024 to 1 January 2025" in involvements
    assert f'data-involvement="{lead.pk}"' in response.content.decode().split('app-lead"')[1][:60]
    # History: the referral, a re-referral today, still open.
    assert f"A referral of Alexander Smith received today would be a re-referral: the previous referral, {referral.reference}" in page
    assert f"Open case: {referral.reference}" in page
    assert AuditEvent.objects.filter(action="person.view", object_id=str(alexander.pk)).exists()


def test_a_merged_record_redirects_to_the_one_kept_and_says_so(hub, twins):
    _, people = twins
    kept = people["Alexander"]
    merged = Person.objects.create(given_name="Alex", family_name="Smith", given_name_norm="alex", family_name_norm="smith",
                                   date_of_birth=TWINS_DOB, merged_into=kept)
    merge = PersonMerge.objects.create(kept=kept, merged=merged, reason="Same NHS number and address.", moved=[],
                                       merged_by=hub["manager"], merged_at=dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC))
    client = client_for(hub["practitioner"])
    response = client.get(reverse("people:detail", kwargs={"person_id": merged.pk}))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('people:detail', kwargs={'person_id': kept.pk})}?merged_from={merged.pk}"
    page = text(client.get(response["Location"]))
    assert ("This record was merged into Alexander Smith on 2 March 2026 at 10:30am by Morgan Reid: "
            f"Alex Smith, born 3 July 2018 (record {merged.pk}) is the same person.") in page
    assert "Reason given: Same NHS number and address." in page
    assert f'href="{reverse("people:merge", kwargs={"merge_id": merge.pk})}"' in client.get(response["Location"]).content.decode()
    # A made-up or undone merge says nothing.
    assert "merged into" not in text(client.get(reverse("people:detail", kwargs={"person_id": kept.pk}), {"merged_from": "junk"}))
    PersonMerge.objects.filter(pk=merge.pk).update(undone_at=T0, undone_by=hub["manager"])
    assert "merged into" not in text(client.get(reverse("people:detail", kwargs={"person_id": kept.pk}), {"merged_from": merged.pk}))
    # A chain of merges ends at the last record kept.
    third = Person.objects.create(given_name="A", family_name="Smith", given_name_norm="a", family_name_norm="smith", merged_into=merged)
    assert client.get(reverse("people:detail", kwargs={"person_id": third.pk}))["Location"].startswith(
        reverse("people:detail", kwargs={"person_id": kept.pk}))


def test_the_person_page_is_for_hub_staff_only(hub, twins):
    _, people = twins
    for user in ("police-rep", "analyst", "ig"):
        assert client_for(hub[user]).get(reverse("people:detail", kwargs={"person_id": people["Alexander"].pk})).status_code == 404


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_the_person_page_takes_the_same_queries_however_long_the_history(hub, twins, freeze):
    referral, people = twins
    alexander, kerry = people["Alexander"], people["Kerry"]
    client = client_for(hub["practitioner"])
    url = reverse("people:detail", kwargs={"person_id": alexander.pk})
    agency = Agency.objects.get(code="csc")
    Involvement.objects.create(person=alexander, agency=agency, role="allocated_social_worker", is_lead=True)
    PersonSource.objects.create(person=alexander, agency=agency, source_id="CSC-1")
    before = _count(client, url)
    for day in (1, 2, 3):
        freeze(dt.datetime(2026, 3, day, 12, tzinfo=UTC))
        make_triaged(hub, received_at=dt.datetime(2026, 3, day, 11, tzinfo=UTC),
                     children=[PersonRef(person_id=alexander.pk), PersonRef(new=NewPerson(given_name=f"Sib{day}", family_name="Smith", sex="F",
                                                                                           address_line_1="14 Alder Road", postcode="SE15 4AB"))],
                     adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother", 1: "mother"})])
    for code in ("gp", "education", "police"):
        other = Agency.objects.get(code=code)
        Involvement.objects.create(person=alexander, agency=other, role="other")
        PersonSource.objects.create(person=alexander, agency=other, source_id=f"{code}-1")
    freeze(T0)
    after = _count(client, url)
    assert after == before, (before, after)


def test_the_referral_household_shows_who_is_involved_with_the_lead_marked(hub, twins):
    referral, people = twins
    agency = {a.code: a for a in Agency.objects.all()}
    Involvement.objects.create(person=people["Alexander"], agency=agency["education"], role="school_dsl", practitioner_name="Helen Marsh")
    Involvement.objects.create(person=people["Alexander"], agency=agency["csc"], role="allocated_social_worker", is_lead=True,
                               practitioner_name="Nadia Kowalski", practitioner_contact="020 7946 0999")
    Involvement.objects.create(person=people["Kerry"], agency=agency["adult-mh"], role="other", practitioner_name="Chris Doe",
                               service="Community mental health team")
    Involvement.objects.create(person=people["Alexandra"], agency=agency["gp"], role="gp_practice", practitioner_name="Dr Gone",
                               end_date=dt.date(2025, 12, 31))
    response = client_for(hub["manager"]).get(reverse("referrals:detail", kwargs={"reference": referral.reference}))
    assert response.status_code == 200
    page = text(response)
    household = page[page.index("Children and household"):page.index("Concerns")]
    assert household.index("Lead professional") < household.index("Nadia Kowalski") < household.index("Helen Marsh")
    assert "Allocated social worker: Nadia Kowalski, Children's social care" in household and "020 7946 0999" in household
    assert "Chris Doe, Adult mental health (Community mental health team)" in household
    assert "Dr Gone" not in household


def test_the_children_page_history_takes_the_same_queries_however_long_the_history(hub, twins, freeze):
    _, people = twins
    alexander, kerry = people["Alexander"], people["Kerry"]
    client = client_for(hub["practitioner"])
    start_draft(client)
    client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"person_id": alexander.pk})
    url = reverse("referrals:new-people", kwargs={"kind": "child"})
    before = _count(client, url)
    for day in (1, 2, 3):
        freeze(dt.datetime(2026, 3, day, 12, tzinfo=UTC))
        make_referral(hub, with_consent=False, received_at=dt.datetime(2026, 3, day, 11, tzinfo=UTC),
                      children=[PersonRef(new=NewPerson(given_name=f"Sib{day}", family_name="Smith", sex="F"))],
                      adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother"})])
    agency = Agency.objects.get(code="csc")
    for role in ("allocated_social_worker", "other", "school_dsl"):
        Involvement.objects.create(person=alexander, agency=agency, role=role)
    freeze(T0)
    after = _count(client, url)
    assert after == before, (before, after)
    assert "Sib3 Smith (brother or sister" in text(client.get(url))


def test_choosing_a_record_merged_since_the_search_links_the_record_kept(hub, twins):
    _, people = twins
    kept = people["Alexander"]
    merged = Person.objects.create(given_name="Alex", family_name="Smith", given_name_norm="alex", family_name_norm="smith",
                                   date_of_birth=TWINS_DOB, merged_into=kept)
    client = client_for(hub["practitioner"])
    start_draft(client)
    client.post(reverse("referrals:new-person-select", kwargs={"kind": "child"}), {"person_id": merged.pk})
    assert client.session["referral_draft"]["children"] == [{"person_id": kept.pk}]
    assert AuditEvent.objects.get(action="person.match_choice").details["chosen"] == kept.pk
