"""GET /people/search."""

import pytest

from openmash.api.tests.bodies import referral_body
from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/people/search"


@pytest.fixture(autouse=True)
def smiths(api, freeze):
    freeze(T0)
    assert api.post("/api/v1/referrals", referral_body(), as_="practitioner").status_code == 201


def test_search_by_name_finds_the_family(api):
    response = api.get(SEARCH, {"family_name": "smith"}, as_="practitioner")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(p["given_name"], p["family_name"]) for p in results] == [("Jayden", "Smith"), ("Kerry", "Smith"), ("Tyler", "Smith")]
    jayden = results[0]
    assert jayden["id"] and jayden["date_of_birth"] == "2018-07-03" and jayden["postcode"] == "SE15 4AB"
    assert jayden["nhs_number"] == "9434765919" and jayden["other_names"] == ["Jay Smith-Ali"]
    assert results[1]["postcode"] == "" and results[1]["address"] is None


def test_empty_parameters_mean_not_given(api):
    query = {"given_name": "", "family_name": "smith", "date_of_birth": "", "postcode": "", "nhs_number": "", "limit": ""}
    response = api.get(SEARCH, query, as_="practitioner")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 3


def test_the_criteria_narrow_the_search(api):
    def names(**criteria):
        return [p["given_name"] for p in api.get(SEARCH, criteria, as_="manager").json()["results"]]

    assert names(given_name="ty", family_name="SMITH") == ["Tyler"]
    assert names(family_name="smith", date_of_birth="2018-07-03") == ["Jayden"]
    assert names(family_name="smith", postcode="se154ab") == ["Jayden", "Tyler"]
    assert names(nhs_number="943 476 5919") == ["Jayden"]
    assert names(given_name="jay") == ["Jayden"]  # also matches other names from their start
    assert names(family_name="smith", limit=1) == ["Jayden"]
    assert names(family_name="Jones") == []


def test_every_search_is_audited_with_its_criteria(api):
    api.get(SEARCH, {"family_name": "Smith", "date_of_birth": "2018-07-03"}, as_="practitioner")
    event = AuditEvent.objects.filter(action="person.search").latest("id")
    assert event.actor_username == "practitioner"
    assert event.details["criteria"]["family_name"] == "Smith" and event.details["criteria"]["date_of_birth"] == "2018-07-03"
    assert event.details["context"] == "api"


BAD_SEARCHES = [
    ({}, "family_name"),  # no criteria at all
    ({"family_name": "  "}, "family_name"),
    ({"nhs_number": "943 476 5918"}, "nhs_number"),
    ({"nhs_number": "12"}, "nhs_number"),
    ({"postcode": "NOWHERE"}, "postcode"),
    ({"date_of_birth": "2020-02-30"}, "date_of_birth"),
    ({"date_of_birth": "30/01/2020"}, "date_of_birth"),
    ({"family_name": "smith", "limit": 0}, "limit"),
    ({"family_name": "smith", "limit": 51}, "limit"),
    ({"family_name": "smith", "limit": "ten"}, "limit"),
    ({"family_name": "s" * 101}, "family_name"),
    ({"family_name": "smith\x00"}, "family_name"),
    ({"surname": "smith"}, "surname"),  # a misspelt criterion must not widen the search
]


@pytest.mark.parametrize("query,field", BAD_SEARCHES)
def test_bad_searches_are_422_problems(api, query, field):
    searches = AuditEvent.objects.filter(action="person.search").count()
    got = fields(problem(api.get(SEARCH, query, as_="practitioner"), 422))
    assert field in got, got
    assert AuditEvent.objects.filter(action="person.search").count() == searches


@pytest.mark.parametrize("username", ["police-rep", "analyst", "admin", "ig"])
def test_only_hub_staff_search(api, username):
    problem(api.get(SEARCH, {"family_name": "smith"}, as_=username), 403)
