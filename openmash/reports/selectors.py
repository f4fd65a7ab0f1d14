"""Reads for /reports/, /insight/ and the reports API: load the facts a filter needs, compute, audit.

Every entry point takes the acting user, checks the policy and writes one audit event (reports are
aggregates, but who looked at what, and who opened the records behind a count, is part of the job).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import numpy as np

from openmash.access.policy import can_drill_down, can_see_reports, require
from openmash.accounts.models import Team
from openmash.agencies.models import Agency
from openmash.audit.services import audit_record
from openmash.core import clock
from openmash.core.errors import NotFound
from openmash.people.history import months_before
from openmash.referrals.models import Referral
from openmash.reports import facts, measures
from openmash.reports.measures import ReportFilter

MAX_DRILLDOWN = 500


def _agencies() -> list[tuple[int, str, str]]:
    return list(Agency.objects.order_by("sort_order", "name").values_list("pk", "code", "name"))


def _agency_pk(flt: ReportFilter) -> int | None:
    if not flt.agency:
        return None
    return Agency.objects.filter(code=flt.agency).values_list("pk", flat=True).first()


def _team_pk(flt: ReportFilter) -> int | None:
    if flt.team is None:
        return None
    return Team.objects.filter(code=flt.team).values_list("pk", flat=True).first()


def _columns(flt: ReportFilter) -> facts.Columns:
    # Re-referrals look back 12 months before the period's first day.
    return facts.load(months_before(flt.start, 12) - dt.timedelta(days=1), flt.end)


def _filter_details(flt: ReportFilter) -> dict:
    return {"from": flt.start.isoformat(), "to": flt.end.isoformat(), "ratings": list(flt.ratings),
            "sources": list(flt.sources), "agency": flt.agency, "team": flt.team}


def performance_report(*, user, flt: ReportFilter, grain: str | None = None, audit: str = "report.view") -> measures.PerformanceReport:
    require(can_see_reports(user), "Only MASH managers and analysts can see the performance measures")
    at = clock.now()
    report = measures.performance(
        _columns(flt), flt, at=at, agencies=_agencies(), merged=facts.canonical_people(),
        agency_pk=_agency_pk(flt), grain=grain, team_pk=_team_pk(flt),
    )
    audit_record(user=user, action=audit, object_type="report", object_id="performance", details=_filter_details(flt))
    return report


def insight_report(*, user, flt: ReportFilter, audit: str = "insight.view") -> measures.InsightReport:
    require(can_see_reports(user), "Only MASH managers and analysts can see the phase-two insight")
    at = clock.now()
    report = measures.insight(_columns(flt), flt, at=at, merged=facts.canonical_people(), agency_pk=_agency_pk(flt),
                              team_pk=_team_pk(flt))
    audit_record(user=user, action=audit, object_type="report", object_id="insight", details=_filter_details(flt))
    return report


@dataclass
class HotspotTable:
    level: str  # "district", "sector" or "area:<area set id>"
    cohort: str  # "" = every child referral
    rows: list[tuple[str, str, int]]  # area code, area name, child referrals (largest first)
    total: int


def hotspots(*, user, flt: ReportFilter, level: str = "district", cohort: str = "", audit: str = "hotspots.view") -> HotspotTable:
    """Child referrals by where the child lives now: postcode district, sector or an uploaded area set."""
    require(can_see_reports(user), "Only MASH managers and analysts can see the phase-two insight")
    if cohort and cohort not in measures.COHORTS:
        raise NotFound("No such cohort")
    cols = _columns(flt)
    rows = measures.child_rows(cols, flt, cohort=cohort, agency_pk=_agency_pk(flt), team_pk=_team_pk(flt))
    places = facts.PLACES
    counts: Counter = Counter()
    names: dict[str, str] = {}
    if level in ("district", "sector"):
        ids, labels = (cols["c_dist"][rows], places.districts.names) if level == "district" else (cols["c_sect"][rows], places.sectors.names)
        per = np.bincount(ids, minlength=len(labels)) if len(ids) else np.zeros(0, dtype="i8")
        for i in np.nonzero(per)[0].tolist():
            counts[labels[i]] += int(per[i])
        names = {code: code for code in counts}
    elif level.startswith("area:"):
        from openmash.reports.models import Area, AreaPostcode, AreaSet

        area_set = AreaSet.objects.filter(pk=level[5:] if level[5:].isdigit() else None).first()
        if area_set is None:
            raise NotFound("No such set of areas")
        lookup = dict(AreaPostcode.objects.filter(area_set=area_set).values_list("postcode", "area_code"))
        names = dict(Area.objects.filter(area_set=area_set).values_list("code", "name"))
        for postcode, n in Counter(cols.postcode_of(rows)).items():
            counts[lookup.get(postcode, "")] += n
        names[""] = "Not in the lookup"
    else:
        raise NotFound("No such level")
    audit_record(user=user, action=audit, object_type="report", object_id=level,
                 details={**_filter_details(flt), "cohort": cohort})
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return HotspotTable(level=level, cohort=cohort, rows=[(code, names.get(code, code), n) for code, n in ordered],
                        total=int(sum(counts.values())))


@dataclass
class DrillRow:
    reference: str
    received_at: dt.datetime
    rating: str
    status: str


DRILL_MEASURES = ("referrals", "source", "rating", "outcome", "cohort", "district", "sector", "re_referral")


def drilldown(*, user, flt: ReportFilter, measure: str, key: str = "") -> tuple[list[DrillRow], int]:
    """The referrals behind a count (at most MAX_DRILLDOWN, newest first) and how many there are.
    Only for roles that may see case data; every drill-down is audited with the references shown."""
    require(can_drill_down(user), "Only MASH managers can open the records behind a count")
    if measure not in DRILL_MEASURES:
        raise NotFound("No such measure")
    cols = _columns(flt)
    agency_pk = _agency_pk(flt)
    sel = measures.select(cols, flt, agency_pk, _team_pk(flt))
    r = sel.referrals.copy()
    c_ref = cols["c_ref"]
    if measure == "source":
        r &= cols["r_source"] == (facts.SOURCES.index(key) if key in facts.SOURCES else -9)
    elif measure == "rating":
        r &= cols["r_rating"] == (facts.RATINGS.index(key) if key in facts.RATINGS else -9)
    elif measure in ("outcome", "cohort", "district", "sector", "re_referral"):
        c = sel.children.copy()
        if measure == "outcome":
            c &= cols["c_outcome"] == (facts.OUTCOMES.index(key) if key in facts.OUTCOMES[1:] else -9)
        elif measure == "cohort":
            if key not in measures.COHORTS:
                raise NotFound("No such cohort")
            c &= measures.cohort_mask(cols, key)
        elif measure == "re_referral":
            flags = measures.re_referral_flags(cols, facts.canonical_people()).flags
            c &= flags
        else:
            names, column = (facts.PLACES.districts, "c_dist") if measure == "district" else (facts.PLACES.sectors, "c_sect")
            c &= cols[column] == names.ids.get(key, -1)
        r = np.zeros_like(r)
        r[c_ref[c]] = True
    ids = cols["r_id"][r]
    total = int(len(ids))
    order = np.argsort(-cols["r_received"][r], kind="stable")[:MAX_DRILLDOWN]
    chosen = ids[order].tolist()
    by_id = {
        row[0]: row[1:]
        for row in Referral.objects.filter(pk__in=chosen).values_list("pk", "reference", "received_at", "rating", "status")
    }
    rows = [DrillRow(*by_id[i]) for i in chosen if i in by_id]
    audit_record(user=user, action="report.drilldown", object_type="report", object_id=measure,
                 details={**_filter_details(flt), "key": key, "total": total, "references": [x.reference for x in rows]})
    return rows, total
