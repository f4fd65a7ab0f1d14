"""The tables of /reports/ and /insight/, built once from a report and read by the page, the CSV and
XLSX downloads and the PDF pack, so that what is hidden on screen is hidden in every download.

A `PageTable` is a suppressed `Table` (openmash.reports.suppression) with what the page adds: the
`?table=` key of its CSV, the measure it defines, which column a chart draws, and — for a MASH
manager only — the drill-down link behind each count.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from openmash.people.codes import Ethnicity, Sex
from openmash.referrals.codes import ConcernCategory, Outcome, Rating, ReferralSource
from openmash.reports import suppression as sup
from openmash.reports.definitions import DEFINITIONS
from openmash.reports.measures import COHORTS, Distribution, InsightReport, PerformanceReport

NOT_RATED = "Not yet rated"
NO_DECISION = "No decision yet"
GRAIN_HEADERS = {"day": "Day", "week": "Week beginning", "month": "Month"}


@dataclass
class PageTable:
    key: str  # the CSV's ?table= value, unique on its page
    definition: str | tuple[str, ...]  # a DEFINITIONS key, or several for a table of several measures
    table: sup.Table
    chart_column: int | None = None  # the column a bar chart draws (None: no chart)
    # (row index, column index) → (measure, key, extra query) of the drill-down behind that count
    links: dict[tuple[int, int], tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    caption: str = ""
    urls: dict[tuple[int, int], str] = field(default_factory=dict)  # filled in by the view from `links`
    chart_kind: str = "column"  # "column" (vertical bars, for time) or "bar" (horizontal, for categories)

    def chart(self):
        """The SVG picture of `chart_column` (hidden cells drawn as hatched markers, never to scale)."""
        if self.chart_column is None:
            return None
        from openmash.reports import charts

        rows = [r for r in self.table.rows if not r.is_total]
        # "November 2025" → "Nov 2025" under a bar: the table beside it has the full name.
        labels = [re.sub(r"^([A-Z][a-z]{2})[a-z]+ (\d{4})$", r"\1 \2", r.label) for r in rows]
        values = [r.cells[self.chart_column] for r in rows]
        chart_id = "chart-" + self.key.replace("_", "-")
        title = self.table.title
        if self.chart_kind == "bar":
            return charts.hbar_chart(chart_id=chart_id, title=title, labels=labels, values=values, max_label_chars=34)
        return charts.bar_chart(chart_id=chart_id, title=title, labels=labels, values=values,
                                y_label=self.table.columns[self.chart_column], max_labels=8 if len(rows) > 24 else 12)

    @property
    def title(self) -> str:
        return self.table.title

    @property
    def definition_text(self) -> str:
        if isinstance(self.definition, str):
            return DEFINITIONS[self.definition][1]
        return " ".join(f"{DEFINITIONS[k][0]}: {DEFINITIONS[k][1]}" for k in self.definition)


# ------------------------------------------------------------------ words


def duration_text(minutes: float | None) -> str:
    """Minutes as `45 min`, `3 h 20 min`, `2 days 4 h 5 min` (rounded to the minute)."""
    if minutes is None:
        return sup.NOT_APPLICABLE
    total = int(round(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def period_label(start: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{start:%B %Y}"
    return f"{start.day} {start:%b %Y}"


def period_end(start: dt.date, grain: str) -> dt.date:
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    following = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def source_label(code: str) -> str:
    return f"{code} – {ReferralSource(code).label}"


def rating_label(code: str) -> str:
    return Rating(code).label if code else NOT_RATED


def outcome_label(code: str) -> str:
    return Outcome(code).label if code else NO_DECISION


def concern_label(code: str) -> str:
    return ConcernCategory(code).label


COHORT_LABELS = {code: ConcernCategory(code).label for code in COHORTS}


# ------------------------------------------------------------------ builders


class Builder:
    def __init__(self, *, suppress: bool, drill: bool):
        self.threshold = sup.suppression_threshold() if suppress else 0
        self.drill = drill

    def count(self, n: int) -> sup.Cell:
        return sup.count_cell(n, threshold=self.threshold)

    def rate(self, numerator, denominator) -> sup.Cell:
        return sup.rate_cell(numerator, denominator, threshold=self.threshold)

    def stat(self, d: Distribution, which: str) -> sup.Cell:
        value = getattr(d, which)
        return sup.statistic_cell(value, d.count, threshold=self.threshold, text=duration_text(value))

    def column(self, *, key, definition, title, row_header, labels, counts, column="Referrals", measure=None,
               keys=None, extras=None, chart=True, total=True, share=False, drop_zero=False) -> PageTable:
        """One column of counts with its total (secondary suppression along the column). `drop_zero`
        leaves out rows of 0 (zeros are shown anyway, so leaving them out reveals nothing)."""
        if drop_zero:
            kept = [i for i, n in enumerate(counts) if n]
            labels, counts = [labels[i] for i in kept], [counts[i] for i in kept]
            keys = [keys[i] for i in kept] if keys else None
            extras = [extras[i] for i in kept] if extras else None
        table = sup.suppress_counts(
            [[n] for n in counts], row_labels=labels, column_labels=[column], row_totals=False, column_totals=total,
            threshold=self.threshold, title=title, row_header=row_header,
        )
        if share:
            table = _with_share(table)
        links = {}
        if self.drill and measure:
            for i in range(len(labels)):
                if counts[i]:
                    links[(i, 0)] = (measure, keys[i] if keys else "", extras[i] if extras else ())
        return PageTable(key=key, definition=definition, table=table, chart_column=0 if chart else None, links=links)


def _with_share(table: sup.Table) -> sup.Table:
    """Add a "Share" column: each count as a percentage of the column total (hidden with its count)."""
    total_row = next((r for r in table.rows if r.is_total), None)
    total = total_row.cells[0] if total_row else None
    rows = []
    for row in table.rows:
        cell = row.cells[0]
        share = sup.rate_cell(cell, total, threshold=table.threshold) if total is not None else sup.Cell(None, sup.NOT_APPLICABLE, kind=sup.RATE)
        if row.is_total and not total.suppressed and total.value:
            share = sup.Cell(1.0, "100.0%", kind=sup.RATE)
        rows.append(sup.Row(row.label, (cell, share), is_total=row.is_total))
    return sup.Table(title=table.title, row_header=table.row_header, columns=(table.columns[0], "Share"),
                     rows=tuple(rows), threshold=table.threshold, notes=table.notes)


def _grid(b: Builder, *, key, definition, title, row_header, row_labels, column_labels, counts, row_keys=None,
          row_param="", column_keys=None, drop_empty_rows=True) -> PageTable:
    """Rows × columns of counts with row and column totals (secondary suppression both ways).

    With `row_param` ("source", "rating") and `column_keys` (outcome codes), a manager's link behind a
    cell is the outcome drill-down with the row's code as that filter."""
    if drop_empty_rows:
        # An all-zero row says nothing a reader cannot get from the totals; leaving it out keeps a
        # 22-source table readable. Zeros are shown anyway, so this hides nothing and reveals nothing.
        kept = [i for i, row in enumerate(counts) if any(row)]
        row_labels = [row_labels[i] for i in kept]
        counts = [counts[i] for i in kept]
        row_keys = [row_keys[i] for i in kept] if row_keys else None
    table = sup.suppress_counts(counts, row_labels=row_labels, column_labels=column_labels, threshold=b.threshold,
                                title=title, row_header=row_header)
    links = {}
    if b.drill and row_param and row_keys and column_keys:
        for i, row in enumerate(counts):
            for j, n in enumerate(row):
                if n and row_keys[i]:
                    links[(i, j)] = ("outcome", column_keys[j], ((row_param, row_keys[i]),))
    return PageTable(key=key, definition=definition, table=table, links=links)


def performance_tables(report: PerformanceReport, *, suppress: bool, drill: bool) -> dict[str, PageTable]:
    """Every table of /reports/, in page order, keyed by its `?table=` name."""
    b = Builder(suppress=suppress, drill=drill)
    flt = report.filter
    out: dict[str, PageTable] = {}

    starts = [start for start, _ in report.volumes]
    extras = []
    for start in starts:
        first, last = max(start, flt.start), min(period_end(start, report.grain), flt.end)
        extras.append((("from", first.isoformat()), ("to", last.isoformat())))
    out["volumes"] = b.column(
        key="volumes", definition="volumes", title=f"Referrals received by {report.grain}",
        row_header=GRAIN_HEADERS[report.grain], labels=[period_label(s, report.grain) for s in starts],
        counts=[n for _, n in report.volumes], measure="referrals", extras=extras,
    )
    out["by_source"] = b.column(
        key="by_source", definition="by_source", title="Referrals by source", row_header="Source",
        labels=[source_label(c) for c, _ in report.by_source], counts=[n for _, n in report.by_source],
        measure="source", keys=[c for c, _ in report.by_source], share=True,
    )
    # Ratings in the hub's order, then the referrals waiting for triage.
    ratings = [(c, n) for c, n in report.by_rating if c] + [(c, n) for c, n in report.by_rating if not c]
    out["by_rating"] = b.column(
        key="by_rating", definition="by_rating", title="Referrals by rating", row_header="Rating",
        labels=[rating_label(c) for c, _ in ratings], counts=[n for _, n in ratings], measure="rating",
        keys=[c for c, _ in ratings], share=True,
    )
    out["by_rating"].chart_kind = "bar"

    def times(names):
        return [(DEFINITIONS[name][0], [b.count(d.count), b.stat(d, "median"), b.stat(d, "p90")]) for name, d in names]

    out["timeliness"] = PageTable(
        key="timeliness", definition=("triage", "decision"),
        table=sup.table(title="Hub timeliness", row_header="Measure", columns=["Referrals counted", "Median", "90th percentile"],
                        rows=times((("triage", report.triage), ("decision", report.decision))), threshold=b.threshold),
    )
    rate_rows = []
    for name, rate in (("decided_within_one_working_day", report.decided_within_one_working_day),
                       ("information_complete", report.information_complete)):
        yes = b.count(rate.numerator)
        rate_rows.append((DEFINITIONS[name][0], [yes, b.count(rate.denominator), b.rate(yes, rate.denominator)]))
    out["hub_rates"] = PageTable(
        key="hub_rates", definition=("decided_within_one_working_day", "information_complete"),
        table=sup.table(title="Hub timeliness rates", row_header="Measure", columns=["Yes", "Counted", "Rate"],
                        rows=rate_rows, threshold=b.threshold),
    )

    out["agencies"] = PageTable(key="agencies", definition="agencies", table=_agency_table(b, report))

    out["outcomes"] = b.column(
        key="outcomes", definition="outcomes", title="Outcomes for children", row_header="Outcome",
        labels=[outcome_label(c) for c, _ in report.outcomes], counts=[n for _, n in report.outcomes],
        column="Children", measure="outcome", keys=[c for c, _ in report.outcomes], share=True,
    )
    out["outcomes"].chart_kind = "bar"
    outcome_codes = [c for c, _ in report.outcomes]
    outcome_columns = [outcome_label(c) for c in outcome_codes]
    out["outcomes_by_source"] = _grid(
        b, key="outcomes_by_source", definition="outcomes", title="Outcomes for children by source", row_header="Source",
        row_labels=[source_label(c) for c, _ in report.outcomes_by_source], column_labels=outcome_columns,
        counts=[row for _, row in report.outcomes_by_source], row_keys=[c for c, _ in report.outcomes_by_source],
        row_param="source", column_keys=outcome_codes,
    )
    by_rating = [(c, row) for c, row in report.outcomes_by_rating if c] + [(c, row) for c, row in report.outcomes_by_rating if not c]
    out["outcomes_by_rating"] = _grid(
        b, key="outcomes_by_rating", definition="outcomes", title="Outcomes for children by rating", row_header="Rating",
        row_labels=[rating_label(c) for c, _ in by_rating], column_labels=outcome_columns, counts=[row for _, row in by_rating],
        row_keys=[c for c, _ in by_rating], row_param="rating", column_keys=outcome_codes,
    )

    re_ = report.re_referrals
    re_cell = b.count(re_.numerator)
    re_table = sup.table(
        title="Re-referrals and repeat referrals", row_header="Measure", columns=["Number", "Out of", "Rate"],
        rows=[
            ("Re-referrals within 12 months (child referrals)", [re_cell, b.count(re_.denominator), b.rate(re_cell, re_.denominator)]),
            ("Children referred more than once in the period", [b.count(report.repeat_children), sup.text_cell(""), sup.text_cell("")]),
            ("Referrals beyond each child's first in the period", [b.count(report.repeat_referrals), sup.text_cell(""), sup.text_cell("")]),
        ],
        threshold=b.threshold,
    )
    links = {(0, 0): ("re_referral", "", ())} if b.drill and re_.numerator else {}
    out["re_referrals"] = PageTable(key="re_referrals", definition=("re_referrals", "repeat"), table=re_table, links=links)
    out["strategy"] = PageTable(
        key="strategy", definition="strategy",
        table=sup.table(title="Time to identify child-protection cases", row_header="Measure",
                        columns=["Referrals counted", "Median", "90th percentile"],
                        rows=times((("strategy", report.strategy),)), threshold=b.threshold),
    )
    return out


def agency_cells(b: Builder, row) -> dict[str, sup.Cell]:
    """One agency's numbers as cells. Under suppression, its requests are split as one line with its
    total (on time, late, overdue, closed unanswered, waiting = requests) and its answers as another
    (held, not known, declined = answered). The page, the exports and the API (presenters.py) all use
    this, so none of them gives away what another hides."""
    waiting = row.requests - row.answered - row.overdue - row.not_needed
    if b.threshold:
        parts = sup.suppress_counts(
            [[row.on_time, row.late, row.overdue, row.not_needed, waiting]], row_labels=[row.code],
            column_labels=["on_time", "late", "overdue", "not_needed", "waiting"], column_totals=False,
            threshold=b.threshold,
        ).rows[0].cells
        answers = sup.suppress_counts(
            [[row.held, row.not_known, row.declined]], row_labels=[row.code],
            column_labels=["held", "not_known", "declined"], column_totals=False, threshold=b.threshold,
        ).rows[0].cells
        on_time, late, overdue, not_needed, requests = parts[0], parts[1], parts[2], parts[3], parts[5]
        held, not_known, declined, answered = answers
    else:
        on_time, late, overdue, not_needed, requests = (
            b.count(n) for n in (row.on_time, row.late, row.overdue, row.not_needed, row.requests)
        )
        held, not_known, declined, answered = (b.count(n) for n in (row.held, row.not_known, row.declined, row.answered))
    on_time_rate = b.rate(on_time, row.on_time_rate.denominator)
    if overdue.suppressed and not on_time_rate.suppressed:
        # The rate's denominator is answered + overdue: with "answered" shown, a rate to 0.1%
        # would narrow down the hidden overdue count.
        on_time_rate = sup.Cell(None, sup.CONFIDENTIAL, True, sup.DENOMINATOR, sup.RATE)
    return {
        "requests": requests, "answered": answered, "answered_on_time": on_time, "late": late, "overdue": overdue,
        "not_needed": not_needed, "held": held, "not_known": not_known, "declined": declined,
        "answered_on_time_rate": on_time_rate, "not_known_rate": b.rate(not_known, row.not_known_rate.denominator),
        "median_response_minutes": b.stat(row.response, "median"), "p90_response_minutes": b.stat(row.response, "p90"),
        "responses": b.count(row.response.count),
    }


def _agency_table(b: Builder, report: PerformanceReport) -> sup.Table:
    """One row per agency (see agency_cells)."""
    rows = []
    for row in report.agencies:
        c = agency_cells(b, row)
        rows.append((row.name, [
            c["requests"], c["answered"], c["answered_on_time_rate"], c["median_response_minutes"],
            c["p90_response_minutes"], c["late"], c["overdue"], c["declined"], c["not_known_rate"],
        ]))
    return sup.table(
        title="Agency timeliness", row_header="Agency",
        columns=["Requests", "Answered", "On time", "Median response", "90th percentile", "Late", "Overdue", "Declined", "Not known"],
        rows=rows, threshold=b.threshold,
    )


# ------------------------------------------------------------------ insight


@dataclass
class CohortTables:
    code: str
    label: str
    tables: dict[str, PageTable]


def insight_tables(report: InsightReport, *, suppress: bool, drill: bool) -> tuple[dict[str, PageTable], list[CohortTables]]:
    """The summary and overlap tables, then each cohort's tables (keys `<cohort>_<table>`)."""
    b = Builder(suppress=suppress, drill=drill)
    summary_rows = []
    for c in report.cohorts:
        re_cell = b.count(c.re_referrals.numerator)
        summary_rows.append((COHORT_LABELS[c.code], [
            b.count(c.child_referrals), b.count(c.children), b.count(c.referrals), b.rate(re_cell, c.re_referrals.denominator),
        ]))
    summary = PageTable(
        key="cohorts", definition="cohorts",
        table=sup.table(title="Phase-two cohorts", row_header="Cohort",
                        columns=["Child referrals", "Children", "Referrals", "Re-referral rate"], rows=summary_rows,
                        threshold=b.threshold,
                        notes=["A child referral can be in more than one cohort, so the rows do not add up to a total."]),
        links={(i, 0): ("cohort", c.code, ()) for i, c in enumerate(report.cohorts) if b.drill and c.child_referrals},
    )
    # Concerns down the side, cohorts across: fifteen concerns would not fit across a page.
    by_concern = [[row[j] for _, row in report.overlap] for j in range(len(report.overlap_columns))]
    overlap = PageTable(
        key="overlap", definition="overlap",
        table=sup.suppress_counts(
            by_concern, row_labels=[concern_label(c) for c in report.overlap_columns],
            column_labels=[COHORT_LABELS[c] for c, _ in report.overlap], row_totals=False, column_totals=False,
            threshold=b.threshold, title="Child referrals in each cohort that also name each concern", row_header="Concern also named",
        ),
    )
    cohorts = []
    for c in report.cohorts:
        label = COHORT_LABELS[c.code]
        t: dict[str, PageTable] = {}
        t["by_month"] = b.column(
            key=f"{c.code}_by_month", definition="cohorts", title=f"{label}: child referrals by month", row_header="Month",
            labels=[period_label(m, "month") for m, _ in c.by_month], counts=[n for _, n in c.by_month], column="Child referrals",
        )
        t["age"] = b.column(
            key=f"{c.code}_age", definition="cohorts", title=f"{label}: age on the day of referral", row_header="Age",
            labels=[a for a, _ in c.age_bands], counts=[n for _, n in c.age_bands], column="Child referrals", chart=False,
        )
        t["sex"] = b.column(
            key=f"{c.code}_sex", definition="cohorts", title=f"{label}: sex", row_header="Sex",
            labels=[Sex(s).label for s, _ in c.sex], counts=[n for _, n in c.sex], column="Child referrals", chart=False,
        )
        t["ethnicity"] = b.column(
            key=f"{c.code}_ethnicity", definition="cohorts", title=f"{label}: ethnicity", row_header="Ethnicity",
            labels=[f"{Ethnicity(e).label} ({e})" for e, _ in c.ethnicity], counts=[n for _, n in c.ethnicity],
            column="Child referrals", chart=False, drop_zero=True,
        )
        t["sources"] = b.column(
            key=f"{c.code}_sources", definition="by_source", title=f"{label}: referral sources", row_header="Source",
            labels=[source_label(s) for s, _ in c.sources], counts=[n for _, n in c.sources], column="Child referrals", chart=False, drop_zero=True,
        )
        t["outcomes"] = b.column(
            key=f"{c.code}_outcomes", definition="outcomes", title=f"{label}: outcomes", row_header="Outcome",
            labels=[outcome_label(o) for o, _ in c.outcomes], counts=[n for _, n in c.outcomes], column="Child referrals", chart=False,
        )
        cohorts.append(CohortTables(code=c.code, label=label, tables=t))
    return {"cohorts": summary, "overlap": overlap}, cohorts


def hotspot_table(hot, *, suppress: bool, drill: bool, level_label: str) -> PageTable:
    b = Builder(suppress=suppress, drill=drill)
    measure = hot.level if hot.level in ("district", "sector") else None
    labels = [name if name == code or not code else f"{name} ({code})" for code, name, _ in hot.rows]
    return b.column(
        key="hotspots", definition="hotspots", title=f"Child referrals by {level_label}", row_header=level_label.capitalize(),
        labels=labels or [], counts=[n for _, _, n in hot.rows], column="Child referrals", measure=measure,
        keys=[code for code, _, _ in hot.rows], chart=False,
    )

