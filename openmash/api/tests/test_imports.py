"""POST /agencies/{code}/people and POST /agencies/{code}/involvements: an agency's system sends
what it holds, with the same rules as the CSV imports."""

import datetime as dt

import pytest

from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent
from openmash.people.models import Address, Involvement, Person, PersonKey, PersonSource

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/agencies/{code}/people"
INVOLVEMENTS = "/api/v1/agencies/{code}/involvements"


def jayden(**changes):
    row = {
        "source_id": "P1", "given_name": "Jayden", "family_name": "Smith", "date_of_birth": "2015-07-03", "sex": "M",
        "address_line": "12 Rye Lane", "town": "London", "postcode": "SE15 4AB", "nhs_number": "943 476 5919",
        "other_names": ["Jay Smith-Ali"],
    }
    return {**row, **changes}


@pytest.fixture(autouse=True)
def _frozen(freeze):
    freeze(T0)


def send(api, rows, *, code="police", as_="police-rep", path=PEOPLE):
    return api.post(path.format(code=code), {"rows": rows}, as_=as_)


def test_a_representative_sends_people_and_gets_the_counts(api):
    response = send(api, [jayden(), {"source_id": "P2", "given_name": "Ava", "family_name": "Jones"}])
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": []}
    person = PersonSource.objects.get(agency__code="police", source_id="P1").person
    assert (person.given_name, person.date_of_birth, person.nhs_number) == ("Jayden", dt.date(2015, 7, 3), "9434765919")
    assert person.created_by.username == "police-rep"
    assert person.addresses.get().postcode == "SE15 4AB"
    assert PersonKey.objects.filter(person=person).exists()


def test_bad_rows_come_back_with_their_position_and_reasons_and_the_rest_load(api):
    rows = [
        jayden(),
        jayden(source_id="P2", given_name="", nhs_number="9434765918", date_of_birth="2015-02-30"),
        jayden(source_id="P1"),
        {"source_id": "P3", "given_name": "Ava", "family_name": "Jones", "sex": "X"},
    ]
    response = send(api, rows)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 0, 0)
    rejected = {r["row"]: r for r in body["rejected"]}
    assert set(rejected) == {1, 2, 3}
    assert rejected[1]["source_id"] == "P2"
    assert set(rejected[1]["errors"]) == {"given_name", "nhs_number", "date_of_birth"}
    assert "check digit" in rejected[1]["errors"]["nhs_number"][0]
    assert rejected[2]["errors"] == {"source_id": ["The id P1 is already on row 0: each id may appear once"]}
    assert list(rejected[3]["errors"]) == ["sex"]
    assert Person.objects.count() == 1


def test_sending_the_same_rows_twice_changes_nothing_and_a_change_updates(api):
    rows = [jayden(), {"source_id": "P2", "given_name": "Ava", "family_name": "Jones"}]
    assert send(api, rows).status_code == 200
    before = (Person.objects.count(), Address.objects.count(), PersonKey.objects.count())
    again = send(api, rows)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2, "rejected": []}
    assert (Person.objects.count(), Address.objects.count(), PersonKey.objects.count()) == before
    moved = send(api, [jayden(address_line="3 Peckham Road", postcode="SE5 8UH", nhs_number="")])
    assert moved.json() == {"created": 0, "updated": 1, "unchanged": 0, "rejected": []}
    person = PersonSource.objects.get(source_id="P1").person
    assert person.nhs_number == "9434765919"  # a blank never erases it
    assert [(a.postcode, a.is_current) for a in person.addresses.order_by("id")] == [("SE15 4AB", False), ("SE5 8UH", True)]


def test_one_audit_entry_per_call(api):
    send(api, [jayden(), {"source_id": "P2", "given_name": "", "family_name": "Jones"}])
    event = AuditEvent.objects.get(action="person.import")
    assert (event.object_type, event.object_id, event.actor_username, event.actor_agency) == ("agency", "police", "police-rep", "police")
    assert event.details == {
        "agency": "police", "via": "api", "read": 2, "created": 1, "updated": 0, "unchanged": 0, "rejected": 1, "completed": True,
    }
    assert not AuditEvent.objects.filter(action="person.create").exists()


@pytest.mark.parametrize("as_, code, status", [
    ("education-rep", "police", 403),  # another agency's representative
    ("manager", "police", 403),
    ("practitioner", "police", 403),
    ("admin", "police", 403),
    ("analyst", "police", 403),
    ("ig", "police", 403),
    ("police-rep", "nope", 403),  # not their agency (nor anyone's)
    ("police-rep", "education", 403),
    (None, "police", 401),
])
@pytest.mark.parametrize("path", [PEOPLE, INVOLVEMENTS])
def test_only_a_representative_of_that_agency_may_send(api, as_, code, status, path):
    row = jayden() if path == PEOPLE else {"source_id": "I1", "person_source_id": "P1", "role": "other"}
    body = problem(send(api, [row], code=code, as_=as_, path=path), status)
    assert body["type"].endswith("forbidden" if status == 403 else "unauthenticated")
    assert Person.objects.count() == 0 and Involvement.objects.count() == 0
    assert not AuditEvent.objects.filter(action__in=["person.import", "involvement.import"]).exists()


def test_an_inactive_agencys_representative_may_not_send(api):
    from openmash.agencies.models import Agency

    Agency.objects.filter(code="police").update(active=False)
    problem(send(api, [jayden()]), 403)


def test_whole_body_problems_are_problems(api):
    path = PEOPLE.format(code="police")
    body = problem(api.post(path, raw="rows: [", as_="police-rep"), 400)
    assert body["type"].endswith("malformed-request")
    too_many = [{"source_id": f"P{i}", "given_name": "A", "family_name": "B"} for i in range(1001)]
    body = problem(send(api, too_many), 422)
    assert fields(body) == {"rows": ["Send at most 1,000 rows in one call (this had 1,001)"]}
    assert fields(problem(send(api, []), 422)) == {"rows": ["Send at least one row"]}
    assert "rows" in fields(problem(api.post(path, {"people": []}, as_="police-rep"), 422))
    body = problem(send(api, [jayden(surname="Smith")]), 422)
    assert list(fields(body)) == ["rows.0.surname"]
    body = problem(send(api, [jayden(date_of_birth=20150703, other_names="Jay")]), 422)
    assert set(fields(body)) == {"rows.0.date_of_birth", "rows.0.other_names"}
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(action="person.import").exists()


def test_a_thousand_rows_in_one_call(api):
    rows = [{"source_id": f"P{i}", "given_name": "Child", "family_name": f"Number{i}", "postcode": "SE15 4AB"} for i in range(1000)]
    response = send(api, rows)
    assert response.status_code == 200, response.content[:500]
    assert response.json()["created"] == 1000
    assert AuditEvent.objects.filter(action="person.import").count() == 1


def test_involvements_through_the_api(api):
    send(api, [jayden()])
    rows = [
        {"source_id": "I1", "person_source_id": "P1", "service": "YOT", "practitioner_name": "Sam Patel",
         "role": "Youth justice worker", "is_lead": True, "start_date": "2025-01-10"},
        {"source_id": "I2", "person_source_id": "P404", "role": "other"},
        {"source_id": "I3", "person_source_id": "P1", "role": "other", "start_date": "2025-03-01", "end_date": "2025-02-01"},
    ]
    response = send(api, rows, path=INVOLVEMENTS)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 0, 0)
    assert {r["row"]: list(r["errors"]) for r in body["rejected"]} == {1: ["person_source_id"], 2: ["end_date"]}
    record = Involvement.objects.get()
    assert (record.role, record.is_lead, record.source, record.created_by.username) == ("youth_justice_worker", True, "import", "police-rep")
    assert send(api, rows[:1], path=INVOLVEMENTS).json() == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}
    body = problem(send(api, [{**rows[0], "is_lead": "yes"}], path=INVOLVEMENTS), 422)
    assert list(fields(body)) == ["rows.0.is_lead"]
    assert AuditEvent.objects.filter(action="involvement.import", object_id="police").count() == 2


def test_the_routes_are_in_the_api_document(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/agencies/{code}/people"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "422"}
    assert "/api/v1/agencies/{code}/involvements" in document["paths"]


def test_a_race_on_new_ids_is_a_conflict_not_a_server_error(api):
    from unittest import mock

    from django.db import IntegrityError

    from openmash.people import imports

    with mock.patch.object(imports, "_load_people", side_effect=IntegrityError("duplicate key")):
        body = problem(send(api, [jayden()]), 409)
    assert "send the rows again" in body["detail"]
    assert Person.objects.count() == 0 and not AuditEvent.objects.filter(action="person.import").exists()
