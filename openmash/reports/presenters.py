"""The performance measures as JSON for the API, with small-number suppression for analysts.

Suppressed numbers are null and their paths are listed in `suppressed`, so a script can tell "hidden"
from "not applicable" (also null: a rate of nothing, a median of no values)."""

from __future__ import annotations

from openmash.reports import suppression as sup
from openmash.reports.definitions import DEFINITIONS
from openmash.reports.measures import Distribution, PerformanceReport, Rate
from openmash.reports.report_tables import Builder, agency_cells


class _Out:
    def __init__(self, suppress: bool):
        self.suppress = suppress
        self.threshold = sup.suppression_threshold() if suppress else 0
        self.hidden: list[str] = []

    def cell(self, path: str, cell: sup.Cell):
        if cell.suppressed:
            self.hidden.append(path)
        return cell.value

    def count(self, path: str, n: int):
        return n if not self.suppress else self.cell(path, sup.count_cell(n, threshold=self.threshold))

    def rate(self, path: str, rate: Rate):
        if not self.suppress:
            return rate.value
        return self.cell(path, sup.rate_cell(rate.numerator, rate.denominator, threshold=self.threshold, places=4))

    def stats(self, path: str, d: Distribution) -> dict:
        if not self.suppress:
            return {"count": d.count, "median": d.median, "p90": d.p90}
        return {
            "count": self.count(f"{path}.count", d.count),
            "median": self.cell(f"{path}.median", sup.statistic_cell(d.median, d.count, threshold=self.threshold)),
            "p90": self.cell(f"{path}.p90", sup.statistic_cell(d.p90, d.count, threshold=self.threshold)),
        }

    def breakdown(self, path: str, pairs: list[tuple[str, int]]) -> dict:
        """Counts that add up to a total shown elsewhere: secondary suppression along the line."""
        if not self.suppress:
            return dict(pairs)
        if not pairs:
            return {}
        table = sup.suppress_counts([[n for _, n in pairs]], row_labels=["all"], column_labels=[c or "none" for c, _ in pairs],
                                    row_totals=True, column_totals=False, threshold=self.threshold)
        cells = table.rows[0].cells
        return {code: self.cell(f"{path}.{code or 'none'}", cells[i]) for i, (code, _) in enumerate(pairs)}


def performance_json(report: PerformanceReport, *, suppress: bool) -> dict:
    out = _Out(suppress)
    flt = report.filter
    builder = Builder(suppress=suppress, drill=False)
    agencies = []
    for row in report.agencies:
        cells = agency_cells(builder, row)
        item = {"code": row.code, "name": row.name}
        for name, cell in cells.items():
            item[name] = out.cell(f"agencies.{row.code}.{name}", cell) if suppress else _raw(row, name)
        agencies.append(item)
    within = report.decided_within_one_working_day
    info = report.information_complete
    body = {
        "from": flt.start.isoformat(),
        "to": flt.end.isoformat(),
        "filters": {"rating": list(flt.ratings), "source": list(flt.sources), "agency": flt.agency, "team": flt.team},
        "generated_at": report.at.isoformat(),
        "referrals": out.count("referrals", report.referrals),
        "children": out.count("children", report.children),
        "by_source": out.breakdown("by_source", report.by_source),
        "by_rating": out.breakdown("by_rating", [(code or "not_rated", n) for code, n in report.by_rating]),
        "triage_minutes": out.stats("triage_minutes", report.triage),
        "decision_minutes": out.stats("decision_minutes", report.decision),
        "decided_within_one_working_day_rate": out.rate("decided_within_one_working_day_rate", within),
        "decided_within_one_working_day": {"numerator": out.count("decided_within_one_working_day.numerator", within.numerator),
                                           "denominator": out.count("decided_within_one_working_day.denominator", within.denominator)},
        "information_complete_rate": out.rate("information_complete_rate", info),
        "re_referral_rate": out.rate("re_referral_rate", report.re_referrals),
        "re_referrals": out.count("re_referrals", report.re_referrals.numerator),
        "child_referrals": out.count("child_referrals", report.re_referrals.denominator),
        "repeat_children": out.count("repeat_children", report.repeat_children),
        "repeat_referrals": out.count("repeat_referrals", report.repeat_referrals),
        "outcomes": out.breakdown("outcomes", report.outcomes),
        "strategy_discussion_minutes": out.stats("strategy_discussion_minutes", report.strategy),
        "agencies": agencies,
        "definitions": {key: text for key, (_title, text) in DEFINITIONS.items() if key != "suppression"},
        "suppressed": out.hidden,
        "suppression_threshold": out.threshold or None,
    }
    return body


def _raw(row, name: str):
    """An agency's number exactly (no suppression)."""
    return {
        "requests": row.requests, "answered": row.answered, "answered_on_time": row.on_time, "late": row.late,
        "overdue": row.overdue, "not_needed": row.not_needed, "held": row.held, "not_known": row.not_known,
        "declined": row.declined, "answered_on_time_rate": row.on_time_rate.value,
        "not_known_rate": row.not_known_rate.value, "median_response_minutes": row.response.median,
        "p90_response_minutes": row.response.p90, "responses": row.response.count,
    }[name]
