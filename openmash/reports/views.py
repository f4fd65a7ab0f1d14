"""Pages and downloads for the performance measures (/reports/) and phase-two insight (/insight/).

Thin: the filter form, one selector (which checks the policy and writes the audit event), the
tables built once (report_tables.py) and then a template or a download. The same tables feed the
page and every export, so a count hidden on screen is hidden in the download too.

Who: MASH managers and analysts. Anyone else is refused with 403, as for the hub's other role-only
pages (the sharing log, the administrator's pages): a report page is not a record whose existence
must be hidden. The records behind a count (drill-down) are for MASH managers only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.urls import reverse

from openmash.access.policy import can_drill_down, can_manage_areas, can_see_reports, reports_suppressed_for, require
from openmash.accounts.selectors import team_list
from openmash.agencies.selectors import agency_list
from openmash.core import clock
from openmash.core.views import render_form
from openmash.referrals.codes import Rating, ReferralSource, ReferralStatus
from openmash.reports import exports, page_selectors, selectors
from openmash.reports import suppression as sup
from openmash.reports.definitions import DEFINITIONS
from openmash.reports.forms import HotspotForm, ReportFilterForm, filter_params
from openmash.reports.measures import COHORTS
from openmash.reports.report_tables import (
    COHORT_LABELS,
    PageTable,
    hotspot_table,
    insight_tables,
    performance_tables,
)

PERFORMANCE_TITLE = "Performance measures"
INSIGHT_TITLE = "Phase-two insight"
HOTSPOTS_TITLE = "Hotspots"


def _require_reports(request):
    require(can_see_reports(request.user), "Only MASH managers and analysts can see reports")


def _teams() -> list[tuple[str, str]]:
    """Every hub team, inactive ones too (a report may be about the past), by name."""
    return [(t.code, t.name if t.active else f"{t.name} (inactive)") for t in team_list()]


def _form(request, *, with_grain: bool = True) -> ReportFilterForm:
    agencies = [(a.code, a.name) for a in agency_list()]
    return ReportFilterForm(request.GET, agencies=agencies, teams=_teams(), with_grain=with_grain)


def _query(params) -> str:
    return urlencode(list(params))


def _with(params: list[tuple[str, str]], overrides) -> list[tuple[str, str]]:
    """`params` with each name in `overrides` replaced by the override's value."""
    names = {name for name, _ in overrides}
    return [(n, v) for n, v in params if n not in names] + list(overrides)


def _attach_links(tables, params) -> None:
    base = reverse("reports:drilldown")
    for pt in tables:
        pt.urls = {
            pos: base + "?" + _query([("measure", measure), ("key", key)] + _with(params, extra))
            for pos, (measure, key, extra) in pt.links.items()
        }


def _period_text(flt) -> str:
    return f"{flt.start.day} {flt.start:%B %Y} to {flt.end.day} {flt.end:%B %Y}"


def _filter_summary(flt, *, suppressed: bool) -> list[tuple[str, str]]:
    """The filters in words, for the page heading and the exports' cover."""
    names = {a.code: a.name for a in agency_list()}
    out = [
        ("Ratings", ", ".join(Rating(r).label for r in flt.ratings) if flt.ratings else "All"),
        ("Referral source", ", ".join(f"{s} – {ReferralSource(s).label}" for s in flt.sources) if flt.sources else "All"),
        ("Agency", names.get(flt.agency, flt.agency) if flt.agency else "All"),
        ("Team", dict(_teams()).get(flt.team, flt.team) if flt.team else "All"),
    ]
    threshold = sup.suppression_threshold()
    if suppressed and threshold > 1:
        out.append(("Small numbers", f"Counts from 1 to {threshold - 1} are hidden"))
    return out


def _suppression_text() -> str:
    threshold = sup.suppression_threshold()
    return DEFINITIONS["suppression"][1].format(threshold=threshold, threshold_less_one=threshold - 1)


def _common(request, form, flt, *, page_name: str, grain=None) -> dict:
    suppressed = reports_suppressed_for(request.user)
    params = filter_params(flt, grain)
    return {
        "flt": flt,
        "period": _period_text(flt),
        "filters": _filter_summary(flt, suppressed=suppressed),
        "suppressed": suppressed,
        "suppression_text": _suppression_text(),
        "can_drill": can_drill_down(request.user),
        "query": _query(params),
        "params": params,
        "page_name": page_name,
        "definitions": DEFINITIONS,
    }


# ------------------------------------------------------------------ /reports/


def _performance(request, *, audit: str):
    """(form, report, tables) — report and tables are None when the filter is wrong."""
    _require_reports(request)
    form = _form(request)
    if not form.is_valid():
        return form, None, None
    flt = form.report_filter
    report = selectors.performance_report(user=request.user, flt=flt, grain=form.chosen_grain, audit=audit)
    tables = performance_tables(report, suppress=reports_suppressed_for(request.user), drill=can_drill_down(request.user))
    return form, report, tables


def _bad_filter(request, form, *, template: str, title: str, **context):
    """The page again with the error summary and each message by its field (400), never a download."""
    return render_form(
        request, template, form, title=title, report=None, anchors={"rating": "rating"},
        **context,
    )


def performance(request):
    form, report, tables = _performance(request, audit="report.view")
    if report is None:
        return _bad_filter(request, form, template="reports/performance.html", title=PERFORMANCE_TITLE)
    grain_param = form.cleaned_data.get("grain") or None
    context = _common(request, form, report.filter, page_name="performance", grain=grain_param)
    params = context["params"]
    _attach_links(tables.values(), params)
    total_link = None
    if context["can_drill"] and report.referrals:
        total_link = reverse("reports:drilldown") + "?" + _query([("measure", "referrals"), ("key", "")] + params)
    return render_form(
        request, "reports/performance.html", form, title=PERFORMANCE_TITLE, report=report, tables=tables,
        referrals_cell=sup.count_cell(report.referrals, threshold=sup.suppression_threshold() if context["suppressed"] else 0),
        children_cell=sup.count_cell(report.children, threshold=sup.suppression_threshold() if context["suppressed"] else 0),
        total_link=total_link, **context,
    )


def _download_stem(prefix: str, flt) -> str:
    return f"{prefix}-{flt.start.isoformat()}-to-{flt.end.isoformat()}"


def performance_csv(request):
    form, report, tables = _performance(request, audit="report.export")
    if report is None:
        return _bad_filter(request, form, template="reports/performance.html", title=PERFORMANCE_TITLE)
    pt = _table_named(tables, request.GET.get("table", ""))
    now = clock.now()
    return exports.download_response(
        content=exports.csv_bytes(pt.table), extension="csv",
        filename=exports.export_filename(_download_stem(pt.key.replace("_", "-"), report.filter), "csv", now),
    )


def _table_named(tables: dict[str, PageTable], name: str) -> PageTable:
    if name not in tables:
        raise Http404("No such table")
    return tables[name]


def _definitions_of(tables) -> list[str]:
    return [pt.definition_text for pt in tables]


def performance_xlsx(request):
    form, report, tables = _performance(request, audit="report.export")
    if report is None:
        return _bad_filter(request, form, template="reports/performance.html", title=PERFORMANCE_TITLE)
    now = clock.now()
    suppressed = reports_suppressed_for(request.user)
    content = exports.xlsx_bytes(
        [pt.table for pt in tables.values()], title=f"{PERFORMANCE_TITLE} – {settings.OPENMASH_HUB_NAME}", created=now,
        period=_period_text(report.filter), filters=_filter_summary(report.filter, suppressed=suppressed),
        definitions=_definitions_of(tables.values()),
    )
    return exports.download_response(
        content=content, extension="xlsx",
        filename=exports.export_filename(_download_stem("performance-measures", report.filter), "xlsx", now),
    )


def performance_pack(request):
    form, report, tables = _performance(request, audit="report.export")
    if report is None:
        return _bad_filter(request, form, template="reports/performance.html", title=PERFORMANCE_TITLE)
    now = clock.now()
    suppressed = reports_suppressed_for(request.user)
    sections = [exports.PackSection(title=pt.title, definition=pt.definition_text, table=pt.table) for pt in tables.values()]
    content = exports.performance_pack_pdf(
        title="Performance pack", period=_period_text(report.filter), sections=sections, created=now,
        filters=_filter_summary(report.filter, suppressed=suppressed), organisation=settings.OPENMASH_HUB_NAME,
    )
    return exports.download_response(
        content=content, extension="pdf",
        filename=exports.export_filename(_download_stem("performance-pack", report.filter), "pdf", now),
    )


# ------------------------------------------------------------------ drill-down


def drilldown(request):
    """The referrals behind a count: MASH managers only (the selector audits which were listed)."""
    _require_reports(request)
    require(can_drill_down(request.user), "Only MASH managers can open the records behind a count")
    form = _form(request)
    measure = request.GET.get("measure") or "referrals"  # no measure: every referral the filter picks
    key = request.GET.get("key", "")
    if not form.is_valid():
        return _bad_filter(request, form, template="reports/drilldown.html", title="Referrals behind a count",
                           measure=measure, key=key)
    flt = form.report_filter
    rows, total = selectors.drilldown(user=request.user, flt=flt, measure=measure, key=key[:40])
    params = filter_params(flt, form.cleaned_data.get("grain") or None)
    return render_form(
        request, "reports/drilldown.html", form, title="Referrals behind a count", rows=rows, total=total,
        limit=selectors.MAX_DRILLDOWN, measure=measure, key=key, what=_drill_words(measure, key),
        period=_period_text(flt), filters=_filter_summary(flt, suppressed=False),
        back=reverse("reports:insight" if measure in ("cohort", "district", "sector") else "reports:performance") + "?" + _query(params),
        Rating=Rating, ReferralStatus=ReferralStatus,
    )


def _drill_words(measure: str, key: str) -> str:
    from openmash.reports.report_tables import outcome_label, rating_label, source_label

    try:
        if measure == "referrals":
            return "Referrals received"
        if measure == "source":
            return f"Referrals from {source_label(key)}"
        if measure == "rating":
            return f"Referrals rated {rating_label(key)}" if key else "Referrals not yet rated"
        if measure == "outcome":
            return f"Referrals with a child whose outcome was: {outcome_label(key)}"
        if measure == "cohort":
            return f"Referrals in the cohort: {COHORT_LABELS[key]}" if key in COHORT_LABELS else "Referrals in a cohort"
        if measure in ("district", "sector"):
            return f"Referrals of children living in postcode {measure} {key}"
        if measure == "re_referral":
            return "Referrals with a child re-referred within 12 months"
    except ValueError:
        pass
    return "Referrals"


# ------------------------------------------------------------------ /insight/


def _insight(request, *, audit: str):
    _require_reports(request)
    form = _form(request, with_grain=False)
    if not form.is_valid():
        return form, None, None, None
    report = selectors.insight_report(user=request.user, flt=form.report_filter, audit=audit)
    summary, cohorts = insight_tables(report, suppress=reports_suppressed_for(request.user), drill=can_drill_down(request.user))
    return form, report, summary, cohorts


def _all_insight_tables(summary, cohorts) -> dict[str, PageTable]:
    out = dict(summary)
    for c in cohorts:
        for pt in c.tables.values():
            out[pt.key] = pt
    return out


def insight(request):
    form, report, summary, cohorts = _insight(request, audit="insight.view")
    if report is None:
        return _bad_filter(request, form, template="reports/insight.html", title=INSIGHT_TITLE)
    context = _common(request, form, report.filter, page_name="insight")
    _attach_links(_all_insight_tables(summary, cohorts).values(), context["params"])
    return render_form(
        request, "reports/insight.html", form, title=INSIGHT_TITLE, report=report, summary=summary, cohorts=cohorts,
        **context,
    )


def insight_csv(request):
    form, report, summary, cohorts = _insight(request, audit="insight.export")
    if report is None:
        return _bad_filter(request, form, template="reports/insight.html", title=INSIGHT_TITLE)
    pt = _table_named(_all_insight_tables(summary, cohorts), request.GET.get("table", ""))
    now = clock.now()
    return exports.download_response(
        content=exports.csv_bytes(pt.table), extension="csv",
        filename=exports.export_filename(_download_stem(pt.key.replace("_", "-"), report.filter), "csv", now),
    )


def insight_xlsx(request):
    form, report, summary, cohorts = _insight(request, audit="insight.export")
    if report is None:
        return _bad_filter(request, form, template="reports/insight.html", title=INSIGHT_TITLE)
    now = clock.now()
    tables = _all_insight_tables(summary, cohorts)
    content = exports.xlsx_bytes(
        [pt.table for pt in tables.values()], title=f"{INSIGHT_TITLE} – {settings.OPENMASH_HUB_NAME}", created=now,
        period=_period_text(report.filter), filters=_filter_summary(report.filter, suppressed=reports_suppressed_for(request.user)),
        definitions=_definitions_of(tables.values()),
    )
    return exports.download_response(
        content=content, extension="xlsx",
        filename=exports.export_filename(_download_stem("phase-two-insight", report.filter), "xlsx", now),
    )


# ------------------------------------------------------------------ hotspots


def _area_sets(request) -> list[tuple[str, str]]:
    return page_selectors.area_set_choices(user=request.user)


LEVELS = [("district", "Postcode district"), ("sector", "Postcode sector")]


def _hotspots(request, audit: str = "hotspots.view"):
    _require_reports(request)
    levels = LEVELS + _area_sets(request)
    cohorts = [(c, COHORT_LABELS[c]) for c in COHORTS]
    form = HotspotForm(request.GET, agencies=[(a.code, a.name) for a in agency_list()], teams=_teams(), levels=levels,
                       cohorts=cohorts)
    context = {"levels": levels, "cohorts": cohorts}
    if not form.is_valid():
        return form, None, None, context
    level = form.cleaned_data["level"] or "district"
    cohort = form.cleaned_data["cohort"]
    context.update(level=level, cohort=cohort)
    hot = selectors.hotspots(user=request.user, flt=form.report_filter, level=level, cohort=cohort, audit=audit)
    if level.startswith("area:"):
        # Every area of the set, so a ward with no child referred reads 0 in the table and on the map.
        found = page_selectors.area_set_for_map(user=request.user, level=level)
        listed = {code for code, _, _ in hot.rows}
        for code, name in sorted((found[1] if found else []), key=lambda a: a[1]):
            if code not in listed:
                hot.rows.append((code, name, 0))
    label = dict(levels)[level]
    pt = hotspot_table(hot, suppress=reports_suppressed_for(request.user), drill=can_drill_down(request.user),
                       level_label=label.lower() if not level.startswith("area:") else "area")
    return form, hot, pt, context


def hotspots(request):
    form, hot, pt, context = _hotspots(request)
    if hot is None:
        return _bad_filter(request, form, template="reports/hotspots.html", title=HOTSPOTS_TITLE, **context)
    common = _common(request, form, form.report_filter, page_name="hotspots")
    extra = [("level", context["level"])] + ([("cohort", context["cohort"])] if context["cohort"] else [])
    _attach_links([pt], common["params"])
    area_map = None
    if context["level"].startswith("area:"):
        area_map = _area_map(request, context["level"], pt, hot)
    return render_form(
        request, "reports/hotspots.html", form, title=HOTSPOTS_TITLE, hot=hot, table=pt, area_map=area_map,
        hotspot_query=_query(common["params"] + extra), can_manage_areas=can_manage_areas(request.user),
        **context, **common,
    )


def _area_map(request, level: str, pt: PageTable, hot):
    """The uploaded areas drawn as SVG (no tile server), shaded by the same suppressed counts as the
    table beside it."""
    from openmash.reports import geo

    found = page_selectors.area_set_for_map(user=request.user, level=level)
    if found is None:
        return None
    counts = [r for r in pt.table.rows if not r.is_total]
    cells = {code: row.cells[0] for (code, _name, _n), row in zip(hot.rows, counts) if code}
    try:
        return geo.area_map_svg(area_set=found[0], cells=cells, title=f"Map of {pt.table.title.lower()}", chart_id="hotspot-map")
    except geo.GeoError:
        return None  # a stored file that no longer reads: the table still answers


def hotspots_csv(request):
    form, hot, pt, context = _hotspots(request, audit="hotspots.export")
    if hot is None:
        return _bad_filter(request, form, template="reports/hotspots.html", title=HOTSPOTS_TITLE, **context)
    now = clock.now()
    return exports.download_response(
        content=exports.csv_bytes(pt.table), extension="csv",
        filename=exports.export_filename(_download_stem(f"hotspots-{context['level'].replace(':', '-')}", form.report_filter), "csv", now),
    )
