"""Person search on blocking keys: ranked, explained candidates with households (people/search.py)."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.audit.models import AuditEvent
from openmash.core.errors import Forbidden
from openmash.people.codes import RelationshipKind
from openmash.people.keystore import refresh_person_keys
from openmash.people.models import Address, Person, PersonName, Relationship
from openmash.people.search import POSSIBLE_FLOOR, match_people
from openmash.people.selectors import SearchCriteria, search_criteria_errors
from openmash.people.services import NewPerson, person_create

pytestmark = pytest.mark.django_db

TWINS_DOB = dt.date(2016, 9, 12)


def _create(users, given, family, dob, sex, line="14 Alder Road", postcode="SE15 4AB", **fields):
    return person_create(
        user=users["practitioner"],
        data=NewPerson(given_name=given, family_name=family, date_of_birth=dob, sex=sex,
                       address_line_1=line, postcode=postcode, **fields),
    )


@pytest.fixture
def people(hub):
    made = {
        "jayden": _create(hub, "Jayden", "Smith", dt.date(2015, 7, 3), "M", nhs_number="9434765919"),
        "alexander": _create(hub, "Alexander", "Smith", TWINS_DOB, "M"),
        "alexandra": _create(hub, "Alexandra", "Smith", TWINS_DOB, "F"),
        "kerry": _create(hub, "Kerry", "Smith", dt.date(1990, 5, 5), "F"),
        "william": _create(hub, "William", "Okafor", dt.date(2012, 3, 14), "M", line="3 Rye Lane", postcode="SE5 8RS"),
        "other_jayden": _create(hub, "Jayden", "Smith", dt.date(2009, 11, 30), "M", line="80 Queens Road", postcode="N1 9GU"),
        "amina": _create(hub, "Amina", "Hassan", dt.date(2014, 2, 2), "F", line="5 Mill Close", postcode="E8 1DY"),
    }
    for child in ("jayden", "alexander", "alexandra"):
        Relationship.objects.create(adult=made["kerry"], child=made[child], kind=RelationshipKind.MOTHER)
    return made


def _search(users, user="practitioner", limit=10, **criteria):
    c = SearchCriteria(**criteria)
    assert search_criteria_errors(criteria=c) == {}
    return match_people(user=users[user], criteria=c, limit=limit, audit_context="test")


def _ids(results):
    return [c.person.pk for c in results]


@pytest.mark.parametrize(
    "criteria,why",
    [
        (dict(given_name="Jaden", family_name="Smyth", date_of_birth=dt.date(2015, 7, 3)), "typo"),
        (dict(given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 3, 7), postcode="SE15 4AB"), "swapped"),
        (dict(given_name="Jayden", family_name="Smith-Ali", date_of_birth=dt.date(2015, 7, 3), postcode="SE5 0AA"), "part"),
        (dict(given_name="Smith", family_name="Jayden", date_of_birth=dt.date(2015, 7, 3)), "swapped"),
    ],
)
def test_finds_the_child_through_errors(hub, people, criteria, why):
    results = _search(hub, **criteria)
    top = results[0]
    assert top.person == people["jayden"]
    assert top.band in ("likely", "very likely")
    assert why in {f.detail for f in top.comparison.fields}
    assert top.score == top.comparison.score and top.probability == top.comparison.probability


def test_a_nickname_finds_the_full_name(hub, people):
    top = _search(hub, given_name="Bill", family_name="Okafor", date_of_birth=dt.date(2012, 3, 14))[0]
    assert top.person == people["william"]
    given = top.comparison.field("given_name")
    assert (given.outcome, given.detail) == ("close", "variant") and "Bill" in given.reason


def test_the_twin_is_shown_below_and_as_a_different_person(hub, people):
    results = _search(hub, given_name="Alexander", family_name="Smith", date_of_birth=TWINS_DOB, postcode="SE15 4AB")
    ids = _ids(results)
    assert ids[0] == people["alexander"].pk
    assert people["alexandra"].pk in ids  # shown, so the practitioner sees there are two
    twin = results[ids.index(people["alexandra"].pk)]
    assert twin.score < results[0].score and twin.band in ("possible", "unlikely")
    assert twin.comparison.field("given_name").outcome == "differ"
    household = {m.person_id: m for m in results[0].household}
    sister = household[people["alexandra"].pk]
    assert sister.same_date_of_birth and sister.note.startswith("twin: same date of birth, different first name")
    assert "different first name: Alexandra" in sister.differences and "female" in sister.differences
    assert sister.age == 10 or sister.age == 9
    # the mother and the other children appear with how they relate
    assert household[people["kerry"].pk].link == "mother"
    assert household[people["jayden"].pk].link == "same address"
    assert "born 1 year earlier" in household[people["jayden"].pk].differences
    assert people["alexander"].pk not in household  # not their own household member


def test_household_through_relationships_alone(hub, people):
    moved = _create(hub, "Tyler", "Smith", dt.date(2019, 1, 20), "M", line="9 Elm Grove", postcode="SE22 8QX")
    Relationship.objects.create(adult=people["kerry"], child=moved, kind=RelationshipKind.MOTHER)
    top = _search(hub, given_name="Tyler", family_name="Smith", date_of_birth=dt.date(2019, 1, 20))[0]
    links = {m.person_id: m.link for m in top.household}
    assert top.person == moved
    assert links[people["kerry"].pk] == "mother"
    assert links[people["jayden"].pk] == "sibling (same mother)"
    kerry = _search(hub, given_name="Kerry", family_name="Smith", date_of_birth=dt.date(1990, 5, 5))[0]
    assert {m.person_id: m.link for m in kerry.household}[moved.pk] == "child (mother)"


def test_a_merged_record_is_not_offered(hub, people):
    duplicate = _create(hub, "Jaden", "Smith", dt.date(2015, 7, 3), "M")
    assert duplicate.pk in _ids(_search(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3)))
    Person.objects.filter(pk=duplicate.pk).update(merged_into=people["jayden"])
    ids = _ids(_search(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3)))
    assert duplicate.pk not in ids and ids[0] == people["jayden"].pk
    refresh_person_keys([duplicate.pk])  # and once its keys are refreshed, it is filed under none
    assert duplicate.pk not in _ids(_search(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3)))


def test_an_nhs_number_goes_first_whatever_else_is_wrong(hub, people):
    results = _search(hub, nhs_number="943 476 5919", given_name="Kerry", family_name="Smith", date_of_birth=dt.date(1990, 5, 5))
    assert results[0].person == people["jayden"] and results[0].identifier_match
    assert results[0].comparison.field("nhs_number").outcome == "agree"
    assert results[1].person == people["kerry"]
    assert _ids(_search(hub, nhs_number="9434765919")) == [people["jayden"].pk]


def test_a_upn_finds_its_child(hub, people):
    pupil = _create(hub, "Chidi", "Eze", dt.date(2013, 6, 1), "M", upn="A123456789012")
    results = _search(hub, upn="a123456789012")
    assert results[0].person == pupil and results[0].identifier_match


def test_one_field_alone_uses_an_exact_lookup(hub, people):
    smiths = _ids(_search(hub, family_name="SMITH"))
    assert set(smiths) == {people[k].pk for k in ("jayden", "alexander", "alexandra", "kerry", "other_jayden")}
    assert _ids(_search(hub, date_of_birth=dt.date(2014, 2, 2))) == [people["amina"].pk]
    assert _ids(_search(hub, family_name="Nobody")) == []


def test_unlikely_candidates_only_fill_the_list(hub, people):
    results = _search(hub, given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3), limit=2)
    assert len(results) == 2 and results[0].person == people["jayden"]
    bands = [c.probability >= POSSIBLE_FLOOR for c in results]
    assert bands == sorted(bands, reverse=True)  # every possible-or-better one before any unlikely one
    assert [c.score for c in results] == sorted((c.score for c in results), reverse=True)


def test_the_limit_is_kept(hub, people):
    assert len(_search(hub, family_name="Smith", limit=2)) == 2


def test_every_search_is_audited_once(hub, people):
    before = AuditEvent.objects.filter(action="person.search").count()
    results = _search(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3), sex="M", other_names=["Jay"])
    events = AuditEvent.objects.filter(action="person.search")
    assert events.count() == before + 1
    event = events.latest("id")
    assert event.actor_username == "practitioner"
    assert event.details["results"] == _ids(results)
    assert event.details["criteria"]["given_name"] == "Jaden" and event.details["criteria"]["date_of_birth"] == "2015-07-03"
    assert event.details["criteria"]["sex"] == "M" and event.details["criteria"]["other_names"] == ["Jay"]
    assert event.details["context"] == "test"


@pytest.mark.parametrize("username", ["police-rep", "analyst", "admin", "ig"])
def test_only_hub_staff_may_search(hub, people, username):
    with pytest.raises(Forbidden):
        _search(hub, user=username, given_name="Jayden", family_name="Smith")
    assert not AuditEvent.objects.filter(action="person.search", actor_username=username).exists()


def test_a_manager_may_search(hub, people):
    assert _search(hub, user="manager", given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3))


def test_a_search_is_a_bounded_number_of_queries(hub, people, django_assert_num_queries):
    Person.objects.filter(pk=people["jayden"].pk).get().other_names.create(given_name="Jay", family_name="Smith-Ali")
    hub["practitioner"].agency  # the audit row names the user's agency: read once per user, not per search
    # 1. the candidates (keys and identifiers) with their rows; 2. neighbours, relationships and
    # agencies' ids; 3. the household members; 4. the audit row.
    with CaptureQueriesContext(connection) as captured, django_assert_num_queries(4):
        results = _search(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3),
                          postcode="SE15 4AB", nhs_number="9434765919", upn="A123456789012")
    # One write, the audit row: in autocommit it is the search's only commit.
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT", "SELECT", "SELECT", "INSERT"]
    assert results[0].identifier_match and results[0].household
    with django_assert_num_queries(5):  # one field alone: an exact lookup first instead of the keys
        assert _search(hub, family_name="Smith")
    with django_assert_num_queries(0):  # what a page or the API shows next was read with the search
        jayden = results[0].person
        assert [str(n) for n in jayden.other_names.all()] == ["Jay Smith-Ali"]
        assert [a.postcode for a in jayden.current_addresses] == ["SE15 4AB"]
        assert all(c.person.current_addresses is not None for c in results)


def test_the_people_returned_are_as_the_orm_reads_them(hub, people):
    """The instances are made from the rows the search read to score (converted as the ORM
    converts them), not read again: every field, address and other name as the ORM has them."""
    jayden = people["jayden"]
    jayden.other_names.create(given_name="Jay", family_name="Smith-Ali", kind="previous")
    jayden.other_names.create(given_name="JJ", family_name="")
    jayden.addresses.update(is_current=False)
    jayden.addresses.create(line_1="2 Oak Way", postcode="SE15 4AB", from_date=dt.date(2020, 1, 2))
    jayden.addresses.create(line_1="14 Alder Road", postcode="SE15 4AB", town="London")
    results = _search(hub, given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3), address_line="14 Alder Rd")
    for c in results:
        fresh = Person.objects.get(pk=c.person.pk)
        for f in Person._meta.concrete_fields:
            assert getattr(c.person, f.attname) == getattr(fresh, f.attname), f.name
        addresses = list(fresh.addresses.filter(is_current=True).order_by("-created_at", "-id"))
        assert [[getattr(a, f.attname) for f in Address._meta.concrete_fields] for a in c.person.current_addresses] == \
            [[getattr(a, f.attname) for f in Address._meta.concrete_fields] for a in addresses]
        names = list(fresh.other_names.order_by("id"))
        assert [[getattr(n, f.attname) for f in PersonName._meta.concrete_fields] for n in c.person.other_names.all()] == \
            [[getattr(n, f.attname) for f in PersonName._meta.concrete_fields] for n in names]
        assert c.person._state.db == "default" and not c.person._state.adding
    top = results[0]
    assert top.person == jayden and top.person.current_addresses[0].line_1 == "14 Alder Road"
    assert top.person.created_at.tzinfo is not None and isinstance(top.person.date_of_birth, dt.date)
    # the score used the newest current address, as the key table does
    assert top.comparison.field("address").outcome == "agree"
    assert str(top.person.other_names.all()[0]) == "Jay Smith-Ali"


def test_agencies_ids_come_with_each_candidate(hub, people):
    from openmash.agencies.models import Agency
    from openmash.people.models import PersonSource

    agencies = list(Agency.objects.order_by("id")[:2])
    Agency.objects.filter(pk=agencies[0].pk).update(sort_order=1)
    Agency.objects.filter(pk=agencies[1].pk).update(sort_order=2)
    PersonSource.objects.create(person=people["jayden"], agency=agencies[1], source_id="B-2")
    PersonSource.objects.create(person=people["jayden"], agency=agencies[0], source_id="A-9")
    PersonSource.objects.create(person=people["jayden"], agency=agencies[0], source_id="A-1")
    PersonSource.objects.create(person=people["kerry"], agency=agencies[0], source_id="K-1")
    results = {c.person.pk: c for c in _search(hub, given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3))}
    expected = [f"{agencies[0].code}:A-1", f"{agencies[0].code}:A-9", f"{agencies[1].code}:B-2"]  # agency order, then id
    assert results[people["jayden"].pk].source_ids == expected
    assert results[people["other_jayden"].pk].source_ids == []


def test_people_the_policy_hides_are_neither_candidates_nor_household(hub, people, monkeypatch):
    from openmash.people import search

    hidden = people["alexandra"]
    monkeypatch.setattr(search, "people_visible_to", lambda user: Person.objects.exclude(pk=hidden.pk))
    results = _search(hub, given_name="Alexandra", family_name="Smith", date_of_birth=TWINS_DOB, postcode="SE15 4AB")
    assert hidden.pk not in _ids(results) and people["alexander"].pk in _ids(results)
    for c in results:
        assert hidden.pk not in {m.person_id for m in c.household}
    # a hidden parent: not shown in the child's household
    monkeypatch.setattr(search, "people_visible_to", lambda user: Person.objects.exclude(pk=people["kerry"].pk))
    top = _search(hub, given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2015, 7, 3))[0]
    assert top.person == people["jayden"] and people["kerry"].pk not in {m.person_id for m in top.household}
    assert people["alexandra"].pk in {m.person_id for m in top.household}
    monkeypatch.setattr(search, "people_visible_to", lambda user: Person.objects.none())
    assert _search(hub, given_name="Alexandra", family_name="Smith", date_of_birth=TWINS_DOB) == []
    assert _search(hub, nhs_number="9434765919") == []
    assert AuditEvent.objects.filter(action="person.search", details__results=[]).count() == 2


def test_a_merged_record_is_not_a_household_member(hub, people):
    duplicate = _create(hub, "Alexandra", "Smith", TWINS_DOB, "F")
    Relationship.objects.create(adult=people["kerry"], child=duplicate, kind=RelationshipKind.MOTHER)
    top = _search(hub, given_name="Alexander", family_name="Smith", date_of_birth=TWINS_DOB, postcode="SE15 4AB")[0]
    assert duplicate.pk in {m.person_id for m in top.household}
    Person.objects.filter(pk=duplicate.pk).update(merged_into=people["alexandra"])
    top = _search(hub, given_name="Alexander", family_name="Smith", date_of_birth=TWINS_DOB, postcode="SE15 4AB")[0]
    assert duplicate.pk not in {m.person_id for m in top.household}
    assert people["alexandra"].pk in {m.person_id for m in top.household}


@pytest.mark.parametrize(
    "criteria,field",
    [
        (dict(upn="A123456789013"), "upn"),
        (dict(sex="X", family_name="Smith"), "sex"),
        (dict(address_line="x" * 121, family_name="Smith"), "address_line"),
        (dict(other_names=["Jay"] * 11, family_name="Smith"), "other_names"),
        (dict(other_names=["--"], family_name="Smith"), "other_names"),
        (dict(postcode="SE15 4A"), "postcode"),
        (dict(sex="M"), "family_name"),  # sex alone is not a search
    ],
)
def test_criteria_errors_for_the_new_fields(criteria, field):
    assert field in search_criteria_errors(criteria=SearchCriteria(**criteria))


def test_partial_postcodes_are_accepted():
    for value, cleaned in (("se15", "SE15"), ("se15  4", "SE15 4"), ("se154ab", "SE15 4AB")):
        c = SearchCriteria(postcode=value)
        assert search_criteria_errors(criteria=c) == {} and c.postcode == cleaned
