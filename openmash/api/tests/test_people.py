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


def _names(api, **criteria):
    response = api.get(SEARCH, criteria, as_="manager")
    assert response.status_code == 200, response.content
    return [p["given_name"] for p in response.json()["results"]]


def test_a_search_returns_ranked_explained_candidates(api):
    from openmash.agencies.models import Agency
    from openmash.people.models import Person, PersonSource

    jayden_id = Person.objects.get(given_name="Jayden").pk
    PersonSource.objects.create(person_id=jayden_id, agency=Agency.objects.get(code="education"), source_id="UPN-77")
    PersonSource.objects.create(person_id=jayden_id, agency=Agency.objects.get(code="csc"), source_id="CH-1001")
    # another spelling of the first name and day and month swapped: still the child, first
    response = api.get(SEARCH, {"given_name": "Jaden", "family_name": "Smith", "date_of_birth": "2018-03-07", "sex": "M"}, as_="practitioner")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    jayden = results[0]
    assert jayden["id"] == jayden_id and (jayden["given_name"], jayden["family_name"]) == ("Jayden", "Smith")
    assert jayden["source_ids"] == ["csc:CH-1001", "education:UPN-77"]
    assert jayden["date_of_birth"] == "2018-07-03" and jayden["postcode"] == "SE15 4AB"
    assert jayden["band"] in ("likely", "very likely") and jayden["probability"] >= 0.8
    assert isinstance(jayden["score"], float) and jayden["identifier_match"] is False
    reasons = {r["field"]: r for r in jayden["reasons"]}
    assert set(reasons) == {"given_name", "family_name", "date_of_birth", "sex", "postcode", "address", "nhs_number", "upn"}
    assert (reasons["date_of_birth"]["outcome"], reasons["date_of_birth"]["detail"]) == ("close", "swapped")
    assert "swapped" in reasons["date_of_birth"]["reason"]
    assert reasons["given_name"]["outcome"] == "close" and reasons["postcode"]["outcome"] == "missing"
    assert reasons["sex"]["outcome"] == "agree"
    assert all(set(r) == {"field", "outcome", "detail", "reason", "weight"} for r in jayden["reasons"])
    household = {m["given_name"]: m for m in jayden["household"]}
    assert household["Kerry"]["link"] == "mother" and household["Kerry"]["age"] == 32
    assert household["Tyler"]["link"] == "same address" and "born 1 year later" in household["Tyler"]["differences"]
    assert not household["Tyler"]["same_date_of_birth"]
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_a_family_name_alone_finds_the_family(api):
    response = api.get(SEARCH, {"family_name": "smith"}, as_="practitioner")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert sorted(p["given_name"] for p in results) == ["Jayden", "Kerry", "Tyler"]
    kerry = next(p for p in results if p["given_name"] == "Kerry")
    assert kerry["postcode"] == "" and kerry["address"] is None and kerry["source_ids"] == []
    jayden = next(p for p in results if p["given_name"] == "Jayden")
    assert jayden["nhs_number"] == "9434765919" and jayden["other_names"] == ["Jay Smith-Ali"]


def test_empty_parameters_mean_not_given(api):
    query = {"given_name": "", "family_name": "smith", "date_of_birth": "", "postcode": "", "nhs_number": "",
             "upn": "", "sex": "", "address_line": "", "limit": ""}
    response = api.get(SEARCH, query, as_="practitioner")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 3


def test_what_finds_whom(api):
    assert _names(api, given_name="Tyler", family_name="SMITH", date_of_birth="2020-02-01")[0] == "Tyler"
    assert _names(api, given_name="Jay", family_name="Smith-Ali", postcode="SE15 4AB")[0] == "Jayden"  # another name
    assert _names(api, given_name="Tyler", family_name="Smith", postcode="se15")[0] == "Tyler"  # district only
    assert _names(api, given_name="Tyler", family_name="Smith", postcode="SE15 4AB", address_line="14 Alder Rd")[0] == "Tyler"
    assert _names(api, given_name="Kerry", family_name="Smith", date_of_birth="1994-05-05", sex="f")[0] == "Kerry"
    assert _names(api, family_name="smith", limit=1) != [] and len(_names(api, family_name="smith", limit=1)) == 1
    assert _names(api, family_name="Jones") == []


def test_an_nhs_number_or_upn_finds_its_child_first(api):
    response = api.get(SEARCH, {"nhs_number": "943 476 5919", "given_name": "Kerry", "family_name": "Smith"}, as_="practitioner")
    first = response.json()["results"][0]
    assert first["given_name"] == "Jayden" and first["identifier_match"] is True
    assert _names(api, upn="a123456789012") == ["Jayden"]


def test_every_search_is_audited_with_its_criteria(api):
    api.get(SEARCH, {"family_name": "Smith", "date_of_birth": "2018-07-03"}, as_="practitioner")
    event = AuditEvent.objects.filter(action="person.search").latest("id")
    assert event.actor_username == "practitioner"
    assert event.details["criteria"]["family_name"] == "Smith" and event.details["criteria"]["date_of_birth"] == "2018-07-03"
    assert event.details["context"] == "api"
    assert event.details["results"] and all(isinstance(i, int) for i in event.details["results"])


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
    ({"postcode": "SE15 4A"}, "postcode"),  # neither full nor a district or sector
    ({"upn": "A123456789013"}, "upn"),  # check letter wrong
    ({"upn": "12"}, "upn"),
    ({"family_name": "smith", "sex": "X"}, "sex"),
    ({"family_name": "smith", "address_line": "x" * 121}, "address_line"),
    ({"sex": "M"}, "family_name"),  # sex alone is not a search
    ({"given_name": "Jay", "other_names": "Jay Smith"}, "other_names"),  # not a query parameter
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
