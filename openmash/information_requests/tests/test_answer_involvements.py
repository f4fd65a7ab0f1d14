"""Who is involved, named in an agency's answer: stored as involvements of the referral's children,
under the answer's restriction, replaced by a correction, audited by id, and refused (whole) when wrong."""

import datetime as dt
import html
import re

import pytest
from django.test import Client

from openmash.audit.models import AuditEvent
from openmash.core.errors import InvalidInput
from openmash.core.testing.factories import make_referral, make_triaged
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.information_requests.selectors import request_page
from openmash.information_requests.services import AnswerInput, InvolvementInput, information_request_answer
from openmash.people.models import Involvement

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 10:00 in London
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def referral(hub, freeze):
    """Red, asking police and education; two children (Jayden, Tyler) and their mother."""
    freeze(T0)
    return make_triaged(hub, rating="red", agencies=["police", "education"])


def _request(referral, code="police") -> InformationRequest:
    return InformationRequest.objects.get(referral=referral, agency__code=code)


def _children(referral) -> dict[str, int]:
    return {link.person.given_name: link.person_id for link in referral.people.filter(kind="child").select_related("person")}


def _row(child, **fields) -> InvolvementInput:
    values = {"role": "police_officer", "practitioner_name": "DC Amira Shah", "service": "Child Abuse Investigation Team",
              "practitioner_contact": "020 7946 0555", "start_date": dt.date(2026, 3, 1)}
    values.update(fields)
    return InvolvementInput(child=child, **values)


def _answer(hub, referral, rows, code="police", **fields):
    data = AnswerInput(outcome=fields.pop("outcome", "held"), summary=fields.pop("summary", "Known to us."), involvements=rows, **fields)
    return information_request_answer(user=hub[f"{code}-rep"], request=_request(referral, code), data=data)


def _nothing_written(referral, code="police"):
    request = _request(referral, code)
    assert not InformationAnswer.objects.filter(request=request).exists()
    assert not Involvement.objects.exists()
    assert request.status == "open"


# ------------------------------------------------------------------ stored as involvements


def test_an_answer_names_who_is_involved_with_each_child(hub, referral):
    kids = _children(referral)
    answer = _answer(hub, referral, [
        _row(kids["Jayden"], is_lead=True),
        _row(kids["Tyler"], role="other", practitioner_name="", service="Neighbourhood policing team", practitioner_contact="",
             start_date=dt.date(2025, 1, 6), end_date=dt.date(2026, 1, 6)),
    ], restriction="manager_only")

    rows = list(Involvement.objects.order_by("id"))
    assert [(r.person_id, r.agency.code, r.source, r.answer_id, r.replaced_by_id, r.created_by_id) for r in rows] == [
        (kids["Jayden"], "police", "referral_answer", answer.pk, None, hub["police-rep"].pk),
        (kids["Tyler"], "police", "referral_answer", answer.pk, None, hub["police-rep"].pk),
    ]
    jayden, tyler = rows
    assert (jayden.role, jayden.practitioner_name, jayden.service, jayden.practitioner_contact, jayden.is_lead,
            jayden.start_date, jayden.end_date) == (
        "police_officer", "DC Amira Shah", "Child Abuse Investigation Team", "020 7946 0555", True, dt.date(2026, 3, 1), None)
    assert (tyler.practitioner_name, tyler.service, tyler.is_lead, tyler.end_date) == ("", "Neighbourhood policing team", False, dt.date(2026, 1, 6))
    assert [i.pk for i in answer.named_involvements] == [jayden.pk, tyler.pk]


def test_text_is_trimmed_and_the_child_may_come_as_text(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(str(kids["Jayden"]), practitioner_name="  DC   Amira  Shah ", service=" CAIT ")])
    saved = Involvement.objects.get()
    assert (saved.person_id, saved.practitioner_name, saved.service) == (kids["Jayden"], "DC Amira Shah", "CAIT")


def test_an_answer_without_involvements_names_none(hub, referral):
    _answer(hub, referral, [])
    assert not Involvement.objects.exists()


def test_the_answer_audit_names_the_involvements_by_id_only(hub, referral):
    kids = _children(referral)
    answer = _answer(hub, referral, [_row(kids["Jayden"]), _row(kids["Tyler"])])
    event = AuditEvent.objects.get(action="information_request.answer")
    ids = sorted(Involvement.objects.values_list("pk", flat=True))
    assert event.details["involvements"] == ids and event.details["involvements_replaced"] == []
    assert "DC Amira Shah" not in str(event.details) and "020 7946 0555" not in str(event.details)
    assert event.details["version"] == answer.version


# ------------------------------------------------------------------ corrections


def test_a_correction_replaces_what_the_earlier_version_named(hub, referral):
    kids = _children(referral)
    first = _answer(hub, referral, [_row(kids["Jayden"], practitioner_name="DC Wrong Name"), _row(kids["Tyler"])])
    before = {i.pk: i.practitioner_name for i in Involvement.objects.all()}
    second = _answer(hub, referral, [_row(kids["Jayden"], practitioner_name="DC Amira Shah", is_lead=True)],
                     correction_reason="The wrong officer was named.")

    old = list(Involvement.objects.filter(answer=first).order_by("id"))
    # The earlier version's involvements stay with it, unchanged, and are no longer in force.
    assert {i.pk: i.practitioner_name for i in old} == before
    assert all(i.replaced_by_id == second.pk for i in old)
    [new] = Involvement.objects.filter(answer=second)
    assert (new.practitioner_name, new.is_lead, new.replaced_by_id) == ("DC Amira Shah", True, None)
    assert list(Involvement.objects.filter(replaced_by__isnull=True)) == [new]
    event = AuditEvent.objects.get(action="information_request.correct")
    assert event.details["involvements"] == [new.pk] and event.details["involvements_replaced"] == sorted(before)


def test_a_correction_to_not_known_leaves_none_in_force(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"])])
    _answer(hub, referral, [], outcome="not_known", summary="", correction_reason="Wrong family: not known to us.")
    assert Involvement.objects.count() == 1 and not Involvement.objects.filter(replaced_by__isnull=True).exists()


def test_a_correction_leaves_other_agencies_involvements_alone(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"], role="school_dsl")], code="education")
    _answer(hub, referral, [_row(kids["Jayden"])])
    _answer(hub, referral, [], correction_reason="Nobody allocated after all.")
    assert list(Involvement.objects.filter(replaced_by__isnull=True).values_list("agency__code", flat=True)) == ["education"]


def test_the_correction_form_starts_with_the_involvements_in_force(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"], practitioner_name="DC Old")])
    _answer(hub, referral, [_row(kids["Tyler"], practitioner_name="DC Current")], correction_reason="Other child.")
    page = request_page(user=hub["police-rep"], request_id=_request(referral).pk)
    assert [i.practitioner_name for i in page.current_involvements] == ["DC Current"]
    # Hub staff read the same page: a practitioner may not see a manager-only answer, so nothing of it.
    _answer(hub, referral, [_row(kids["Tyler"], practitioner_name="DC Secret")], restriction="manager_only",
            correction_reason="Restricted now.")
    assert request_page(user=hub["practitioner"], request_id=_request(referral).pk).current_involvements == []
    assert [i.practitioner_name for i in request_page(user=hub["manager"], request_id=_request(referral).pk).current_involvements] == ["DC Secret"]


# ------------------------------------------------------------------ bad input, refused whole


@pytest.mark.parametrize(
    "fields, errors",
    [
        pytest.param({"child": None}, {"involvements.0.child": ["Choose a child on this referral"]}, id="no-child"),
        pytest.param({"child": "Jayden"}, {"involvements.0.child": ["Choose a child on this referral"]}, id="child-as-a-name"),
        pytest.param({"child": "mother"}, {"involvements.0.child": ["Choose a child on this referral"]}, id="the-adult"),
        pytest.param({"child": "elsewhere"}, {"involvements.0.child": ["Choose a child on this referral"]}, id="child-of-another-referral"),
        pytest.param({"child": True}, {"involvements.0.child": ["Choose a child on this referral"]}, id="child-boolean"),
        pytest.param({"child": "9" * 40}, {"involvements.0.child": ["Choose a child on this referral"]}, id="child-huge"),
        pytest.param({"role": ""}, {"involvements.0.role": ["Select the practitioner's role"]}, id="no-role"),
        pytest.param({"role": "detective"}, {"involvements.0.role": ["Select the practitioner's role"]}, id="unknown-role"),
        pytest.param({"practitioner_name": " ", "service": ""},
                     {"involvements.0.practitioner_name": ["Enter the practitioner's name, or the service if no one person is named"]}, id="nobody"),
        pytest.param({"practitioner_name": "x" * 121}, {"involvements.0.practitioner_name": ["The practitioner's name must be 120 characters or fewer"]}, id="name-121"),
        pytest.param({"service": "x" * 121}, {"involvements.0.service": ["The service must be 120 characters or fewer"]}, id="service-121"),
        pytest.param({"practitioner_contact": "x" * 201}, {"involvements.0.practitioner_contact": ["The contact details must be 200 characters or fewer"]}, id="contact-201"),
        pytest.param({"start_date": None}, {"involvements.0.start_date": ["Enter the date the involvement started"]}, id="no-start"),
        pytest.param({"start_date": TODAY + dt.timedelta(days=1)}, {"involvements.0.start_date": ["The start date must be today or in the past"]}, id="start-tomorrow"),
        pytest.param({"start_date": dt.date(1899, 12, 31)}, {"involvements.0.start_date": ["The start date must be after 1900"]}, id="start-1899"),
        pytest.param({"start_date": dt.date(2026, 3, 2), "end_date": dt.date(2026, 3, 1)},
                     {"involvements.0.end_date": ["The end date must be the same as or after the start date"]}, id="end-before-start"),
        pytest.param({"is_lead": "yes"}, {"involvements.0.is_lead": ["Say whether this practitioner is the lead professional"]}, id="lead-not-boolean"),
    ],
)
def test_bad_involvements_are_refused_with_the_field_named(hub, referral, fields, errors):
    kids = _children(referral)
    if fields.get("child") == "mother":
        fields["child"] = referral.people.get(kind="adult").person_id
    elif fields.get("child") == "elsewhere":
        fields["child"] = make_referral(hub).people.filter(kind="child").first().person_id
    row = _row(kids["Jayden"])
    for key, value in fields.items():
        setattr(row, key, value)
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, [row])
    assert caught.value.errors == errors
    _nothing_written(referral)


def test_an_end_on_the_start_day_is_accepted(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"], start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 3, 1))])
    assert Involvement.objects.get().end_date == dt.date(2026, 3, 1)


def test_two_leads_for_one_child_are_refused_on_the_second(hub, referral):
    kids = _children(referral)
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, [_row(kids["Jayden"], is_lead=True), _row(kids["Tyler"], is_lead=True), _row(kids["Jayden"], is_lead=True)])
    assert caught.value.errors == {
        "involvements.2.is_lead": ["Only one lead professional for each child: involvement 1 is already the lead"]
    }
    _nothing_written(referral)


def test_every_bad_row_is_reported_at_once(hub, referral):
    kids = _children(referral)
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, [_row(kids["Jayden"]), _row(None, role=""), _row(kids["Tyler"], start_date=None)], summary="")
    assert set(caught.value.errors) == {"summary", "involvements.1.child", "involvements.1.role", "involvements.2.start_date"}
    _nothing_written(referral)


@pytest.mark.parametrize("outcome, extra", [("not_known", {}), ("declined", {"decline_reason": "Live investigation."})])
def test_involvements_only_with_information_held(hub, referral, outcome, extra):
    kids = _children(referral)
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, [_row(kids["Jayden"])], outcome=outcome, summary="", **extra)
    assert list(caught.value.errors) == ["involvements"]
    assert "only when your agency holds information" in caught.value.errors["involvements"][0]
    _nothing_written(referral)


def test_at_most_thirty_in_one_answer(hub, referral):
    kids = _children(referral)
    with pytest.raises(InvalidInput) as caught:
        _answer(hub, referral, [_row(kids["Tyler"]) for _ in range(31)])
    assert caught.value.errors == {"involvements": ["Name up to 30 involvements in one answer"]}
    _nothing_written(referral)
    _answer(hub, referral, [_row(kids["Tyler"]) for _ in range(30)])
    assert Involvement.objects.count() == 30


def test_a_bad_correction_keeps_the_earlier_involvements_in_force(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"])])
    with pytest.raises(InvalidInput):
        _answer(hub, referral, [_row(kids["Jayden"], role="")], correction_reason="Role added.")
    assert InformationAnswer.objects.filter(request=_request(referral)).count() == 1
    [inv] = Involvement.objects.all()
    assert inv.replaced_by_id is None


# ------------------------------------------------------------------ the answer page


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(hub, referral, rows: list[dict], user="police-rep", total=None, client=None, **fields):
    data = {"outcome": "held", "summary": "Known to us.", "restriction": "none", **fields,
            "involvements-TOTAL_FORMS": str(total if total is not None else max(3, len(rows))),
            "involvements-INITIAL_FORMS": "0", "involvements-MIN_NUM_FORMS": "0", "involvements-MAX_NUM_FORMS": "30"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"involvements-{i}-{key}"] = value
    return (client or _page_client(hub[user])).post(f"/requests/{_request(referral).pk}/", data)


def _page_row(person_id, **fields) -> dict:
    row = {"child": str(person_id), "role": "police_officer", "practitioner_name": "DC Amira Shah", "service": "CAIT",
           "practitioner_contact": "020 7946 0555", "start_date-day": "1", "start_date-month": "3", "start_date-year": "2026"}
    row.update(fields)
    return row


def test_the_page_offers_three_blank_rows_and_the_referrals_children_only(hub, referral):
    response = _page_client(hub["police-rep"]).get(f"/requests/{_request(referral).pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="involvements-TOTAL_FORMS" value="3"' in page
    for i in range(3):
        assert f'id="involvements-{i}-child"' in page and f'name="involvements-{i}-start_date-day"' in page
    assert 'id="involvements-3-child"' not in page
    select = page[page.index('id="involvements-0-child"'):page.index("</select>", page.index('id="involvements-0-child"'))]
    kids = _children(referral)
    assert f'value="{kids["Jayden"]}"' in select and "Jayden Smith, born 3 July 2018" in select and "Tyler Smith" in select
    assert "Kerry" not in select  # the mother is not a child on the referral


def test_the_page_stores_filled_rows_and_ignores_blank_ones(hub, referral):
    kids = _children(referral)
    client = _page_client(hub["police-rep"])
    response = _post(hub, referral, [_page_row(kids["Jayden"], is_lead="yes"), {}, _page_row(kids["Tyler"], practitioner_name="PC Lee")],
                     client=client)
    assert response.status_code == 302, response.content.decode()[:3000]
    rows = list(Involvement.objects.order_by("id").values_list("person_id", "practitioner_name", "is_lead", "start_date"))
    assert rows == [(kids["Jayden"], "DC Amira Shah", True, dt.date(2026, 3, 1)), (kids["Tyler"], "PC Lee", False, dt.date(2026, 3, 1))]
    follow = client.get(response["Location"])
    assert "It names 2 involvements." in follow.content.decode()


@pytest.mark.parametrize(
    "row, field, message",
    [
        pytest.param({"child": ""}, "child", "Choose a child on this referral", id="no-child"),
        pytest.param({"child": "999999"}, "child", "Choose a child on this referral", id="child-not-offered"),
        pytest.param({"role": "detective"}, "role", "Select the practitioner's role", id="unknown-role"),
        pytest.param({"start_date-day": "31", "start_date-month": "2"}, "start_date", "The start date must be a real date", id="impossible-date"),
        pytest.param({"start_date-day": "", "start_date-month": "", "start_date-year": ""}, "start_date", "Enter the date the involvement started", id="no-start"),
        pytest.param({"end_date-day": "1", "end_date-month": "2", "end_date-year": "2026"}, "end_date",
                     "The end date must be the same as or after the start date", id="end-before-start"),
        pytest.param({"practitioner_name": "", "service": ""}, "practitioner_name",
                     "Enter the practitioner's name, or the service if no one person is named", id="nobody"),
    ],
)
def test_the_page_shows_each_rows_error_next_to_its_field(hub, referral, row, field, message):
    kids = _children(referral)
    # The bad row is the third filled row and is shown third: errors land on the row that was typed.
    response = _post(hub, referral, [_page_row(kids["Jayden"]), {}, _page_row(kids["Tyler"]), _page_row(kids["Tyler"], **row)], total=4)
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    anchor = f"involvements-3-{field}" + ("-day" if field.endswith("_date") else "")
    assert f'href="#{anchor}"' in page and f"Involvement 4: {message}" in page
    assert f'id="involvements-3-{field}-error"' in page and message in page[page.index(f'id="involvements-3-{field}-error"'):][:400]
    assert 'id="involvements-0-child-error"' not in page
    # What was typed is kept.
    assert 'value="PC' not in page and page.count('value="DC Amira Shah"') >= 2
    _nothing_written(referral)


def test_the_page_refuses_involvements_on_a_not_known_answer_next_to_the_outcome(hub, referral):
    kids = _children(referral)
    response = _post(hub, referral, [_page_row(kids["Jayden"])], outcome="not_known", summary="")
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#outcome"' in page and 'id="outcome-error"' in page
    assert "only when your agency holds information" in page[page.index('id="outcome-error"'):][:400]
    _nothing_written(referral)


def test_the_correction_page_starts_with_the_current_involvements_and_can_remove_one(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"], practitioner_name="DC Keep"), _row(kids["Tyler"], practitioner_name="DC Drop", is_lead=True)])
    client = _page_client(hub["police-rep"])
    page = client.get(f"/requests/{_request(referral).pk}/").content.decode()
    assert 'name="involvements-TOTAL_FORMS" value="5"' in page
    assert 'name="involvements-0-practitioner_name" type="text" value="DC Keep"' in page or ('value="DC Keep"' in page and 'id="involvements-0-practitioner_name"' in page)
    assert 'value="DC Drop"' in page and 'name="involvements-1-remove"' in page and 'name="involvements-2-remove"' not in page
    assert 'name="involvements-0-start_date-year"' in page and 'value="2026"' in page

    data = {"outcome": "held", "summary": "Known to us.", "restriction": "none", "correction_reason": "DC Drop has left.",
            "involvements-TOTAL_FORMS": "5", "involvements-INITIAL_FORMS": "5", "involvements-MIN_NUM_FORMS": "0",
            "involvements-MAX_NUM_FORMS": "30"}
    for i, (row, extra) in enumerate(((_page_row(kids["Jayden"], practitioner_name="DC Keep"), {}),
                                      (_page_row(kids["Tyler"], practitioner_name="DC Drop", is_lead="yes"), {"remove": "yes"}))):
        for key, value in {**row, **extra}.items():
            data[f"involvements-{i}-{key}"] = value
    response = client.post(f"/requests/{_request(referral).pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(Involvement.objects.filter(replaced_by__isnull=True).values_list("practitioner_name", flat=True)) == ["DC Keep"]
    assert Involvement.objects.filter(replaced_by__isnull=False).count() == 2


def test_a_tampered_row_count_is_refused_not_a_server_error(hub, referral):
    kids = _children(referral)
    response = _post(hub, referral, [_page_row(kids["Jayden"])], total=500)
    assert response.status_code == 400
    _nothing_written(referral)
    response = _page_client(hub["police-rep"]).post(
        f"/requests/{_request(referral).pk}/", {"outcome": "not_known", "involvements-TOTAL_FORMS": "1"})
    assert response.status_code == 400  # rows, but not the whole of the row count
    _nothing_written(referral)


def test_a_submission_without_any_involvement_fields_names_nobody(hub, referral):
    response = _page_client(hub["police-rep"]).post(f"/requests/{_request(referral).pk}/", {"outcome": "not_known"})
    assert response.status_code == 302
    assert InformationAnswer.objects.filter(request=_request(referral)).count() == 1 and not Involvement.objects.exists()


def test_the_answer_shows_who_it_named(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"], is_lead=True)])
    _answer(hub, referral, [_row(kids["Tyler"], practitioner_name="PC Lee")], correction_reason="Other child.")
    page = _page_client(hub["manager"]).get(f"/referrals/{referral.reference}/").content.decode()
    assert "Jayden Smith: Police officer (lead professional)" in " ".join(page.split())
    assert "replaced by a later version" in page  # the first version's involvements, under that version


def test_the_correction_form_keeps_the_current_restriction_chosen(hub, referral):
    kids = _children(referral)
    _answer(hub, referral, [_row(kids["Jayden"])], restriction="manager_only")
    page = _page_client(hub["police-rep"]).get(f"/requests/{_request(referral).pk}/").content.decode()
    checked = re.findall(r'<input[^>]*name="restriction"[^>]*>', page)
    assert [c for c in checked if "checked" in c] and all(('value="manager_only"' in c) == ("checked" in c) for c in checked)
