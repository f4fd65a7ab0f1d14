"""Involvements named in an agency's answer, where people are shown: the person page, the referral's
household, a child's history while recording a referral. Each says whose answer on which referral,
only the version in force counts, and one drawn from a "MASH manager only" answer is seen only by
those who may see that answer. A merge moves them with the child."""

import datetime as dt
import html
import re

import pytest
from django.test import Client

from openmash.core.testing.factories import make_triaged
from openmash.information_requests.models import InformationRequest
from openmash.information_requests.services import AnswerInput, InvolvementInput, information_request_answer
from openmash.people.history import current_involvements, person_history, person_record
from openmash.people.merging import merge_page, merge_people, undo_merge
from openmash.people.models import Involvement, Person
from openmash.people.services import NewPerson, person_create

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SECRET = "DC Canary Managersonly"
OPEN = "PC Open Name"


@pytest.fixture
def case(hub, freeze):
    """Police name a manager-only officer for Jayden; education name an open school lead for Jayden."""
    freeze(T0)
    referral = make_triaged(hub, rating="red", agencies=["police", "education"])
    jayden = referral.people.get(kind="child", person__given_name="Jayden").person
    _answer(hub, referral, "police", jayden, SECRET, restriction="manager_only", role="police_officer")
    _answer(hub, referral, "education", jayden, OPEN, role="school_dsl", is_lead=True)
    return referral, jayden


def _answer(hub, referral, code, child, name, *, restriction="none", correction_reason="", **row):
    request = InformationRequest.objects.get(referral=referral, agency__code=code)
    values = {"role": "other", "start_date": dt.date(2026, 1, 5), "practitioner_contact": "020 7946 0111", **row}
    return information_request_answer(
        user=hub[f"{code}-rep"], request=request,
        data=AnswerInput(outcome="held", summary="Known.", restriction=restriction, correction_reason=correction_reason,
                         involvements=[InvolvementInput(child=child.pk, practitioner_name=name, **values)]),
    )


def _text(response) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r" ([:,.])", r"\1", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()))


def _get(user, url):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response


# ------------------------------------------------------------------ restriction


def test_the_person_page_shows_the_restricted_involvement_to_a_manager_only(hub, case):
    referral, jayden = case
    manager = _text(_get(hub["manager"], f"/people/{jayden.pk}/"))
    assert SECRET in manager and OPEN in manager
    assert f"From Police's answer on referral {referral.reference} MASH manager only" in manager

    practitioner_page = _get(hub["practitioner"], f"/people/{jayden.pk}/")
    practitioner = _text(practitioner_page)
    assert SECRET not in practitioner_page.content.decode()
    assert OPEN in practitioner and f"From Education's answer on referral {referral.reference}" in practitioner
    assert "1 more involvement was named in an agency's answer restricted to MASH managers" in practitioner
    assert "restricted to MASH managers" not in manager


def test_the_referral_household_hides_the_restricted_involvement_from_a_practitioner(hub, case):
    referral, _ = case
    url = f"/referrals/{referral.reference}/"
    manager = _get(hub["manager"], url).content.decode()
    practitioner = _get(hub["practitioner"], url).content.decode()
    assert SECRET in manager
    assert SECRET not in practitioner and OPEN in practitioner
    household = _text(_get(hub["practitioner"], url))
    household = household[household.index("Children and household"):household.index("Concerns")]
    assert f"School designated safeguarding lead: {OPEN}, Education" in household
    assert f"From Education's answer on referral {referral.reference}" in household


def test_selectors_apply_the_answers_rule_for_every_reader(hub, case):
    _, jayden = case

    def names(rows):
        return sorted(i.practitioner_name for i in rows)

    assert names(current_involvements(user=hub["manager"], person_ids=[jayden.pk])[jayden.pk]) == [SECRET, OPEN]
    assert names(current_involvements(user=hub["practitioner"], person_ids=[jayden.pk])[jayden.pk]) == [OPEN]
    # The history shown while recording a new referral of the child (the candidate panel).
    assert names(person_history(user=hub["practitioner"], person=jayden).involvements) == [OPEN]
    assert names(person_history(user=hub["manager"], person=jayden).involvements) == [SECRET, OPEN]
    record = person_record(user=hub["practitioner"], person=jayden)
    assert (names(record.involvements), record.hidden_involvements) == ([OPEN], 1)
    # An agency representative sees only what their own agency's answers named.
    assert names(current_involvements(user=hub["police-rep"], person_ids=[jayden.pk])[jayden.pk]) == [SECRET]
    assert names(current_involvements(user=hub["education-rep"], person_ids=[jayden.pk])[jayden.pk]) == [OPEN]


def test_the_lead_from_an_answer_is_highlighted(hub, case):
    _, jayden = case
    page = _get(hub["practitioner"], f"/people/{jayden.pk}/").content.decode()
    lead = Involvement.objects.get(practitioner_name=OPEN)
    assert f'app-lead" data-involvement="{lead.pk}"' in page


def test_the_source_links_to_the_referral(hub, case):
    referral, jayden = case
    page = _get(hub["practitioner"], f"/people/{jayden.pk}/").content.decode()
    assert f'href="/referrals/{referral.reference}/">{referral.reference}</a>' in page


# ------------------------------------------------------------------ corrections


def test_only_the_corrected_version_is_shown(hub, case):
    referral, jayden = case
    _answer(hub, referral, "education", jayden, "Ms Corrected Name", role="school_dsl", correction_reason="New DSL.")
    page = _text(_get(hub["practitioner"], f"/people/{jayden.pk}/"))
    involved = page[page.index("Agencies and practitioners involved"):]
    assert "Ms Corrected Name" in involved and OPEN not in involved
    assert f"From Education's answer on referral {referral.reference} (version 2)" in involved


# ------------------------------------------------------------------ merges


def test_a_merge_moves_them_and_keeps_the_restriction(hub, case):
    _, jayden = case
    other = person_create(user=hub["manager"], data=NewPerson(given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2018, 7, 3)))
    merge = merge_people(user=hub["manager"], kept=other, merged=jayden, reason="The same boy.")
    assert set(Involvement.objects.values_list("person_id", flat=True)) == {other.pk}
    assert SECRET not in _get(hub["practitioner"], f"/people/{other.pk}/").content.decode()
    assert SECRET in _get(hub["manager"], f"/people/{other.pk}/").content.decode()
    # The merge's own page says which referral each moved involvement was named on.
    moved = [r for r in merge_page(user=hub["manager"], merge_id=merge.pk).rows if r.model == "Involvement"]
    assert len(moved) == 2 and {r.referral for r in moved} == {case[0].reference}
    undo_merge(user=hub["manager"], merge=merge, reason="Different boys after all.")
    assert set(Involvement.objects.values_list("person_id", flat=True)) == {jayden.pk}
    assert Person.objects.get(pk=jayden.pk).merged_into_id is None
