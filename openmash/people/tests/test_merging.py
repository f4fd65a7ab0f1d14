"""Merging two records of one person, undoing it, and "not the same person" (ADR 0013).

Runs on SQLite and on PostgreSQL (DATABASE_URL): the consent history and the sharing log are
append-only in the database itself, so a merge that tried to rewrite them would fail there.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, transaction
from django.db.models import Q
from django.forms.models import model_to_dict

from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.errors import Conflict, Forbidden, InvalidInput
from openmash.core.testing.factories import decide, give_consent, make_referral, make_triaged
from openmash.people import merging
from openmash.people.merging import mark_not_same, merge_people, person_relations, relation_policy, undo_merge
from openmash.people.models import (
    Address,
    DuplicatePair,
    Involvement,
    Person,
    PersonKey,
    PersonName,
    PersonSource,
    Relationship,
)
from openmash.people.services import NewPerson, person_create
from openmash.referrals.models import ChildOutcome, ReferralPerson
from openmash.sharing.models import ConsentEntry, SharingEvent

REASON = "Same child: same school, same GP, the date of birth typed day-first on one record."


def new_person(hub, **fields) -> Person:
    data = NewPerson(**{"sex": "M", **fields})
    return person_create(user=hub["practitioner"], data=data)


def pair_of(a: Person, b: Person, probability=0.97, band="likely") -> DuplicatePair:
    low, high = sorted((a.pk, b.pk))
    return DuplicatePair.objects.create(
        person_a_id=low, person_b_id=high, score=8.0, probability=probability, band=band, found_at=clock.now()
    )


@pytest.fixture
def twosome(hub):
    """Jayden Smith on a referral with his brother and mother; Jaden Smith, the same boy recorded
    again by an agency with the date typed the other way round."""
    referral = make_referral(hub)
    jayden = referral.people.get(kind="child", person__given_name="Jayden").person
    jaden = new_person(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2018, 3, 7), nhs_number="9434765919",
                       postcode="SE15 4AB", address_line_1="14 Alder Road")
    return {"referral": referral, "kept": jayden, "merged": jaden, "pair": pair_of(jayden, jaden)}


# ------------------------------------------------------------------ every relation to Person


def _row_builders(hub):
    """One row pointing at a person, for every relation a merge re-points or leaves."""
    from openmash.agencies.models import Agency

    police = Agency.objects.get(code="police")
    other_child = new_person(hub, given_name="Ruby", family_name="Okafor", date_of_birth=dt.date(2016, 1, 1), sex="F")
    other_adult = new_person(hub, given_name="Femi", family_name="Okafor", date_of_birth=dt.date(1980, 1, 1))
    decided = make_triaged(hub, rating="green", agencies=["police"])
    decision = decide(hub, decided)
    event = SharingEvent.objects.filter(referral=decided).first()
    assert event is not None, "the decided referral logged a disclosure to attach a subject to"
    return {
        ("people.personname", "person"): lambda p: PersonName.objects.create(person=p, given_name="Jay", family_name="Smith-Ali"),
        ("people.address", "person"): lambda p: Address.objects.create(person=p, line_1="3 Rye Lane", postcode="SE15 5EW", is_current=False),
        ("people.relationship", "adult"): lambda p: Relationship.objects.create(adult=p, child=other_child, kind="father"),
        ("people.relationship", "child"): lambda p: Relationship.objects.create(adult=other_adult, child=p, kind="father"),
        ("people.involvement", "person"): lambda p: Involvement.objects.create(person=p, agency=police, role="other", source_id="P-77"),
        ("people.personsource", "person"): lambda p: PersonSource.objects.create(person=p, agency=police, source_id="NOMINAL-1"),
        ("referrals.referralperson", "person"): lambda p: ReferralPerson.objects.create(referral=decided, person=p, kind="child", position=9),
        ("referrals.childoutcome", "person"): lambda p: ChildOutcome.objects.create(decision=decision, person=p, outcome="nfa"),
        ("sharing.consententry", "person"): lambda p: ConsentEntry.objects.create(
            referral=decided, person=p, family_informed="yes", sought="no", not_sought_reason="risk_to_child", recorded_by=hub["manager"]
        ),
        ("sharing.sharingevent_subjects", "person"): lambda p: SharingEvent.subjects.through.objects.create(sharingevent=event, person=p),
    }


def _state(row):
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


@pytest.mark.django_db
def test_every_relation_to_person_is_moved_or_left_and_put_back_exactly(hub, twosome):
    """Found by introspection: a model added later with a foreign key to Person fails here until
    this test can build a row of it and the merge has been seen to handle it."""
    builders = _row_builders(hub)
    relations = [fk for fk in person_relations() if relation_policy(fk) != "elsewhere"]
    missing = [f"{fk.model._meta.label_lower}.{fk.name}" for fk in relations if (fk.model._meta.label_lower, fk.name) not in builders]
    assert not missing, f"No row builder for {missing}: add one here and decide how a merge treats it (merging.py)"
    kept, merged = twosome["kept"], twosome["merged"]
    own_address = merged.addresses.get()  # the merged record's own (current) address, created with it
    rows = {}
    for fk in relations:
        key = (fk.model._meta.label_lower, fk.name)
        row = builders[key](merged)
        rows[key] = (fk, row, _state(type(row)._base_manager.get(pk=row.pk)))
    assert PersonKey.objects.filter(person=merged).exists()

    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=twosome["pair"])

    for key, (fk, row, before) in rows.items():
        now = type(row)._base_manager.get(pk=row.pk)
        expected = merged.pk if relation_policy(fk) == "history" else kept.pk
        assert getattr(now, fk.attname) == expected, f"{key}: expected {expected}, got {getattr(now, fk.attname)}"
        action = "left" if relation_policy(fk) == "history" else "moved"
        assert {"model": key[0], "id": row.pk, "field": fk.name, "action": action}.items() <= next(
            e for e in merge.moved if (e["model"], e["id"], e["field"]) == (key[0], row.pk, fk.name)
        ).items()
    merged.refresh_from_db()
    kept.refresh_from_db()
    assert merged.merged_into_id == kept.pk
    assert not PersonKey.objects.filter(person=merged).exists(), "a merged record is filed under no key"
    own_address.refresh_from_db()
    assert own_address.person_id == kept.pk and own_address.is_current is False, "the kept record's current address stands"
    assert kept.nhs_number == "9434765919", "a blank identifier of the kept record is filled from the merged one"
    assert PersonName.objects.filter(person=kept, given_name="Jaden", family_name="Smith").exists()

    undo_merge(user=hub["manager"], merge=merge, reason="Reviewed again: two boys.")

    for key, (fk, row, before) in rows.items():
        assert _state(type(row)._base_manager.get(pk=row.pk)) == before, f"{key} not put back exactly"
    own_address.refresh_from_db()
    assert own_address.person_id == merged.pk and own_address.is_current is True
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id is None and kept.nhs_number == ""
    assert not PersonName.objects.filter(person=kept, given_name="Jaden").exists()
    assert PersonKey.objects.filter(person=merged).exists(), "keys refreshed for the record restored"


@pytest.mark.django_db
def test_append_only_history_is_never_rewritten(hub, twosome):
    """The database refuses to rewrite consent entries; the merge leaves them with the merged record."""
    referral, kept, merged = twosome["referral"], twosome["kept"], twosome["merged"]
    entry = ConsentEntry.objects.create(
        referral=referral, person=merged, family_informed="yes", sought="no", not_sought_reason="risk_to_child", recorded_by=hub["manager"]
    )
    with pytest.raises((IntegrityError, InternalError, ProgrammingError)), transaction.atomic():
        ConsentEntry.objects.filter(pk=entry.pk).update(person=kept)
    merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON)
    entry.refresh_from_db()
    assert entry.person_id == merged.pk
    assert Person.objects.get(pk=entry.person_id).merged_into_id == kept.pk, "and the record it names redirects"


# ------------------------------------------------------------------ rows the kept record already has


@pytest.mark.django_db
def test_both_on_one_referral_the_duplicate_link_is_removed_and_restored(hub, twosome):
    referral, kept, merged = twosome["referral"], twosome["kept"], twosome["merged"]
    link = ReferralPerson.objects.create(referral=referral, person=merged, kind="child", position=7)
    before = model_to_dict(link)
    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON)
    assert not ReferralPerson.objects.filter(pk=link.pk).exists()
    assert ReferralPerson.objects.filter(referral=referral, person=kept).count() == 1
    assert any(e["action"] == "removed" and e["id"] == link.pk for e in merge.moved)
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong child.")
    assert model_to_dict(ReferralPerson.objects.get(pk=link.pk)) == before


@pytest.mark.django_db
def test_the_same_relationship_twice_is_removed_and_restored(hub, twosome):
    kept, merged = twosome["kept"], twosome["merged"]
    mother = twosome["referral"].people.get(kind="adult").person
    assert Relationship.objects.filter(adult=mother, child=kept, kind="mother").exists()
    twin = Relationship.objects.create(adult=mother, child=merged, kind="mother", parental_responsibility=True)
    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON)
    assert not Relationship.objects.filter(pk=twin.pk).exists()
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong child.")
    restored = Relationship.objects.get(pk=twin.pk)
    assert (restored.adult_id, restored.child_id, restored.kind, restored.parental_responsibility) == (mother.pk, merged.pk, "mother", True)


@pytest.mark.django_db
def test_a_decision_outcome_for_both_is_left_with_the_merged_record(hub, twosome):
    referral, kept, merged = twosome["referral"], twosome["kept"], twosome["merged"]
    ReferralPerson.objects.create(referral=referral, person=merged, kind="child", position=7)
    give_consent(hub, referral)
    from openmash.referrals.services import referral_triage

    referral_triage(user=hub["manager"], referral=referral, rating="green", rationale="Because.", agency_codes=["police"])
    decision = decide(hub, referral)
    outcome = ChildOutcome.objects.get(decision=decision, person=merged)
    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON)
    outcome.refresh_from_db()
    assert outcome.person_id == merged.pk
    assert any(e["action"] == "left" and e["id"] == outcome.pk and e["model"] == "referrals.childoutcome" for e in merge.moved)
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong child.")
    assert ReferralPerson.objects.filter(referral=referral, person=merged).exists()


# ------------------------------------------------------------------ refusals


@pytest.mark.django_db
def test_refusals(hub, twosome):
    kept, merged, pair = twosome["kept"], twosome["merged"], twosome["pair"]
    with pytest.raises(Forbidden):
        merge_people(user=hub["practitioner"], kept=kept, merged=merged, reason=REASON)
    with pytest.raises(InvalidInput) as exc:
        merge_people(user=hub["manager"], kept=kept, merged=merged, reason="   ")
    assert "reason" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        merge_people(user=hub["manager"], kept=kept, merged=kept, reason=REASON)
    assert "keep" in exc.value.errors
    stranger = new_person(hub, given_name="Ali", family_name="Khan", date_of_birth=dt.date(2015, 1, 1))
    with pytest.raises(InvalidInput):
        merge_people(user=hub["manager"], kept=kept, merged=stranger, reason=REASON, pair=pair)

    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=pair)
    merged.refresh_from_db()
    with pytest.raises(Conflict, match="already been merged"):
        merge_people(user=hub["manager"], kept=stranger, merged=merged, reason=REASON)
    with pytest.raises(Conflict, match="merge into that record instead"):
        merge_people(user=hub["manager"], kept=merged, merged=stranger, reason=REASON)
    with pytest.raises(Conflict, match="already been reviewed"):
        merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=pair)
    with pytest.raises(Conflict, match="already been reviewed"):
        mark_not_same(user=hub["manager"], pair=pair, note="Twins.")

    # The kept record merged on into a third: the first merge cannot be undone until that one is.
    later = merge_people(user=hub["manager"], kept=stranger, merged=kept, reason=REASON)
    with pytest.raises(Conflict, match="undo that merge first"):
        undo_merge(user=hub["manager"], merge=merge, reason="Wrong.")
    with pytest.raises(InvalidInput) as exc:
        undo_merge(user=hub["manager"], merge=later, reason="")
    assert "reason" in exc.value.errors
    with pytest.raises(Forbidden):
        undo_merge(user=hub["practitioner"], merge=later, reason="Wrong.")
    undo_merge(user=hub["manager"], merge=later, reason="Wrong.")
    with pytest.raises(Conflict, match="already been undone"):
        undo_merge(user=hub["manager"], merge=later, reason="Again.")
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong too.")
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN and pair.reviewed_by_id is None, "the pair is back for review"


@pytest.mark.django_db
def test_records_recorded_as_two_people_are_not_merged(hub, twosome):
    """A parent and child of one name, or a child and an adult on one referral, are two people."""
    referral, kept = twosome["referral"], twosome["kept"]
    mother = referral.people.get(kind="adult").person
    with pytest.raises(Conflict, match="recorded as mother of"):
        merge_people(user=hub["manager"], kept=kept, merged=mother, reason=REASON)
    stranger = new_person(hub, given_name="Kerry", family_name="Smith", date_of_birth=dt.date(1994, 5, 5), sex="F")
    ReferralPerson.objects.create(referral=referral, person=stranger, kind="child", position=8)
    with pytest.raises(Conflict, match="names one as a"):
        merge_people(user=hub["manager"], kept=stranger, merged=mother, reason=REASON)
    assert Person.objects.get(pk=mother.pk).merged_into_id is None


# ------------------------------------------------------------------ pairs


@pytest.mark.django_db
def test_pairs_after_a_merge_and_its_undo(hub, twosome):
    kept, merged, pair = twosome["kept"], twosome["merged"], twosome["pair"]
    third = new_person(hub, given_name="Jaiden", family_name="Smyth", date_of_birth=dt.date(2018, 7, 3))
    fourth = new_person(hub, given_name="Jayden", family_name="Smith", date_of_birth=dt.date(2019, 7, 3))
    open_other = pair_of(merged, third)
    refused = pair_of(merged, fourth)
    mark_not_same(user=hub["manager"], pair=refused, note="A cousin, a year younger.")

    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=pair)
    pair.refresh_from_db()
    open_other.refresh_from_db()
    assert pair.status == "merged" and pair.reviewed_by_id == hub["manager"].pk and pair.review_note == REASON
    assert open_other.status == "gone"
    carried = DuplicatePair.objects.get(person_a_id=min(kept.pk, fourth.pk), person_b_id=max(kept.pk, fourth.pk))
    assert carried.status == "not_same", "merged is not fourth, so neither is the record merged into"

    undo_merge(user=hub["manager"], merge=merge, reason="Wrong.")
    pair.refresh_from_db()
    open_other.refresh_from_db()
    assert pair.status == "open" and open_other.status == "open"
    assert not DuplicatePair.objects.filter(pk=carried.pk).exists()
    assert DuplicatePair.objects.get(pk=refused.pk).status == "not_same"


def _finder_insert(a: Person, b: Person):
    """What the duplicate finder does with a pair it finds: add it unless the pair is already known."""
    low, high = sorted((a.pk, b.pk))
    return DuplicatePair.objects.get_or_create(
        person_a_id=low, person_b_id=high,
        defaults={"score": 9.0, "probability": 0.99, "band": "very likely", "found_at": clock.now()},
    )


@pytest.mark.django_db
def test_not_the_same_person_is_kept_for_good(hub, twosome):
    pair = twosome["pair"]
    with pytest.raises(InvalidInput) as exc:
        mark_not_same(user=hub["manager"], pair=pair, note="")
    assert "note" in exc.value.errors
    with pytest.raises(Forbidden):
        mark_not_same(user=hub["practitioner"], pair=pair, note="Twins.")
    mark_not_same(user=hub["manager"], pair=pair, note="Twins: Jayden and Jaden, born the same day.")
    found, created = _finder_insert(twosome["merged"], twosome["kept"])
    assert not created and found.pk == pair.pk and found.status == "not_same"
    assert DuplicatePair.objects.filter(person_a=pair.person_a, person_b=pair.person_b).count() == 1
    event = AuditEvent.objects.get(action="duplicate.not_same")
    assert event.details["people"] == [pair.person_a_id, pair.person_b_id]


@pytest.mark.django_db
def test_the_finder_never_queues_a_pair_marked_not_the_same_again(hub, twosome):
    """The real duplicate finder: it finds the pair; once marked "not the same person" a second run
    leaves it so; after a merge it never pairs the merged record again."""
    from openmash.people.duplicates.finder import find_duplicates

    kept, merged = twosome["kept"], twosome["merged"]
    low, high = sorted((kept.pk, merged.pk))
    DuplicatePair.objects.filter(pk=twosome["pair"].pk).delete()
    find_duplicates()
    pair = DuplicatePair.objects.get(person_a_id=low, person_b_id=high)
    assert pair.status == "open", "the finder finds this pair by itself"
    mark_not_same(user=hub["manager"], pair=pair, note="Twins.")
    find_duplicates()
    assert list(DuplicatePair.objects.filter(person_a_id=low, person_b_id=high).values_list("pk", "status")) == [(pair.pk, "not_same")]

    twin = new_person(hub, given_name="Jaden", family_name="Smith", date_of_birth=dt.date(2018, 3, 7), nhs_number="9434765919",
                      postcode="SE15 4AB", address_line_1="14 Alder Road")
    merge_people(user=hub["manager"], kept=merged, merged=twin, reason=REASON)
    before = DuplicatePair.objects.count()
    find_duplicates()
    assert not DuplicatePair.objects.filter(Q(person_a=twin) | Q(person_b=twin)).exclude(status="gone").exists()
    assert DuplicatePair.objects.count() == before


@pytest.mark.django_db
def test_merge_and_undo_are_audited_with_both_ids(hub, twosome):
    kept, merged = twosome["kept"], twosome["merged"]
    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=twosome["pair"])
    done = AuditEvent.objects.get(action="person.merge")
    assert (done.details["kept"], done.details["merged"], done.details["merge"]) == (kept.pk, merged.pk, merge.pk)
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong.")
    undone = AuditEvent.objects.get(action="person.merge.undo")
    assert (undone.details["kept"], undone.details["merged"], undone.details["not_restored"]) == (kept.pk, merged.pk, [])


@pytest.mark.django_db
def test_a_failed_merge_changes_nothing(hub, twosome, monkeypatch):
    kept, merged = twosome["kept"], twosome["merged"]
    address = merged.addresses.get()

    def boom(ids):
        raise RuntimeError("keys could not be written")

    monkeypatch.setattr(merging, "_refresh_keys", boom)
    with pytest.raises(RuntimeError):
        merge_people(user=hub["manager"], kept=kept, merged=merged, reason=REASON, pair=twosome["pair"])
    address.refresh_from_db()
    assert address.person_id == merged.pk
    assert Person.objects.get(pk=merged.pk).merged_into_id is None
    assert DuplicatePair.objects.get(pk=twosome["pair"].pk).status == "open"


@pytest.mark.django_db
def test_consent_left_with_the_merged_record_still_counts_on_its_referral(hub, twosome):
    """The referral now names the kept record; its consent entries (append-only) name the merged one,
    which redirects: the consent still covers the referral, and shows against the child."""
    from openmash.sharing.rules import sharing_cover
    from openmash.sharing.selectors import _people_consent

    referral, on_referral, elsewhere = twosome["referral"], twosome["kept"], twosome["merged"]
    assert sharing_cover(referral=referral, agency_codes=["police"]).covers("police")
    merge = merge_people(user=hub["manager"], kept=elsewhere, merged=on_referral, reason=REASON)
    assert ReferralPerson.objects.filter(referral=referral, person=elsewhere).exists()
    assert ConsentEntry.objects.filter(referral=referral, person=on_referral).exists()
    cover = sharing_cover(referral=referral, agency_codes=["police"])
    assert cover.covers("police") and cover.current[elsewhere.pk] is not None
    history = {p.person_id: p for p in _people_consent(referral)}
    assert history[elsewhere.pk].history, "the child's consent history still shows on the Sharing tab"
    undo_merge(user=hub["manager"], merge=merge, reason="Wrong.")
    assert sharing_cover(referral=referral, agency_codes=["police"]).covers("police")


@pytest.mark.django_db
def test_blanks_of_the_kept_record_are_filled_and_emptied_again_by_undo(hub):
    kept = new_person(hub, given_name="Baby", family_name="Mensah", sex="U")
    merged = new_person(hub, given_name="Kofi", family_name="Mensah", date_of_birth=dt.date(2025, 2, 1), sex="M", upn="M801200000051")
    merge = merge_people(user=hub["manager"], kept=kept, merged=merged, reason="Named after birth.")
    kept.refresh_from_db()
    assert (kept.date_of_birth, kept.sex, kept.upn) == (dt.date(2025, 2, 1), "M", merged.upn)
    assert (kept.given_name, kept.family_name) == ("Baby", "Mensah"), "the kept record's own name stands"
    assert PersonName.objects.filter(person=kept, given_name="Kofi").exists()
    undo_merge(user=hub["manager"], merge=merge, reason="Another baby.")
    kept.refresh_from_db()
    assert (kept.date_of_birth, kept.sex, kept.upn) == (None, "U", "")
