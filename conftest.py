"""Fixtures shared by every test: the demo agencies and users, a frozen clock, an API client."""

import datetime as dt

import pytest

from openmash.core import clock


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_frozen(None)


@pytest.fixture
def freeze():
    """`freeze(datetime)` fixes clock.now() until the test ends (or freeze is called again)."""

    def _freeze(at: dt.datetime):
        clock.set_frozen(at)
        return at

    return _freeze


@pytest.fixture
def hub(db):
    """The 16 agencies, the clock policy and a user for every role (demo accounts)."""
    from openmash.core.testing.hub import quick_hub

    return quick_hub()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
