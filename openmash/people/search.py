"""Finding a person among everyone the hub knows: ranked, explained candidates (issue 5, ADR 0012).

`match_people` turns the criteria into a matching record and its search keys, fetches the people
filed under those keys through the PersonKey index, scores each with `matching.compare` and returns
the best, each with the field-by-field reasons, a band, and its household (the others at the same
address and the people related through Relationship, with ages and how each differs), so that a
twin or a sibling is visibly a different person. Nothing here links or merges anyone.
"""

import datetime as dt
import functools
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Q

from openmash.access.policy import can_search_people, people_visible_to, require
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.formatting import age_on
from openmash.people.codes import RelationshipKind
from openmash.people.identifiers import clean_nhs_number, clean_upn, normalise_name
from openmash.agencies.models import Agency
from openmash.people.keystore import NO_ADDRESS_LINE, PERSON_COLUMNS, as_date, matching_record
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


def _found(hashes, nhs: str, upn: str) -> tuple[str, list]:
    """SQL for (id, identified) of the candidates to score: those filed under the query's keys,
    and the people holding the NHS number or UPN given (identified = 1).

    1. Every (key, person) row under the hashed search keys, through the key index, with the
       size of its block; blocks holding more than SEARCH_BLOCK_LIMIT people are skipped (a name
       alone like "Muhammad Khan" says too little to be worth scoring).
    2. At most SCORE_LIMIT people, those filed under the most of the query's keys first (each
       error in a record spares some of its keys, so the person sought shares several), ties by
       id so that a search is repeatable.
    3. The people, not merged, whose NHS number or UPN is the one given, through Person's own
       indexes (one equality per branch: with "nhs_number = … OR upn = …" SQLite's planner may
       walk another index); they are candidates whatever the keys say.
    A person may come twice (keys and identifier)."""
    q = connection.ops.quote_name
    branches, params = [], []
    if hashes:
        branches.append(
            f"SELECT * FROM (SELECT {q('person_id')} AS {q('id')}, 0 AS {q('identified')} FROM ("
            f"SELECT {q('person_id')}, COUNT(*) OVER (PARTITION BY {q('key')}) AS block FROM {q(PersonKey._meta.db_table)} "
            f"WHERE {q('key')} IN ({_marks(hashes)})) k WHERE block <= {SEARCH_BLOCK_LIMIT} "
            f"GROUP BY {q('person_id')} ORDER BY COUNT(*) DESC, {q('person_id')} LIMIT {SCORE_LIMIT}) r"
        )
        params += list(hashes)
    for column, value in (("nhs_number", nhs), ("upn", upn)):
        if value:
            branches.append(
                f"SELECT * FROM (SELECT {q('id')}, 1 AS {q('identified')} FROM {q(Person._meta.db_table)} "
                f"WHERE {q(column)} = %s AND {q('merged_into_id')} IS NULL LIMIT {SEARCH_LIMIT_MAX}) i"
            )
            params.append(value)
    return " UNION ALL ".join(branches), params


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
    2. One query (`_candidate_rows`): the candidates — those filed under the most of the query's
       search keys (blocks over SEARCH_BLOCK_LIMIT skipped, at most SCORE_LIMIT) and the holders
       of a valid NHS number or UPN given — with their whole rows, current addresses and other
       names. With no key at all (one field alone), an exact lookup first instead.
    3. Each compared with the query. Ranked by identifier match, then score. "Unlikely"
       candidates (below the "possible" floor) only fill the list up to `limit`: a query with
       several errors still shows the nearest people, each labelled, and a practitioner decides.
    4. The people returned are made from the rows already read (with their addresses and other
       names, as a page and the API show them); their households and agencies' ids in one query.
    5. One audit event: the criteria, the ids returned and the context. It is the search's only
       write, so in autocommit its INSERT is the only commit; in a caller's transaction it
       commits (or rolls back) with the rest.
    So a search is three statements (four with the exact lookup), whatever the data: each round
    trip to PostgreSQL costs more than the work it carries."""
    require(can_search_people(user), "Searching for people is for MASH staff")
    limit = max(1, min(int(limit), SEARCH_LIMIT_MAX))
    visible = people_visible_to(user)
    record = criteria_record(criteria)
    query = prepare(record)

    nhs, upn = _valid(clean_nhs_number, criteria.nhs_number), _valid(clean_upn, criteria.upn)
    hashes = sorted({key_hash(k) for k in search_keys(query)})
    if hashes or nhs or upn:
        rows, identified = _candidate_rows(visible, hashes=hashes, nhs=nhs, upn=upn)
    else:
        rows, identified = _candidate_rows(visible, ids=sorted(_candidate_ids_direct(visible, criteria)))
    scored = []
    for pid, row in rows.items():
        comparison = compare(query, prepare(row.record))
        scored.append((pid in identified, comparison.score, pid, comparison))
    # Best first. The probability rises with the score, so every candidate at or above the
    # "possible" floor comes before any "unlikely" one, which is kept only while places are left.
    scored.sort(key=lambda s: (not s[0], -s[1], s[2]))
    chosen = scored[:limit]

    people = {pid: rows[pid].person() for _, _, pid, _ in chosen}
    households, sources = _households_and_sources(visible, [people[pid] for _, _, pid, _ in chosen])
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


# ------------------------------------------------------------------ the candidates' rows


def _visible_clause(visible, alias: str) -> tuple[str, list] | None:
    """The policy's queryset as a condition on `alias`.id: "" when it hides no one (hub staff: a
    subquery over the whole person table would only slow the plan), None when it shows no one."""
    query = visible.query
    if query.is_empty():
        return None
    if not (query.where or query.extra or query.combinator or query.low_mark or query.high_mark is not None):
        return "", []
    sql, params = visible.order_by().values("pk").query.sql_with_params()
    return f" AND {alias}.{connection.ops.quote_name('id')} IN ({sql})", list(params)


class _Instances:
    """Model instances from a model's whole row read by hand, converted as the ORM converts them
    (SQLite returns dates and times as text, booleans as integers)."""

    def __init__(self, model):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.width = len(self.fields)
        self.attnames = [f.attname for f in self.fields]
        self.converters = []
        for i, f in enumerate(self.fields):
            col = f.get_col(model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if funcs:
                self.converters.append((i, col, funcs))

    def columns(self, alias: str) -> str:
        q = connection.ops.quote_name
        return ", ".join(f"{alias}.{q(f.column)}" for f in self.fields)

    def make(self, values):
        values = list(values)
        for i, col, funcs in self.converters:
            value = values[i]
            for func in funcs:
                value = func(value, col, connection)
            values[i] = value
        return self.model.from_db(connection.alias, self.attnames, values)


# Per database connection (its operations convert the values): building them took ~0.1 ms a search.
_BUILDERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _builders() -> tuple[_Instances, _Instances, _Instances]:
    real = connections[DEFAULT_DB_ALIAS]
    found = _BUILDERS.get(real)
    if found is None:
        found = _BUILDERS[real] = (_Instances(Person), _Instances(Address), _Instances(PersonName))
    return found


@dataclass
class _Row:
    """One candidate as read: its whole person row, current addresses (newest first) and other
    names (by id), and its matching record."""

    person_row: tuple
    addresses: list[tuple]
    names: list[tuple]
    record: PersonRecord
    builders: tuple

    def person(self) -> Person:
        """The Person instance, with `current_addresses` and `other_names` filled in as a prefetch
        would: what a page or the API shows next reads no more rows."""
        make_person, make_address, make_name = self.builders
        person = make_person.make(self.person_row)
        person.current_addresses = [make_address.make(a) for a in self.addresses]
        # As prefetch_related("other_names") leaves it: person.other_names.all() reads no rows.
        cached = person.other_names.all()
        cached._result_cache = [make_name.make(n) for n in self.names]
        cached._prefetch_done = True
        person._prefetched_objects_cache = {"other_names": cached}
        return person


def _candidate_rows(visible, *, ids=(), hashes=(), nhs: str = "", upn: str = "") -> tuple[dict[int, _Row], set[int]]:
    """The candidates' whole rows (visible, not merged), with every current address and other
    name, in one query, and the ids of those holding the NHS number or UPN given.

    The candidates are `ids` or, from the hashed search keys, found in the same query (`_found`).
    Plain tuples, as a search scores up to SCORE_LIMIT of them; model instances only for the few
    returned (`_Row.person`), without reading them again."""
    visibility = _visible_clause(visible, "p")
    if visibility is None or not (ids or hashes or nhs or upn):
        return {}, set()
    builders = _builders()
    make_person, make_address, make_name = builders
    q = connection.ops.quote_name
    pw, aw = make_person.width, make_address.width
    person_table = q(Person._meta.db_table)
    if ids:
        identified_sql, source, where, source_params, where_params = (
            "0", f"{person_table} p", f"p.{q('id')} IN ({_marks(ids)})", [], list(ids))
    else:
        found_sql, source_params = _found(hashes, nhs, upn)
        identified_sql, source, where, where_params = (
            f"f.{q('identified')}", f"({found_sql}) f JOIN {person_table} p ON p.{q('id')} = f.{q('id')}", "1 = 1", [])
    sql = (
        f"SELECT {make_person.columns('p')}, {make_address.columns('a')}, {make_name.columns('n')}, {identified_sql} "
        f"FROM {source} "
        f"LEFT JOIN {q(Address._meta.db_table)} a ON a.{q('person_id')} = p.{q('id')} AND a.{q('is_current')} = %s "
        f"LEFT JOIN {q(PersonName._meta.db_table)} n ON n.{q('person_id')} = p.{q('id')} "
        # Merged records are dropped below, not here: "merged_into_id IS NULL" matches nearly every
        # row and, with stale statistics after a bulk load, led PostgreSQL away from the primary key.
        f"WHERE {where}{visibility[0]} "
        f"ORDER BY p.{q('id')}, a.{q('created_at')} DESC, a.{q('id')} DESC, n.{q('id')}"
    )
    params = [*source_params, True, *where_params, *visibility[1]]
    person_at = {f.attname: i for i, f in enumerate(make_person.fields)}
    address_at = {f.attname: i for i, f in enumerate(make_address.fields)}
    name_at = {f.attname: i for i, f in enumerate(make_name.fields)}
    record_columns = [person_at[c] for c in PERSON_COLUMNS]
    person_id, merged = person_at["id"], person_at["merged_into_id"]
    address_id, name_id = pw + address_at["id"], pw + aw + name_at["id"]
    grouped: dict[int, tuple[tuple, dict, dict]] = {}
    identified: set[int] = set()
    for row in _fetch(sql, params):
        if row[merged] is not None:
            continue  # a merged record: found through the record kept
        pid = row[person_id]
        if row[-1]:
            identified.add(pid)
        entry = grouped.get(pid)
        if entry is None:
            entry = grouped[pid] = (row[:pw], {}, {})
        # One row per (address, name) pair: each address and each name once, in the order read.
        if row[address_id] is not None and row[address_id] not in entry[1]:
            entry[1][row[address_id]] = row[pw:pw + aw]
        if row[name_id] is not None and row[name_id] not in entry[2]:
            entry[2][row[name_id]] = row[pw + aw:-1]
    out: dict[int, _Row] = {}
    for pid, (person_row, addresses, names) in grouped.items():
        current = next(iter(addresses.values()), None)  # the newest
        other_names = sorted(names.values(), key=lambda n: n[name_at["id"]])
        values = [person_row[i] for i in record_columns]
        values[3] = as_date(values[3])
        out[pid] = _Row(
            person_row=person_row,
            addresses=list(addresses.values()),
            names=other_names,
            record=matching_record(
                values,
                (current[address_at["postcode"]], current[address_at["line_1"]]) if current is not None else None,
                [(n[name_at["given_name"]], n[name_at["family_name"]]) for n in other_names],
            ),
            builders=builders,
        )
    return out, identified


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


def _households_and_sources(visible, candidates: list[Person]) -> tuple[dict[int, list[HouseholdMember]], dict[int, list[str]]]:
    """The household of each candidate, and its agencies' own ids ("AGENCYCODE:id"), for all of
    them at once, in two queries.

    1. One query of tagged rows: (a) everyone with a current address at the candidates'
       postcodes; (r) the Relationship rows of the candidates; (s) those of the candidates' adults
       (their other children are siblings); (x) the agencies' ids of the candidates.
    2. The household: the others at the same postcode and the same normalised line 1, the adults
       and children related through Relationship, and the other children of those adults.
    3. Those people (visible, not merged) in one query; each described against the candidate.
    Reading each neighbour's name in the first query instead of the second (a join for the ~15
    homes at each postcode) cost more than the second query saved, on both databases."""
    if not candidates:
        return {}, {}
    homes = {}
    for p in candidates:
        current = p.current_addresses[0] if p.current_addresses else None
        key = _same_address_key(current.postcode, current.line_1) if current else None
        if key:
            homes[p.pk] = key
    ids = [p.pk for p in candidates]
    q = connection.ops.quote_name
    address_table, rel_table = q(Address._meta.db_table), q(Relationship._meta.db_table)
    source_table, agency_table = q(PersonSource._meta.db_table), q(Agency._meta.db_table)
    # Columns: tag, id, other id, text, text, number. NULLs typed: PostgreSQL resolves the types of
    # a UNION's columns branch by branch, and two untyped NULLs would make a text column.
    no_id, no_text = "CAST(NULL AS BIGINT)", "CAST(NULL AS VARCHAR(1))"
    branches, params = [], []
    if homes:
        postcodes = sorted({k[0] for k in homes.values()})
        branches.append(
            f"SELECT 'a', {q('person_id')}, {no_id}, {q('postcode')}, {q('line_1')}, {no_id} FROM {address_table} "
            f"WHERE {q('postcode')} IN ({_marks(postcodes)}) AND {q('is_current')} = %s"
        )
        params += [*postcodes, True]
    branches.append(
        f"SELECT 'r', {q('adult_id')}, {q('child_id')}, {q('kind')}, {no_text}, {no_id} FROM {rel_table} "
        f"WHERE {q('adult_id')} IN ({_marks(ids)}) OR {q('child_id')} IN ({_marks(ids)})"
    )
    params += [*ids, *ids]
    branches.append(
        f"SELECT 's', {q('adult_id')}, {q('child_id')}, {q('kind')}, {no_text}, {no_id} FROM {rel_table} "
        f"WHERE {q('adult_id')} IN (SELECT {q('adult_id')} FROM {rel_table} WHERE {q('child_id')} IN ({_marks(ids)}))"
    )
    params += ids
    branches.append(
        f"SELECT 'x', s.{q('person_id')}, {no_id}, a.{q('code')}, s.{q('source_id')}, a.{q('sort_order')} "
        f"FROM {source_table} s JOIN {agency_table} a ON a.{q('id')} = s.{q('agency_id')} "
        f"WHERE s.{q('person_id')} IN ({_marks(ids)})"
    )
    params += ids
    at: dict[tuple, set[int]] = defaultdict(set)
    rels, sibling_rels = [], []
    sources: dict[int, list[tuple]] = defaultdict(list)
    for tag, first, second, text, text_2, number in _fetch(" UNION ALL ".join(branches), params):
        if tag == "a":
            key = _same_address_key(text, text_2)
            if key:
                at[key].add(first)
        elif tag == "r":
            rels.append((first, second, text))
        elif tag == "s":
            sibling_rels.append((first, second, text))
        else:
            sources[first].append((number, text_2, text))

    links: dict[int, dict[int, str]] = defaultdict(dict)  # candidate → member → link
    for cid, key in homes.items():
        for pid in at.get(key, ()):
            if pid != cid:
                links[cid][pid] = "same address"
    adults_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for adult, child, kind in rels:
        if child in ids:
            links[child][adult] = _KIND_LABEL.get(kind, kind).lower()
            adults_of[child].append((adult, kind))
        if adult in ids:
            links[adult][child] = f"child ({_KIND_LABEL.get(kind, kind).lower()})"
    for adult, child, kind in sibling_rels:
        for cid, pairs in adults_of.items():
            if child != cid and any(a == adult for a, _ in pairs) and child not in links[cid]:
                links[cid][child] = f"sibling (same {_KIND_LABEL.get(kind, kind).lower()})"
    members = _member_rows(visible, sorted({m for found in links.values() for m in found}))
    today = clock.local_today()
    out: dict[int, list[HouseholdMember]] = {}
    for p in candidates:
        found = [_member(p, members[m], link, today) for m, link in links.get(p.pk, {}).items() if m in members]
        found.sort(key=lambda m: (not m.same_date_of_birth, m.date_of_birth is None, m.date_of_birth or dt.date.min, m.person_id))
        out[p.pk] = found[:HOUSEHOLD_MAX]
    # Each candidate's agencies' ids by the agency's sort order, then the id (sorted here: an
    # ORDER BY over the whole UNION cost SQLite a temporary B-tree per branch).
    return out, {pid: [f"{code}:{source_id}" for _, source_id, code in sorted(found)] for pid, found in sources.items()}


def _member_rows(visible, ids: list[int]) -> dict[int, tuple]:
    """(id, given name, family name, date of birth, sex, normalised given name) of these people,
    through the policy's queryset (a member the user may not see is not shown), merged records
    left out (in Python, for the reason given in `_candidate_rows`)."""
    visibility = _visible_clause(visible, "p") if ids else None
    if visibility is None:
        return {}
    q = connection.ops.quote_name
    columns = ", ".join(f"p.{q(c)}" for c in ("id", "given_name", "family_name", "date_of_birth", "sex", "given_name_norm", "merged_into_id"))
    sql = f"SELECT {columns} FROM {q(Person._meta.db_table)} p WHERE p.{q('id')} IN ({_marks(ids)}){visibility[0]}"
    return {r[0]: (r[0], r[1], r[2], as_date(r[3]), r[4], r[5]) for r in _fetch(sql, [*ids, *visibility[1]]) if r[6] is None}


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
