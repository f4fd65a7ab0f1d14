"""Finding a person among everyone the hub knows: ranked, explained candidates (issue 5, ADR 0012).

`match_people` turns the criteria into a matching record and its search keys, fetches the people
filed under those keys through the PersonKey index, scores each with `matching.compare` and returns
the best, each with the field-by-field reasons, a band, and its household (the others at the same
address and the people related through Relationship, with ages and how each differs), so that a
twin or a sibling is visibly a different person. Nothing here links or merges anyone.
"""

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from openmash.access.policy import can_search_people, people_visible_to, require
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.formatting import age_on
from openmash.people.codes import RelationshipKind
from openmash.people.identifiers import clean_nhs_number, clean_upn, normalise_name
from openmash.agencies.models import Agency
from openmash.people.keystore import NO_ADDRESS_LINE, records_for
from openmash.people.matching import weights
from openmash.people.matching.compare import Comparison, PersonRecord, compare, prepare
from openmash.people.matching.keys import SEARCH_BLOCK_LIMIT, key_hash, search_keys
from openmash.people.matching.postcodes import normalise_address
from openmash.people.models import Address, Person, PersonKey, PersonName, PersonSource, Relationship
from openmash.people.selectors import SearchCriteria

SEARCH_LIMIT_MAX = 50
# Candidates below this probability ("unlikely") are shown only to fill the list up to `limit`.
POSSIBLE_FLOOR = next(floor for floor, name in weights.BANDS if name == "possible")
# A query that yields no blocking key (one field alone: a family name, a date of birth) is answered
# from Person's own indexes, at most this many people.
DIRECT_LOOKUP_LIMIT = SEARCH_BLOCK_LIMIT
HOUSEHOLD_MAX = 12
# At most this many candidates are scored, those sharing the most search keys with the query first
# (each error in a record spares some of its keys, so the person sought shares several). Chosen on
# training queries (1M people, query seed 5151): no limit p95 47 ms, recall@10 0.994; 60 → 28 ms, 0.993.
SCORE_LIMIT = 60  # members shown per candidate


@dataclass(frozen=True)
class HouseholdMember:
    """Someone living with, or related to, a candidate, and how they differ from the candidate."""

    person_id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    age: int | None
    sex: str
    link: str  # "same address", "mother", "child", "sibling (same mother)"…
    same_date_of_birth: bool
    differences: tuple[str, ...]  # e.g. ("same date of birth", "different first name: Alexandra")
    note: str  # one line: "twin: same date of birth, different first name"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass
class Candidate:
    person: Person  # with current_addresses and other_names prefetched
    comparison: Comparison
    score: float
    probability: float
    band: str
    identifier_match: bool = False  # the NHS number or UPN given is this person's
    source_ids: list[str] = field(default_factory=list)  # "AGENCYCODE:id"
    household: list[HouseholdMember] = field(default_factory=list)

    @property
    def reasons(self):
        return self.comparison.fields


def criteria_record(criteria: SearchCriteria) -> PersonRecord:
    """The criteria as a matching record. Other names are "given family" ("Jay Smith-Ali") or a
    single first name ("Jay"), as person_create reads them."""
    others = []
    for other in criteria.other_names or []:
        given, _, family = other.rpartition(" ") if " " in other else (other, "", "")
        others.append((given, family))
    return PersonRecord(
        given_name=criteria.given_name or "",
        family_name=criteria.family_name or "",
        other_names=tuple(others),
        date_of_birth=criteria.date_of_birth,
        sex=criteria.sex if criteria.sex in ("M", "F") else "",
        postcode=criteria.postcode or "",
        address_line=criteria.address_line or "",
        nhs_number=criteria.nhs_number or "",
        upn=criteria.upn or "",
    )


def _valid(cleaner, value: str) -> str:
    try:
        return cleaner(value or "")
    except ValueError:
        return ""


def _candidate_ids_from_keys(keys: set[str]) -> set[int]:
    """The candidates to score: everyone under the query's keys, or the SCORE_LIMIT who share the
    most keys with it (ties by id, so a search is repeatable)."""
    hits = _candidate_hits_from_keys(keys)
    if len(hits) <= SCORE_LIMIT:
        return set(hits)
    # Most keys shared first: the person sought shares several (each error spares some keys).
    ranked = sorted(hits.items(), key=lambda item: (-item[1], item[0]))
    return {pid for pid, _ in ranked[:SCORE_LIMIT]}


def _candidate_hits_from_keys(keys: set[str]) -> dict[int, int]:
    """How many of the query's keys each person is filed under.

    1. The query's search keys, hashed. 2. One indexed query for every (key, person) row under
    them. 3. Blocks holding more than SEARCH_BLOCK_LIMIT people are skipped (a name alone like
    "Muhammad Khan" says too little to be worth scoring)."""
    hashes = sorted({key_hash(k) for k in keys})
    if not hashes:
        return {}
    blocks: dict[int, list[int]] = defaultdict(list)
    q = connection.ops.quote_name
    sql = (f"SELECT {q('key')}, {q('person_id')} FROM {q(PersonKey._meta.db_table)} "
           f"WHERE {q('key')} IN ({', '.join(['%s'] * len(hashes))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, hashes)
        for key, person_id in cursor.fetchall():
            blocks[key].append(person_id)
    hits: dict[int, int] = defaultdict(int)
    for members in blocks.values():
        if len(members) <= SEARCH_BLOCK_LIMIT:
            for pid in members:
                hits[pid] += 1
    return hits


def _candidate_ids_direct(visible, criteria: SearchCriteria) -> set[int]:
    """For a query with no blocking key: every field given must match exactly (names normalised,
    also against other names; the date of birth or its day/month swap; the postcode in full or
    its first part), through Person's and Address's own indexes."""
    qs = visible.filter(merged_into__isnull=True)
    if criteria.family_name:
        family = normalise_name(criteria.family_name)
        qs = qs.filter(Q(family_name_norm=family) | Q(other_names__family_name_norm=family))
    if criteria.given_name:
        given = normalise_name(criteria.given_name)
        qs = qs.filter(Q(given_name_norm=given) | Q(other_names__given_name_norm=given))
    if criteria.date_of_birth:
        dates = {criteria.date_of_birth}
        d = criteria.date_of_birth
        if d.day <= 12 and d.day != d.month:
            try:
                dates.add(d.replace(month=d.day, day=d.month))
            except ValueError:
                pass
        qs = qs.filter(date_of_birth__in=dates)
    if criteria.postcode:
        postcode = criteria.postcode.strip().upper()
        if len(postcode.replace(" ", "")) >= 5:
            qs = qs.filter(addresses__postcode=postcode, addresses__is_current=True)
        else:
            qs = qs.filter(addresses__postcode__startswith=postcode + " ", addresses__is_current=True)
    if not (criteria.family_name or criteria.given_name or criteria.date_of_birth or criteria.postcode):
        return set()
    return set(qs.values_list("id", flat=True).distinct()[:DIRECT_LOOKUP_LIMIT])


def match_people(*, user, criteria: SearchCriteria, limit: int = 10, audit_context: str = "") -> list[Candidate]:
    """Ranked candidates for the criteria (already checked by `search_criteria_errors`).

    1. Hub staff only (policy); the people searched are `people_visible_to(user)`.
    2. A valid NHS number or UPN finds its person through Person's own index; that person ranks
       first whatever the other fields say.
    3. Otherwise, and as well: the query's search keys → PersonKey (one indexed query), blocks over
       SEARCH_BLOCK_LIMIT skipped; with no key at all (one field alone), an exact lookup instead.
    4. The candidates' names, date of birth, sex, identifiers, current address and other names in
       two queries of plain rows (merged records left out), each compared with the query.
    5. Ranked by identifier match, then score. "Unlikely" candidates (below the "possible" floor)
       only fill the list up to `limit`: a query with several errors still shows the nearest
       people, each labelled, and a practitioner decides.
    6. The returned people (with addresses, other names, agency ids) and their households, in bulk.
    7. One audit event: the criteria, the ids returned and the context."""
    require(can_search_people(user), "Searching for people is for MASH staff")
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    visible = people_visible_to(user)
    record = criteria_record(criteria)
    query = prepare(record)

    identified: set[int] = set()
    nhs, upn = _valid(clean_nhs_number, criteria.nhs_number), _valid(clean_upn, criteria.upn)
    # One equality per query: with "nhs_number = … OR upn = …" SQLite's planner may walk another index.
    for column, value in (("nhs_number", nhs), ("upn", upn)):
        if value:
            found = visible.filter(**{column: value}, merged_into__isnull=True).order_by().values_list("id", flat=True)
            identified.update(found[:SEARCH_LIMIT_MAX])

    keys = search_keys(query)
    ids = _candidate_ids_from_keys(keys) | identified
    if not ids and not keys:
        ids = _candidate_ids_direct(visible, criteria)

    records = records_for(sorted(ids))
    scored = []
    for pid, candidate in records.items():
        comparison = compare(query, prepare(candidate))
        scored.append((pid in identified, comparison.score, pid, comparison))
    # Best first. The probability rises with the score, so every candidate at or above the
    # "possible" floor comes before any "unlikely" one, which is kept only while places are left.
    scored.sort(key=lambda s: (not s[0], -s[1], s[2]))
    chosen = scored[:limit]

    # The people returned are read through the policy's queryset: nobody it hides is shown.
    people = _people(visible, [s[2] for s in chosen])
    sources = _source_ids([s[2] for s in chosen])
    households = _households(visible, [people[s[2]] for s in chosen if s[2] in people])
    results = [
        Candidate(
            person=people[pid],
            comparison=comparison,
            score=comparison.score,
            probability=comparison.probability,
            band=comparison.band,
            identifier_match=is_identified,
            source_ids=sources.get(pid, []),
            household=households.get(pid, []),
        )
        for is_identified, _, pid, comparison in chosen
        if pid in people
    ]
    audit_record(
        user=user,
        action="person.search",
        object_type="person",
        details={
            "criteria": criteria_details(criteria),
            "results": [c.person.pk for c in results],
            "context": audit_context,
        },
    )
    return results


def criteria_details(criteria: SearchCriteria) -> dict:
    return {
        "given_name": criteria.given_name,
        "family_name": criteria.family_name,
        "date_of_birth": criteria.date_of_birth.isoformat() if criteria.date_of_birth else "",
        "postcode": criteria.postcode,
        "nhs_number": criteria.nhs_number,
        "sex": criteria.sex,
        "address_line": criteria.address_line,
        "upn": criteria.upn,
        "other_names": list(criteria.other_names or []),
    }


def _people(visible, ids: list[int]) -> dict[int, Person]:
    """The people returned, as model instances read through the policy's queryset, with
    `current_addresses` (newest first) and `other_names` filled in as a prefetch would, but with
    raw querysets: this runs on every search, and compiling three ORM queries cost more than
    running them."""
    if not ids:
        return {}
    people = {p.pk: p for p in visible.filter(pk__in=ids).order_by()}
    if not people:
        return people
    found = sorted(people)
    q = connection.ops.quote_name
    addresses: dict[int, list[Address]] = defaultdict(list)
    for a in Address.objects.raw(
        f"SELECT * FROM {q(Address._meta.db_table)} WHERE {q('person_id')} IN ({_marks(found)}) AND {q('is_current')} = %s "
        f"ORDER BY {q('created_at')} DESC, {q('id')} DESC",
        [*found, True],
    ):
        addresses[a.person_id].append(a)
    names: dict[int, list[PersonName]] = defaultdict(list)
    for n in PersonName.objects.raw(
        f"SELECT * FROM {q(PersonName._meta.db_table)} WHERE {q('person_id')} IN ({_marks(found)}) ORDER BY {q('id')}", found
    ):
        names[n.person_id].append(n)
    for pid, person in people.items():
        person.current_addresses = addresses.get(pid, [])
        # As prefetch_related("other_names") leaves it: person.other_names.all() reads no rows.
        cached = person.other_names.all()
        cached._result_cache = names.get(pid, [])
        cached._prefetch_done = True
        person._prefetched_objects_cache = {"other_names": cached}
    return people


def _source_ids(ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return out
    q = connection.ops.quote_name
    sql = (
        f"SELECT s.{q('person_id')}, a.{q('code')}, s.{q('source_id')} FROM {q(PersonSource._meta.db_table)} s "
        f"JOIN {q(Agency._meta.db_table)} a ON a.{q('id')} = s.{q('agency_id')} "
        f"WHERE s.{q('person_id')} IN ({', '.join(['%s'] * len(ids))}) ORDER BY a.{q('sort_order')}, s.{q('source_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        for pid, code, source_id in cursor.fetchall():
            out[pid].append(f"{code}:{source_id}")
    return out


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


# ------------------------------------------------------------------ households

_KIND_LABEL = dict(RelationshipKind.choices)
_address_words = functools.lru_cache(maxsize=200_000)(normalise_address)


def _same_address_key(postcode: str, line_1: str):
    """Two current addresses are one home when the postcode and the normalised line 1 agree; a
    postcode alone (~15 homes) is not enough."""
    if not postcode or not line_1 or line_1 == NO_ADDRESS_LINE:
        return None
    words = _address_words(line_1)
    return (postcode.upper(), words) if words else None


def _households(visible, candidates: list[Person]) -> dict[int, list[HouseholdMember]]:
    """The household of each candidate, for all of them at once.

    1. The others with a current address at the same postcode and the same line 1.
    2. Adults and children related to a candidate through Relationship, and the other children of
       those adults (siblings).
    3. Those people (not merged) in one query; each described against the candidate."""
    if not candidates:
        return {}
    homes = {}
    for p in candidates:
        current = p.current_addresses[0] if p.current_addresses else None
        key = _same_address_key(current.postcode, current.line_1) if current else None
        if key:
            homes[p.pk] = key
    links: dict[int, dict[int, str]] = defaultdict(dict)  # candidate → member → link
    q = connection.ops.quote_name
    address_table, rel_table = q(Address._meta.db_table), q(Relationship._meta.db_table)
    if homes:
        postcodes = sorted({k[0] for k in homes.values()})
        rows = _fetch(
            f"SELECT {q('person_id')}, {q('postcode')}, {q('line_1')} FROM {address_table} "
            f"WHERE {q('postcode')} IN ({_marks(postcodes)}) AND {q('is_current')} = %s",
            [*postcodes, True],
        )
        at: dict[tuple, set[int]] = defaultdict(set)
        for pid, postcode, line_1 in rows:
            key = _same_address_key(postcode, line_1)
            if key:
                at[key].add(pid)
        for cid, key in homes.items():
            for pid in at.get(key, ()):
                if pid != cid:
                    links[cid][pid] = "same address"
    ids = [p.pk for p in candidates]
    rels = _fetch(
        f"SELECT {q('adult_id')}, {q('child_id')}, {q('kind')} FROM {rel_table} "
        f"WHERE {q('adult_id')} IN ({_marks(ids)}) OR {q('child_id')} IN ({_marks(ids)})",
        [*ids, *ids],
    )
    adults_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for adult, child, kind in rels:
        if child in ids:
            links[child][adult] = _KIND_LABEL.get(kind, kind).lower()
            adults_of[child].append((adult, kind))
        if adult in ids:
            links[adult][child] = f"child ({_KIND_LABEL.get(kind, kind).lower()})"
    parent_ids = {a for pairs in adults_of.values() for a, _ in pairs}
    if parent_ids:
        parents = sorted(parent_ids)
        for adult, child, kind in _fetch(
            f"SELECT {q('adult_id')}, {q('child_id')}, {q('kind')} FROM {rel_table} WHERE {q('adult_id')} IN ({_marks(parents)})",
            parents,
        ):
            for cid, pairs in adults_of.items():
                if child != cid and any(a == adult for a, _ in pairs) and child not in links[cid]:
                    links[cid][child] = f"sibling (same {_KIND_LABEL.get(kind, kind).lower()})"
    member_ids = sorted({m for members in links.values() for m in members})
    rows = {}
    if member_ids:  # through the policy's queryset: a member the user may not see is not shown
        for r in visible.filter(pk__in=member_ids).order_by().values_list(
            "id", "given_name", "family_name", "date_of_birth", "sex", "given_name_norm", "merged_into_id"
        ):
            if r[6] is None:  # merged records are left out here, for the reason given in records_for
                rows[r[0]] = r[:6]
    today = clock.local_today()
    out: dict[int, list[HouseholdMember]] = {}
    for p in candidates:
        members = [_member(p, rows[m], link, today) for m, link in links.get(p.pk, {}).items() if m in rows]
        members.sort(key=lambda m: (not m.same_date_of_birth, m.date_of_birth is None, m.date_of_birth or dt.date.min, m.person_id))
        out[p.pk] = members[:HOUSEHOLD_MAX]
    return out


def _first(norm: str) -> str:
    return norm.split(" ")[0] if norm else ""


def _member(candidate: Person, row: tuple, link: str, today: dt.date) -> HouseholdMember:
    pid, given, family, dob, sex, given_norm = row
    differences = []
    same_dob = bool(dob and candidate.date_of_birth and dob == candidate.date_of_birth)
    same_given = _first(given_norm) == _first(candidate.given_name_norm) and bool(given_norm)
    if same_dob:
        differences.append("same date of birth")
    elif dob and candidate.date_of_birth:
        older = dob < candidate.date_of_birth
        years = age_on(dob, candidate.date_of_birth) if older else age_on(candidate.date_of_birth, dob)
        differences.append(
            f"born {years} year{'s' if years != 1 else ''} {'earlier' if older else 'later'}" if years else
            f"born {abs((dob - candidate.date_of_birth).days)} days {'earlier' if older else 'later'}"
        )
    else:
        differences.append("date of birth not known")
    differences.append("same first name" if same_given else f"different first name: {given}")
    if sex in ("M", "F") and candidate.sex in ("M", "F") and sex != candidate.sex:
        differences.append("male" if sex == "M" else "female")
    if same_dob and not same_given:
        note = f"twin: same date of birth, different first name ({given})"
    elif same_dob:
        note = "same name and date of birth at this address: check whether this is a duplicate record"
    elif link.startswith("sibling") or (link == "same address" and not same_given):
        note = f"{link}: a different person ({', '.join(differences)})"
    else:
        note = f"{link}: {', '.join(differences)}"
    return HouseholdMember(
        person_id=pid,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        age=age_on(dob, today),
        sex=sex,
        link=link,
        same_date_of_birth=same_dob,
        differences=tuple(differences),
        note=note,
    )
