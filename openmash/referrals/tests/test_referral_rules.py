"""The rules of `referral_create`: every bad input is refused with the right field and message and
leaves nothing behind; good input records people, relationships and a unique reference."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from openmash.audit.models import AuditEvent
from openmash.core.errors import InvalidInput
from openmash.core.testing.factories import make_referral, referral_input
from openmash.people.models import Address, Person, PersonName, Relationship
from openmash.people.services import NewPerson
from openmash.referrals.models import ReferenceCounter, Referral, ReferralConcern, ReferralPerson
from openmash.referrals.services import AdultEntry, PersonRef, referral_create

pytestmark = pytest.mark.django_db


UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday; 10:00 in London (GMT)


def _child(**fields) -> PersonRef:
    values = {"given_name": "Jayden", "family_name": "Smith", "date_of_birth": dt.date(2018, 7, 3), "sex": "M"}
    values.update(fields)
    return PersonRef(new=NewPerson(**values))


def _mother(relationships=None, **fields) -> AdultEntry:
    values = {"given_name": "Kerry", "family_name": "Smith", "date_of_birth": dt.date(1994, 5, 5), "sex": "F"}
    values.update(fields)
    return AdultEntry(person=PersonRef(new=NewPerson(**values)), relationships=relationships if relationships is not None else {0: "mother"})


def _existing_person(given="Existing", family="Person", dob=dt.date(2015, 1, 1)) -> Person:
    person = Person(date_of_birth=dob)
    person.set_names(given, family)
    person.save()
    return person


def _snapshot():
    return {
        "referrals": Referral.objects.count(),
        "people": Person.objects.count(),
        "names": PersonName.objects.count(),
        "addresses": Address.objects.count(),
        "relationships": Relationship.objects.count(),
        "links": ReferralPerson.objects.count(),
        "concerns": ReferralConcern.objects.count(),
        "audit": AuditEvent.objects.count(),
        "counters": sorted(ReferenceCounter.objects.values_list("year", "last")),
    }


# Each case: (id, overrides for referral_input (a function of nothing, so people are built fresh),
# the exact field errors expected).
BAD_INPUT = [
    ("received-missing", lambda: {"received_at": None},
     {"received_at": ["Enter the date and time the hub received the referral"]}),
    ("received-naive", lambda: {"received_at": dt.datetime(2026, 11, 25, 9, 0)},
     {"received_at": ["Give the time the referral was received with its time zone"]}),
    ("received-future", lambda: {"received_at": T0 + dt.timedelta(minutes=5, seconds=1)},
     {"received_at": ["The time the referral was received must be now or in the past"]}),
    ("received-over-a-year-ago", lambda: {"received_at": T0 - dt.timedelta(days=367)},
     {"received_at": ["The time the referral was received must be within the last 12 months"]}),
    ("unknown-source", lambda: {"source": "11"}, {"source": ["Select where the referral came from"]}),
    ("referrer-neither-anonymous-nor-named", lambda: {"referrer_name": "  "},
     {"referrer_name": ["Enter the referrer's name, or say they are anonymous"]}),
    ("anonymous-with-name", lambda: {"referrer_anonymous": True, "referrer_phone": ""},
     {"referrer_anonymous": ["An anonymous referrer has no name or contact details; remove them or untick anonymous"]}),
    ("no-phone-or-email", lambda: {"referrer_phone": "", "referrer_email": ""},
     {"referrer_phone": ["Enter a phone number or email address so the referrer can be told the outcome"]}),
    ("bad-email", lambda: {"referrer_email": "helen at oakfield"},
     {"referrer_email": ["Enter an email address in the correct format, like name@example.org"]}),
    ("bad-phone", lambda: {"referrer_phone": "ring the school"},
     {"referrer_phone": ["Enter a phone number, like 020 7946 0000 or +44 7700 900000"]}),
    ("no-children", lambda: {"children": [], "adults": []}, {"children": ["Add at least one child"]}),
    ("21-children", lambda: {"children": [_child(given_name=f"Child{i}") for i in range(21)], "adults": []},
     {"children": ["A referral can name up to 20 children"]}),
    ("unknown-person-id", lambda: {"children": [PersonRef(person_id=987654321)], "adults": []},
     {"children.0.person_id": ["No person with this id; search again or add a new person"]}),
    ("neither-id-nor-details", lambda: {"children": [PersonRef()], "adults": []},
     {"children.0.person_id": ["Choose an existing person or give the details of a new one"]}),
    ("child-without-names", lambda: {"children": [_child(given_name=" ", family_name="")], "adults": []},
     {"children.0.given_name": ["Enter a first name (or 'Unborn' for an unborn child)"],
      "children.0.family_name": ["Enter a last name"]}),
    ("child-born-tomorrow", lambda: {"children": [_child(date_of_birth=dt.date(2026, 11, 26))], "adults": []},
     {"children.0.date_of_birth": ["Date of birth must be today or in the past"]}),
    ("child-aged-18", lambda: {"children": [_child(date_of_birth=dt.date(2008, 11, 25))], "adults": []},
     {"children.0.date_of_birth": [
         "A child must be under 18 on the day the referral was received; record an older person as an adult"]}),
    ("invalid-nhs-number", lambda: {"children": [_child(nhs_number="943 476 5918")], "adults": []},
     {"children.0.nhs_number": [
         "Enter a valid NHS number – the check digit does not match; check it for a typing mistake"]}),
    ("short-nhs-number", lambda: {"children": [_child(nhs_number="485 777 345")], "adults": []},
     {"children.0.nhs_number": ["NHS number must be 10 digits, like 943 476 5919"]}),
    ("invalid-upn", lambda: {"children": [_child(upn="B123456789012")], "adults": []},
     {"children.0.upn": ["Enter a valid UPN – the check letter does not match; check it for a typing mistake"]}),
    ("invalid-postcode", lambda: {"children": [_child(postcode="SE15 4CI", address_line_1="1 Road")], "adults": []},
     {"children.0.postcode": ["Enter a real postcode, like SE15 4AB"]}),
    ("address-line-2-without-line-1", lambda: {"children": [_child(address_line_2="Flat 2")], "adults": []},
     {"children.0.address_line_1": ["Enter address line 1, or leave the whole address blank"]}),
    ("child-given-name-101", lambda: {"children": [_child(given_name="J" * 101)], "adults": []},
     {"children.0.given_name": ["First name must be 100 characters or fewer"]}),
    ("adult-family-name-101", lambda: {"children": [_child()], "adults": [_mother(family_name="S" * 101)]},
     {"adults.0.family_name": ["Last name must be 100 characters or fewer"]}),
    ("narrative-20001", lambda: {"concern_narrative": "x" * 20001},
     {"concern_narrative": ["The description of the concerns must be 20,000 characters or fewer"]}),
    ("no-narrative", lambda: {"concern_narrative": "   "}, {"concern_narrative": ["Describe the concerns"]}),
    ("no-concern-category", lambda: {"concern_categories": []}, {"concern_categories": ["Select at least one concern"]}),
    ("unknown-concern-category", lambda: {"concern_categories": ["neglect", "witchcraft"]},
     {"concern_categories": ["Select concerns from the list"]}),
    ("not-sought-without-reason", lambda: {"consent": "not_sought", "consent_notes": "  "},
     {"consent_notes": ["Say why consent was not sought"]}),
    ("unknown-family-informed", lambda: {"family_informed": "maybe"},
     {"family_informed": ["Select whether the family has been told about the referral"]}),
    ("unknown-consent", lambda: {"consent": "implied"},
     {"consent": ["Select whether consent to share information was given, refused or not sought"]}),
    ("adult-relationship-missing", lambda: {"adults": [_mother({0: "mother"})]},
     {"adults.0.relationships.1": ["Select how this adult is related to the child"]}),
    ("adult-relationship-unknown", lambda: {"adults": [_mother({0: "mother", 1: "auntie"})]},
     {"adults.0.relationships.1": ["Select a relationship from the list"]}),
    ("relationship-to-missing-child", lambda: {"adults": [_mother({0: "mother", 1: "mother", 2: "mother"})]},
     {"adults.0.relationships": ["There is no child number 3 on this referral"]}),
]


@pytest.mark.parametrize("overrides, expected", [pytest.param(o, e, id=i) for i, o, e in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_is_written(hub, freeze, overrides, expected):
    freeze(T0)
    data = referral_input(**overrides())
    before = _snapshot()
    with pytest.raises(InvalidInput) as caught:
        referral_create(user=hub["practitioner"], data=data)
    assert caught.value.errors == expected
    assert caught.value.message == next(iter(expected.values()))[0]
    assert _snapshot() == before


def test_the_same_person_twice_is_refused(hub, freeze):
    freeze(T0)
    person = _existing_person()
    data = referral_input(children=[PersonRef(person_id=person.pk)], adults=[
        AdultEntry(person=PersonRef(person_id=person.pk), relationships={0: "mother"})
    ])
    before = _snapshot()
    with pytest.raises(InvalidInput) as caught:
        referral_create(user=hub["practitioner"], data=data)
    assert caught.value.errors == {"adults.0.person_id": ["This person is already on the referral"]}
    data = referral_input(children=[PersonRef(person_id=person.pk), PersonRef(person_id=person.pk)], adults=[])
    with pytest.raises(InvalidInput) as caught:
        referral_create(user=hub["practitioner"], data=data)
    assert caught.value.errors == {"children.1.person_id": ["This person is already on the referral"]}
    assert _snapshot() == before


def test_a_known_adult_cannot_be_linked_as_a_child(hub, freeze):
    freeze(T0)
    adult = _existing_person("Kerry", "Smith", dt.date(2008, 11, 25))  # 18 on the day of receipt
    child = _existing_person("Jayden", "Smith", dt.date(2008, 11, 26))  # 18 tomorrow: still a child
    before = _snapshot()
    with pytest.raises(InvalidInput) as caught:
        make_referral(hub, children=[PersonRef(person_id=adult.pk)], adults=[])
    assert caught.value.errors == {
        "children.0.person_id": ["This person was 18 or over on the day the referral was received; add them as an adult"]
    }
    assert _snapshot() == before
    referral = make_referral(hub, children=[PersonRef(person_id=child.pk)], adults=[
        AdultEntry(person=PersonRef(person_id=adult.pk), relationships={0: "adult_sibling"})
    ])
    assert referral.people.get(kind="child").person_id == child.pk


def test_every_error_is_reported_at_once(hub, freeze):
    freeze(T0)
    data = referral_input(source="", referrer_name="", concern_categories=[], consent="")
    with pytest.raises(InvalidInput) as caught:
        referral_create(user=hub["practitioner"], data=data)
    assert set(caught.value.errors) == {"source", "referrer_name", "concern_categories", "consent"}


def test_a_refused_referral_does_not_use_up_a_reference(hub, freeze):
    freeze(T0)
    with pytest.raises(InvalidInput):
        make_referral(hub, concern_categories=[])
    assert make_referral(hub).reference == "MASH-2026-000001"


def test_a_few_minutes_ahead_is_tolerated_for_clock_drift(hub, freeze):
    freeze(T0)
    referral = make_referral(hub, received_at=T0 + dt.timedelta(minutes=4))
    assert referral.received_at == T0 + dt.timedelta(minutes=4)


def test_under_18_is_judged_on_the_london_date_the_referral_was_received(hub, freeze):
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST): a child born on 2 July 2008 is 18 then.
    freeze(dt.datetime(2026, 7, 2, 10, 0, tzinfo=UTC))
    received = dt.datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput) as caught:
        make_referral(hub, received_at=received, children=[_child(date_of_birth=dt.date(2008, 7, 2))], adults=[])
    assert list(caught.value.errors) == ["children.0.date_of_birth"]
    referral = make_referral(hub, received_at=received, children=[_child(date_of_birth=dt.date(2008, 7, 3))], adults=[])
    assert referral.people.get(kind="child").person.date_of_birth == dt.date(2008, 7, 3)


def test_a_child_turning_18_the_day_after_receipt_is_a_child(hub, freeze):
    freeze(T0)
    referral = make_referral(hub, children=[_child(date_of_birth=dt.date(2008, 11, 26))], adults=[])
    assert referral.people.filter(kind="child").count() == 1


def test_an_unborn_child_without_date_of_birth_is_allowed(hub, freeze):
    freeze(T0)
    referral = make_referral(hub, children=[_child(given_name="Unborn", date_of_birth=None, sex="U")], adults=[])
    assert referral.people.get(kind="child").person.date_of_birth is None


# ------------------------------------------------------------------ what a good referral records


def test_siblings_get_their_own_rows_and_share_their_mother(hub, freeze):
    freeze(T0)
    before = _snapshot()
    referral = make_referral(hub, with_consent=False)
    children = [link.person for link in referral.people.filter(kind="child").order_by("position")]
    adults = [link.person for link in referral.people.filter(kind="adult")]
    assert [c.given_name for c in children] == ["Jayden", "Tyler"]
    assert children[0].pk != children[1].pk
    assert len(adults) == 1
    mother = adults[0]
    assert Person.objects.count() == before["people"] + 3
    rels = Relationship.objects.filter(adult=mother).order_by("child__given_name")
    assert [(r.child_id, r.kind, r.source_referral_id) for r in rels] == [
        (children[0].pk, "mother", referral.pk),
        (children[1].pk, "mother", referral.pk),
    ]
    assert set(referral.concerns.values_list("category", flat=True)) == {"neglect"}
    # The address given with a new person is kept, with the postcode normalised.
    assert children[0].addresses.get().postcode == "SE15 4AB"
    actions = AuditEvent.objects.filter(referral_reference=referral.reference).values_list("action", flat=True)
    assert sorted(actions) == ["person.create"] * 3 + ["referral.create"]


def test_identifiers_are_stored_normalised(hub, freeze):
    freeze(T0)
    referral = make_referral(
        hub, children=[_child(nhs_number="943-476-5919", upn="a1234 5678 9012", postcode="se154ab", address_line_1="1 Road")],
        adults=[],
    )
    child = referral.people.get(kind="child").person
    assert (child.nhs_number, child.upn, child.addresses.get().postcode) == ("9434765919", "A123456789012", "SE15 4AB")


def test_linking_an_existing_person_reuses_their_row(hub, freeze):
    freeze(T0)
    first = make_referral(hub)
    jayden = first.people.get(kind="child", position=0).person
    kerry = first.people.get(kind="adult").person
    people, relationships = Person.objects.count(), Relationship.objects.count()

    second = make_referral(
        hub,
        children=[PersonRef(person_id=jayden.pk)],
        adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother"})],
    )
    assert Person.objects.count() == people
    assert second.people.get(kind="child").person_id == jayden.pk
    assert second.people.get(kind="adult").person_id == kerry.pk
    # The same relationship is not recorded twice.
    assert Relationship.objects.count() == relationships
    assert not AuditEvent.objects.filter(referral_reference=second.reference, action="person.create").exists()


def test_references_are_sequential_per_year_of_receipt_in_london(hub, freeze):
    freeze(dt.datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    # 31 December is winter (GMT): 23:30 UTC is 23:30 in London, still 2025.
    late_2025 = make_referral(hub, received_at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    new_year = make_referral(hub, received_at=dt.datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
    next_one = make_referral(hub, received_at=dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    also_2025 = make_referral(hub, received_at=dt.datetime(2025, 6, 30, 23, 30, tzinfo=UTC))
    assert [late_2025.reference, new_year.reference, next_one.reference, also_2025.reference] == [
        "MASH-2025-000001",
        "MASH-2026-000001",
        "MASH-2026-000002",
        "MASH-2025-000002",
    ]


def test_a_summer_night_belongs_to_the_london_day_and_year_counter(hub, freeze):
    # 23:30 UTC on 31 July is 00:30 on 1 August in London; the year is the same, the counter shared.
    freeze(dt.datetime(2026, 8, 1, 10, 0, tzinfo=UTC))
    a = make_referral(hub, received_at=dt.datetime(2026, 7, 31, 23, 30, tzinfo=UTC))
    b = make_referral(hub)
    assert (a.reference, b.reference) == ("MASH-2026-000001", "MASH-2026-000002")


def test_two_referrals_never_share_a_reference(hub, freeze):
    freeze(T0)
    references = [make_referral(hub).reference for _ in range(3)]
    assert len(set(references)) == 3
    assert ReferenceCounter.objects.get(year=2026).last == 3
    # The database refuses a repeat too, whatever the counter says.
    original = Referral.objects.get(reference=references[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            reference=references[0], received_at=T0, source="2A", concern_narrative="x", family_informed="yes",
            consent="given", decision_due_at=T0, created_by=original.created_by,
        )


@pytest.mark.parametrize(
    "received_london, due_london",
    [
        pytest.param((2026, 11, 25, 10, 0), (2026, 11, 26, 10, 0), id="wednesday-morning"),
        pytest.param((2026, 11, 27, 16, 0), (2026, 11, 30, 16, 0), id="friday-afternoon-to-monday"),
        pytest.param((2026, 11, 28, 11, 0), (2026, 11, 30, 17, 0), id="saturday-to-monday-close"),
        pytest.param((2026, 11, 24, 20, 0), (2026, 11, 25, 17, 0), id="evening-to-next-day-close"),
        pytest.param((2026, 12, 24, 14, 0), (2026, 12, 29, 14, 0), id="christmas-and-boxing-day-observed"),
        pytest.param((2026, 3, 27, 12, 0), (2026, 3, 30, 12, 0), id="across-the-clocks-going-forward"),
    ],
)
def test_the_decision_is_due_one_working_day_after_receipt(hub, freeze, received_london, due_london):
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    received = dt.datetime(*received_london, tzinfo=london)
    freeze(received + dt.timedelta(hours=1))
    referral = make_referral(hub, received_at=received)
    referral.refresh_from_db()
    assert referral.decision_due_at == dt.datetime(*due_london, tzinfo=london)


def test_only_hub_staff_record_referrals(hub, freeze):
    from openmash.core.errors import Forbidden

    freeze(T0)
    for username in ("police-rep", "analyst", "admin", "ig"):
        with pytest.raises(Forbidden):
            referral_create(user=hub[username], data=referral_input())
    assert Referral.objects.count() == 0
    assert referral_create(user=hub["manager"], data=referral_input()).reference == "MASH-2026-000001"


def test_the_quick_hub_is_the_demo_hub(hub):
    """The bulk-built hub these tests use is exactly what conftest's `hub` (the demo seeder) makes."""
    from openmash.accounts.models import Team, User
    from openmash.agencies.models import Agency
    from openmash.core.demo import DEMO_PASSWORD, ensure_agencies_and_users
    from openmash.referrals.models import ClockPolicy

    def rows():
        return (
            list(Agency.objects.order_by("code").values_list("code", "name", "duty_inbox_email", "sort_order", "active")),
            list(User.objects.order_by("username").values_list(
                "pk", "username", "role", "agency__code", "first_name", "last_name", "job_title", "email", "is_active",
                "team__code")),
            list(Team.objects.order_by("code").values_list("code", "name", "active")),
            list(ClockPolicy.objects.order_by("rating").values_list("rating", "minutes", "basis")),
        )

    quick = rows()
    assert all(u.check_password(DEMO_PASSWORD) for u in hub.values())
    demo = ensure_agencies_and_users()  # refreshes the same rows in place
    assert rows() == quick
    assert sorted(demo) == sorted(hub)
