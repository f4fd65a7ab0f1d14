"""What the hub already knows about a person, for the moment they are found: earlier referrals and
whether a new one is a re-referral, referrals of their brothers, sisters and household, who is
involved with them now, and any case still open.

Shown on the person page, and on the recording form as soon as a known child is linked. Only the
referrals the viewer may see (`referrals_visible_to`) are counted, the re-referral flag included, so
the page never reveals a referral the viewer could not open.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from openmash.access.policy import can_see_involvement, referrals_visible_to
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.people.matching.postcodes import normalise_address
from openmash.people.models import Address, Involvement, Person, PersonMerge, PersonSource, Relationship
from openmash.referrals.codes import Outcome, ReferralStatus
from openmash.referrals.models import ChildOutcome, ReferralPerson

# A re-referral is a referral of a child within 12 months of a previous referral of that child
# (DfE, Children in Need census; the measure "re-referrals within 12 months", DESIGN.md §1.9).
RE_REFERRAL_MONTHS = 12

# What `person_create` stores as line 1 when only a postcode was given: not an address to share.
NO_ADDRESS_LINE = "(address not given)"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same date `months` earlier; a day the earlier month lacks (29 February in a common year,
    31 April) becomes that month's last day: 29 Feb 2028 − 12 months = 28 Feb 2027."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has a 28th


def re_referral_window_start(on: dt.datetime) -> dt.datetime:
    """The earliest time a previous referral makes a referral received at `on` a re-referral:
    the start (London time) of the same date 12 months earlier. A referral received on that date,
    at any time of day, counts; one received the day before does not."""
    return clock.local_midnight(months_before(clock.to_local(on).date(), RE_REFERRAL_MONTHS))


@dataclass
class ReferralEntry:
    """One referral naming a person, with what became of it for them."""

    referral: object  # referrals.Referral
    kind: str  # child or adult: how the person was named on it
    outcome: str  # the decision for this child, in words; or the referral's status while open

    @property
    def received_at(self) -> dt.datetime:
        return self.referral.received_at

    @property
    def is_open(self) -> bool:
        return self.referral.status != ReferralStatus.DECIDED


@dataclass
class RelatedPerson:
    """Someone in the person's family or household, and the referrals of theirs the viewer may see."""

    person: Person
    relation: str  # in words: "brother or sister", "mother", "child", "lives at the same address"
    referrals: list[ReferralEntry] = field(default_factory=list)


@dataclass
class RelatedReferral:
    referral: object  # referrals.Referral
    people: list[tuple[RelatedPerson, ReferralEntry]]  # who on it is related, and the outcome for them

    @property
    def is_open(self) -> bool:
        return self.referral.status != ReferralStatus.DECIDED


@dataclass
class PersonHistory:
    person: Person
    on: dt.datetime  # when the referral being considered was (or would be) received
    referrals: list[ReferralEntry]  # every referral naming the person that the viewer may see, newest first
    previous_referral: ReferralEntry | None  # the latest earlier referral of this child within 12 months
    window_start: dt.datetime  # referrals of the child received from then until `on` make a re-referral
    related: list[RelatedPerson]  # family and household members; those with referrals first
    involvements: list[Involvement]  # current involvements, the lead professional first
    open_cases: list[ReferralEntry]  # referrals of the child not yet decided

    @property
    def is_re_referral(self) -> bool:
        return self.previous_referral is not None

    @property
    def related_referrals(self) -> list["RelatedReferral"]:
        """Referrals of family and household members, newest first, each once with everyone on it
        who is related to the person (a referral of two brothers and their mother is one row)."""
        rows: dict[int, RelatedReferral] = {}
        for rel in self.related:
            for entry in rel.referrals:
                row = rows.setdefault(entry.referral.pk, RelatedReferral(entry.referral, []))
                row.people.append((rel, entry))
        return sorted(rows.values(), key=lambda r: (r.referral.received_at, r.referral.pk), reverse=True)

    @property
    def lead(self) -> Involvement | None:
        return next((i for i in self.involvements if i.is_lead), None)


def _outcome_words(referral, person_id: int, outcomes: dict[tuple[int, int], str]) -> str:
    if referral.status != ReferralStatus.DECIDED:
        return ReferralStatus(referral.status).label
    mine = outcomes.get((referral.pk, person_id))
    if mine:
        return Outcome(mine).label
    # An adult on the referral: the decisions for the children on it.
    others = sorted({Outcome(o).label for (ref_id, _), o in outcomes.items() if ref_id == referral.pk})
    return "; ".join(others) if others else ReferralStatus(referral.status).label


def _referrals_of(user, person_ids: list[int]) -> dict[int, list[ReferralEntry]]:
    """Referrals naming each person that the user may see, newest first, with the outcomes: two
    queries, whatever the number of people."""
    if not person_ids:
        return {}
    links = list(
        ReferralPerson.objects.filter(person_id__in=person_ids, referral__in=referrals_visible_to(user))
        .select_related("referral")
        .order_by("-referral__received_at", "-referral_id")
    )
    referral_ids = {link.referral_id for link in links}
    outcomes = {
        (ref_id, pid): outcome
        for ref_id, pid, outcome in ChildOutcome.objects.filter(decision__referral_id__in=referral_ids).values_list(
            "decision__referral_id", "person_id", "outcome"
        )
    } if referral_ids else {}
    by_person: dict[int, list[ReferralEntry]] = {}
    for link in links:
        by_person.setdefault(link.person_id, []).append(
            ReferralEntry(link.referral, link.kind, _outcome_words(link.referral, link.person_id, outcomes))
        )
    return by_person


def _same_address(person: Person) -> list[tuple[Person, str]]:
    """People whose current address is the person's current address (same postcode and the same
    line 1 once normalised: "12, Rye Ln" = "12 Rye Lane"). Two queries."""
    mine = [
        (a.postcode, normalise_address(a.line_1))
        for a in Address.objects.filter(person=person, is_current=True).exclude(postcode="").exclude(line_1=NO_ADDRESS_LINE)
    ]
    mine = [(pc, line) for pc, line in mine if line]
    if not mine:
        return []
    wanted = set(mine)
    found: dict[int, Person] = {}
    rows = (
        Address.objects.filter(is_current=True, postcode__in={pc for pc, _ in mine}, person__merged_into__isnull=True)
        .exclude(person=person)
        .select_related("person")
    )
    for address in rows:
        if (address.postcode, normalise_address(address.line_1)) in wanted:
            found.setdefault(address.person_id, address.person)
    return [(p, "lives at the same address") for p in found.values()]


def _family(person: Person) -> list[tuple[Person, str]]:
    """The person's adults and children (Relationship), and the other children of those adults
    (brothers and sisters, half and step included). Two queries."""
    family: dict[int, tuple[Person, str]] = {}
    direct = list(
        Relationship.objects.filter(Q(child=person) | Q(adult=person)).select_related("adult", "child")
    )
    adult_ids = set()
    for rel in direct:
        if rel.child_id == person.pk:
            adult_ids.add(rel.adult_id)
            family.setdefault(rel.adult_id, (rel.adult, rel.get_kind_display().lower()))
        else:
            family.setdefault(rel.child_id, (rel.child, f"child ({rel.get_kind_display().lower()})"))
    if adult_ids:
        siblings = (
            Relationship.objects.filter(adult_id__in=adult_ids)
            .exclude(child=person)
            .select_related("child")
        )
        for rel in siblings:
            if rel.child_id not in family:
                family[rel.child_id] = (rel.child, "brother or sister")
    return [(p, relation) for p, relation in family.values() if p.merged_into_id is None and p.pk != person.pk]


def visible_involvements(*, user, rows) -> tuple[list[Involvement], int]:
    """The involvements among `rows` (a queryset) that are in force and that `user` may see, and how
    many in force were held back.

    1. In force: not replaced by a correction of the answer that named it.
    2. Seen: one named in an agency's answer only by those who may see that answer
       (`policy.can_see_involvement`, the answer pages' own rule); any other, with the person.
    3. Each one named in an answer carries `answer_referral`: the referral it was answered on, when
       the user may open it (else None), so a page links to it only for them.
    Two queries at most, whatever the number of rows.
    """
    found = list(
        rows.filter(replaced_by__isnull=True).select_related("agency", "answer__request__referral", "answer__request__agency")
    )
    shown = [inv for inv in found if can_see_involvement(user, inv)]
    referral_ids = {inv.answer.request.referral_id for inv in shown if inv.answer_id is not None}
    openable = set(referrals_visible_to(user).filter(pk__in=referral_ids).values_list("pk", flat=True)) if referral_ids else set()
    for inv in shown:
        inv.answer_referral = (
            inv.answer.request.referral if inv.answer_id is not None and inv.answer.request.referral_id in openable else None
        )
    return shown, len(found) - len(shown)


def current_involvements(*, user, person_ids: list[int], on: dt.date | None = None) -> dict[int, list[Involvement]]:
    """Each person's involvements not ended before `on` (default today) that the user may see
    (`visible_involvements`), the lead professional first, then by agency. Not access-checked for
    the people: for people the caller has already fetched."""
    if not person_ids:
        return {}
    on = on or clock.local_today()
    rows, _hidden = visible_involvements(
        user=user,
        rows=Involvement.objects.filter(person_id__in=person_ids)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("person_id", "-is_lead", "agency__sort_order", "-start_date", "id"),
    )
    out: dict[int, list[Involvement]] = {}
    for inv in rows:
        out.setdefault(inv.person_id, []).append(inv)
    return out


def person_history(*, user, person: Person, on: dt.datetime | None = None, audit_context: str = "") -> PersonHistory:
    """The person's history as the user may see it, for a referral received at `on` (default now).

    1. Referrals naming the person, visible to the user, newest first, each with its outcome.
    2. Re-referral: an earlier referral of the person *as a child* received on or after the same
       date 12 months before `on` (London dates; 29 February → 28 February) and before `on`.
    3. Family (Relationship: their adults, their children, the other children of their adults) and
       household (the same current address), with the referrals of each that the user may see.
    4. Current involvements (not ended), the lead professional first.
    5. Open cases: referrals of the child not yet decided.
    A fixed number of queries, however many referrals or relatives (see the query-count test).
    Not access-checked for the person: callers have fetched them through `access_person`. Audited
    as a view of the person when `audit_context` says where it is shown (the person page audits
    its own view).
    """
    on = on or clock.now()
    window_start = re_referral_window_start(on)
    related: dict[int, RelatedPerson] = {}
    for other, relation in _family(person) + _same_address(person):
        if other.pk not in related:
            related[other.pk] = RelatedPerson(other, relation)
    by_person = _referrals_of(user, [person.pk, *related])
    referrals = by_person.get(person.pk, [])
    own_ids = {e.referral.pk for e in referrals}
    for pid, rel in related.items():
        # A referral naming the person themselves is already in their own list.
        rel.referrals = [e for e in by_person.get(pid, []) if e.referral.pk not in own_ids]
    as_child = [e for e in referrals if e.kind == ReferralPerson.Kind.CHILD]
    earlier = [e for e in as_child if window_start <= e.received_at < on]
    involvements = current_involvements(user=user, person_ids=[person.pk], on=clock.to_local(on).date()).get(person.pk, [])
    if audit_context:
        audit_record(
            user=user, action="person.history", object_type="person", object_id=person.pk,
            details={"context": audit_context, "referrals": [e.referral.pk for e in referrals]},
        )
    return PersonHistory(
        person=person,
        on=on,
        referrals=referrals,
        previous_referral=earlier[0] if earlier else None,
        window_start=window_start,
        related=sorted(related.values(), key=lambda r: (not r.referrals, r.person.family_name, r.person.given_name, r.person.pk)),
        involvements=involvements,
        open_cases=[e for e in as_child if e.is_open],
    )


# ------------------------------------------------------------------ the person page


@dataclass
class MergeNotice:
    merge: PersonMerge
    merged: Person


def merged_into(*, person: Person) -> Person | None:
    """The record a merged person now lives in (following a chain of merges), or None."""
    seen = {person.pk}
    current = person
    while current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        current = Person.objects.get(pk=current.merged_into_id)
    return current if current.pk != person.pk else None


def merge_notice(*, user, kept: Person, merged_id) -> MergeNotice | None:
    """The merge that folded `merged_id` into `kept` (shown when a link to the old record redirects);
    None when there is no such merge in force."""
    try:
        merged_id = int(merged_id)
    except (TypeError, ValueError):
        return None
    merge = (
        PersonMerge.objects.filter(merged_id=merged_id, undone_at__isnull=True)
        .select_related("merged", "kept", "merged_by")
        .order_by("-merged_at", "-id")
        .first()
    )
    if merge is None or merged_into(person=merge.merged) != kept:
        return None
    return MergeNotice(merge=merge, merged=merge.merged)


@dataclass
class PersonRecordPage:
    involvements: list[Involvement]  # all the viewer may see, current and ended, the lead professional first
    sources: list[PersonSource]  # the agencies' own ids for the person
    # Involvements named in answers the viewer may not see (restricted to MASH managers): they are
    # told that some exist, as they are told a restricted answer exists (docs/adr/0004-access.md).
    hidden_involvements: int = 0


def person_record(*, user, person: Person) -> PersonRecordPage:
    """What the person page adds to `person_page`: every involvement the user may see and the
    agencies' own ids. Not access-checked for the person or audited: the caller has fetched the
    person through `person_page`."""
    involvements, hidden = visible_involvements(
        user=user, rows=Involvement.objects.filter(person=person).order_by("agency__sort_order", "-start_date", "id")
    )
    # Current first, the lead professional first among them; then ended ones, latest ended first.
    today = clock.local_today()

    def order(inv: Involvement):
        if inv.end_date is None or inv.end_date >= today:
            return (0, not inv.is_lead, 0)
        return (1, False, -inv.end_date.toordinal())

    involvements.sort(key=order)
    return PersonRecordPage(
        involvements=involvements,
        sources=list(PersonSource.objects.filter(person=person).select_related("agency")),
        hidden_involvements=hidden,
    )


# ------------------------------------------------------------------ choosing among candidates


def match_choice_record(*, user, kind: str, shown: list[int], chosen: int | None, criteria: dict, audit_context: str = ""):
    """Audit the practitioner's choice among the candidates a search showed: the person chosen, or
    "new" when none of them was the person. Nothing is linked here; the draft referral holds the choice."""
    audit_record(
        user=user,
        action="person.match_choice",
        object_type="person",
        object_id=chosen if chosen is not None else "",
        details={
            "kind": kind,
            "shown": [int(i) for i in shown],
            "chosen": chosen if chosen is not None else "new",
            "criteria": criteria,
            "context": audit_context,
        },
    )

