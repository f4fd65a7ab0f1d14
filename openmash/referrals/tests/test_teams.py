"""The hub team responsible for a referral (docs/adr/0017): chosen when a MASH manager rates it, the
manager's own team offered first, required while any team is active, changed later where the rating
is, audited with the old and the new team."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from openmash.accounts.models import Team, User
from openmash.accounts.services import team_update, user_update
from openmash.audit.models import AuditEvent
from openmash.core.errors import InvalidInput
from openmash.core.testing.factories import decide, make_referral, make_triaged
from openmash.referrals.models import RatingChange, Referral
from openmash.referrals.services import referral_triage
from openmash.referrals.tests.test_pages import assert_refused, client_for

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 4, 10, 11, 0, tzinfo=dt.timezone.utc)


def _selected_team(page: str) -> str | None:
    select = re.search(r'<select class="govuk-select[^"]*" id="team" name="team"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no team select on the page"
    chosen = re.search(r'<option value="([^"]*)" selected', select.group(1))
    return chosen.group(1) if chosen else None


def _options(page: str) -> list[str]:
    select = re.search(r'<select class="govuk-select[^"]*" id="team" name="team"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _deactivate_all(hub):
    for team in Team.objects.filter(active=True):
        team_update(user=hub["admin"], team=team, name=team.name, active=False)


def test_the_triage_form_offers_the_managers_own_team_and_saves_the_one_chosen(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    manager = client_for(hub["manager"])
    url = reverse("referrals:triage", kwargs={"reference": referral.reference})
    page = manager.get(url).content.decode()
    assert "Which team is responsible?" in page
    assert _selected_team(page) == "team-a"  # the manager's own team
    assert _options(page) == ["", "team-a", "team-b", "team-c"]
    response = manager.post(url, {"rating": "amber", "rationale": "DV.", "agencies": ["police"], "team": "team-b"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.team.code == "team-b"
    event = AuditEvent.objects.get(action="referral.triage", referral_reference=referral.reference)
    assert event.details["team"] == "team-b" and event.details["previous_team"] == ""
    detail = manager.get(reverse("referrals:detail", kwargs={"reference": referral.reference})).content.decode()
    assert re.search(r"Responsible team</dt>\s*<dd[^>]*>MASH Team B</dd>", detail)


def test_a_team_is_required_while_any_team_is_active(hub, freeze):
    freeze(T0)
    referral = make_referral(hub)
    manager = client_for(hub["manager"])
    url = reverse("referrals:triage", kwargs={"reference": referral.reference})
    base = {"rating": "amber", "rationale": "DV.", "agencies": ["police"]}
    assert_refused(manager.post(url, {**base, "team": ""}), "team", "Select the team responsible for this referral")
    assert_refused(manager.post(url, {**base, "team": "team-z"}), "team", "Select a team from the list")
    referral.refresh_from_db()
    assert referral.status == "awaiting_triage" and not RatingChange.objects.exists()
    # A manager with no team of their own gets no team offered, and must choose one.
    user_update(user=hub["admin"], target=hub["manager"], first_name="Morgan", last_name="Reid",
                email="manager@demo.openmash.invalid", role="manager", team_code="")
    assert _selected_team(manager.get(url).content.decode()) in (None, "")
    with pytest.raises(InvalidInput) as refused:
        referral_triage(user=User.objects.get(pk=hub["manager"].pk), referral=referral, rating="amber", rationale="DV.",
                        agency_codes=["police"])
    assert refused.value.errors == {"team": ["Select the team responsible for this referral"]}


def test_without_active_teams_a_referral_is_rated_without_one_and_the_form_asks_nothing(hub, freeze):
    freeze(T0)
    _deactivate_all(hub)
    referral = make_referral(hub)
    manager = client_for(hub["manager"])
    url = reverse("referrals:triage", kwargs={"reference": referral.reference})
    assert 'name="team"' not in manager.get(url).content.decode()
    assert manager.post(url, {"rating": "green", "rationale": "Low.", "agencies": ["police"]}).status_code == 302
    referral.refresh_from_db()
    assert referral.rating == "green" and referral.team is None


def test_an_inactive_team_can_be_kept_but_not_newly_chosen(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    assert referral.team.code == "team-a"
    team_b = Team.objects.get(code="team-b")
    team_update(user=hub["admin"], team=team_b, name=team_b.name, active=False)
    with pytest.raises(InvalidInput) as refused:
        referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="Worse.", team_code="team-b")
    assert refused.value.errors == {"team": ["MASH Team B is no longer active: select an active team"]}
    team_a = Team.objects.get(code="team-a")
    team_update(user=hub["admin"], team=team_a, name=team_a.name, active=False)
    rerated = referral_triage(user=hub["manager"], referral=referral, rating="red", rationale="Worse.")
    assert rerated.rating == "red" and rerated.team == team_a  # kept: its team, though no longer active


def test_a_manager_hands_a_referral_to_another_team_on_the_re_rating_page(hub, freeze):
    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    manager = client_for(hub["manager"])
    url = reverse("referrals:triage", kwargs={"reference": referral.reference})
    page = manager.get(url).content.decode()
    assert _selected_team(page) == "team-a" and "Why this change?" in page
    # Nothing changed: refused, saying what can change.
    assert_refused(manager.post(url, {"rating": "amber", "rationale": "Same.", "team": "team-a"}), "rating",
                   "This referral is already rated Amber; choose another rating, add agencies or change the team")
    freeze(T0 + dt.timedelta(minutes=10))
    response = manager.post(url, {"rating": "amber", "rationale": "Team B knows the family.", "team": "team-b"}, follow=True)
    assert "is now the responsibility of MASH Team B" in response.content.decode()
    referral.refresh_from_db()
    assert referral.team.code == "team-b" and referral.rating == "amber"
    assert RatingChange.objects.filter(referral=referral).count() == 1  # the rating did not change
    event = AuditEvent.objects.get(action="referral.team_change")
    assert event.referral_reference == referral.reference and event.actor_id == hub["manager"].pk
    assert event.details == {"before": "team-a", "after": "team-b", "reason": "Team B knows the family."}
    # With a new rating, the team moves too and the re-rating's audit says so.
    manager.post(url, {"rating": "red", "rationale": "Worse; back to A.", "team": "team-a"})
    rerate = AuditEvent.objects.get(action="referral.rerate")
    assert (rerate.details["previous_team"], rerate.details["team"]) == ("team-b", "team-a")


def test_the_team_of_a_decided_referral_cannot_change(hub, freeze):
    from openmash.core.errors import Conflict

    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    decide(hub, referral)
    with pytest.raises(Conflict):
        referral_triage(user=hub["manager"], referral=referral, rating="amber", rationale="Later.", agency_codes=[],
                        team_code="team-b")
    assert Referral.objects.get(pk=referral.pk).team.code == "team-a"


def test_only_a_manager_changes_the_team(hub, freeze):
    from openmash.core.errors import Forbidden

    freeze(T0)
    referral = make_triaged(hub, rating="amber", agencies=["police"])
    with pytest.raises(Forbidden):
        referral_triage(user=hub["practitioner"], referral=referral, rating="amber", rationale="Mine.", team_code="team-b")
