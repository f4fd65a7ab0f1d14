import datetime as dt
import json

import pytest

from openmash.accounts.services import api_token_create

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
PROBLEM = "application/problem+json"


class ApiClient:
    """The Django test client speaking JSON with a bearer token for a demo user (by username)."""

    def __init__(self, client, users):
        self.client = client
        self.users = users
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = api_token_create(user=self.users[username], name="tests")
        return self.tokens[username]

    def _headers(self, as_, headers):
        out = dict(headers or {})
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.token(as_)}"
        return out

    def get(self, path, params=None, *, as_=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(as_, headers))

    def post(self, path, body=None, *, as_=None, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data=data, content_type="application/json", headers=self._headers(as_, headers))


@pytest.fixture
def api(client, hub):
    return ApiClient(client, hub)


def problem(response, status: int) -> dict:
    """Assert `response` is an RFC 9457 problem with `status`; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("tag:openmash,2026:problems/")
    assert body["title"] and body["detail"]
    assert body["instance"] == response.wsgi_request.path
    return body


def fields(body: dict) -> dict[str, list[str]]:
    """The problem's field errors as {field: [messages]}."""
    out: dict[str, list[str]] = {}
    for item in body.get("errors", []):
        out.setdefault(item["field"], []).append(item["message"])
    return out
