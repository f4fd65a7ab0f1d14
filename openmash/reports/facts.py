"""Report facts: each month's referrals, children and information requests as packed numpy columns.

Why (ADR 0015): the measures need exact medians and 90th percentiles and arbitrary filters over up to
a million referrals and sixteen million requests. Scanning those rows takes SQLite 7–10 s; reading a
few hundred pre-packed monthly blobs and working on numpy columns takes well under a second. The live
tables stay the truth: a block is a cache, rebuilt whenever something it holds may have changed.

How a block knows it is stale: every service that changes case data writes an audit event in the
same transaction (DESIGN.md, rules of the house). Before a report is computed, `refresh()` reads the
audit events since the last look and deletes the blocks of the months they touched (a referral's
receipt month; for a merge, every month naming either person). Missing blocks are rebuilt from the
live tables on read. So a report is always as fresh as the last committed change.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Func, IntegerField, Max, Min, Q, Value, When
from django.db.models.functions import Coalesce

from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.information_requests.codes import AnswerOutcome, RequestStatus
from openmash.information_requests.models import InformationAnswer, InformationRequest
from openmash.people.codes import Ethnicity, Sex
from openmash.people.models import Address, Person
from openmash.referrals import deadlines
from openmash.referrals.codes import ConcernCategory, Outcome, Rating, ReferralSource, ReferralStatus
from openmash.referrals.models import ChildOutcome, RatingChange, Referral, ReferralConcern, ReferralPerson
from openmash.reports.models import FactBlock, FactWatermark

FORMAT = 3  # bump when COLUMNS change: blocks of another format are rebuilt on read
Y2K = 946_684_800  # 2000-01-01T00:00:00Z as a Unix time
SOURCES = list(ReferralSource.values)
RATINGS = ["", *Rating.values]  # 0: not yet rated
STATUSES = list(ReferralStatus.values)
OUTCOMES = ["", *Outcome.values]  # 0: no decision for this child yet
CONCERNS = list(ConcernCategory.values)  # bit i of a concerns mask
SEXES = list(Sex.values)
ETHNICITIES = list(Ethnicity.values)
ANSWERS = ["", *AnswerOutcome.values]  # 0: no answer
REQUEST_STATES = {RequestStatus.OPEN: 0, RequestStatus.ANSWERED: 1, RequestStatus.NOT_NEEDED: 2}
ONE_WORKING_DAY = deadlines.WORKDAY_MINUTES
# On PostgreSQL an audit id is handed out before commit, so an event may become visible after one
# with a higher id, and a block may be started between a change's audit insert and its commit. Events
# this recent are looked at again, and blocks started this soon after an event are distrusted. The
# audit row is written at the end of a service's transaction, just before its commit; 10 s is ample.
# SQLite writes one transaction at a time: ids are committed in order and nothing needs distrusting.
COMMIT_MARGINS = {"sqlite": dt.timedelta(0)}
DEFAULT_COMMIT_MARGIN = dt.timedelta(seconds=10)


def commit_margin() -> dt.timedelta:
    return COMMIT_MARGINS.get(connection.vendor, DEFAULT_COMMIT_MARGIN)
# Reads are audited too; they change nothing a report counts.
READ_SUFFIXES = (".view", ".list", ".history", ".search", ".export", ".report", ".match_choice", ".drilldown")

COLUMNS: dict[str, str] = {
    # referrals
    "r_id": "i8", "r_received": "i8", "r_day": "i4", "r_source": "i1", "r_rating": "i1", "r_status": "i1",
    "r_triage_min": "i4", "r_decided": "i8", "r_wd_due": "i8", "r_req_n": "i2", "r_all_answered": "i1",
    "r_all_on_time": "i1", "r_last_due": "i8", "r_strategy_min": "i4", "r_concerns": "i4",
    # children named on referrals (c_ref indexes the referral columns)
    "c_ref": "i4", "c_person": "i8", "c_age": "i2", "c_sex": "i1", "c_eth": "i1", "c_outcome": "i1",
    "c_postcode": "i4", "c_district": "i4", "c_sector": "i4",
    # information requests (q_ref indexes the referral columns)
    "q_ref": "i4", "q_agency": "i2", "q_state": "i1", "q_on_time": "i1", "q_answer": "i1", "q_resp_min": "i4",
    "q_due": "i4",  # seconds since Y2K (fits 1932-2068): sixteen million of these, so four bytes, not eight
}


def month_key(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(key: int) -> dt.date:
    year, month = divmod(key, 12)
    return dt.date(year, month + 1, 1)


def _epoch(value: dt.datetime | None) -> int:
    return -1 if value is None else int(value.timestamp())


def _minutes(start: dt.datetime, end: dt.datetime | None) -> int:
    return -1 if end is None else max(0, int((end - start).total_seconds() // 60))


def _age(dob: dt.date | None, on: dt.date) -> int:
    if dob is None or dob > on:
        return -1
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


# --- building ---------------------------------------------------------------------------------


@dataclass
class Block:
    """One month's columns and the postcodes its `c_postcode` indexes."""

    month: int
    token: str
    columns: dict[str, np.ndarray]
    postcodes: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    place_ids: tuple[np.ndarray, np.ndarray] | None = None  # districts and sectors as PLACES ids, once read
    derived: dict[str, np.ndarray] | None = None  # see derive(), once read

    def pack(self) -> bytes:
        header = {"format": FORMAT, "postcodes": self.postcodes, "districts": self.districts, "sectors": self.sectors,
                  "columns": []}
        chunks = []
        offset = 0
        for name, kind in COLUMNS.items():
            raw = np.ascontiguousarray(self.columns[name], dtype=kind).tobytes()
            header["columns"].append([name, kind, offset, len(raw)])
            chunks.append(raw)
            offset += len(raw)
        head = json.dumps(header, separators=(",", ":")).encode()
        return len(head).to_bytes(4, "little") + head + b"".join(chunks)

    @classmethod
    def unpack(cls, month: int, token: str, payload: bytes) -> Block | None:
        """The block, or None when it was packed in another format (it is then rebuilt)."""
        payload = bytes(payload)
        size = int.from_bytes(payload[:4], "little")
        header = json.loads(payload[4 : 4 + size])
        if header.get("format") != FORMAT:
            return None
        base = 4 + size
        columns = {}
        for name, kind, offset, length in header["columns"]:
            columns[name] = np.frombuffer(payload, dtype=kind, count=length // np.dtype(kind).itemsize, offset=base + offset)
        return cls(month=month, token=token, columns=columns, postcodes=header["postcodes"],
                   districts=header["districts"], sectors=header["sectors"])


ID_CHUNK = 20_000
NULL = -(2**62)  # an absent time, in the integer columns read from the database


class EpochMicros(Func):
    """A datetime column as whole microseconds since 1970, computed by the database: turning a
    hundred thousand timestamps into Python datetimes costs more than everything else a block does."""

    output_field = BigIntegerField()

    def __init__(self, expression):
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; the fraction, when there is one, has six digits.
        sql, params = compiler.compile(self.source_expressions[0])
        # strftime would round a fraction to milliseconds (…59.999999 → the next second): whole seconds
        # from the first 19 characters, the microseconds from the text after the point.
        return (f"(CAST(strftime('%%s', substr({sql}, 1, 19)) AS INTEGER) * 1000000"
                f" + CAST(substr({sql} || '.000000', 21, 6) AS INTEGER))"), params * 2

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(EXTRACT(EPOCH FROM {sql}) * 1000000 AS BIGINT)", params


def _micros(field: str):
    return Coalesce(EpochMicros(field), Value(NULL), output_field=BigIntegerField())


def _code(field: str, codes) -> Case:
    """A text column as its index in `codes` (-1 for anything else), computed by the database."""
    return Case(*(When(**{field: code}, then=Value(i)) for i, code in enumerate(codes)), default=Value(-1),
                output_field=IntegerField())


def _raw(queryset) -> list:
    """A values_list queryset's rows straight from the cursor, without Django's per-row converters
    (the columns are integers already). Annotations must be listed last, in the order annotated."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(rows: list, width: int) -> np.ndarray:
    return np.array(rows, dtype="i8").reshape(len(rows), width)


def _span_minutes(start_us: np.ndarray, end_us: np.ndarray) -> np.ndarray:
    """Whole minutes from start to end (never negative); -1 where the end is absent."""
    return np.where(end_us == NULL, -1, np.maximum(0, (end_us - start_us) // 60_000_000))


def build_block(month: int) -> Block:
    """Read one receipt month from the live tables.

    1. Referrals received in the month (London dates), their first rating time and concerns.
    2. Their information requests, with the latest answer's outcome; per referral, whether every
       request was answered, and on time.
    3. The children named on them: age on the day of receipt, sex, ethnicity, current postcode and the
       decision for that child.
    Times come out of the database as integers (EpochMicros) and are worked on as numpy columns.
    """
    start = clock.local_midnight(month_start(month))
    end = clock.local_midnight(month_start(month + 1))
    in_month = {"received_at__gte": start, "received_at__lt": end}
    rows = list(
        Referral.objects.filter(**in_month).order_by("id").annotate(
            rcv=_micros("received_at"), dec=_micros("decided_at"), sdr=_micros("strategy_discussion_required_at"),
            src=_code("source", SOURCES), rat=_code("rating", RATINGS), sta=_code("status", STATUSES),
        ).values_list("id", "rcv", "dec", "sdr", "src", "rat", "sta", "received_at")
    )
    n = len(rows)
    r = _table([row[:7] for row in rows], 7)
    ids = r[:, 0]
    received_us, decided_us, strategy_us = r[:, 1], r[:, 2], r[:, 3]
    received_dt = [row[7] for row in rows]
    col = {name: np.full(n, -1, dtype=kind) for name, kind in COLUMNS.items() if name[0] == "r"}
    col["r_id"] = ids
    col["r_received"] = received_us // 1_000_000
    col["r_source"], col["r_rating"], col["r_status"] = r[:, 4], np.maximum(r[:, 5], 0), r[:, 6]
    col["r_decided"] = np.where(decided_us == NULL, -1, decided_us // 1_000_000)
    days = [clock.to_local(t).date() for t in received_dt]
    col["r_day"] = np.array([d.toordinal() for d in days], dtype="i4")
    col["r_wd_due"] = np.array([_epoch(deadlines.add_working(t, ONE_WORKING_DAY)) for t in received_dt], dtype="i8")

    # The month's referrals by id, not by a join on their receipt time: PostgreSQL would otherwise
    # scan all sixteen million requests; by id it walks the foreign-key index. In chunks, as SQLite
    # takes at most 32,766 parameters a statement.
    chunks = [ids[i : i + ID_CHUNK].tolist() for i in range(0, n, ID_CHUNK)]

    def each(make, raw=False) -> list:
        out = []
        for chunk in chunks:
            out.extend(_raw(make(chunk)) if raw else make(chunk))
        return out

    def position(referral_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(ids, referral_ids)

    first = _table(each(lambda chunk: list(
        RatingChange.objects.filter(referral_id__in=chunk)
        .values("referral_id").annotate(first=Min(EpochMicros("changed_at"))).values_list("referral_id", "first")
    )), 2)
    first_us = np.full(n, NULL, dtype="i8")
    first_us[position(first[:, 0])] = first[:, 1]
    col["r_triage_min"] = _span_minutes(received_us, first_us)
    concerns = np.zeros(n, dtype="i8")
    found = _table(each(lambda chunk: list(
        ReferralConcern.objects.filter(referral_id__in=chunk)
        .annotate(cat=_code("category", CONCERNS)).values_list("referral_id", "cat")
    )), 2)
    found = found[found[:, 1] >= 0]
    np.bitwise_or.at(concerns, position(found[:, 0]), np.left_shift(1, found[:, 1]))
    col["r_concerns"] = concerns.astype("i4")
    strategy_outcome = np.isin(ids, np.array(each(lambda chunk: list(
        ChildOutcome.objects.filter(
            decision__referral_id__in=chunk, outcome=Outcome.STRATEGY_DISCUSSION,
        ).values_list("decision__referral_id", flat=True).distinct()
    )), dtype="i8"))
    decided_for_strategy = np.where(strategy_outcome, decided_us, NULL)
    moments = np.where(strategy_us == NULL, decided_for_strategy,
                       np.where(decided_for_strategy == NULL, strategy_us, np.minimum(strategy_us, decided_for_strategy)))
    col["r_strategy_min"] = _span_minutes(received_us, moments)

    # 2. requests
    q_rows = _table(each(lambda chunk: (
        InformationRequest.objects.filter(referral_id__in=chunk).order_by("id").annotate(
            sta=_code("status", list(REQUEST_STATES)), req=_micros("requested_at"), due=_micros("due_at"),
            ans=_micros("answered_at"),
        ).values_list("id", "referral_id", "agency_id", "sta", "req", "due", "ans")
    ), raw=True), 7)
    q_rows = q_rows[np.argsort(q_rows[:, 0], kind="stable")]  # by request id across chunks
    request_ids = q_rows[:, 0]
    # Answers by their requests' ids, in ranges (the ids of a month's requests run together), walking
    # the foreign-key index: a join through the requests' referrals made PostgreSQL scan every answer.
    answer_rows = []
    for i in range(0, len(request_ids), ID_CHUNK):
        lo, hi = int(request_ids[i]), int(request_ids[min(i + ID_CHUNK, len(request_ids)) - 1])
        answer_rows.extend(_raw(
            InformationAnswer.objects.filter(request_id__gte=lo, request_id__lte=hi).order_by()
            .annotate(out=_code("outcome", ANSWERS)).values_list("request_id", "version", "out")
        ))
    answers = _table(answer_rows, 3)
    answers = answers[np.isin(answers[:, 0], request_ids)]  # other months' requests inside a range
    latest = np.zeros(len(request_ids), dtype="i8")
    if len(answers):
        answers = answers[np.lexsort((answers[:, 1], answers[:, 0]))]
        last_of_request = np.ones(len(answers), dtype=bool)
        last_of_request[:-1] = answers[1:, 0] != answers[:-1, 0]
        answers = answers[last_of_request]
        latest[np.searchsorted(request_ids, answers[:, 0])] = answers[:, 2]
    q_ref = position(q_rows[:, 1])
    requested_us, due_us, answered_us = q_rows[:, 4], q_rows[:, 5], q_rows[:, 6]
    answered = answered_us != NULL
    on_time = answered & (answered_us <= due_us)
    q = {
        "q_ref": q_ref, "q_agency": q_rows[:, 2], "q_state": q_rows[:, 3], "q_on_time": on_time,
        "q_answer": latest, "q_resp_min": _span_minutes(requested_us, answered_us),
        "q_due": due_us // 1_000_000 - Y2K,
    }
    req_n = np.bincount(q_ref, minlength=n)
    col["r_req_n"] = req_n
    col["r_all_answered"] = ((req_n > 0) & (np.bincount(q_ref, weights=~answered, minlength=n) == 0))
    col["r_all_on_time"] = ((req_n > 0) & (np.bincount(q_ref, weights=~on_time, minlength=n) == 0))
    last_due = np.full(n, -1, dtype="i8")
    np.maximum.at(last_due, q_ref, due_us // 1_000_000)
    col["r_last_due"] = last_due
    index = {int(rid): i for i, rid in enumerate(ids.tolist())}

    # 3. children
    links = each(lambda chunk: list(
        ReferralPerson.objects.filter(
            referral_id__in=chunk, kind=ReferralPerson.Kind.CHILD
        ).order_by("referral_id", "position", "id").values_list(
            "referral_id", "person_id", "person__date_of_birth", "person__sex", "person__ethnicity"
        )
    ))
    person_ids = sorted({link[1] for link in links})
    postcode_of: dict[int, str] = {}
    # The current address: the latest current one, as the person page shows it.
    for i in range(0, len(person_ids), ID_CHUNK):
        for pid, postcode in (
            Address.objects.filter(person_id__in=person_ids[i : i + ID_CHUNK], is_current=True)
            .order_by("person_id", "created_at", "id").values_list("person_id", "postcode")
        ):
            postcode_of[pid] = postcode or ""
    outcome_of = {
        (rid, pid): outcome
        for rid, pid, outcome in each(lambda chunk: list(ChildOutcome.objects.filter(
            decision__referral_id__in=chunk
        ).values_list("decision__referral_id", "person_id", "outcome")))
    }
    k = len(links)
    c = {name: np.full(k, -1, dtype=kind) for name, kind in COLUMNS.items() if name[0] == "c"}
    postcodes: list[str] = []
    postcode_index: dict[str, int] = {}
    sex_index = {s: i for i, s in enumerate(SEXES)}
    eth_index = {e: i for i, e in enumerate(ETHNICITIES)}
    outcome_index = {o: i for i, o in enumerate(OUTCOMES)}
    for j, (rid, pid, dob, sex, ethnicity) in enumerate(links):
        i = index[rid]
        postcode = postcode_of.get(pid, "")
        if postcode not in postcode_index:
            postcode_index[postcode] = len(postcodes)
            postcodes.append(postcode)
        c["c_ref"][j] = i
        c["c_person"][j] = pid
        c["c_age"][j] = _age(dob, days[i])
        c["c_sex"][j] = sex_index.get(sex, -1)
        c["c_eth"][j] = eth_index.get(ethnicity, -1)
        c["c_outcome"][j] = outcome_index.get(outcome_of.get((rid, pid), ""), 0)
        c["c_postcode"][j] = postcode_index[postcode]
    from openmash.reports import geo

    districts, sectors = _Names(), _Names()
    district_of = np.array([districts.id(geo.postcode_district(p)) for p in postcodes], dtype="i4")
    sector_of = np.array([sectors.id(geo.postcode_sector(p)) for p in postcodes], dtype="i4")
    c["c_district"] = district_of[c["c_postcode"]] if k else np.zeros(0, dtype="i4")
    c["c_sector"] = sector_of[c["c_postcode"]] if k else np.zeros(0, dtype="i4")
    columns = {name: np.ascontiguousarray(value, dtype=COLUMNS[name]) for name, value in {**col, **q, **c}.items()}
    return Block(month=month, token=uuid.uuid4().hex, columns=columns, postcodes=postcodes,
                 districts=districts.names, sectors=sectors.names)


class _Names:
    """Strings numbered in the order first seen."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.names: list[str] = []

    def id(self, name: str) -> int:
        found = self.ids.get(name)
        if found is None:
            found = self.ids[name] = len(self.names)
            self.names.append(name)
        return found


# --- invalidation -------------------------------------------------------------------------------


def _months_of_referrals(references: set[str]) -> set[int]:
    months = set()
    for received in Referral.objects.filter(reference__in=references).values_list("received_at", flat=True):
        months.add(month_key(clock.to_local(received).date()))
    return months


def _months_of_people(person_ids: set[int]) -> set[int]:
    months = set()
    for received in (
        Referral.objects.filter(people__person_id__in=person_ids).values_list("received_at", flat=True).distinct()
    ):
        months.add(month_key(clock.to_local(received).date()))
    return months


ALL_MONTHS = -1


def stale_months(events) -> set[int]:
    """The receipt months whose blocks the given audit events may have changed (ALL_MONTHS: every one).

    Anything with a referral reference that is not a read touches that referral's month; a merge or
    its undo touches every month naming either person (children move between them); an import that
    changed people already known may have changed ages, sexes or postcodes anywhere.
    """
    references: set[str] = set()
    people: set[int] = set()
    for action, reference, details in events:
        if action.endswith(READ_SUFFIXES):
            continue
        if action in ("person.merge", "person.merge.undo"):
            people.update(int(details[k]) for k in ("kept", "merged") if details.get(k))
            continue
        if action == "person.import":
            if details.get("updated") or details.get("changed"):
                return {ALL_MONTHS}
            continue
        if reference:
            references.add(reference)
    months = set()
    if references:
        months |= _months_of_referrals(references)
    if people:
        months |= _months_of_people(people)
    return months


def refresh() -> None:
    """Delete the blocks that audit events since the last look may have made stale (see module doc).

    A block is kept only if it was started more than commit_margin() after the newest such event: it
    then read the change. Events within the margin are looked at again next time.
    """
    watermark = FactWatermark.objects.filter(pk=1).values_list("audit_id", flat=True).first() or 0
    margin = commit_margin()
    recent = clock.now() - margin
    fields = ("id", "action", "referral_reference", "details", "occurred_at")
    newest_id = _latest_audit_id()
    if newest_id <= watermark and not AuditEvent.objects.filter(occurred_at__gte=recent).exists():
        return
    # Reads are most of the trail and change nothing: the database leaves them out. Two indexed reads
    # rather than one OR, which a database may answer by scanning the whole trail.
    not_reads = ~Q(reduce(operator.or_, (Q(action__endswith=suffix) for suffix in READ_SUFFIXES)))
    changes = AuditEvent.objects.filter(not_reads)
    rows = {r[0]: r for r in changes.filter(id__gt=watermark, id__lte=newest_id).values_list(*fields)}
    rows.update((r[0], r) for r in changes.filter(occurred_at__gte=recent).values_list(*fields))
    rows = list(rows.values())
    months = stale_months((action, reference, details) for _, action, reference, details, _ in rows)
    newest_event = max((r[4] for r in rows), default=None)
    if not months and newest_id == watermark:
        return
    with transaction.atomic():
        stale = FactBlock.objects.filter(built_at__lte=(newest_event or clock.now()) + margin)
        if ALL_MONTHS not in months:
            stale = stale.filter(month__in=months)
        if months:
            stale.delete()
        FactWatermark.objects.update_or_create(pk=1, defaults={"audit_id": max(watermark, newest_id)})


def store(block: Block, started: dt.datetime, through_audit_id: int) -> None:
    FactBlock.objects.update_or_create(
        month=block.month,
        defaults={"token": block.token, "built_at": started, "through_audit_id": through_audit_id,
                  "payload": block.pack()},
    )


def _latest_audit_id() -> int:
    return AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0


def build_and_store(month: int) -> Block:
    started, through = clock.now(), _latest_audit_id()
    block = build_block(month)
    store(block, started, through)
    return block


def rebuild(months, progress=None) -> int:
    """Build and store the blocks of `months` now (the generator and `build_report_facts` use this)."""
    count = 0
    for month in months:
        build_and_store(month)
        count += 1
        if progress is not None:
            progress(count)
    return count


def months_with_referrals() -> list[int]:
    bounds = Referral.objects.aggregate(first=Min("received_at"), last=Max("received_at"))
    if bounds["first"] is None:
        return []
    first = month_key(clock.to_local(bounds["first"]).date())
    last = month_key(clock.to_local(bounds["last"]).date())
    return list(range(first, last + 1))


# --- reading ------------------------------------------------------------------------------------

_cache: dict[int, Block] = {}
_cache_lock = threading.Lock()
# The last few joins, by the blocks (and their tokens) they were made of: a page and its downloads,
# or the next person opening the same report, then reuse the joined columns as they are.
_joined: dict[tuple, "Columns"] = {}
JOINED_KEPT = 6  # two reports' worth: their settled part, their recent part and the whole


# Response times up to this many minutes (22 days) are counted in a histogram per agency, which gives
# exact medians and percentiles with one pass over the requests; longer ones are few and kept as values.
RESPONSE_CAP = 1 << 15
AGENCY_CODES = 24  # q_state (3) x on time (2) x answer (4)


def derive(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-request keys the measures count with one bincount each (computed once per block read):
    `q_key` = agency x 24 + (state, on time, answer); `q_hist` = agency x RESPONSE_CAP + response
    minutes for answers within the cap, -1 otherwise."""
    agency = columns["q_agency"].astype("i8")
    code = columns["q_state"].astype("i8") * 8 + columns["q_on_time"] * 4 + columns["q_answer"]
    resp = columns["q_resp_min"]
    within = (columns["q_state"] == 1) & (resp >= 0) & (resp < RESPONSE_CAP)
    wide = "i8" if len(agency) and int(agency.max()) >= (1 << 16) else "i4"
    return {
        "q_key": (agency * AGENCY_CODES + code).astype("i4" if wide == "i4" else "i8"),
        "q_hist": np.where(within, agency * RESPONSE_CAP + resp, -1).astype(wide),
    }


DERIVED = ("q_key", "q_hist")


class PlaceRegistry:
    """Postcode districts and sectors numbered across every block this process has read, so that
    hotspots count with `np.bincount`; a block's own lists are translated once, when it is read."""

    def __init__(self):
        self.lock = threading.Lock()
        self.districts, self.sectors = _Names(), _Names()

    def translate(self, block: "Block") -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            return (np.array([self.districts.id(d) for d in block.districts], dtype="i4"),
                    np.array([self.sectors.id(x) for x in block.sectors], dtype="i4"))


PLACES = PlaceRegistry()


@dataclass
class Columns:
    """Blocks of a range of months joined end to end. `columns` holds the referral and child columns
    (`c_ref` indexes the referrals; `c_dist`/`c_sect` are each child's postcode district and sector as
    PLACES ids); `segments` hold the request columns in parts (their `q_ref` indexes the referrals),
    so that the millions of requests of settled months are never copied again."""

    columns: dict[str, np.ndarray]
    segments: list[dict[str, np.ndarray]] = field(default_factory=list)
    blocks: list = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # what the measures worked out from all of these rows

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def requests(self, name: str) -> np.ndarray:
        """One request column whole (tests and small reports; the measures work segment by segment)."""
        return np.concatenate([s[name] for s in self.segments]) if self.segments else np.empty(0, dtype=COLUMNS.get(name, "i4"))

    def postcode_of(self, child_rows: np.ndarray) -> list[str]:
        """Full postcodes of some children (for an uploaded area set's lookup)."""
        block_of, local = self.columns["c_block"][child_rows].tolist(), self.columns["c_postcode"][child_rows].tolist()
        return [self.blocks[b].postcodes[p] for b, p in zip(block_of, local)]


def load(first_day: dt.date, last_day: dt.date) -> Columns:
    """The columns of every month from `first_day` to `last_day`, fresh (see module doc)."""
    refresh()
    months = list(range(month_key(first_day), month_key(last_day) + 1))
    tokens = dict(FactBlock.objects.filter(month__in=months).values_list("month", "token"))
    blocks: list[Block] = []
    need = [m for m in months if m in tokens and (m not in _cache or _cache[m].token != tokens[m])]
    if need:
        for month, token, payload in FactBlock.objects.filter(month__in=need).values_list("month", "token", "payload"):
            block = Block.unpack(month, token, payload)
            if block is None:
                tokens.pop(month)
                continue
            with _cache_lock:
                _cache[month] = block
    for month in months:
        if month not in tokens:
            block = build_and_store(month)
            with _cache_lock:
                _cache[month] = block
        blocks.append(_cache[month])
    # The months before the last RECENT_MONTHS rarely change: their requests are joined once and kept,
    # so a change this month re-joins a month or two of requests, not sixteen million.
    split = max(0, len(blocks) - RECENT_MONTHS)
    parts = [_cached(("part", tuple((b.month, b.token) for b in group)), lambda g=group: join(g))
             for group in (blocks[:split], blocks[split:])]
    return _cached(("whole", tuple((b.month, b.token) for b in blocks)), lambda: combine(parts))


RECENT_MONTHS = 2


def _cached(key, make):
    with _cache_lock:
        found = _joined.pop(key, None)
        if found is None:
            found = make()
        _joined[key] = found  # most recently used last
        while len(_joined) > JOINED_KEPT:
            _joined.pop(next(iter(_joined)))
        return found


def join(blocks: list[Block]) -> Columns:
    """Blocks end to end: referral and child columns, and the requests as one segment."""
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    offset = 0
    for b, block in enumerate(blocks):
        cols = block.columns
        for name in COLUMNS:
            value = cols[name]
            if name in ("c_ref", "q_ref"):
                value = value + offset
            parts[name].append(value)
        if block.place_ids is None:
            block.place_ids = PLACES.translate(block)
        districts, sectors = block.place_ids
        n_children = len(cols["c_ref"])
        parts["c_dist"].append(districts[cols["c_district"]] if n_children else np.zeros(0, dtype="i4"))
        parts["c_sect"].append(sectors[cols["c_sector"]] if n_children else np.zeros(0, dtype="i4"))
        parts["c_block"].append(np.full(n_children, b, dtype="i4"))
        if block.derived is None:
            block.derived = derive(cols)
        for name in DERIVED:
            parts[name].append(block.derived[name])
        offset += len(cols["r_id"])
    kinds = {**COLUMNS, **EXTRA_COLUMNS}
    columns = {name: (np.concatenate(parts[name]) if parts[name] else np.empty(0, dtype=kind)) for name, kind in kinds.items()}
    requests = {name: columns.pop(name) for name in list(columns) if name.startswith("q_")}
    return Columns(columns=columns, segments=[requests], blocks=list(blocks))


EXTRA_COLUMNS = {"c_dist": "i4", "c_sect": "i4", "c_block": "i4", "q_key": "i4", "q_hist": "i4"}


def combine(parts: list[Columns]) -> Columns:
    """Joined parts end to end: referral and child columns concatenated (a million rows, not sixteen),
    each part's requests kept as a segment of their own with their q_ref moved along."""
    columns: dict[str, list[np.ndarray]] = defaultdict(list)
    segments, blocks = [], []
    referrals = 0
    for part in parts:
        for name, value in part.columns.items():
            if name == "c_ref":
                value = value + referrals
            elif name == "c_block":
                value = value + len(blocks)
            columns[name].append(value)
        for segment in part.segments:
            # The same dict (and so its memo, see measures._memo) when nothing moves; a moved copy else.
            segments.append({**{k: v for k, v in segment.items() if k != "_memo"}, "q_ref": segment["q_ref"] + referrals}
                            if referrals else segment)
        blocks.extend(part.blocks)
        referrals += len(part.columns["r_id"])
    return Columns(columns={name: np.concatenate(values) for name, values in columns.items()}, segments=segments,
                   blocks=blocks)


def canonical_people() -> tuple[np.ndarray, np.ndarray]:
    """(merged ids sorted, the id each finally resolves to): children follow a merge at read time."""
    pairs = dict(Person.objects.filter(merged_into__isnull=False).values_list("id", "merged_into_id"))
    resolved = {}
    for pid in pairs:
        target, seen = pairs[pid], {pid}
        while target in pairs and target not in seen:
            seen.add(target)
            target = pairs[target]
        resolved[pid] = target
    keys = np.array(sorted(resolved), dtype="i8")
    return keys, np.array([resolved[k] for k in keys.tolist()], dtype="i8")


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _joined.clear()
