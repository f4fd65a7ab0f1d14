"""Performance measures for partnership boards and scripts (issue 6; definitions as on /reports/)."""

from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from openmash.access.policy import can_see_reports, reports_suppressed_for, require
from openmash.api.routes.common import responses
from openmash.core.errors import InvalidInput
from openmash.reports import presenters
from openmash.reports.filters import build_filter
from openmash.reports.selectors import performance_report

router = Router(tags=["reports"])


class PerformanceQuery(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field("", alias="from", description="First receipt date of the period, YYYY-MM-DD (London)")
    to: str = Field("", description="Last receipt date of the period, YYYY-MM-DD, included")
    rating: str = Field("", description="Only these ratings: urgent, red, amber, green (comma-separated)")
    source: str = Field("", description="Only these referral sources (census codes, comma-separated)")
    agency: str = Field("", description="Only referrals on which this agency was asked (its code); its row alone")
    team: str = Field("", description="Only referrals this hub team is responsible for (its code, active or not)")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@router.get(
    "/reports/performance",
    response=responses({200: dict}, 403, 422),
    url_name="reports-performance",
    operation_id="reports_performance",
    summary="Performance measures for a period",
)
def reports_performance(request, query: Query[PerformanceQuery]):
    """MASH managers and analysts (403 for other roles). The hub's measures over referrals received
    from `from` to `to` (London dates, both included): `referrals`, `children`, volumes by source and
    rating, receipt-to-triage and receipt-to-decision minutes (`median`, `p90`),
    `decided_within_one_working_day_rate`, `information_complete_rate`, `re_referral_rate` (the
    Children in Need definition: a child referred again within 12 months, after matching),
    `repeat_children`, `outcomes` (per child), `strategy_discussion_minutes`, and `agencies`: one row per
    partner agency with `requests`, `answered_on_time_rate`, `median_response_minutes`,
    `p90_response_minutes`, late, overdue, declined and not-known counts. Rates are fractions 0–1 (null
    when nothing was counted); `definitions` gives each measure's definition in words, as on the page.
    For analysts, counts from 1 to 4 (and any that would reveal one through a total) are null and
    listed in `suppressed`; managers get exact counts. Unknown parameters, bad or missing dates,
    unknown codes: 422 naming the field. Audited."""
    require(can_see_reports(request.auth), "The performance measures are for MASH managers and analysts")
    allowed = {"from", "to", "rating", "source", "agency", "team"}
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        message = "Unknown query parameter: check its name against the API document (/api/v1/openapi.json)"
        raise InvalidInput(f"{unknown[0]}: {message}", errors={name: [message] for name in unknown})
    flt = build_filter(start=query.from_, end=query.to, ratings=_split(query.rating), sources=_split(query.source),
                       agency=query.agency, team=query.team)
    report = performance_report(user=request.auth, flt=flt, audit="report.api")
    return presenters.performance_json(report, suppress=reports_suppressed_for(request.auth))
