"""POST /referrals and GET /referrals/{reference}: recording through the API, and what each caller sees."""

import datetime as dt
import json

import pytest

from openmash.api.tests.bodies import referral_body
from openmash.api.tests.conftest import T0, fields, problem
from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.people.models import Person, Relationship
from openmash.referrals.models import Referral, ReferralPerson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


def _counts():
    return (Referral.objects.count(), Person.objects.count(), ReferralPerson.objects.count(), Relationship.objects.count())


# ------------------------------------------------------------------ recording


def test_a_practitioner_records_a_referral_with_siblings_and_their_mother(api):
    response = api.post("/api/v1/referrals", referral_body(), as_="practitioner")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == "MASH-2026-000001"
    assert response["Location"] == f"/api/v1/referrals/{body['reference']}"
    assert body["status"] == "awaiting_triage"
    assert body["received_at"] == "2026-11-25T09:00:00+00:00"
    assert body["decision_due_at"].endswith("+00:00")
    jayden, tyler = body["children"]
    assert (jayden["given_name"], tyler["given_name"]) == ("Jayden", "Tyler")
    assert jayden["nhs_number"] == "9434765919"  # normalised by the service
    assert jayden["address"]["postcode"] == "SE15 4AB"
    assert jayden["other_names"] == ["Jay Smith-Ali"]
    [kerry] = body["adults"]
    assert [(r["child_person_id"], r["kind"], r["parental_responsibility"]) for r in kerry["relationships"]] == [
        (jayden["person_id"], "mother", True), (tyler["person_id"], "mother", True),
    ]
    referral = Referral.objects.get(reference=body["reference"])
    assert referral.created_by.username == "practitioner"
    assert sorted(referral.concerns.values_list("category", flat=True)) == ["domestic_abuse", "neglect"]
    event = AuditEvent.objects.get(action="referral.create")
    assert event.actor_username == "practitioner" and event.request_id == response["X-Request-ID"]


def test_a_manager_may_record_too_and_an_existing_person_is_linked_by_id(api):
    first = api.post("/api/v1/referrals", referral_body(), as_="manager").json()
    jayden = first["children"][0]["person_id"]
    people = Person.objects.count()

    second = referral_body(children=[{"person_id": jayden}], adults=[])
    response = api.post("/api/v1/referrals", second, as_="manager")

    assert response.status_code == 201, response.content
    assert response.json()["children"][0]["person_id"] == jayden
    assert Person.objects.count() == people


def test_an_anonymous_referrer(api):
    body = referral_body(referrer={"anonymous": True}, source="9")
    response = api.post("/api/v1/referrals", body, as_="practitioner")
    assert response.status_code == 201, response.content
    assert Referral.objects.get().referrer_anonymous


def test_nulls_are_accepted_for_optional_text(api):
    body = referral_body(family_informed_notes=None, consent_notes=None)
    body["children"][1]["nhs_number"] = None
    assert api.post("/api/v1/referrals", body, as_="practitioner").status_code == 201


@pytest.mark.parametrize("username", ["police-rep", "analyst", "admin", "ig"])
def test_only_hub_staff_record_referrals(api, username):
    body = problem(api.post("/api/v1/referrals", referral_body(), as_=username), 403)
    assert "MASH staff" in body["detail"]
    assert Referral.objects.count() == 0


# ------------------------------------------------------------------ bad input: 4xx problem, right field, nothing saved


def _set(body, path, value):
    """Set (or with value=DELETE, remove) the item at a dotted path."""
    *parents, last = path.split(".")
    target = body
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        last = int(last)
    if value is DELETE:
        del target[last]
    else:
        target[last] = value


DELETE = object()
FUTURE = (T0 + dt.timedelta(days=1)).isoformat()

BAD_REFERRALS = [
    # missing fields
    ("source", DELETE, "source"),
    ("referrer", DELETE, "referrer"),
    ("children", DELETE, "children"),
    ("concern_narrative", DELETE, "concern_narrative"),
    ("received_at", DELETE, "received_at"),
    ("children", [], "children"),
    ("concern_categories", [], "concern_categories"),
    ("concern_narrative", "   ", "concern_narrative"),
    ("children.0.given_name", "", "children.0.given_name"),
    ("referrer.name", "", "referrer.name"),
    ("referrer", {"name": "Helen Marsh"}, "referrer.phone"),
    ("consent", "not_sought", "consent_notes"),
    # wrong types
    ("children", "Jayden", "children"),
    ("children.0", "Jayden", "children.0"),
    ("concern_categories", "neglect", "concern_categories"),
    ("referrer.anonymous", "yes", "referrer.anonymous"),
    ("children.0.date_of_birth", 20180703, "children.0.date_of_birth"),
    ("children.0.date_of_birth", "03/07/2018", "children.0.date_of_birth"),
    ("children.0.nhs_number", 9434765919, "children.0.nhs_number"),
    ("children.0.other_names", "Jay", "children.0.other_names"),
    ("received_at", 1764061200, "received_at"),
    ("adults.0.relationships.0.child", "0", "adults.0.relationships.0.child"),
    ("adults.0.relationships.0.parental_responsibility", "yes", "adults.0.relationships.0.parental_responsibility"),
    ("children.0.person_id", "12", "children.0.person_id"),
    ("children.0.person_id", 2**70, "children.0.person_id"),
    # impossible dates and times
    ("children.0.date_of_birth", "2018-02-31", "children.0.date_of_birth"),
    ("received_at", "2026-02-31T10:00:00+00:00", "received_at"),
    ("received_at", "2026-11-25T25:00:00+00:00", "received_at"),
    ("received_at", "2026-11-25T09:00:00", "received_at"),  # naive
    ("received_at", FUTURE, "received_at"),
    ("received_at", "2024-01-01T09:00:00+00:00", "received_at"),  # over 12 months ago
    ("children.0.date_of_birth", "2027-01-01", "children.0.date_of_birth"),
    ("children.0.date_of_birth", "2000-01-01", "children.0.date_of_birth"),  # an adult as a child
    # identifiers
    ("children.0.nhs_number", "943 476 5918", "children.0.nhs_number"),
    ("children.0.nhs_number", "12345", "children.0.nhs_number"),
    ("adults.0.nhs_number", "943 476 5918", "adults.0.nhs_number"),
    ("children.0.upn", "B123456789012", "children.0.upn"),
    ("children.0.address.postcode", "NOT A POSTCODE", "children.0.address.postcode"),
    # unknown codes
    ("source", "11", "source"),
    ("concern_categories", ["neglect", "bullying"], "concern_categories.1"),
    ("family_informed", "maybe", "family_informed"),
    ("consent", "implied", "consent"),
    ("children.0.sex", "X", "children.0.sex"),
    ("children.0.ethnicity", "ZZZZ", "children.0.ethnicity"),
    ("adults.0.relationships.0.kind", "uncle", "adults.0.relationships.0.kind"),
    # oversized text
    ("concern_narrative", "x" * 20001, "concern_narrative"),
    ("children.0.given_name", "J" * 101, "children.0.given_name"),
    ("referrer.name", "H" * 121, "referrer.name"),
    ("children.0.address.line_1", "1" * 121, "children.0.address.line_1"),
    ("family_informed_notes", "n" * 2001, "family_informed_notes"),
    # text a database cannot store
    ("concern_narrative", "hungry\x00", "concern_narrative"),
    ("children.0.family_name", "Sm\ud800ith", "children.0.family_name"),
    # people and relationships that do not fit together
    ("adults.0.relationships.1.child", 5, "adults.0.relationships.1.child"),
    ("adults.0.relationships", [{"child": 0, "kind": "mother"}], "adults.0.relationships"),
    ("adults.0.relationships", [{"child": 0, "kind": "mother"}, {"child": 0, "kind": "father"}, {"child": 1, "kind": "mother"}], "adults.0.relationships"),
    ("children.1", {"person_id": 999999}, "children.1.person_id"),
    ("children.1", {"person_id": 1, "given_name": "Tyler"}, "children.1"),
    ("referrer.email", "not-an-email", "referrer.email"),
    ("referrer", {"anonymous": True, "name": "Helen Marsh"}, "referrer.anonymous"),
    # fields the API does not know
    ("narrative", "misspelt", "narrative"),
    ("children.0.surname", "Smith", "children.0.surname"),
]


@pytest.mark.parametrize("path,value,field", BAD_REFERRALS, ids=[f"{p}={str(v)[:20]!r}" for p, v, _ in BAD_REFERRALS])
def test_bad_referrals_are_refused_with_the_field_path_and_nothing_is_saved(api, path, value, field):
    api.post("/api/v1/referrals", referral_body(), as_="practitioner")  # someone to refer to by id
    before = _counts()
    body = referral_body()
    _set(body, path, value)

    problem_body = problem(api.post("/api/v1/referrals", body, as_="practitioner"), 422)

    assert field in fields(problem_body), problem_body["errors"]
    assert all(message for message in fields(problem_body)[field])
    assert _counts() == before


def test_every_problem_is_reported_at_once(api):
    body = referral_body()
    body["children"][0]["nhs_number"] = "943 476 5918"
    body["children"][1]["upn"] = "B123456789012"
    body["referrer"]["phone"] = "call me"
    body["concern_narrative"] = "x" * 20001
    got = fields(problem(api.post("/api/v1/referrals", body, as_="practitioner"), 422))
    assert {"children.0.nhs_number", "children.1.upn", "referrer.phone", "concern_narrative"} <= set(got)


def test_a_body_that_is_not_json_is_a_400_problem(api):
    response = api.post("/api/v1/referrals", raw="{not json", as_="practitioner")
    assert problem(response, 400)["type"].endswith("/malformed-request")
    response = api.post("/api/v1/referrals", raw=b"\xff\xfe", as_="practitioner")
    problem(response, 400)
    assert Referral.objects.count() == 0


def test_a_body_that_is_not_an_object_names_the_body(api):
    got = fields(problem(api.post("/api/v1/referrals", [referral_body()], as_="practitioner"), 422))
    assert "" in got


def test_an_empty_body(api):
    got = fields(problem(api.post("/api/v1/referrals", raw="", as_="practitioner"), 422))
    assert "" in got or "received_at" in got


def test_a_body_over_two_megabytes_is_a_413_problem(api):
    body = referral_body(concern_narrative="x" * (2 * 1024 * 1024 + 10))
    problem(api.post("/api/v1/referrals", body, as_="practitioner"), 413)
    assert Referral.objects.count() == 0


# ------------------------------------------------------------------ reading a referral


@pytest.fixture
def answered(hub):
    """Red, asking csc, police and education; police answered "MASH manager only", csc openly."""
    referral = make_triaged(hub, rating="red", agencies=["csc", "police", "education"])
    answer(hub, referral, "police", summary="Restricted police intelligence.", restriction="manager_only", detail="Operation Nightjar.")
    answer(hub, referral, "csc", summary="Open to early help in 2024.")
    return referral


def test_a_manager_sees_the_whole_referral_with_restricted_answers(api, answered):
    response = api.get(f"/api/v1/referrals/{answered.reference}", as_="manager")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reference"] == answered.reference
    assert body["status"] == "gathering" and body["rating"] == "red"
    assert body["referrer"]["name"] == "Helen Marsh"
    assert body["consent"] == "given"
    assert [c["rating"] for c in body["rating_history"]] == ["red"]
    assert body["decision"] is None
    assert body["chronology"]
    requests = {r["agency"]["code"]: r for r in body["information_requests"]}
    assert set(requests) == {"csc", "police", "education"}
    assert requests["police"]["answers"][0]["summary"] == "Restricted police intelligence."
    assert requests["police"]["answers"][0]["restriction"] == "manager_only"
    assert requests["police"]["restricted_answers_hidden"] == 0
    assert requests["education"]["status"] == "open" and requests["education"]["answers"] == []
    assert requests["csc"]["due_at"] == "2026-11-25T14:00:00+00:00"  # red: 4 hours from the rating
    child = body["children"][0]
    assert {"person_id", "given_name", "family_name", "date_of_birth", "sex", "address"} <= set(child)
    assert body["concern_categories"] == ["neglect"]
    assert AuditEvent.objects.filter(action="referral.view", actor_username="manager", referral_reference=answered.reference).exists()


def test_a_practitioner_never_sees_a_restricted_answer(api, answered):
    response = api.get(f"/api/v1/referrals/{answered.reference}", as_="practitioner")
    assert response.status_code == 200
    assert "Restricted police intelligence" not in response.content.decode()
    assert "Nightjar" not in response.content.decode()
    requests = {r["agency"]["code"]: r for r in response.json()["information_requests"]}
    assert requests["police"]["answers"] == [] and requests["police"]["restricted_answers_hidden"] == 1
    assert requests["police"]["status"] == "answered"  # that it was answered is not hidden
    assert requests["csc"]["answers"][0]["summary"] == "Open to early help in 2024."


def test_an_agency_rep_sees_only_their_own_request_and_no_referrer(api, answered):
    response = api.get(f"/api/v1/referrals/{answered.reference}", as_="csc-rep")
    assert response.status_code == 200
    body = response.json()
    text = response.content.decode()
    assert [r["agency"]["code"] for r in body["information_requests"]] == ["csc"]
    assert "Restricted police intelligence" not in text and "Nightjar" not in text
    for hidden in ("referrer", "consent", "consent_notes", "family_informed", "rating_history", "decision", "chronology"):
        assert hidden not in body
    assert "Helen Marsh" not in text and "Oakfield" not in text and "020 7946" not in text
    assert body["children"] and body["adults"] and body["concern_narrative"]


def test_the_police_rep_sees_their_own_restricted_answer(api, answered):
    body = api.get(f"/api/v1/referrals/{answered.reference}", as_="police-rep").json()
    [police] = body["information_requests"]
    assert police["answers"][0]["summary"] == "Restricted police intelligence."
    assert "Open to early help" not in json.dumps(body)


@pytest.mark.parametrize("username", ["housing-rep", "analyst", "admin", "ig"])
def test_anyone_else_is_told_the_referral_does_not_exist(api, answered, username):
    unseen = problem(api.get(f"/api/v1/referrals/{answered.reference}", as_=username), 404)
    missing = problem(api.get("/api/v1/referrals/MASH-2026-999999", as_=username), 404)
    assert unseen["detail"].replace(answered.reference, "X") == missing["detail"].replace("MASH-2026-999999", "X")


def test_a_decided_referral_shows_its_decision(api, hub, answered):
    decide(hub, answered, outcome="early_help")
    body = api.get(f"/api/v1/referrals/{answered.reference}", as_="practitioner").json()
    assert body["status"] == "decided" and body["decided_at"]
    assert {o["outcome"] for o in body["decision"]["outcomes"]} == {"early_help"}
    assert {r["agency"]["code"]: r["status"] for r in body["information_requests"]}["education"] == "not_needed"


def test_a_referral_awaiting_triage_has_no_rating_and_no_requests(api, hub):
    referral = make_referral(hub)
    body = api.get(f"/api/v1/referrals/{referral.reference}", as_="manager").json()
    assert body["rating"] is None and body["information_requests"] == [] and body["rated_at"] is None


@pytest.mark.parametrize("path", ["/api/v1/referrals/MASH%002026", "/api/v1/referrals/..%2F..%2Fetc", "/api/v1/referrals/" + "A" * 40])
def test_references_that_cannot_exist_are_404_problems(api, path):
    problem(api.get(path, as_="manager"), 404)
