"""Report facts: each month's referrals, children and information requests as packed numpy columns.

Why (ADR 0015): the measures need exact medians and 90th percentiles and arbitrary filters over up to
a million referrals and sixteen million requests. Scanning those rows takes SQLite 7–10 s; reading a
few hundred pre-packed monthly blobs and working on numpy columns takes well under a second. The live
tables stay the truth: a block is a cache, rebuilt whenever something it holds may have changed.

How a block knows it is stale: every service that changes case data writes an audit event in the
same transaction (DESIGN.md, rules of the house). Before a report is computed, `refresh()` reads the
audit events since the last look and deletes the blocks of the months they touched (a referral's
receipt month; for a merge, every month naming either person) that had not seen them: each block
records the newest audit id it saw and the lower ids it could not see yet (see `audit_horizon`).
Missing blocks are rebuilt from the live tables on read. So a report is always as fresh as the last
committed change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
import queue
import threading
import time
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

logger = logging.getLogger(__name__)

FORMAT = 4  # bump when COLUMNS change: blocks of another format are rebuilt on read
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
# An audit id is handed out when the event is written, not when its transaction commits (on PostgreSQL
# several transactions commit in any order), so an event may become visible after one with a higher id.
# A block therefore records which ids it could not see when it was started (`unseen_audit_ids`), and
# refresh() looks again at events this recent. The audit row is written at the end of a service's
# transaction, just before its commit; 10 s is ample.
COMMIT_MARGIN = dt.timedelta(seconds=10)


# Reads are audited too; they change nothing a report counts.
READ_SUFFIXES = (".view", ".list", ".history", ".search", ".export", ".report", ".match_choice", ".drilldown")

COLUMNS: dict[str, str] = {
    # referrals
    "r_id": "i8", "r_received": "i8", "r_day": "i4", "r_source": "i1", "r_rating": "i1", "r_status": "i1",
    "r_triage_min": "i4", "r_decided": "i8", "r_wd_due": "i8", "r_req_n": "i2", "r_all_answered": "i1",
    "r_all_on_time": "i1", "r_last_due": "i8", "r_strategy_min": "i4", "r_concerns": "i4",
    "r_team": "i4",  # the hub team's id; 0 for none (docs/adr/0017)
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
        payload = memoryview(payload)  # no copy: the columns are views of the payload
        size = int.from_bytes(payload[:4], "little")
        header = json.loads(bytes(payload[4 : 4 + size]))
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

    1. Referrals received in the month (London dates), their team, first rating time and concerns.
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
        ).values_list("id", "rcv", "dec", "sdr", "src", "rat", "sta", "received_at", "team_id")
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
    col["r_team"] = np.array([row[8] or 0 for row in rows], dtype="i4")
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

    def ids_of(self, names: list[str]) -> np.ndarray:
        """The numbers of many names at once (a block's few thousand postcode districts or sectors)."""
        for name in names:
            if name not in self.ids:
                self.id(name)
        return np.fromiter(map(self.ids.__getitem__, names), dtype="i4", count=len(names))


# --- invalidation -------------------------------------------------------------------------------


ALL_MONTHS = -1


def event_months(rows) -> list[set[int]]:
    """For each audit row (id, action, referral reference, details, …), the receipt months whose blocks
    it may have changed (ALL_MONTHS: every one); the database is asked once for all rows together.

    Anything with a referral reference that is not a read touches that referral's month; a merge or
    its undo touches every month naming either person (children move between them); an import that
    changed people already known may have changed ages, sexes or postcodes anywhere.
    """
    merges = ("person.merge", "person.merge.undo")

    def people_of(details) -> list[int]:
        return [int(details[k]) for k in ("kept", "merged") if details.get(k)]

    references = {r[2] for r in rows if r[2] and not r[1].endswith(READ_SUFFIXES) and r[1] not in merges}
    people = {pid for r in rows if r[1] in merges for pid in people_of(r[3])}
    by_reference: dict[str, set[int]] = defaultdict(set)
    for reference, received in Referral.objects.filter(reference__in=references).values_list("reference", "received_at"):
        by_reference[reference].add(month_key(clock.to_local(received).date()))
    by_person: dict[int, set[int]] = defaultdict(set)
    if people:
        for pid, received in (Referral.objects.filter(people__person_id__in=people)
                              .values_list("people__person_id", "received_at").distinct()):
            by_person[pid].add(month_key(clock.to_local(received).date()))
    result = []
    for _, action, reference, details, *_ in rows:
        if action.endswith(READ_SUFFIXES):
            result.append(set())
        elif action in merges:
            result.append(set().union(*(by_person[pid] for pid in people_of(details))))
        elif action == "person.import":
            result.append({ALL_MONTHS} if details.get("updated") or details.get("changed") else set())
        else:
            result.append(set(by_reference[reference]) if reference else set())
    return result


def refresh() -> None:
    """Delete the blocks that audit events since the last look may have made stale (see module doc).

    A block is stale when an event touching its month is one it did not see: an id above the newest it
    saw, or one of the ids it could not see when it was started (in flight then). Events within the
    commit margin are looked at again next time, in case one with a lower id commits after them.
    """
    watermark = FactWatermark.objects.filter(pk=1).values_list("audit_id", flat=True).first() or 0
    recent = clock.now() - COMMIT_MARGIN
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
    rows = sorted(rows.values())
    touched = list(zip(rows, event_months(rows)))
    months = set().union(*(m for _, m in touched))
    with transaction.atomic():
        if months:
            # Only the touched months' blocks are asked: on SQLite `unseen_audit_ids` lies after the
            # payload in each row, so reading it walks the whole payload.
            blocks = FactBlock.objects.all() if ALL_MONTHS in months else FactBlock.objects.filter(month__in=months)
            horizons = {month: (through, set(unseen)) for month, through, unseen in
                        blocks.values_list("month", "through_audit_id", "unseen_audit_ids")}
            stale = set()
            for row, its_months in touched:
                for month in (horizons if ALL_MONTHS in its_months else its_months & horizons.keys()):
                    through, unseen = horizons[month]
                    if row[0] > through or row[0] in unseen:  # an event the block did not see
                        stale.add(month)
            if stale:
                FactBlock.objects.filter(month__in=stale).delete()
        if newest_id > watermark:
            FactWatermark.objects.update_or_create(pk=1, defaults={"audit_id": newest_id})


def store(block: Block, started: dt.datetime, horizon: tuple[int, list[int]]) -> None:
    through, unseen = horizon
    FactBlock.objects.update_or_create(
        month=block.month,
        defaults={"token": block.token, "built_at": started, "through_audit_id": through, "unseen_audit_ids": unseen,
                  "payload": block.pack()},
    )


def audit_horizon(now: dt.datetime) -> tuple[int, list[int]]:
    """(the newest audit id visible now, the ids below it not visible now). Ids written more than the
    commit margin ago are taken as settled (committed, or rolled back for good); ids above those that
    cannot be seen belong to transactions still in flight, or rolled back. Taken before a block is
    built, so that the block saw at least every event this says was visible."""
    newest = _latest_audit_id()
    # Newest first, stopping at the first old enough: a few rows read, however long the trail.
    settled = (AuditEvent.objects.filter(id__lte=newest, occurred_at__lt=now - COMMIT_MARGIN).order_by("-id")
               .values_list("id", flat=True).first()) or 0
    visible = set(AuditEvent.objects.filter(id__gt=settled, id__lte=newest).values_list("id", flat=True))
    return newest, [i for i in range(settled + 1, newest + 1) if i not in visible]


def _latest_audit_id() -> int:
    return AuditEvent.objects.aggregate(m=Max("id"))["m"] or 0


def build_and_store(month: int) -> Block:
    started = clock.now()
    horizon = audit_horizon(started)
    block = build_block(month)
    store(block, started, horizon)
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
    # In 32-bit integers while agency ids stay below 2**16 (agency x RESPONSE_CAP then fits): sixteen
    # million of these are worked out on a cold read, and half the width is half the memory traffic.
    wide = "i8" if len(columns["q_agency"]) and int(columns["q_agency"].max()) >= (1 << 16) else "i4"
    agency = columns["q_agency"].astype(wide)
    key = columns["q_state"].astype(wide) * 8
    key += columns["q_on_time"] * 4
    key += columns["q_answer"]
    key += agency * AGENCY_CODES
    resp = columns["q_resp_min"]
    within = (columns["q_state"] == 1) & (resp >= 0) & (resp < RESPONSE_CAP)
    hist = agency * RESPONSE_CAP
    hist += resp
    hist[~within] = -1
    return {"q_key": key, "q_hist": hist}


DERIVED = ("q_key", "q_hist")


class PlaceRegistry:
    """Postcode districts and sectors numbered across every block this process has read, so that
    hotspots count with `np.bincount`; a block's own lists are translated once, when it is read."""

    def __init__(self):
        self.lock = threading.Lock()
        self.districts, self.sectors = _Names(), _Names()

    def translate(self, block: "Block") -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            return self.districts.ids_of(block.districts), self.sectors.ids_of(block.sectors)


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
    _wait_for_warm_up()
    refresh()
    months = list(range(month_key(first_day), month_key(last_day) + 1))
    tokens = dict(FactBlock.objects.filter(month__in=months).values_list("month", "token"))
    blocks: list[Block] = []
    need = [m for m in months if m in tokens and (m not in _cache or _cache[m].token != tokens[m])]
    for month, block in _read_blocks(need):
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


PREFETCH_GROUP = 24  # blocks fetched per query when reading many (two years of months)


def _prepare(block: Block | None) -> Block | None:
    """What join() needs of a block beyond its columns, worked out as soon as it is read."""
    if block is not None:
        block.derived = derive(block.columns)
        block.place_ids = PLACES.translate(block)
    return block


def _read_blocks(months: list[int]):
    """(month, block or None if packed in another format) for the stored blocks of `months`.

    On PostgreSQL, when there are many, a second thread fetches them a group at a time on this
    request's connection while this one unpacks and prepares the group before: the server sends
    blocks while the client computes (a cold report over decades reads ~400 MB). The thread holds
    the connection only until the last group is in; nothing else uses it meanwhile.
    """
    if not months:
        return
    if connection.vendor != "postgresql" or len(months) <= PREFETCH_GROUP:
        for month, token, payload in _payloads(months):
            yield month, _prepare(Block.unpack(month, token, payload))
        return
    connection.ensure_connection()
    raw = connection.connection
    groups = [months[i : i + PREFETCH_GROUP] for i in range(0, len(months), PREFETCH_GROUP)]
    fetched: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch():
        try:
            for group in groups:
                if stop.is_set():
                    break
                fetched.put(_payloads(group, raw=raw))
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, which raises it
            fetched.put(exc)
        fetched.put(None)

    fetcher = threading.Thread(target=fetch, name="report-blocks", daemon=True)
    fetcher.start()
    try:
        while (rows := fetched.get()) is not None:
            if isinstance(rows, BaseException):
                raise rows
            for month, token, payload in rows:
                yield month, _prepare(Block.unpack(month, token, payload))
    finally:
        stop.set()
        while fetcher.is_alive():  # let a blocked put() through, so the thread ends before we go on
            try:
                fetched.get(timeout=0.05)
            except queue.Empty:
                pass
        fetcher.join()


def _payloads(months: list[int], raw=None):
    """(month, token, payload) of the stored blocks of `months`.

    On PostgreSQL the rows are fetched in binary: as text a bytea travels hex-encoded (twice its size)
    and is decoded on arrival, which for a report over decades (400 MB of blocks) costs over a second.
    """
    if connection.vendor != "postgresql":
        return FactBlock.objects.filter(month__in=months).values_list("month", "token", "payload")
    import psycopg

    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    table = connection.ops.quote_name(FactBlock._meta.db_table)
    # Django's own cursors bind on the client, which psycopg cannot combine with binary results.
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(f"SELECT month, token, payload FROM {table} WHERE month = ANY(%s)", [months], binary=True)
        return cursor.fetchall()


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


def warm() -> int:
    """Read every stored block into this process's memory (not building any: that is a report's job,
    after refresh()). Returns how many were read. Blocks a report reads meanwhile are simply read twice."""
    tokens = dict(FactBlock.objects.values_list("month", "token"))
    need = sorted(m for m, token in tokens.items() if m not in _cache or _cache[m].token != token)
    count = 0
    for month, block in _read_blocks(need):
        if block is not None:
            with _cache_lock:
                if month not in _cache or _cache[month].token != block.token:
                    _cache[month] = block
            count += 1
    return count


_warm_up: threading.Thread | None = None  # the start-up warm-up, while it runs
WARM_UP_WAIT = 30  # seconds a report waits at most for a running warm-up before reading by itself


def _wait_for_warm_up() -> None:
    """A report that arrives while the start-up warm-up is reading the blocks waits for it, rather than
    reading the same blocks beside it (two readers of 400 MB on two cores take longer than one)."""
    thread = _warm_up
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout=WARM_UP_WAIT)


def warm_in_background() -> threading.Thread:
    """warm() on a thread of its own, with its own database connection, closed at the end."""
    global _warm_up
    from django.db import connections

    def run():
        try:
            started = time.perf_counter()
            count = warm()
            logger.info("%d report blocks read into memory in %.1f s", count, time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - a failed warm-up only means the first report reads them itself
            logger.exception("reading the report blocks into memory failed")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="report-blocks-warm-up", daemon=True)
    _warm_up = thread
    thread.start()
    return thread


def warm_on_start() -> threading.Thread | None:
    """What a web server calls once its application is loaded: warm_in_background() unless the
    REPORTS_WARM_ON_START setting is off."""
    from django.conf import settings

    return warm_in_background() if settings.REPORTS_WARM_ON_START else None


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _joined.clear()
