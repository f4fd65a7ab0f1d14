"""Token authentication, sessions refused, CSRF, and problem+json for everything that goes wrong."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from openmash.accounts.models import ApiToken
from openmash.accounts.services import api_token_authenticate
from openmash.api.tests.bodies import referral_body
from openmash.api.tests.conftest import T0, problem
from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


# ------------------------------------------------------------------ 401


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer om_not-a-real-token", "Bearer not-even-the-prefix", "Basic bWFuYWdlcjpvcGVubWFzaC1kZW1v", "Token {token}", "{token}"],
)
def test_missing_or_bad_tokens_are_401_problems(api, authorization):
    token = api.token("manager")
    headers = {"Authorization": authorization.format(token=token)} if authorization is not None else {}
    response = api.get("/api/v1/people/search", {"family_name": "smith"}, headers=headers)
    body = problem(response, 401)
    assert body["type"].endswith("/unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_every_route_needs_a_token(api):
    for method, path in [
        ("post", "/api/v1/referrals"), ("get", "/api/v1/referrals/MASH-2026-000001"),
        ("post", "/api/v1/referrals/MASH-2026-000001/triage"), ("post", "/api/v1/referrals/MASH-2026-000001/decision"),
        ("get", "/api/v1/information-requests"), ("get", "/api/v1/information-requests/1"),
        ("post", "/api/v1/information-requests/1/answer"), ("get", "/api/v1/people/search"),
    ]:
        response = getattr(api, method)(path) if method == "get" else api.post(path, referral_body())
        problem(response, 401)
    assert Referral.objects.count() == 0


def test_a_revoked_token_or_a_deactivated_user_is_401(api, hub):
    token = api.token("practitioner")
    assert api.get("/api/v1/people/search", {"family_name": "x"}, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    ApiToken.objects.filter(user=hub["practitioner"]).update(revoked_at=clock.now())
    problem(api.get("/api/v1/people/search", {"family_name": "x"}, headers={"Authorization": f"Bearer {token}"}), 401)

    api.token("manager")
    hub["manager"].is_active = False
    hub["manager"].save()
    problem(api.get("/api/v1/people/search", {"family_name": "x"}, as_="manager"), 401)


def test_a_signed_in_browser_session_is_not_accepted(api, client, hub):
    client.force_login(hub["manager"])
    problem(client.get("/api/v1/people/search", {"family_name": "smith"}), 401)
    problem(client.post("/api/v1/referrals", referral_body(), content_type="application/json"), 401)
    assert Referral.objects.count() == 0


def test_the_token_decides_who_acts_not_the_session(api, client, hub):
    client.force_login(hub["manager"])
    problem(api.get("/api/v1/people/search", {"family_name": "smith"}, as_="analyst"), 403)


def test_token_calls_need_no_csrf_token(hub):
    from openmash.accounts.services import api_token_create

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(hub["practitioner"])  # a session cookie is present, and still irrelevant
    token = api_token_create(user=hub["practitioner"])
    response = strict.post(
        "/api/v1/referrals", referral_body(), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.content


def test_using_a_token_records_when_it_was_last_used(api, hub):
    api.get("/api/v1/people/search", {"family_name": "x"}, as_="practitioner")
    assert ApiToken.objects.get(user=hub["practitioner"]).last_used_at == T0


# ------------------------------------------------------------------ problems for routes and methods


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing-here", "/api/v1/referrals/", "/api/v1/referrals/MASH-2026-000001/", "/api/v1/docs", "/api/v1/referrals/a/b/c"])
def test_unknown_routes_are_404_problems(api, path):
    for response in (api.get(path), api.get(path, as_="manager"), api.post(path, {}, as_="manager")):
        body = problem(response, 404)
        assert "openapi.json" in body["detail"]


def test_a_wrong_method_is_a_405_problem(api):
    response = api.get("/api/v1/referrals", as_="manager")
    body = problem(response, 405)
    assert body["type"].endswith("/method-not-allowed")
    assert response["Allow"] == "POST"
    problem(api.client.delete("/api/v1/referrals/MASH-2026-000001", headers={"Authorization": f"Bearer {api.token('manager')}"}), 405)


def test_problems_carry_the_request_id(api):
    response = api.get("/api/v1/referrals/MASH-2026-000404", as_="manager", headers={"X-Request-ID": "trace-0123456789"})
    assert problem(response, 404)["request_id"] == "trace-0123456789"


def test_a_problem_detail_never_echoes_a_traceback(api, monkeypatch):
    from openmash.referrals import selectors

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "referral_page", broken)
    body = problem(api.get("/api/v1/referrals/MASH-2026-000001", as_="manager"), 500)
    assert "fire" not in body["detail"] and body["type"].endswith("/server-error")


# ------------------------------------------------------------------ manage.py api_token


def test_the_api_token_command_prints_a_working_token(hub, capsys):
    call_command("api_token", "police-rep", "--name", "Niche bridge")
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("om_") and "\n" not in token
    assert "police-rep" in err
    assert api_token_authenticate(key=token) == hub["police-rep"]
    assert ApiToken.objects.get(user=hub["police-rep"]).name == "Niche bridge"
    assert AuditEvent.objects.filter(action="api_token.create", details__for_user="police-rep").exists()

    client = Client()
    response = client.get("/api/v1/information-requests", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json() == []


def test_the_api_token_command_refuses_an_unknown_user(hub):
    with pytest.raises(CommandError, match="No user with the username 'nobody'") as error:
        call_command("api_token", "nobody")
    assert error.value.returncode == 1
    assert not ApiToken.objects.exists()


def test_the_api_token_command_refuses_a_deactivated_user(hub):
    hub["ig"].is_active = False
    hub["ig"].save()
    with pytest.raises(CommandError, match="deactivated"):
        call_command("api_token", "ig")
    assert not ApiToken.objects.exists()


def test_the_api_token_command_exits_1_from_the_shell(hub, tmp_path):
    """As run by a person: `manage.py api_token nobody` says why and exits with status 1."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    root = Path(settings.BASE_DIR)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "openmash.config.settings.test"}
    if connection.vendor == "sqlite":
        # The test database lives in memory; the command needs a database with the tables.
        env["OPENMASH_VAR_DIR"] = str(tmp_path)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True)
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    result = subprocess.run([sys.executable, "manage.py", "api_token", "nobody"], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "No user with the username 'nobody'" in result.stderr
    assert result.stdout == ""
