"""The performance measures and the phase-two insight, computed on report facts (facts.py).

Pure functions of the joined columns, a filter and the moment of the report: no database here, so
they can be tested against an independent computation on known histories. Definitions in words are
in definitions.py; ADR 0015 says why each choice was made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from openmash.reports.facts import (
    ANSWERS,
    CONCERNS,
    ETHNICITIES,
    OUTCOMES,
    RATINGS,
    SEXES,
    SOURCES,
    AGENCY_CODES,
    RESPONSE_CAP,
    Y2K,
    Columns,
)

UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
COHORTS = ["cse", "cce", "trafficking", "private_fostering", "fgm"]
AGE_BANDS = [("Under 1", 0, 0), ("1 to 4", 1, 4), ("5 to 9", 5, 9), ("10 to 15", 10, 15), ("16 and 17", 16, 17),
             ("18 and over", 18, 200)]
GRAINS = ("day", "week", "month")


@dataclass(frozen=True)
class ReportFilter:
    """A period of receipt dates (London, both ends included) and optional filters. Empty = all."""

    start: dt.date
    end: dt.date
    ratings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    agency: str = ""  # an agency code: referrals on which that agency was asked; its row alone
    team: str | None = None  # a hub team's code: referrals that team is responsible for (None: every referral)


@dataclass(frozen=True)
class Distribution:
    """Times in minutes: how many, the median and the 90th percentile (linear interpolation)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    requests: int
    answered: int
    on_time: int
    late: int
    overdue: int
    not_needed: int
    held: int
    not_known: int
    declined: int
    on_time_rate: Rate
    not_known_rate: Rate
    response: Distribution


@dataclass
class PerformanceReport:
    filter: ReportFilter
    at: dt.datetime
    referrals: int
    children: int
    grain: str
    volumes: list[tuple[dt.date, int]]
    by_source: list[tuple[str, int]]  # census code, count (every code, in census order)
    by_rating: list[tuple[str, int]]  # "" = not yet rated
    triage: Distribution
    decision: Distribution
    decided_within_one_working_day: Rate
    information_complete: Rate
    agencies: list[AgencyRow]
    outcomes: list[tuple[str, int]]  # outcome code, children
    outcomes_by_source: list[tuple[str, list[int]]]  # source code, counts in OUTCOME_CODES order
    outcomes_by_rating: list[tuple[str, list[int]]]
    re_referrals: Rate
    repeat_children: int
    repeat_referrals: int
    strategy: Distribution


OUTCOME_CODES = OUTCOMES[1:]


@dataclass
class CohortSummary:
    code: str
    child_referrals: int
    children: int
    referrals: int
    by_month: list[tuple[dt.date, int]]
    age_bands: list[tuple[str, int]]
    sex: list[tuple[str, int]]
    ethnicity: list[tuple[str, int]]
    sources: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    re_referrals: Rate


@dataclass
class InsightReport:
    filter: ReportFilter
    at: dt.datetime
    child_referrals: int
    cohorts: list[CohortSummary]
    overlap_columns: list[str]  # concern codes
    overlap: list[tuple[str, list[int]]]  # cohort code, child referrals also naming each column's concern


@dataclass
class Selection:
    """What a filter picks out of the columns: referral rows, child rows and request rows."""

    referrals: np.ndarray  # bool over r_*
    children: np.ndarray  # bool over c_*
    requests: list[np.ndarray]  # bool over each segment's q_*
    agency_pk: int | None = None
    extra: dict = field(default_factory=dict)


# --- helpers ------------------------------------------------------------------------------------


def distribution(values: np.ndarray) -> Distribution:
    if len(values) == 0:
        return Distribution(0, None, None)
    median, p90 = np.percentile(values.astype("f8"), [50, 90])
    return Distribution(int(len(values)), float(median), float(p90))


def _memo(seg: dict) -> dict:
    # A segment of settled months is kept (facts.load) and never changes: what is worked out from all
    # of it is kept with it.
    return seg.setdefault("_memo", {})


def _segment_counts(seg: dict, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """bincount of q_key and of q_hist (answers within the cap) over the chosen requests."""
    everything = bool(q.all())
    if everything and "counts" in _memo(seg):
        return _memo(seg)["counts"]
    keys = seg["q_key"] if everything else seg["q_key"][q]
    hist = seg["q_hist"] if everything else seg["q_hist"][q]
    hist = hist[hist >= 0]
    result = (np.bincount(keys), np.bincount(hist) if len(hist) else np.zeros(0, dtype="i8"))
    if everything:
        _memo(seg)["counts"] = result
    return result


def _segment_rows(seg: dict) -> tuple[np.ndarray, np.ndarray]:
    """The few requests still open, and the few answered after RESPONSE_CAP minutes."""
    memo = _memo(seg)
    if "rows" not in memo:
        memo["rows"] = (
            np.flatnonzero(seg["q_state"] == 0),
            np.flatnonzero((seg["q_state"] == 1) & (seg["q_resp_min"] >= RESPONSE_CAP)),
        )
    return memo["rows"]


def _add(total: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Two bincounts of different lengths, added."""
    if len(more) > len(total):
        total, more = more, total
    total = total.copy()
    total[: len(more)] += more
    return total


def histogram_distribution(counts: np.ndarray, beyond: np.ndarray | None = None) -> Distribution:
    """Median and 90th percentile, interpolated exactly as np.percentile does, of the values a
    histogram of whole numbers (value = bin) holds, followed by `beyond` (sorted, all past the bins)."""
    beyond = beyond if beyond is not None else np.zeros(0, dtype="i8")
    cum = np.cumsum(counts)
    inside = int(cum[-1]) if len(cum) else 0
    n = inside + len(beyond)
    if n == 0:
        return Distribution(0, None, None)

    def value(j: int) -> float:
        if j < inside:
            return float(np.searchsorted(cum, j, side="right"))
        return float(beyond[j - inside])

    out = []
    for q in (50, 90):
        pos = (n - 1) * q / 100
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        a, b = value(lo), value(hi)
        out.append(a + (b - a) * (pos - lo))
    return Distribution(n, out[0], out[1])


def _counts(codes: np.ndarray, size: int) -> np.ndarray:
    codes = codes[codes >= 0]
    return np.bincount(codes.astype("i8"), minlength=size)[:size]


def ordinal_to_date(ordinal: int) -> dt.date:
    return dt.date.fromordinal(int(ordinal))


def period_starts(days: np.ndarray, grain: str) -> np.ndarray:
    """Ordinals of the day/week (Monday)/month each day ordinal falls in."""
    if grain == "day":
        return days
    if grain == "week":
        return days - (days - 1) % 7  # ordinal 1 (1 January of year 1) was a Monday
    as_dates = (days - UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    month_starts = as_dates.astype("datetime64[M]").astype("datetime64[D]")
    return month_starts.astype("i8") + UNIX_EPOCH_ORDINAL


def choose_grain(flt: ReportFilter) -> str:
    span = (flt.end - flt.start).days + 1
    if span <= 62:
        return "day"
    if span <= 366:
        return "week"
    return "month"


def all_periods(flt: ReportFilter, grain: str) -> list[int]:
    starts = period_starts(np.arange(flt.start.toordinal(), flt.end.toordinal() + 1, dtype="i8"), grain)
    return sorted(set(starts.tolist()))


def months_before_ordinals(days: np.ndarray, months: int) -> np.ndarray:
    """Vectorised history.months_before: the same date `months` earlier, clamped to the month's end."""
    as_dates = (days - UNIX_EPOCH_ORDINAL).astype("datetime64[D]")
    this_month = as_dates.astype("datetime64[M]")
    day_of_month = (as_dates - this_month.astype("datetime64[D]")).astype("i8")
    target_month = this_month - months
    month_length = ((target_month + 1).astype("datetime64[D]") - target_month.astype("datetime64[D]")).astype("i8")
    target = target_month.astype("datetime64[D]") + np.minimum(day_of_month, month_length - 1)
    return target.astype("i8") + UNIX_EPOCH_ORDINAL


def canonical(person_ids: np.ndarray, merged: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    keys, targets = merged
    if len(keys) == 0:
        return person_ids
    pos = np.searchsorted(keys, person_ids)
    pos_clipped = np.minimum(pos, len(keys) - 1)
    hit = keys[pos_clipped] == person_ids
    return np.where(hit, targets[pos_clipped], person_ids)


@dataclass
class ChildOrder:
    """Child rows in the order the re-referral rule reads them: one row per child per referral,
    grouped by child, oldest first. `rows` indexes the child columns; `person` is the canonical child."""

    flags: np.ndarray  # over every child row: a re-referral?
    person: np.ndarray  # over every child row: the child, after merges
    rows: np.ndarray  # the kept rows, in order
    rows_person: np.ndarray  # their children


def window_starts(days: np.ndarray, months: int = 12) -> np.ndarray:
    """months_before_ordinals, worked out once per distinct day (a few thousand) rather than per row."""
    if len(days) == 0:
        return days
    lo = int(days.min())
    table = months_before_ordinals(np.arange(lo, int(days.max()) + 1, dtype="i8"), months)
    return table[days - lo]


def re_referral_flags(cols: Columns, merged) -> ChildOrder:
    """For every child row: whether it is a re-referral, and the child's canonical person id.

    1. Resolve each child to the person it was merged into, if any.
    2. Order by child, then receipt time (one stable sort of a single 64-bit key; rows received at the
       same second keep their order, which is by referral id within a month).
    3. Drop repeats of the same child on the same referral (a merge can make two rows one child).
    4. The previous referral is the last row of the same child received strictly earlier; a
       re-referral when its receipt date is on or after the same date 12 months earlier.
    """
    key = ("children", merged[0].tobytes(), merged[1].tobytes())
    if key not in cols.memo:
        # Merges changed: forget the order worked out before them.
        for old in [k for k in cols.memo if isinstance(k, tuple) and k[0] == "children"]:
            del cols.memo[old]
        cols.memo[key] = _child_order(cols, merged)
    return cols.memo[key]


def _child_order(cols: Columns, merged) -> ChildOrder:
    n = len(cols["c_ref"])
    flags = np.zeros(n, dtype=bool)
    person = canonical(cols["c_person"], merged)
    if n == 0:
        empty = np.zeros(0, dtype="i8")
        return ChildOrder(flags, person, empty, empty)
    ref = cols["c_ref"]
    received = cols["r_received"][ref]
    base = int(received.min())
    # Seconds since the earliest receipt fit in 32 bits for 136 years; person ids in the other 31.
    key = (person.astype("i8") << 32) | (received - base)
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    rid = cols["r_id"][ref][order]
    first_on_referral = np.ones(n, dtype=bool)
    first_on_referral[1:] = ~((key_sorted[1:] == key_sorted[:-1]) & (rid[1:] == rid[:-1]))
    keep = order[first_on_referral]
    k = key_sorted[first_on_referral]
    p = k >> 32
    m = len(keep)
    prev_ok = np.zeros(m, dtype=bool)
    if m > 1:
        idx = np.arange(m)
        starts_tie = np.ones(m, dtype=bool)
        starts_tie[1:] = k[1:] != k[:-1]  # a new child, or a later moment
        tie_start = np.maximum.accumulate(np.where(starts_tie, idx, 0))
        prev = tie_start - 1
        has_prev = prev >= 0
        prev_c = np.where(has_prev, prev, 0)
        d = cols["r_day"][ref[keep]].astype("i8")
        prev_ok = has_prev & (p[prev_c] == p) & (d[prev_c] >= window_starts(d))
    flags[keep] = prev_ok
    return ChildOrder(flags, person, keep, p)


# --- selection ----------------------------------------------------------------------------------


def select(cols: Columns, flt: ReportFilter, agency_pk: int | None = None, team_pk: int | None = None) -> Selection:
    """The rows a filter picks. `agency_pk` and `team_pk` are the ids of the filter's agency and team
    codes (None when the code names none: then nothing is picked)."""
    day = cols["r_day"]
    mask = (day >= flt.start.toordinal()) & (day <= flt.end.toordinal())
    if flt.ratings:
        mask &= np.isin(cols["r_rating"], [RATINGS.index(r) for r in flt.ratings])
    if flt.sources:
        mask &= np.isin(cols["r_source"], [SOURCES.index(s) for s in flt.sources])
    if flt.team is not None:
        # The team responsible now (like the rating, the current one). Children and requests follow
        # their referral's row; re-referrals still look back over every team (re_referral_flags).
        mask &= cols["r_team"] == (team_pk if team_pk is not None else -2)
    if flt.agency:
        asked = np.zeros(len(day), dtype=bool)
        if agency_pk is not None:
            for seg in cols.segments:
                asked[seg["q_ref"][seg["q_agency"] == agency_pk]] = True
        mask &= asked
    children = mask[cols["c_ref"]] if len(cols["c_ref"]) else np.zeros(0, dtype=bool)
    requests = []
    for seg in cols.segments:
        chosen = mask[seg["q_ref"]] if len(seg["q_ref"]) else np.zeros(0, dtype=bool)
        if flt.agency:
            chosen &= seg["q_agency"] == (agency_pk if agency_pk is not None else -2)
        requests.append(chosen)
    return Selection(referrals=mask, children=children, requests=requests, agency_pk=agency_pk)


# --- performance --------------------------------------------------------------------------------


def performance(
    cols: Columns, flt: ReportFilter, *, at: dt.datetime, agencies: list[tuple[int, str, str]], merged,
    agency_pk: int | None = None, grain: str | None = None, team_pk: int | None = None,
) -> PerformanceReport:
    """`agencies`: (pk, code, name) of every agency to list, in order (those asked in the period that
    are not in it are added at the end)."""
    sel = select(cols, flt, agency_pk, team_pk)
    now = int(at.timestamp())
    r = sel.referrals
    grain = grain or choose_grain(flt)

    # volumes
    periods = all_periods(flt, grain)
    starts = period_starts(cols["r_day"][r].astype("i8"), grain)
    per = np.bincount(starts - periods[0], minlength=1) if len(starts) else np.zeros(1, dtype="i8")
    volumes = [(ordinal_to_date(o), int(per[o - periods[0]]) if o - periods[0] < len(per) else 0) for o in periods]
    by_source = list(zip(SOURCES, _counts(cols["r_source"][r], len(SOURCES)).tolist()))
    by_rating = list(zip(RATINGS, _counts(cols["r_rating"][r], len(RATINGS)).tolist()))

    # hub timeliness
    triage = cols["r_triage_min"][r]
    triage = distribution(triage[triage >= 0])
    received = cols["r_received"][r]
    decided_at = cols["r_decided"][r]
    decided = decided_at >= 0
    decision = distribution(((decided_at[decided] - received[decided]) // 60).clip(min=0))
    wd_due = cols["r_wd_due"][r]
    counted = decided | (wd_due < now)
    within = decided & (decided_at <= wd_due)
    within_rate = Rate(int(within.sum()), int(counted.sum()))
    req_n = cols["r_req_n"][r]
    all_answered = cols["r_all_answered"][r] == 1
    info_counted = (req_n > 0) & (all_answered | (cols["r_last_due"][r] < now))
    info_rate = Rate(int((info_counted & (cols["r_all_on_time"][r] == 1)).sum()), int(info_counted.sum()))

    # agencies: every request's agency, state, timeliness and answer as one small code, counted in one
    # pass (sixteen million requests would otherwise be scanned once per agency and category).
    # Request by request, segment by segment (see facts.Columns): counts and histograms add up.
    held_code, not_known_code, declined_code = (ANSWERS.index(a) for a in ("held", "not_known", "declined"))
    per_key = np.zeros(0, dtype="i8")
    hist_flat = np.zeros(0, dtype="i8")
    overdue_agency, long_agency, long_resp = [], [], []
    for seg, q in zip(cols.segments, sel.requests):
        if not q.any():
            continue
        counted, hist_counts = _segment_counts(seg, q)
        per_key = _add(per_key, counted)
        hist_flat = _add(hist_flat, hist_counts)
        open_rows, long_rows = _segment_rows(seg)
        open_rows = open_rows[q[open_rows]]
        overdue_agency.append(seg["q_agency"][open_rows[seg["q_due"][open_rows] < now - Y2K]])
        long_rows = long_rows[q[long_rows]]
        long_agency.append(seg["q_agency"][long_rows])
        long_resp.append(seg["q_resp_min"][long_rows])
    asked = sorted({k // AGENCY_CODES for k in np.flatnonzero(per_key).tolist()})
    listed = list(agencies)
    known = {pk for pk, _, _ in listed}
    for pk in sorted(set(asked) - known):
        listed.append((pk, f"#{pk}", f"Agency {pk}"))
    size = int(max([pk for pk, _, _ in listed] + [0])) + 1
    grid = np.zeros(size * AGENCY_CODES, dtype="i8")
    grid[: len(per_key)] = per_key[: size * AGENCY_CODES]
    grid = grid.reshape(size, AGENCY_CODES)
    state_of, on_time_of, answer_of = np.arange(24) // 8, (np.arange(24) // 4) % 2, np.arange(24) % 4

    def total(*conditions):
        chosen = np.ones(AGENCY_CODES, dtype=bool)
        for c in conditions:
            chosen &= c
        return grid[:, chosen].sum(axis=1)

    n_requests = grid.sum(axis=1)
    n_answered = total(state_of == 1)
    n_on_time = total(state_of == 1, on_time_of == 1)
    n_not_needed = total(state_of == 2)
    n_held = total(state_of == 1, answer_of == held_code)
    n_not_known = total(state_of == 1, answer_of == not_known_code)
    n_declined = total(state_of == 1, answer_of == declined_code)
    n_overdue = np.bincount(np.concatenate(overdue_agency).astype("i8"), minlength=size) if overdue_agency else np.zeros(size, dtype="i8")
    # Response times: a histogram per agency (exact minutes up to RESPONSE_CAP), and the rare longer
    # ones as values.
    hist = np.zeros(size * RESPONSE_CAP, dtype="i8")
    hist[: min(len(hist_flat), len(hist))] = hist_flat[: len(hist)]
    hist = hist.reshape(size, RESPONSE_CAP)
    long_by_agency: dict[int, np.ndarray] = {}
    if long_agency:
        all_agency, all_resp = np.concatenate(long_agency), np.concatenate(long_resp)
        for pk in set(all_agency.tolist()):
            long_by_agency[pk] = np.sort(all_resp[all_agency == pk])
    agency_rows = []
    for pk, code_, name in listed:
        if flt.agency and pk != agency_pk:
            continue
        answered_n, on_time_n, overdue_n, not_known_n = (int(x[pk]) for x in (n_answered, n_on_time, n_overdue, n_not_known))
        agency_rows.append(AgencyRow(
            code=code_, name=name, requests=int(n_requests[pk]), answered=answered_n, on_time=on_time_n,
            late=answered_n - on_time_n, overdue=overdue_n, not_needed=int(n_not_needed[pk]), held=int(n_held[pk]),
            not_known=not_known_n, declined=int(n_declined[pk]),
            on_time_rate=Rate(on_time_n, answered_n + overdue_n), not_known_rate=Rate(not_known_n, answered_n),
            response=histogram_distribution(hist[pk], long_by_agency.get(pk)),
        ))

    # outcomes (per child)
    c = sel.children
    c_outcome = cols["c_outcome"][c].astype("i8")
    c_refs = cols["c_ref"][c]
    has = c_outcome > 0
    n_out = len(OUTCOME_CODES)
    outcomes = list(zip(OUTCOME_CODES, _counts(c_outcome[has] - 1, n_out).tolist()))
    src = cols["r_source"][c_refs].astype("i8")
    rat = cols["r_rating"][c_refs].astype("i8")
    by_src = np.bincount(src[has] * n_out + c_outcome[has] - 1, minlength=len(SOURCES) * n_out).reshape(len(SOURCES), n_out)
    by_rat = np.bincount(rat[has] * n_out + c_outcome[has] - 1, minlength=len(RATINGS) * n_out).reshape(len(RATINGS), n_out)

    # re-referrals and repeats
    order = re_referral_flags(cols, merged)
    re_rate = Rate(int(order.flags[c].sum()), int(c.sum()))
    # Referrals per child in the period: runs of the same child among the kept rows that are in it.
    in_period = c[order.rows]
    children_in = order.rows_person[in_period]
    if len(children_in):
        run_starts = np.flatnonzero(np.concatenate([[True], children_in[1:] != children_in[:-1]]))
        per_child = np.diff(np.concatenate([run_starts, [len(children_in)]]))
    else:
        per_child = np.zeros(0, dtype="i8")
    repeat_children = int((per_child >= 2).sum())
    repeat_referrals = int((per_child[per_child >= 2] - 1).sum())

    strategy = cols["r_strategy_min"][r]
    return PerformanceReport(
        filter=flt, at=at, referrals=int(r.sum()), children=int(c.sum()), grain=grain, volumes=volumes,
        by_source=by_source, by_rating=by_rating, triage=triage, decision=decision,
        decided_within_one_working_day=within_rate, information_complete=info_rate, agencies=agency_rows,
        outcomes=outcomes,
        outcomes_by_source=[(SOURCES[i], by_src[i].tolist()) for i in range(len(SOURCES))],
        outcomes_by_rating=[(RATINGS[i], by_rat[i].tolist()) for i in range(len(RATINGS))],
        re_referrals=re_rate, repeat_children=repeat_children, repeat_referrals=repeat_referrals,
        strategy=distribution(strategy[strategy >= 0]),
    )


# --- insight ------------------------------------------------------------------------------------


def child_concerns(cols: Columns) -> np.ndarray:
    """Each child row's referral's concerns mask (kept with the columns: a gather over every child)."""
    if "child_concerns" not in cols.memo:
        cols.memo["child_concerns"] = cols["r_concerns"][cols["c_ref"]]
    return cols.memo["child_concerns"]


def cohort_mask(cols: Columns, code: str) -> np.ndarray:
    """Child rows whose referral names concern `code`."""
    return (child_concerns(cols) & (1 << CONCERNS.index(code))) != 0


def age_band_counts(ages: np.ndarray) -> list[tuple[str, int]]:
    rows = [(label, int(((ages >= lo) & (ages <= hi)).sum())) for label, lo, hi in AGE_BANDS]
    rows.append(("Not known", int((ages < 0).sum())))
    return rows


def insight(cols: Columns, flt: ReportFilter, *, at: dt.datetime, merged, agency_pk: int | None = None,
            team_pk: int | None = None) -> InsightReport:
    sel = select(cols, flt, agency_pk, team_pk)
    c = sel.children
    order = re_referral_flags(cols, merged)
    flags, person = order.flags, order.person
    refs = cols["c_ref"]
    summaries = []
    masks = {code: cohort_mask(cols, code) for code in CONCERNS}
    for code in COHORTS:
        m = c & masks[code]
        rows_ref = refs[m]
        months = period_starts(cols["r_day"][rows_ref].astype("i8"), "month")
        uniq, counts = np.unique(months, return_counts=True)
        per = dict(zip(uniq.tolist(), counts.tolist()))
        outcome = cols["c_outcome"][m].astype("i8")
        summaries.append(CohortSummary(
            code=code, child_referrals=int(m.sum()), children=int(len(np.unique(person[m]))),
            referrals=int(len(np.unique(rows_ref))),
            by_month=[(ordinal_to_date(o), int(per.get(o, 0))) for o in all_periods(flt, "month")],
            age_bands=age_band_counts(cols["c_age"][m]),
            sex=list(zip(SEXES, _counts(cols["c_sex"][m], len(SEXES)).tolist())),
            ethnicity=list(zip(ETHNICITIES, _counts(cols["c_eth"][m], len(ETHNICITIES)).tolist())),
            sources=list(zip(SOURCES, _counts(cols["r_source"][rows_ref], len(SOURCES)).tolist())),
            outcomes=[("", int((outcome == 0).sum()))] + list(zip(OUTCOME_CODES, _counts(outcome[outcome > 0] - 1, len(OUTCOME_CODES)).tolist())),
            re_referrals=Rate(int(flags[m].sum()), int(m.sum())),
        ))
    overlap = [(code, [int((c & masks[code] & masks[other]).sum()) for other in CONCERNS]) for code in COHORTS]
    return InsightReport(filter=flt, at=at, child_referrals=int(c.sum()), cohorts=summaries,
                         overlap_columns=list(CONCERNS), overlap=overlap)


def child_rows(cols: Columns, flt: ReportFilter, *, cohort: str = "", agency_pk: int | None = None,
               team_pk: int | None = None) -> np.ndarray:
    """Indices of the child rows a filter (and optionally a cohort) picks: for hotspots and drill-down."""
    m = select(cols, flt, agency_pk, team_pk).children
    if cohort:
        m &= cohort_mask(cols, cohort)
    return np.nonzero(m)[0]
