"""Who is involved, named in an answer through the API: stored, shown with the answer only to those
who may see it, replaced by a correction, and 422 naming the field when wrong."""

import datetime as dt

import pytest

from openmash.api.tests.conftest import T0, fields, problem
from openmash.core.testing.factories import make_referral, make_triaged
from openmash.information_requests.models import InformationRequest
from openmash.people.models import Involvement

pytestmark = pytest.mark.django_db

SECRET_NAME = "DC Canary Restricted"


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(T0)


@pytest.fixture
def referral(hub):
    return make_triaged(hub, rating="red", agencies=["police", "education"])


def _url(referral, code="police") -> str:
    request = InformationRequest.objects.get(referral=referral, agency__code=code)
    return f"/api/v1/information-requests/{request.pk}/answer"


def _kids(referral) -> list[int]:
    return list(referral.people.filter(kind="child").order_by("position").values_list("person_id", flat=True))


def _row(person_id, **extra) -> dict:
    return {"child": person_id, "role": "police_officer", "practitioner_name": "DC Amira Shah", "service": "CAIT",
            "practitioner_contact": "020 7946 0555", "start_date": "2026-03-01", **extra}


def test_an_answer_names_involvements_and_gets_them_back(api, hub, referral):
    jayden, tyler = _kids(referral)
    response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "involvements": [
        _row(jayden, is_lead=True), _row(tyler, practitioner_name="", service="Neighbourhood team", end_date="2026-06-30")]},
        as_="police-rep")
    assert response.status_code == 201, response.content
    body = response.json()
    saved = list(Involvement.objects.order_by("id"))
    assert body["involvements"] == [
        {"id": saved[0].pk, "child": jayden, "role": "police_officer", "practitioner_name": "DC Amira Shah", "service": "CAIT",
         "practitioner_contact": "020 7946 0555", "start_date": "2026-03-01", "end_date": None, "is_lead": True, "in_force": True},
        {"id": saved[1].pk, "child": tyler, "role": "police_officer", "practitioner_name": "", "service": "Neighbourhood team",
         "practitioner_contact": "020 7946 0555", "start_date": "2026-03-01", "end_date": "2026-06-30", "is_lead": False, "in_force": True},
    ]
    assert {(i.source, i.agency.code, i.answer.version) for i in saved} == {("referral_answer", "police", 1)}
    detail = api.get(response["Location"], as_="police-rep").json()
    assert [i["id"] for i in detail["answers"][0]["involvements"]] == [saved[0].pk, saved[1].pk]


def test_a_correction_replaces_them_and_the_earlier_version_keeps_its_own(api, hub, referral):
    jayden, _ = _kids(referral)
    api.post(_url(referral), {"outcome": "held", "summary": "Known.", "involvements": [_row(jayden, practitioner_name="DC Old")]}, as_="police-rep")
    response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "correction_reason": "Officer changed.",
                                         "involvements": [_row(jayden, practitioner_name="DC New")]}, as_="police-rep")
    assert response.status_code == 201, response.content
    answers = api.get(f"/api/v1/referrals/{referral.reference}", as_="manager").json()["information_requests"]
    police = next(r for r in answers if r["agency"]["code"] == "police")["answers"]
    assert [(a["version"], [(i["practitioner_name"], i["in_force"]) for i in a["involvements"]]) for a in police] == [
        (1, [("DC Old", False)]), (2, [("DC New", True)]),
    ]


def test_a_manager_only_answers_involvements_reach_managers_and_the_agency_only(api, hub, referral):
    jayden, _ = _kids(referral)
    response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "restriction": "manager_only",
                                         "involvements": [_row(jayden, practitioner_name=SECRET_NAME)]}, as_="police-rep")
    assert response.status_code == 201
    request_url = response["Location"]
    for username in ("manager", "police-rep"):
        assert SECRET_NAME in api.get(f"/api/v1/referrals/{referral.reference}", as_=username).content.decode()
        assert SECRET_NAME in api.get(request_url, as_=username).content.decode()
    for username in ("practitioner",):
        for url in (f"/api/v1/referrals/{referral.reference}", request_url):
            got = api.get(url, as_=username)
            assert got.status_code == 200 and SECRET_NAME not in got.content.decode()
    got = api.get(f"/api/v1/referrals/{referral.reference}", as_="education-rep")
    assert SECRET_NAME not in got.content.decode()


@pytest.mark.parametrize(
    "row, field, status",
    [
        pytest.param({"child": "1"}, "involvements.0.child", 422, id="child-as-text"),
        pytest.param({"child": 0}, "involvements.0.child", 422, id="child-zero"),
        pytest.param({"child": 2**64}, "involvements.0.child", 422, id="child-too-big"),
        pytest.param({"child": None}, "involvements.0.child", 422, id="child-null"),
        pytest.param({"role": "detective"}, "involvements.0.role", 422, id="unknown-role"),
        pytest.param({"start_date": "01/03/2026"}, "involvements.0.start_date", 422, id="date-not-iso"),
        pytest.param({"start_date": "2026-02-30"}, "involvements.0.start_date", 422, id="date-impossible"),
        pytest.param({"start_date": None}, "involvements.0.start_date", 422, id="no-start"),
        pytest.param({"start_date": "2026-03-02", "end_date": "2026-03-01"}, "involvements.0.end_date", 422, id="end-before-start"),
        pytest.param({"is_lead": "yes"}, "involvements.0.is_lead", 422, id="lead-not-boolean"),
        pytest.param({"practitioner_name": "DC\u0000Shah"}, "involvements.0.practitioner_name", 422, id="nul"),
        pytest.param({"practitioner_contact": "x" * 201}, "involvements.0.practitioner_contact", 422, id="contact-201"),
        pytest.param({"badge": "1234"}, "involvements.0.badge", 422, id="unknown-field"),
    ],
)
def test_bad_involvements_are_422_naming_the_field(api, hub, referral, row, field, status):
    jayden, _ = _kids(referral)
    response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "involvements": [_row(jayden, **row)]}, as_="police-rep")
    assert field in fields(problem(response, status)), response.json()
    assert not Involvement.objects.exists()
    assert not InformationRequest.objects.get(referral=referral, agency__code="police").answers.exists()


def test_a_child_of_another_referral_or_an_adult_is_refused(api, hub, referral):
    other_child = make_referral(hub).people.filter(kind="child").first().person_id
    mother = referral.people.get(kind="adult").person_id
    for person_id in (other_child, mother, 999_999):
        response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "involvements": [_row(person_id)]}, as_="police-rep")
        assert fields(problem(response, 422)) == {"involvements.0.child": ["Choose a child on this referral"]}
    assert not Involvement.objects.exists()


def test_involvements_on_a_not_known_answer_are_refused(api, hub, referral):
    jayden, _ = _kids(referral)
    response = api.post(_url(referral), {"outcome": "not_known", "involvements": [_row(jayden)]}, as_="police-rep")
    assert list(fields(problem(response, 422))) == ["involvements"]
    assert not Involvement.objects.exists()


def test_the_second_bad_row_is_named_by_its_position(api, hub, referral):
    jayden, tyler = _kids(referral)
    response = api.post(_url(referral), {"outcome": "held", "summary": "Known.", "involvements": [
        _row(jayden, is_lead=True), _row(tyler, start_date=(T0.date() + dt.timedelta(days=2)).isoformat())]}, as_="police-rep")
    assert fields(problem(response, 422)) == {"involvements.1.start_date": ["The start date must be today or in the past"]}
