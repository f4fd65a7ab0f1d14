"""Hub teams in administration (docs/adr/0017): an administrator adds, renames and deactivates teams
and puts MASH managers and practitioners in one; every change is audited."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import Team, User
from openmash.audit.models import AuditEvent
from openmash.referrals.tests.test_pages import assert_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(hub):
    client = Client()
    client.force_login(hub["admin"])
    return client


def test_the_team_list_shows_each_team_its_members_and_status(admin, hub):
    body = re.sub(r"\s+", " ", admin.get(reverse("accounts:team-list")).content.decode())
    assert re.search(r"MASH Team A</td> <td[^>]*><code>team-a</code></td> <td[^>]*>2</td>", body)  # the manager and practitioner
    assert re.search(r"MASH Team B</td> <td[^>]*><code>team-b</code></td> <td[^>]*>0</td>", body)
    assert 'href="/admin/teams/team-c/"' in body
    assert "Hub teams" in admin.get(reverse("accounts:user-list")).content.decode()  # in the navigation


def test_an_administrator_adds_a_team_and_bad_input_is_refused_next_to_the_field(admin, hub):
    url = reverse("accounts:team-create")
    assert_refused(admin.post(url, {"code": "", "name": "Night team"}), "code", "Enter a code for the team, like team-a")
    assert_refused(admin.post(url, {"code": "Night Team", "name": "Night team"}), "code",
                   "Code must be 2 to 40 lower-case letters, digits and hyphens, starting with a letter")
    assert_refused(admin.post(url, {"code": "team-a", "name": "Night team"}), "code", "Another team already has this code")
    assert_refused(admin.post(url, {"code": "night", "name": "mash team b"}), "name", "Another team already has this name")
    assert_refused(admin.post(url, {"code": "night", "name": ""}), "name", "Enter the team's name")
    assert not Team.objects.filter(code="night").exists()
    assert admin.post(url, {"code": "night", "name": "Out-of-hours team"}).status_code == 302
    team = Team.objects.get(code="night")
    assert team.active and team.name == "Out-of-hours team"
    event = AuditEvent.objects.get(action="team.create")
    assert event.object_id == "night" and event.actor_id == hub["admin"].pk and event.details == {"name": "Out-of-hours team"}


def test_an_administrator_renames_and_deactivates_a_team_audited_with_before_and_after(admin, hub):
    url = reverse("accounts:team-edit", kwargs={"code": "team-b"})
    page = admin.get(url).content.decode()
    assert "<code>team-b</code>" in page and 'value="MASH Team B"' in page
    assert admin.post(url, {"name": "Triage team", "active": "no"}).status_code == 302
    team = Team.objects.get(code="team-b")
    assert (team.name, team.active) == ("Triage team", False)
    event = AuditEvent.objects.get(action="team.update")
    assert event.details == {"before": {"name": "MASH Team B", "active": True}, "after": {"name": "Triage team", "active": False}}
    assert admin.get(reverse("accounts:team-edit", kwargs={"code": "no-such-team"})).status_code == 404


def test_an_administrator_puts_hub_staff_in_a_team_but_nobody_else(admin, hub):
    practitioner = hub["practitioner"]
    url = reverse("accounts:user-edit", kwargs={"user_id": practitioner.pk})
    base = {"first_name": "Priya", "last_name": "Shah", "email": "practitioner@demo.openmash.invalid", "role": "practitioner",
            "agency": "", "is_active": "yes", "job_title": ""}
    page = admin.get(url).content.decode()
    assert re.search(r'<option value="team-a" selected>MASH Team A</option>', page)
    assert admin.post(url, {**base, "team": "team-b"}).status_code == 302
    assert User.objects.get(pk=practitioner.pk).team.code == "team-b"
    event = AuditEvent.objects.filter(action="user.update").latest("pk")
    assert (event.details["before"]["team"], event.details["after"]["team"]) == ("team-a", "team-b")
    assert_refused(admin.post(url, {**base, "role": "analyst", "team": "team-b"}), "team",
                   "Only MASH managers and practitioners belong to a hub team: choose No team")
    assert_refused(admin.post(url, {**base, "team": "team-z"}), "team", "Select a team from the list")
    assert admin.post(url, {**base, "role": "analyst", "team": ""}).status_code == 302
    assert User.objects.get(pk=practitioner.pk).team is None


def test_a_deactivated_team_is_kept_for_its_members_but_not_offered_to_others(admin, hub):
    from openmash.accounts.services import team_update

    team_update(user=hub["admin"], team=Team.objects.get(code="team-a"), name="MASH Team A", active=False)
    own = admin.get(reverse("accounts:user-edit", kwargs={"user_id": hub["manager"].pk})).content.decode()
    assert "MASH Team A (inactive)" in own
    other = admin.get(reverse("accounts:user-create")).content.decode()
    assert 'value="team-a"' not in other and 'value="team-b"' in other
    base = {"first_name": "Alex", "last_name": "Okafor", "email": "a@x.example", "role": "manager", "agency": "",
            "is_active": "yes", "job_title": ""}
    assert_refused(admin.post(reverse("accounts:user-edit", kwargs={"user_id": hub["analyst"].pk}), {**base, "team": "team-a"}),
                   "team", "Select a team from the list")
