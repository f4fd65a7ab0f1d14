"""Reviewing likely duplicates: merge two records of one person (and undo it), or record that a pair
are two people. ADR 0013.

A merge keeps one record (`kept`) and folds the other (`merged`) into it: every row of every model
that points at the merged record is re-pointed at the kept one, found by introspection of Person's
relations (hidden ones included), so a model added later with a foreign key to Person is moved too
without changing this file. What each row went through is written to `PersonMerge.moved`, so that
`undo_merge` can put every row back exactly:

| action   | what happened                                                        | undo                 |
|----------|----------------------------------------------------------------------|----------------------|
| moved    | the foreign key now names the kept record                            | names merged again   |
| removed  | the kept record already had the same row (a referral naming both)    | inserted again, same id |
| left     | history that is never rewritten (consent, sharing log), or a row the kept record already has in a form that must not be deleted (a decision's outcome) | nothing |
| changed  | a field of another row set by the merge (a moved address made previous, a blank identifier of the kept record filled, a pair closed) | old value back, if unchanged since |
| created  | a row the merge added (the merged record's name as an alias of the kept one; a "not the same" pair carried across) | deleted |

The merged record stays, with `merged_into` set: it redirects to the kept record, and everything left
pointing at it (consent entries and the sharing log are append-only in the database) still resolves.

The reads behind the review pages (the queue, one pair side by side, one merge) are at the end.
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.core import serializers
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q

from openmash.access.policy import (
    can_review_duplicates,
    can_see_duplicates,
    people_visible_to,
    referrals_visible_to,
    require,
)
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.errors import Conflict, InvalidInput, NotFound
from openmash.people.codes import Ethnicity, Sex
from openmash.people.identifiers import normalise_name
from openmash.people.matching.compare import Comparison, compare
from openmash.people.matching.weights import BANDS
from openmash.people.models import Address, DuplicatePair, Person, PersonMerge, PersonName, Relationship

REASON_MAX = 5000

# Relations to Person that a merge does not re-point, and why. Everything else is moved.
HANDLED_ELSEWHERE = {
    ("people.person", "merged_into"): "the redirect itself (a record merged into the merged one keeps redirecting through it)",
    ("people.personkey", "person"): "derived search keys: rewritten for both records after the merge",
    ("people.duplicatepair", "person_a"): "review pairs: the pair merged is closed, other open pairs of the merged record no longer apply",
    ("people.duplicatepair", "person_b"): "review pairs: as person_a",
    ("people.personmerge", "kept"): "the record of merges itself",
    ("people.personmerge", "merged"): "the record of merges itself",
}
# Append-only history (database triggers refuse UPDATE on consent entries and the sharing log): it
# keeps naming the record it was written about, which redirects to the kept one.
HISTORY = {
    ("sharing.consententry", "person"): "consent history is append-only: it stays with the record it was recorded for",
    ("sharing.sharingevent_subjects", "person"): "the sharing log is append-only: it names the record that was shared about",
}
# When the kept record already has the equivalent row (a unique constraint would be broken), these
# models' rows of the merged record are removed (and restored by undo); any other model's are left
# pointing at the merged record. A referral naming the child twice, or the same relationship twice,
# says nothing more; a decision's outcome for each record is what was decided, and is kept.
REMOVE_ON_CONFLICT = {
    ("referrals.referralperson", "person"),
    ("people.relationship", "adult"),
    ("people.relationship", "child"),
}
# Blank on the kept record, known on the merged one: filled in by the merge (and cleared by undo).
FILL_BLANKS = {
    "date_of_birth": None,
    "sex": Sex.UNKNOWN,
    "ethnicity": Ethnicity.NOBT,
    "nhs_number": "",
    "upn": "",
}
FIELD_LABELS = {"date_of_birth": "date of birth", "sex": "sex", "ethnicity": "ethnicity", "nhs_number": "NHS number", "upn": "UPN"}


def _label(model) -> str:
    return model._meta.label_lower


def person_relations() -> list[models.ForeignKey]:
    """Every foreign key (and one-to-one) to Person from any installed model, hidden relations
    (`related_name="+"`, many-to-many tables) included."""
    out = []
    for rel in Person._meta.get_fields(include_hidden=True):
        if rel.is_relation and rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            out.append(rel.field)
    return out


def relation_policy(fk) -> str:
    """How a merge treats rows pointing at the merged record through `fk`: elsewhere, history or move."""
    key = (_label(fk.model), fk.name)
    if key in HANDLED_ELSEWHERE:
        return "elsewhere"
    if key in HISTORY:
        return "history"
    return "move"


def records_now(*, person_ids) -> dict[int, int]:
    """Each id → the record that person lives in now: itself, or the end of its chain of merges.

    For readers of history left with a merged record (consent entries, the sharing log): an entry
    about a merged record is about the record it redirects to."""
    out = {int(pid): int(pid) for pid in person_ids}
    pending = set(out)
    seen: set[int] = set()
    while pending:
        seen |= pending
        step = dict(Person.objects.filter(pk__in=pending, merged_into__isnull=False).values_list("pk", "merged_into_id"))
        if not step:
            break
        for start, now in out.items():
            if now in step:
                out[start] = step[now]
        pending = set(step.values()) - seen
    return out


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def _reason(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput.single(field_name, message)
    if len(value) > REASON_MAX:
        raise InvalidInput.single(field_name, f"Reason must be {REASON_MAX:,} characters or fewer")
    return value


def _lock_people(*ids: int) -> dict[int, Person]:
    """The people, locked for the rest of the transaction (in id order, so two merges cannot deadlock)."""
    found = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(found) != len(set(ids)):
        raise NotFound("No such person")
    return found


def _lock_pair(pair_id: int) -> DuplicatePair:
    pair = DuplicatePair.objects.select_for_update().filter(pk=pair_id).first()
    if pair is None:
        raise NotFound("No such pair")
    return pair


def _unique_sets(model, fk) -> list[tuple[tuple[str, ...], Q | None]]:
    """The unique constraints of `model` that include `fk`: (field names, condition)."""
    sets = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields and fk.name in constraint.fields:
            sets.append((tuple(constraint.fields), constraint.condition))
    for together in model._meta.unique_together:
        if fk.name in together:
            sets.append((tuple(together), None))
    if fk.unique:
        sets.append(((fk.name,), None))
    return sets


def _conflicts(row, fk, kept_id: int) -> bool:
    """Would re-pointing `row` at the kept record repeat a row the kept record already has?"""
    model = type(row)
    manager = model._base_manager
    for names, condition in _unique_sets(model, fk):
        if condition is not None and not manager.filter(condition, pk=row.pk).exists():
            continue  # the row is outside the constraint's condition
        values = {}
        for name in names:
            f = model._meta.get_field(name)
            values[f.attname] = kept_id if name == fk.name else getattr(row, f.attname)
        qs = manager.filter(**values).exclude(pk=row.pk)
        if condition is not None:
            qs = qs.filter(condition)
        if qs.exists():
            return True
    return False


def _has_dependents(row) -> bool:
    for rel in row._meta.related_objects:
        if rel.one_to_many or rel.one_to_one:
            if rel.related_model._base_manager.filter(**{rel.field.name: row.pk}).exists():
                return True
    return False


def _serialise(row) -> dict:
    return json.loads(serializers.serialize("json", [row]))[0]


def _json_value(value):
    """A field's value as JSON can hold it (dates as ISO 8601; read back with the field's to_python)."""
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _links_between(kept: Person, merged: Person) -> list[str]:
    """Rows that record the two as different people: a relationship between them, or both named on
    one referral, one as a child and the other as an adult. A merge is refused while they exist."""
    problems = []
    for rel in Relationship.objects.filter(
        Q(adult=kept, child=merged) | Q(adult=merged, child=kept)
    ).select_related("adult", "child"):
        problems.append(
            f"{rel.adult.full_name} (record {rel.adult_id}) is recorded as {rel.get_kind_display().lower()} of "
            f"{rel.child.full_name} (record {rel.child_id})"
        )
    # Any other model with two foreign keys to Person linking the two records.
    for fk in person_relations():
        if relation_policy(fk) != "move" or _label(fk.model) == "people.relationship":
            continue
        others = [f for f in fk.model._meta.concrete_fields if f.is_relation and f.related_model is Person and f.name != fk.name]
        for other in others:
            if fk.model._base_manager.filter(**{fk.attname: merged.pk, other.attname: kept.pk}).exists():
                problems.append(f"a {fk.model._meta.verbose_name} links the two records to each other")
    from openmash.referrals.models import ReferralPerson

    kept_links = {link.referral_id: link for link in ReferralPerson.objects.filter(person=kept).select_related("referral")}
    for link in ReferralPerson.objects.filter(person=merged, referral_id__in=list(kept_links)):
        other = kept_links[link.referral_id]
        if other.kind != link.kind:
            problems.append(
                f"referral {other.referral.reference} names one as a {other.get_kind_display().lower()} and the other as "
                f"a {link.get_kind_display().lower()}"
            )
    return problems


def _pair_of(a_id: int, b_id: int) -> DuplicatePair | None:
    low, high = sorted((a_id, b_id))
    return DuplicatePair.objects.select_for_update().filter(person_a_id=low, person_b_id=high).first()


def _refresh_keys(ids: list[int]) -> None:
    from openmash.people.keystore import refresh_person_keys

    refresh_person_keys(ids)


def merge_people(*, user, kept: Person, merged: Person, reason: str, pair: DuplicatePair | None = None) -> PersonMerge:
    """Fold `merged` into `kept`. One transaction:

    1. Check: a reviewer's role, a reason, two different records neither of them already merged, the
       pair (if given) still open and about these two, nothing recording them as two people.
    2. Lock both people and the pair.
    3. For every relation to Person (introspection): history is left; other rows are re-pointed at
       the kept record, except where the kept record already has the same row (a unique constraint):
       then removed (referral links, relationships) or left (anything else), never an IntegrityError.
    4. The merged record's addresses come across as previous addresses when the kept record has a
       current one; its name becomes an alias of the kept record; blanks of the kept record (date of
       birth, sex, identifiers) are filled from it.
    5. Review pairs: this pair merged; other open pairs of the merged record no longer apply; "not
       the same person" decisions about the merged record carry over to the kept one.
    6. `merged_into` set; search keys rewritten for both; audited with both ids.
    """
    require(can_review_duplicates(user), "Only a MASH manager can merge records")
    reason = _reason(reason, "reason", "Enter why these two records are the same person")
    if kept.pk == merged.pk:
        raise InvalidInput.single("keep", "A record cannot be merged into itself")
    with transaction.atomic():
        people = _lock_people(kept.pk, merged.pk)
        kept, merged = people[kept.pk], people[merged.pk]
        if pair is not None:
            pair = _lock_pair(pair.pk)
            if {pair.person_a_id, pair.person_b_id} != {kept.pk, merged.pk}:
                raise InvalidInput.single("keep", "Choose one of the two records in this pair to keep")
        else:
            pair = _pair_of(kept.pk, merged.pk)
        if pair is not None and pair.status != DuplicatePair.Status.OPEN:
            raise Conflict(f"This pair has already been reviewed ({pair.get_status_display().lower()}): nothing more can be done to it")
        if merged.merged_into_id is not None:
            raise Conflict(f"Record {merged.pk} has already been merged into record {merged.merged_into_id}")
        if kept.merged_into_id is not None:
            raise Conflict(f"Record {kept.pk} has been merged into record {kept.merged_into_id}: merge into that record instead")
        problems = _links_between(kept, merged)
        if problems:
            raise Conflict(
                "These records are recorded as two different people, so they cannot be merged: " + "; ".join(problems) + "."
            )

        kept_had_current = Address.objects.filter(person=kept, is_current=True).exists()
        moved: list[dict] = []
        for fk in person_relations():
            policy = relation_policy(fk)
            if policy == "elsewhere":
                continue
            model = fk.model
            label = _label(model)
            rows = list(model._base_manager.filter(**{fk.attname: merged.pk}).order_by("pk"))
            for row in rows:
                entry = {"model": label, "id": row.pk, "field": fk.name}
                if policy == "history":
                    moved.append({**entry, "action": "left", "why": HISTORY[(label, fk.name)]})
                elif _conflicts(row, fk, kept.pk):
                    if (label, fk.name) in REMOVE_ON_CONFLICT and not _has_dependents(row):
                        data = _serialise(row)
                        model._base_manager.filter(pk=row.pk).delete()
                        moved.append({**entry, "action": "removed", "row": data, "why": "the kept record already has the same row"})
                    else:
                        moved.append({**entry, "action": "left", "why": "the kept record already has the same row"})
                else:
                    model._base_manager.filter(pk=row.pk).update(**{fk.attname: kept.pk})
                    moved.append({**entry, "action": "moved"})

        moved += _merge_details(kept, merged, moved, kept_had_current)
        moved += _close_pairs(user, kept, merged, pair, reason)

        Person.objects.filter(pk=merged.pk).update(merged_into=kept)
        merged.merged_into = kept
        merge = PersonMerge.objects.create(
            kept=kept, merged=merged, pair=pair, reason=reason, moved=moved, merged_by=user, merged_at=clock.now(),
        )
        _refresh_keys([kept.pk, merged.pk])
        audit_record(
            user=user, action="person.merge", object_type="person", object_id=kept.pk,
            details={"kept": kept.pk, "merged": merged.pk, "merge": merge.pk, "pair": pair.pk if pair else None,
                     "reason": reason, "rows": _counts(moved)},
        )
    return merge


def _counts(moved: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in moved:
        key = f"{entry['action']} {entry['model']}"
        out[key] = out.get(key, 0) + 1
    return out


def _merge_details(kept: Person, merged: Person, moved: list[dict], kept_had_current: bool) -> list[dict]:
    """Step 4 of `merge_people`: addresses, the merged record's name, blanks of the kept record."""
    out = []
    if kept_had_current:
        # The kept record's own current address stands; the merged record's come across as previous.
        address_ids = [e["id"] for e in moved if e["model"] == "people.address" and e["action"] == "moved"]
        for address_id in Address.objects.filter(pk__in=address_ids, is_current=True).values_list("pk", flat=True):
            Address.objects.filter(pk=address_id).update(is_current=False)
            out.append({"model": "people.address", "id": address_id, "field": "is_current", "action": "changed", "was": True, "now": False})
    given, family = normalise_name(merged.given_name), normalise_name(merged.family_name)
    known = {(kept.given_name_norm, kept.family_name_norm)} | set(
        PersonName.objects.filter(person=kept).values_list("given_name_norm", "family_name_norm")
    )
    if (given or family) and (given, family) not in known:
        alias = PersonName.objects.create(
            person=kept, kind=PersonName.Kind.ALIAS, given_name=merged.given_name, family_name=merged.family_name,
            given_name_norm=given, family_name_norm=family,
        )
        out.append({"model": "people.personname", "id": alias.pk, "field": "person", "action": "created",
                    "why": "the merged record's name, kept as another name"})
    updates = {}
    for name, blank in FILL_BLANKS.items():
        mine, theirs = getattr(kept, name), getattr(merged, name)
        if mine == blank and theirs != blank:
            updates[name] = theirs
            out.append({"model": "people.person", "id": kept.pk, "field": name, "action": "changed",
                        "was": _json_value(mine), "now": _json_value(theirs)})
    if updates:
        Person.objects.filter(pk=kept.pk).update(**updates)
        for name, value in updates.items():
            setattr(kept, name, value)
    return out


def _close_pairs(user, kept: Person, merged: Person, pair: DuplicatePair | None, reason: str) -> list[dict]:
    """Step 5 of `merge_people`: the pair reviewed, the merged record's other pairs."""
    out = []
    now = clock.now()
    if pair is not None:
        DuplicatePair.objects.filter(pk=pair.pk).update(
            status=DuplicatePair.Status.MERGED, reviewed_by=user, reviewed_at=now, review_note=reason
        )
        pair.status = DuplicatePair.Status.MERGED
    others = DuplicatePair.objects.select_for_update().filter(Q(person_a=merged) | Q(person_b=merged)).exclude(
        pk=pair.pk if pair else None
    )
    for other in others.order_by("pk"):
        third = other.person_b_id if other.person_a_id == merged.pk else other.person_a_id
        if other.status == DuplicatePair.Status.OPEN:
            DuplicatePair.objects.filter(pk=other.pk).update(status=DuplicatePair.Status.GONE)
            out.append({"model": "people.duplicatepair", "id": other.pk, "field": "status", "action": "changed",
                        "was": DuplicatePair.Status.OPEN, "now": DuplicatePair.Status.GONE})
        elif other.status == DuplicatePair.Status.NOT_SAME and third != kept.pk:
            # The merged record is not that person, so neither is the record it is part of now.
            low, high = sorted((kept.pk, third))
            if not DuplicatePair.objects.filter(person_a_id=low, person_b_id=high).exists():
                carried = DuplicatePair.objects.create(
                    person_a_id=low, person_b_id=high, score=other.score, probability=other.probability, band=other.band,
                    status=DuplicatePair.Status.NOT_SAME, found_at=now, reviewed_by=user, reviewed_at=now,
                    review_note=f"Carried over when record {merged.pk} was merged into record {kept.pk}: "
                                f"record {merged.pk} was marked as not the same person as record {third}.",
                )
                out.append({"model": "people.duplicatepair", "id": carried.pk, "field": "status", "action": "created",
                            "why": "a 'not the same person' decision carried over"})
    return out


def _to_python(model, field_name: str, value):
    return model._meta.get_field(field_name).to_python(value)


def undo_merge(*, user, merge: PersonMerge, reason: str) -> PersonMerge:
    """Put a merge back exactly. One transaction:

    1. Check: a reviewer's role, a reason, the merge not already undone, the kept record not merged
       into another since (that merge is undone first).
    2. Lock the merge and both people.
    3. Replay `moved` backwards: moved rows point at the merged record again, removed rows are
       inserted again with their ids, changed fields get their old value (if nobody changed them
       since), rows the merge created are deleted.
    4. `merged_into` cleared, the merge marked undone, its pair open for review again, search keys
       rewritten for both; audited with both ids.
    """
    require(can_review_duplicates(user), "Only a MASH manager can undo a merge")
    reason = _reason(reason, "reason", "Enter why the merge is being undone")
    with transaction.atomic():
        merge = PersonMerge.objects.select_for_update().filter(pk=merge.pk).first()
        if merge is None:
            raise NotFound("No such merge")
        if merge.undone_at is not None:
            raise Conflict("This merge has already been undone")
        people = _lock_people(merge.kept_id, merge.merged_id)
        kept, merged = people[merge.kept_id], people[merge.merged_id]
        if kept.merged_into_id is not None:
            raise Conflict(
                f"Record {kept.pk} has since been merged into record {kept.merged_into_id}: undo that merge first"
            )
        if merged.merged_into_id != kept.pk:
            raise Conflict(f"Record {merged.pk} no longer redirects to record {kept.pk}")
        not_restored = []
        for entry in reversed(merge.moved):
            model = _model(entry["model"])
            manager = model._base_manager
            action = entry["action"]
            if action == "moved":
                fk = model._meta.get_field(entry["field"])
                if not manager.filter(pk=entry["id"], **{fk.attname: kept.pk}).update(**{fk.attname: merged.pk}):
                    not_restored.append(entry)
            elif action == "removed":
                if manager.filter(pk=entry["id"]).exists():
                    not_restored.append(entry)
                else:
                    for obj in serializers.deserialize("json", json.dumps([entry["row"]])):
                        obj.save()
            elif action == "changed":
                now = _to_python(model, entry["field"], entry["now"])
                was = _to_python(model, entry["field"], entry["was"])
                if not manager.filter(pk=entry["id"], **{entry["field"]: now}).update(**{entry["field"]: was}):
                    not_restored.append(entry)
            elif action == "created":
                manager.filter(pk=entry["id"]).delete()
        Person.objects.filter(pk=merged.pk).update(merged_into=None)
        merged.merged_into = None
        now = clock.now()
        PersonMerge.objects.filter(pk=merge.pk).update(undone_by=user, undone_at=now, undo_reason=reason)
        merge.undone_by, merge.undone_at, merge.undo_reason = user, now, reason
        if merge.pair_id:
            DuplicatePair.objects.filter(pk=merge.pair_id, status=DuplicatePair.Status.MERGED).update(
                status=DuplicatePair.Status.OPEN, reviewed_by=None, reviewed_at=None, review_note=""
            )
        _refresh_keys([kept.pk, merged.pk])
        audit_record(
            user=user, action="person.merge.undo", object_type="person", object_id=kept.pk,
            details={"kept": kept.pk, "merged": merged.pk, "merge": merge.pk, "pair": merge.pair_id, "reason": reason,
                     "not_restored": [{k: e[k] for k in ("model", "id", "field", "action")} for e in not_restored]},
        )
    merge.not_restored = not_restored
    return merge


def mark_not_same(*, user, pair: DuplicatePair, note: str) -> DuplicatePair:
    """Record that the two records of a pair are different people. The pair stays, so the duplicate
    finder (which skips pairs it already has) never suggests it again."""
    require(can_review_duplicates(user), "Only a MASH manager can decide that two records are different people")
    note = _reason(note, "note", "Enter how you know these are two different people")
    with transaction.atomic():
        pair = _lock_pair(pair.pk)
        if pair.status != DuplicatePair.Status.OPEN:
            raise Conflict(f"This pair has already been reviewed ({pair.get_status_display().lower()}): nothing more can be done to it")
        now = clock.now()
        DuplicatePair.objects.filter(pk=pair.pk).update(
            status=DuplicatePair.Status.NOT_SAME, reviewed_by=user, reviewed_at=now, review_note=note
        )
        pair.status, pair.reviewed_by, pair.reviewed_at, pair.review_note = DuplicatePair.Status.NOT_SAME, user, now, note
        audit_record(
            user=user, action="duplicate.not_same", object_type="duplicate_pair", object_id=pair.pk,
            details={"people": [pair.person_a_id, pair.person_b_id], "note": note},
        )
    return pair


# ------------------------------------------------------------------ reads for the review pages

QUEUE_PAGE = 25
BAND_ORDER = [name for _, name in BANDS]
FIELD_NAMES = {
    "given_name": "First name", "family_name": "Last name", "date_of_birth": "Date of birth", "sex": "Sex",
    "postcode": "Postcode", "address": "Address", "nhs_number": "NHS number", "upn": "UPN",
}
HOUSEHOLD_LIMIT = 12


def _hub_only(user):
    """The review pages are hub business: to anyone else a pair or a merge does not exist."""
    if not can_see_duplicates(user):
        raise NotFound("No such page")


def _id(value, what: str) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"No such {what}") from None
    if not 0 < value < 2**63:
        raise NotFound(f"No such {what}")
    return value


def _with_addresses(qs):
    return qs.prefetch_related(
        Prefetch("addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses")
    )


@dataclass
class QueuePage:
    rows: list[DuplicatePair]
    total: int
    page: int
    pages: int
    band: str
    status: str
    band_counts: list[tuple[str, int]]  # open pairs in each band, best band first
    status_counts: list[tuple[str, str, int]]  # (status, label, pairs)
    size: int = QUEUE_PAGE


def duplicate_queue(*, user, band: str = "", status: str = DuplicatePair.Status.OPEN, page: int = 1) -> QueuePage:
    """Pairs in one status (open by default), best first, optionally in one band; 25 a page, with
    counts. Audited with the pairs shown."""
    require(can_see_duplicates(user), "Only MASH staff can see the duplicate review queue")
    if status not in DuplicatePair.Status.values:
        status = DuplicatePair.Status.OPEN
    if band not in BAND_ORDER:
        band = ""
    by_status = dict(DuplicatePair.objects.values_list("status").annotate(n=Count("id")).order_by())
    by_band = dict(
        DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).values_list("band").annotate(n=Count("id")).order_by()
    )
    qs = DuplicatePair.objects.filter(status=status)
    if band:
        qs = qs.filter(band=band)
    total = qs.count()
    pages = max(1, -(-total // QUEUE_PAGE))
    page = min(max(1, page), pages)
    rows = list(
        qs.select_related("reviewed_by")
        .order_by("-probability", "id")[(page - 1) * QUEUE_PAGE: page * QUEUE_PAGE]
    )
    people = _with_addresses(Person.objects.all()).in_bulk({p for r in rows for p in (r.person_a_id, r.person_b_id)})
    for row in rows:
        row.person_a, row.person_b = people[row.person_a_id], people[row.person_b_id]
    audit_record(
        user=user, action="duplicate.list", object_type="duplicate_pair",
        details={"status": status, "band": band, "page": page, "pairs": [r.pk for r in rows]},
    )
    return QueuePage(
        rows=rows, total=total, page=page, pages=pages, band=band, status=status,
        band_counts=[(name, by_band.get(name, 0)) for name in BAND_ORDER],
        status_counts=[(value, label, by_status.get(value, 0)) for value, label in DuplicatePair.Status.choices],
    )


@dataclass
class Side:
    """One record of a pair, as the review page shows it."""

    person: Person
    other_names: list[PersonName]
    addresses: list[Address]
    sources: list
    referrals: list  # (referral, kind in words) the viewer may see, newest first
    household: list[tuple[Person, str]]  # (person, how related), not the other record of the pair
    merged_into: Person | None = None


@dataclass
class ComparedField:
    label: str
    outcome: str
    reason: str
    weight: float


@dataclass
class ReviewPage:
    pair: DuplicatePair
    a: Side
    b: Side
    comparison: Comparison
    fields: list[ComparedField]
    shared_referrals: list  # referrals naming both (twins and siblings are often on one referral)
    blockers: list[str]  # rows recording the two as different people: a merge is refused
    merges: list[PersonMerge] = field(default_factory=list)  # merges made from this pair

    @property
    def default_keep(self) -> int:
        """The older record (created first) by default."""
        a, b = self.a.person, self.b.person
        return a.pk if (a.created_at, a.pk) <= (b.created_at, b.pk) else b.pk


def _household(person: Person, exclude: set[int]) -> list[tuple[Person, str]]:
    """Family (relationships either way) and people at the same current address."""
    out: dict[int, tuple[Person, str]] = {}
    for rel in Relationship.objects.filter(child=person).select_related("adult"):
        out.setdefault(rel.adult_id, (rel.adult, rel.get_kind_display().lower()))
    for rel in Relationship.objects.filter(adult=person).select_related("child"):
        out.setdefault(rel.child_id, (rel.child, f"child ({rel.get_kind_display().lower()})"))
    current = [a for a in person.addresses.all() if a.is_current]
    for address in current[:1]:
        if address.postcode:
            same = (
                Address.objects.filter(is_current=True, postcode=address.postcode, line_1__iexact=address.line_1)
                .exclude(person=person)
                .select_related("person")
                .order_by("person__date_of_birth", "person_id")[: HOUSEHOLD_LIMIT * 2]
            )
            for other in same:
                out.setdefault(other.person_id, (other.person, "lives at the same address"))
    people = [(p, how) for pid, (p, how) in out.items() if pid not in exclude and p.merged_into_id is None]
    people.sort(key=lambda item: (item[0].date_of_birth is None, item[0].date_of_birth or dt.date.min, item[0].pk))
    return people[:HOUSEHOLD_LIMIT]


def _side(user, person: Person, other_id: int) -> Side:
    from openmash.referrals.models import ReferralPerson

    links = (
        ReferralPerson.objects.filter(person=person, referral__in=referrals_visible_to(user))
        .select_related("referral")
        .order_by("-referral__received_at")
    )
    merged_into = Person.objects.filter(pk=person.merged_into_id).first() if person.merged_into_id else None
    return Side(
        person=person,
        other_names=list(person.other_names.all()),
        addresses=list(person.addresses.all()),
        sources=list(person.sources.select_related("agency")),
        referrals=[(link.referral, link.get_kind_display()) for link in links],
        household=_household(person, {person.pk, other_id}),
        merged_into=merged_into,
    )


def access_duplicate_pair(*, user, pair_id) -> DuplicatePair:
    """A pair of the queue, for hub staff; NotFound for anyone else and for no such pair."""
    _hub_only(user)
    pair = DuplicatePair.objects.filter(pk=_id(pair_id, "pair")).select_related("reviewed_by").first()
    if pair is None:
        raise NotFound("No such pair")
    visible = people_visible_to(user).filter(pk__in=[pair.person_a_id, pair.person_b_id]).count()
    if visible != 2:
        raise NotFound("No such pair")
    return pair


def duplicate_review(*, user, pair_id) -> ReviewPage:
    """Both records of a pair side by side, compared field by field, with their referrals and
    households. Audited as a view of each person."""
    from openmash.people.keystore import person_record
    from openmash.referrals.models import ReferralPerson

    pair = access_duplicate_pair(user=user, pair_id=pair_id)
    people = Person.objects.filter(pk__in=[pair.person_a_id, pair.person_b_id]).prefetch_related(
        "addresses", "other_names"
    ).in_bulk()
    a_person, b_person = people[pair.person_a_id], people[pair.person_b_id]
    comparison = compare(person_record(a_person), person_record(b_person))
    shared_ids = set(ReferralPerson.objects.filter(person=a_person).values_list("referral_id", flat=True)) & set(
        ReferralPerson.objects.filter(person=b_person).values_list("referral_id", flat=True)
    )
    shared = list(referrals_visible_to(user).filter(pk__in=shared_ids).order_by("-received_at"))
    page = ReviewPage(
        pair=pair,
        a=_side(user, a_person, b_person.pk),
        b=_side(user, b_person, a_person.pk),
        comparison=comparison,
        fields=[
            ComparedField(FIELD_NAMES.get(f.field, f.field), f.outcome, f.reason, f.weight) for f in comparison.fields
        ],
        shared_referrals=shared,
        blockers=_links_between(a_person, b_person) if pair.status == DuplicatePair.Status.OPEN else [],
        merges=list(pair.merges.select_related("kept", "merged", "merged_by", "undone_by").order_by("-merged_at", "-id")),
    )
    for person in (a_person, b_person):
        audit_record(
            user=user, action="person.view", object_type="person", object_id=person.pk,
            details={"context": "duplicate review", "pair": pair.pk},
        )
    return page


@dataclass
class MovedRow:
    model: str  # in words
    row_id: int
    field: str
    action: str
    why: str
    referral: str  # the referral the row belongs to, when it belongs to one


@dataclass
class MergePage:
    merge: PersonMerge
    rows: list[MovedRow]
    summary: list[tuple[str, str, int]]  # (what, action, rows)
    undo_blocked: str  # why it cannot be undone now; empty when it can


def _referral_of(model, row_id: int) -> str:
    names = {f.name for f in model._meta.concrete_fields}
    manager = model._base_manager
    if "referral" in names:
        return manager.filter(pk=row_id).values_list("referral__reference", flat=True).first() or ""
    if "decision" in names:
        return manager.filter(pk=row_id).values_list("decision__referral__reference", flat=True).first() or ""
    if "sharingevent" in names:
        return manager.filter(pk=row_id).values_list("sharingevent__referral__reference", flat=True).first() or ""
    if "source_referral" in names:
        return manager.filter(pk=row_id).values_list("source_referral__reference", flat=True).first() or ""
    if "answer" in names:  # an involvement named in an agency's answer on a referral
        return manager.filter(pk=row_id).values_list("answer__request__referral__reference", flat=True).first() or ""
    return ""


MODEL_WORDS = {
    "people.address": ("Address", "Addresses"),
    "people.personname": ("Other name", "Other names"),
    "people.relationship": ("Relationship", "Relationships"),
    "people.involvement": ("Involvement", "Involvements"),
    "people.personsource": ("Agency's id", "Agencies' ids"),
    "people.person": ("Person record", "Person record details"),
    "people.duplicatepair": ("Review pair", "Review pairs"),
    "referrals.referralperson": ("Referral link", "Referral links"),
    "referrals.childoutcome": ("Decision outcome", "Decision outcomes"),
    "sharing.consententry": ("Consent entry", "Consent entries"),
    "sharing.sharingevent_subjects": ("Sharing log entry", "Sharing log entries"),
}
ACTION_WORDS = {"moved": "moved to the record kept", "removed": "removed (the record kept already had it)",
                "left": "left with the merged record", "changed": "changed", "created": "added"}


def merge_page(*, user, merge_id) -> MergePage:
    """What a merge moved, removed, left and changed, and whether it can be undone now. Audited."""
    _hub_only(user)
    merge = (
        PersonMerge.objects.filter(pk=_id(merge_id, "merge"))
        .select_related("kept", "merged", "merged_by", "undone_by", "pair")
        .first()
    )
    if merge is None:
        raise NotFound("No such merge")
    rows, summary = [], {}
    for entry in merge.moved:
        model = _model(entry["model"])
        if entry["model"] == "people.person" and entry["action"] == "changed":
            why = f"{FIELD_LABELS.get(entry['field'], entry['field'])} was blank on the record kept: taken from the merged record"
        elif entry["model"] == "people.address" and entry["action"] == "changed":
            why = "the record kept has its own current address: this one is now a previous address"
        else:
            why = entry.get("why", "")
        one, many = MODEL_WORDS.get(
            entry["model"], (str(model._meta.verbose_name).capitalize(), str(model._meta.verbose_name_plural).capitalize())
        )
        rows.append(MovedRow(
            model=one, row_id=entry["id"], field=FIELD_LABELS.get(entry["field"], entry["field"].replace("_", " ")),
            action=ACTION_WORDS[entry["action"]], why=why, referral=_referral_of(model, entry["id"]),
        ))
        summary[(many, entry["action"])] = summary.get((many, entry["action"]), 0) + 1
    blocked = ""
    if merge.undone_at is not None:
        blocked = "This merge has already been undone."
    elif merge.kept.merged_into_id is not None:
        blocked = (f"The record kept (record {merge.kept_id}) has since been merged into record "
                   f"{merge.kept.merged_into_id}. Undo that merge first.")
    audit_record(
        user=user, action="person.merge.view", object_type="person", object_id=merge.kept_id,
        details={"merge": merge.pk, "kept": merge.kept_id, "merged": merge.merged_id},
    )
    return MergePage(
        merge=merge, rows=rows, summary=[(what, ACTION_WORDS[action], n) for (what, action), n in summary.items()],
        undo_blocked=blocked,
    )


def access_merge(*, user, merge_id) -> PersonMerge:
    """A merge, for hub staff (the page checks who may undo it); NotFound for anyone else."""
    _hub_only(user)
    merge = PersonMerge.objects.filter(pk=_id(merge_id, "merge")).first()
    if merge is None:
        raise NotFound("No such merge")
    return merge


def person_for_merge(*, user, person_id) -> Person:
    """One of the two records of a pair, chosen on the review page."""
    _hub_only(user)
    person = people_visible_to(user).filter(pk=_id(person_id, "person")).first()
    if person is None:
        raise NotFound("No such person")
    return person
