"""A person's history as the hub shows it when they are found: earlier referrals and the re-referral
rule (within 12 months of a previous referral, on London dates, 29 February included), referrals of
brothers, sisters and the household, current involvements with the lead first, open cases, only what
the viewer may see, in a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.agencies.models import Agency
from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.testing.factories import decide, make_referral, make_triaged
from openmash.people.history import current_involvements, months_before, person_history, re_referral_window_start
from openmash.people.models import Involvement, Person
from openmash.people.services import NewPerson
from openmash.referrals.services import AdultEntry, PersonRef

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc


def london(y, m, d, hh=12, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=clock.LONDON).astimezone(UTC)


def child(given, family="Smith", dob=dt.date(2018, 7, 3), **extra) -> PersonRef:
    return PersonRef(new=NewPerson(given_name=given, family_name=family, date_of_birth=dob, sex="M", **extra))


def referral_at(hub, freeze, when: dt.datetime, **overrides):
    """A referral received at `when` (recorded an hour later)."""
    freeze(when + dt.timedelta(hours=1))
    return make_referral(hub, with_consent=False, received_at=when, **overrides)


def the_child(referral, given="Jayden") -> Person:
    return referral.people.get(kind="child", person__given_name=given).person


# ------------------------------------------------------------------ the 12 months


@pytest.mark.parametrize(
    "day, earlier",
    [
        (dt.date(2026, 6, 10), dt.date(2025, 6, 10)),
        (dt.date(2028, 2, 29), dt.date(2027, 2, 28)),  # no 29 February in 2027: its last day
        (dt.date(2029, 2, 28), dt.date(2028, 2, 28)),
        (dt.date(2029, 3, 1), dt.date(2028, 3, 1)),
        (dt.date(2026, 1, 15), dt.date(2025, 1, 15)),
    ],
)
def test_twelve_months_earlier_is_the_same_date_or_the_month_end(day, earlier):
    assert months_before(day, 12) == earlier


def test_months_before_keeps_to_the_end_of_a_shorter_month():
    assert months_before(dt.date(2026, 5, 31), 1) == dt.date(2026, 4, 30)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 31), 2) == dt.date(2025, 11, 30)


def test_the_window_starts_at_london_midnight():
    # 11 June 2026 10:00 BST: the window opens at 00:00 BST on 11 June 2025, i.e. 23:00 UTC on 10 June.
    assert re_referral_window_start(london(2026, 6, 11, 10)) == dt.datetime(2025, 6, 10, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "previous, on, is_re_referral",
    [
        # The same date 12 months earlier counts, at any time of that day; the day before does not.
        (london(2025, 6, 10, 0, 5), london(2026, 6, 10, 23, 50), True),
        (london(2025, 6, 10, 23, 30), london(2026, 6, 10, 9), True),
        (london(2025, 6, 9, 23, 59), london(2026, 6, 10, 9), False),
        (london(2025, 6, 10, 23, 30), london(2026, 6, 11, 0, 1), False),
        # London dates, not UTC ones: 00:30 BST on 11 June is 23:30 UTC on 10 June.
        (london(2025, 6, 11, 0, 30), london(2026, 6, 11, 10), True),
        # Leap years: from 29 February 2028 the window opens on 28 February 2027 …
        (london(2027, 2, 28, 9), london(2028, 2, 29, 10), True),
        (london(2027, 2, 27, 9), london(2028, 2, 29, 10), False),
        # … and a referral on 29 February 2028 counts until 28 February 2029, not on 1 March.
        (london(2028, 2, 29, 9), london(2029, 2, 28, 10), True),
        (london(2028, 2, 29, 9), london(2029, 3, 1, 10), False),
        # Well inside, and well outside.
        (london(2026, 1, 5), london(2026, 6, 10), True),
        (london(2024, 1, 5), london(2026, 6, 10), False),
    ],
)
def test_a_referral_within_12_months_of_a_previous_one_is_a_re_referral(hub, freeze, previous, on, is_re_referral):
    earlier = referral_at(hub, freeze, previous)
    jayden = the_child(earlier)
    history = person_history(user=hub["practitioner"], person=jayden, on=on)
    assert history.is_re_referral is is_re_referral
    assert [e.referral for e in history.referrals] == [earlier]
    if is_re_referral:
        assert history.previous_referral.referral == earlier


def test_the_previous_referral_is_the_latest_earlier_one_and_later_ones_do_not_count(hub, freeze):
    first = referral_at(hub, freeze, london(2026, 1, 5))
    jayden = the_child(first)
    second = referral_at(hub, freeze, london(2026, 3, 5), children=[PersonRef(person_id=jayden.pk)], adults=[])
    later = referral_at(hub, freeze, london(2026, 9, 1), children=[PersonRef(person_id=jayden.pk)], adults=[])
    history = person_history(user=hub["practitioner"], person=jayden, on=london(2026, 5, 1))
    assert history.previous_referral.referral == second
    assert [e.referral for e in history.referrals] == [later, second, first]  # the whole history, newest first
    # Before the first referral there was nothing to re-refer.
    assert not person_history(user=hub["practitioner"], person=jayden, on=london(2026, 1, 4)).is_re_referral


def test_being_named_as_an_adult_is_not_a_previous_referral_of_a_child(hub, freeze):
    earlier = referral_at(hub, freeze, london(2026, 3, 5))
    kerry = earlier.people.get(kind="adult").person
    history = person_history(user=hub["practitioner"], person=kerry, on=london(2026, 5, 1))
    assert [e.kind for e in history.referrals] == ["adult"]
    assert not history.is_re_referral and history.open_cases == []


def test_the_default_moment_is_now(hub, freeze):
    earlier = referral_at(hub, freeze, london(2026, 3, 5))
    jayden = the_child(earlier)
    freeze(london(2027, 3, 5, 8))
    assert person_history(user=hub["practitioner"], person=jayden).is_re_referral
    freeze(london(2027, 3, 6, 8))
    assert not person_history(user=hub["practitioner"], person=jayden).is_re_referral


# ------------------------------------------------------------------ open cases and outcomes


def test_an_undecided_referral_is_an_open_case_and_a_decided_one_shows_its_outcome(hub, freeze):
    referral = referral_at(hub, freeze, london(2026, 3, 5))
    jayden = the_child(referral)
    history = person_history(user=hub["practitioner"], person=jayden)
    assert [e.referral for e in history.open_cases] == [referral]
    assert history.referrals[0].outcome == "Awaiting triage"

    triaged = make_triaged(hub, children=[PersonRef(person_id=jayden.pk)], adults=[], received_at=clock.now() - dt.timedelta(minutes=20))
    assert person_history(user=hub["practitioner"], person=jayden).referrals[0].outcome == "Gathering information"
    decide(hub, triaged, outcome="early_help")
    history = person_history(user=hub["practitioner"], person=jayden)
    assert [e.referral for e in history.open_cases] == [referral]  # the first is still open
    assert history.referrals[0].referral == triaged and history.referrals[0].outcome == "Early help"
    assert not history.referrals[0].is_open


# ------------------------------------------------------------------ family and household


def test_referrals_of_brothers_sisters_and_the_household_are_shown_once_each(hub, freeze):
    first = referral_at(hub, freeze, london(2026, 2, 2))  # Jayden and Tyler, their mother Kerry
    jayden, tyler = the_child(first), the_child(first, "Tyler")
    kerry = first.people.get(kind="adult").person
    # Later, their half-sister Mia is referred with Kerry; nobody links Mia to the boys directly.
    second = referral_at(
        hub, freeze, london(2026, 4, 4),
        children=[child("Mia", "Cole", dt.date(2023, 1, 9))],
        adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother"})],
    )
    mia = the_child(second, "Mia")
    # A lodger at the boys' address (written differently), and a family two doors down.
    lodger = referral_at(
        hub, freeze, london(2026, 5, 5),
        children=[child("Ola", "Bello", dt.date(2010, 5, 5), address_line_1="14, Alder Rd", postcode="se15 4ab")], adults=[],
    )
    neighbours = referral_at(
        hub, freeze, london(2026, 5, 6),
        children=[child("Zara", "Khan", dt.date(2012, 5, 5), address_line_1="18 Alder Road", postcode="SE15 4AB")], adults=[],
    )

    history = person_history(user=hub["practitioner"], person=mia)
    relation = {r.person.pk: r.relation for r in history.related}
    assert relation == {kerry.pk: "mother", jayden.pk: "brother or sister", tyler.pk: "brother or sister"}
    rows = history.related_referrals
    assert [row.referral for row in rows] == [first]  # Mia's own referral (with Kerry) is not repeated
    assert {rel.person.pk for rel, _ in rows[0].people} == {jayden.pk, tyler.pk, kerry.pk}

    boys = person_history(user=hub["practitioner"], person=jayden)
    relation = {r.person.pk: r.relation for r in boys.related}
    assert relation[tyler.pk] == "brother or sister" and relation[kerry.pk] == "mother"
    assert relation[mia.pk] == "brother or sister"
    assert relation[the_child(lodger, "Ola").pk] == "lives at the same address"
    assert the_child(neighbours, "Zara").pk not in relation
    assert [row.referral for row in boys.related_referrals] == [lodger, second]

    # An adult sees their children.
    mum = person_history(user=hub["practitioner"], person=kerry)
    assert {r.person.pk: r.relation for r in mum.related} == {
        jayden.pk: "child (mother)", tyler.pk: "child (mother)", mia.pk: "child (mother)",
    }


def test_merged_records_are_not_listed_as_family(hub, freeze):
    first = referral_at(hub, freeze, london(2026, 2, 2))
    jayden, tyler = the_child(first), the_child(first, "Tyler")
    Person.objects.filter(pk=tyler.pk).update(merged_into=jayden)
    assert tyler.pk not in {r.person.pk for r in person_history(user=hub["practitioner"], person=jayden).related}


# ------------------------------------------------------------------ involvements


def test_current_involvements_only_with_the_lead_professional_first(hub, freeze):
    referral = referral_at(hub, freeze, london(2026, 3, 5))
    jayden = the_child(referral)
    freeze(london(2026, 6, 1, 9))
    today = clock.local_today()
    agency = {a.code: a for a in Agency.objects.all()}

    def involve(code, role, **fields):
        return Involvement.objects.create(person=jayden, agency=agency[code], role=role, **fields)

    gp = involve("gp", "gp_practice", practitioner_name="Dr Aziz")
    school = involve("education", "school_dsl", end_date=today)  # ends today: still current
    ended = involve("youth-justice", "youth_justice_worker", end_date=today - dt.timedelta(days=1))
    lead = involve("csc", "allocated_social_worker", is_lead=True, start_date=dt.date(2026, 1, 1), end_date=today + dt.timedelta(days=30))

    history = person_history(user=hub["practitioner"], person=jayden)
    assert history.involvements[0] == lead and history.lead == lead
    assert set(history.involvements) == {lead, gp, school}
    assert ended not in history.involvements
    # Seen from the day the youth justice order ended, it was still current.
    earlier = person_history(user=hub["practitioner"], person=jayden, on=london(2026, 5, 31, 9))
    assert ended in earlier.involvements
    assert current_involvements(user=hub["practitioner"], person_ids=[]) == {}


# ------------------------------------------------------------------ who may see what


def test_only_referrals_the_viewer_may_see_are_counted(hub, freeze):
    first = referral_at(hub, freeze, london(2026, 2, 2))
    jayden = the_child(first)
    freeze(london(2026, 3, 3, 13))
    asked_police = make_triaged(
        hub, agencies=["police"], children=[PersonRef(person_id=jayden.pk)], adults=[], received_at=london(2026, 3, 3, 12)
    )
    on = london(2026, 4, 1)
    manager = person_history(user=hub["manager"], person=jayden, on=on)
    assert [e.referral for e in manager.referrals] == [asked_police, first]

    police = person_history(user=hub["police-rep"], person=jayden, on=on)
    assert [e.referral for e in police.referrals] == [asked_police] and police.is_re_referral

    education = person_history(user=hub["education-rep"], person=jayden, on=on)
    assert education.referrals == [] and not education.is_re_referral and education.open_cases == []
    assert education.related_referrals == []

    for role in ("ig", "admin", "analyst"):
        assert person_history(user=hub[role], person=jayden, on=on).referrals == []


def test_the_history_is_audited_when_shown_outside_the_person_page(hub, freeze):
    first = referral_at(hub, freeze, london(2026, 2, 2))
    jayden = the_child(first)
    person_history(user=hub["practitioner"], person=jayden)
    assert not AuditEvent.objects.filter(action="person.history").exists()
    person_history(user=hub["practitioner"], person=jayden, audit_context="recording a referral")
    event = AuditEvent.objects.get(action="person.history")
    assert (event.object_id, event.actor_username, event.details["context"]) == (str(jayden.pk), "practitioner", "recording a referral")
    assert event.details["referrals"] == [first.pk]


# ------------------------------------------------------------------ queries


def _queries(user, person) -> int:
    with CaptureQueriesContext(connection) as ctx:
        history = person_history(user=user, person=person)
        _ = [(e.outcome, e.referral.reference) for e in history.referrals]
        _ = [(row.referral.reference, [(r.person.full_name, e.outcome) for r, e in row.people]) for row in history.related_referrals]
        _ = [(i.agency.name, i.get_role_display()) for i in history.involvements]
    return len(ctx.captured_queries)


def test_the_history_takes_the_same_few_queries_however_much_there_is(hub, freeze):
    # One child, one parent, one address, one referral: every step of the history has something to do.
    small = referral_at(
        hub, freeze, london(2026, 1, 10),
        children=[child("Solo", "Jones", address_line_1="1 Elm Road", postcode="SE15 4AB")],
        adults=[AdultEntry(person=PersonRef(new=NewPerson(given_name="Sue", family_name="Jones", sex="F")), relationships={0: "mother"})],
    )
    solo = the_child(small, "Solo")

    first = referral_at(hub, freeze, london(2026, 2, 2))
    jayden = the_child(first)
    kerry = first.people.get(kind="adult").person
    for i, when in enumerate((london(2026, 3, 3), london(2026, 4, 4), london(2026, 5, 5))):
        referral_at(
            hub, freeze, when,
            children=[PersonRef(person_id=jayden.pk), child(f"Sib{i}", dob=dt.date(2016 + i, 1, 1), address_line_1="14 Alder Road", postcode="SE15 4AB")],
            adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother", 1: "mother"})],
        )
    referral_at(hub, freeze, london(2026, 5, 6), children=[PersonRef(person_id=the_child(first, "Tyler").pk)], adults=[])
    referral_at(hub, freeze, london(2026, 5, 7), children=[child("Kim", "Lee", address_line_1="14 Alder Rd", postcode="SE15 4AB")], adults=[])
    freeze(london(2026, 5, 7, 14))
    decided = make_triaged(
        hub, children=[PersonRef(person_id=jayden.pk)],
        adults=[AdultEntry(person=PersonRef(person_id=kerry.pk), relationships={0: "mother"})],
        received_at=london(2026, 5, 7, 13),
    )
    decide(hub, decided, outcome="assessment")
    agency = Agency.objects.get(code="csc")
    for p in Person.objects.all():
        Involvement.objects.create(person=p, agency=agency, role="allocated_social_worker", is_lead=True)

    few = _queries(hub["practitioner"], solo)
    many = _queries(hub["practitioner"], jayden)
    history = person_history(user=hub["practitioner"], person=jayden)
    assert len(history.referrals) >= 5 and len(history.related) >= 6 and len(history.related_referrals) >= 2
    assert many == few, (few, many)
    assert many <= 10
