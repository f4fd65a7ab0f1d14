"""The report pages (/reports/, /insight/, hotspots, drill-down) and their downloads (issue 6).

The numbers come from referrals made through the real services (make_triaged, answer, decide), so a
page that shows them is showing what the engine computed from the live record.
"""

import csv
import datetime as dt
import io
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from openmash.audit.models import AuditEvent
from openmash.core.testing.factories import answer, decide, make_referral, make_triaged
from openmash.referrals.services import PersonRef
from openmash.reports import facts

NOW = dt.datetime(2026, 6, 17, 10, 0, tzinfo=dt.timezone.utc)  # a Wednesday
PERIOD = {"from": "2026-01-01", "to": "2026-06-30"}
OTHER_ROLES = ["practitioner", "police-rep", "education-rep", "admin", "ig"]

PAGES = ["reports:performance", "reports:insight", "reports:hotspots"]
DOWNLOADS = {
    "reports:export-csv": {"table": "by_source"},
    "reports:export-xlsx": {},
    "reports:pack-pdf": {},
    "reports:insight-csv": {"table": "cohorts"},
    "reports:insight-xlsx": {},
    "reports:hotspots-csv": {},
}


@pytest.fixture
def world(hub, freeze):
    """Four referrals this year: two from schools (2A), one from the police (6), one from a GP (3A)
    re-referring Jayden from the first; the first two name child sexual exploitation."""
    freeze(NOW - dt.timedelta(hours=6))
    facts.clear_cache()
    first = make_triaged(hub, rating="red", agencies=["police", "education"], source="2A", concern_categories=["cse", "missing"])
    answer(hub, first, "police")
    decide(hub, first, outcome="strategy_discussion")
    second = make_triaged(hub, rating="amber", agencies=["police"], source="6", concern_categories=["cse"])
    third = make_referral(hub, source="2A")
    jayden = first.people.get(kind="child", person__given_name="Jayden").person
    freeze(NOW - dt.timedelta(hours=2))
    fourth = make_referral(hub, source="3A", children=[PersonRef(person_id=jayden.pk)], adults=[])
    freeze(NOW)
    yield {"first": first, "second": second, "third": third, "fourth": fourth, "jayden": jayden}
    facts.clear_cache()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _url(name, **params) -> str:
    query = {**PERIOD, **params}
    return reverse(name) + "?" + urlencode(query, doseq=True)


def _row(body: str, label: str) -> str:
    """The text of the table row whose header is `label` (the first one on the page)."""
    match = re.search(r'<tr class="govuk-table__row">\s*<th scope="row"[^>]*>' + re.escape(label) + r"</th>(.*?)</tr>", body)
    assert match, f"no row {label!r}"
    visible = re.sub(r'<span class="govuk-visually-hidden">[^<]*</span>', "", match.group(1))
    return re.sub(r"<[^>]+>", " ", visible)


def _cells(body: str, label: str) -> list[str]:
    return _row(body, label).split()


# ------------------------------------------------------------------ who may see them


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_for_manager_and_analyst_with_data(client, hub, world, name):
    for username in ("manager", "analyst"):
        client.force_login(hub[username])
        response = client.get(_url(name))
        assert response.status_code == 200, username
        assert "How this is counted" in _text(response)


@pytest.mark.django_db
def test_other_roles_are_refused_403_like_the_hubs_other_role_only_pages_and_anonymous_signs_in(client, hub, world):
    """Reports are role-only pages, not records whose existence is secret: 403, as the sharing log
    and the administrator's pages answer (tests/test_permission_matrix.py)."""
    routes = PAGES + list(DOWNLOADS) + ["reports:drilldown"]
    for name in routes:
        url = _url(name, **DOWNLOADS.get(name, {}))
        client.logout()
        assert client.get(url).status_code == 302, name
        for username in OTHER_ROLES:
            client.force_login(hub[username])
            assert client.get(url).status_code == 403, (name, username)


@pytest.mark.django_db
def test_the_reports_item_is_in_the_navigation_for_managers_and_analysts_only(client, hub, world):
    for username, shown in (("manager", True), ("analyst", True), ("practitioner", False), ("admin", False)):
        client.force_login(hub[username])
        page = client.get(reverse("escalation:list"))
        assert (f'href="{reverse("reports:performance")}"' in page.content.decode()) is shown, username


# ------------------------------------------------------------------ the numbers


@pytest.mark.django_db
def test_the_manager_sees_exact_counts_with_links_to_the_records(client, hub, world):
    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:performance")))
    assert _cells(body, "2A – Schools")[:2] == ["2", "50.0%"]
    assert _cells(body, "6 – Police")[:2] == ["1", "25.0%"]
    assert _cells(body, "3A – Health – GP")[:2] == ["1", "25.0%"]
    assert _cells(body, "Not yet rated")[0] == "2"
    assert "&lt;5" not in body
    assert _cells(body, "Re-referrals within 12 months (child referrals)")[:3] == ["1", "7", "14.3%"]
    drill = reverse("reports:drilldown") + "?" + urlencode({"measure": "source", "key": "2A", **PERIOD})
    assert drill.replace("&", "&amp;") in body
    assert "Children referred more than once in the period" in body


@pytest.mark.django_db
def test_the_analyst_sees_small_numbers_suppressed_and_no_drill_down_links(client, hub, world):
    client.force_login(hub["analyst"])
    body = _text(client.get(_url("reports:performance")))
    assert _cells(body, "2A – Schools")[0] == "&lt;5"
    assert _cells(body, "Total")[0] == "&lt;5"
    assert "hidden so that no child can be identified" in body
    assert reverse("reports:drilldown") not in body
    insight = _text(client.get(_url("reports:insight")))
    assert _cells(insight, "Child sexual exploitation")[0] == "&lt;5"
    client.force_login(hub["manager"])
    manager_insight = _text(client.get(_url("reports:insight")))
    assert _cells(manager_insight, "Child sexual exploitation")[:3] == ["4", "4", "2"]


@pytest.mark.django_db
def test_a_filter_narrows_the_report_and_is_kept_in_the_download_links(client, hub, world):
    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:performance", rating=["red", "amber"], source="2A")))
    assert "Red, Amber" in body and "2A – Schools" in body
    assert _cells(body, "2A – Schools")[:2] == ["1", "100.0%"]
    assert "rating=red&amp;rating=amber&amp;source=2A" in body


@pytest.mark.django_db
def test_a_team_filter_narrows_the_report_is_named_and_kept_in_links_drill_down_and_exports(client, hub, world):
    """The first two referrals were rated by the manager, so they are MASH Team A's (the manager's
    team); the other two await triage and have no team. Team B has none: it lists nothing."""
    from openpyxl import load_workbook

    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:performance", team="team-a")))
    assert re.search(r'<dt class="govuk-summary-list__key">\s*Team\s*</dt>\s*<dd class="govuk-summary-list__value">\s*MASH Team A', body)
    assert _cells(body, "2A – Schools")[:2] == ["1", "50.0%"]
    assert "team=team-a" in body
    assert AuditEvent.objects.filter(action="report.view").latest("pk").details["team"] == "team-a"
    drill = _text(client.get(_url("reports:drilldown", team="team-a")))
    assert "2 referrals" in drill
    assert world["first"].reference in drill and world["second"].reference in drill and world["third"].reference not in drill
    rows = _csv_rows(client.get(_url("reports:export-csv", table="by_source", team="team-a")))
    assert rows["Total"] == ["2", "100.0%"]
    book = load_workbook(io.BytesIO(client.get(_url("reports:export-xlsx", team="team-a")).content))
    about = [tuple(c for c in row if c is not None) for row in book["About"].iter_rows(values_only=True)]
    assert ("Team", "MASH Team A") in about
    insight = _text(client.get(_url("reports:insight", team="team-b")))
    assert _cells(insight, "Child sexual exploitation")[:1] == ["0"]


@pytest.mark.django_db
def test_the_team_filter_offers_every_team_inactive_ones_too(client, hub, world):
    from openmash.accounts.models import Team
    from openmash.accounts.services import team_update

    team_update(user=hub["admin"], team=Team.objects.get(code="team-c"), name="MASH Team C", active=False)
    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:performance")))
    select = re.search(r'<select class="govuk-select[^"]*" id="team" name="team"[^>]*>(.*?)</select>', body).group(1)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert options == [("", "All teams"), ("team-a", "MASH Team A"), ("team-b", "MASH Team B"),
                       ("team-c", "MASH Team C (inactive)")]
    assert client.get(_url("reports:performance", team="team-c")).status_code == 200


@pytest.mark.django_db
def test_hotspots_count_children_by_district_and_sector_with_suppression_for_the_analyst(client, hub, world):
    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:hotspots")))
    assert _cells(body, "SE15")[0] == "7"
    cse = _text(client.get(_url("reports:hotspots", level="sector", cohort="cse")))
    assert _cells(cse, "SE15 4")[0] == "4"
    client.force_login(hub["analyst"])
    assert _cells(_text(client.get(_url("reports:hotspots", level="sector", cohort="cse"))), "SE15 4")[0] == "&lt;5"


@pytest.mark.django_db
def test_an_uploaded_area_set_is_drawn_as_a_map_beside_its_table(client, hub, world):
    from openmash.reports.models import Area, AreaPostcode, AreaSet

    square = [[[-0.07, 51.47], [-0.06, 51.47], [-0.06, 51.48], [-0.07, 51.48], [-0.07, 51.47]]]
    east = [[[-0.06, 51.47], [-0.05, 51.47], [-0.05, 51.48], [-0.06, 51.48], [-0.06, 51.47]]]
    geojson = (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"code":"W1","name":"Peckham"},"geometry":{"type":"MultiPolygon","coordinates":[%s]}},'
        '{"type":"Feature","properties":{"code":"W2","name":"Nunhead"},"geometry":{"type":"MultiPolygon","coordinates":[%s]}}]}'
    ) % (str(square), str(east))
    area_set = AreaSet.objects.create(name="Wards 2026", geojson=geojson, uploaded_by=hub["analyst"])
    Area.objects.create(area_set=area_set, code="W1", name="Peckham")
    Area.objects.create(area_set=area_set, code="W2", name="Nunhead")
    AreaPostcode.objects.create(area_set=area_set, postcode="SE15 4AB", area_code="W1")
    client.force_login(hub["manager"])
    response = client.get(_url("reports:hotspots", level=f"area:{area_set.pk}"))
    body = _text(response)
    assert response.status_code == 200
    assert "<svg" in body and 'id="hotspot-map"' in body
    assert _cells(body, "Peckham (W1)")[0] == "7"
    assert _cells(body, "Nunhead (W2)")[0] == "0", "an area with nobody referred reads 0"


# ------------------------------------------------------------------ bad filters: 400 and the message by its field


BAD_FILTERS = [
    ("start_after_end", {"from": "2026-06-01", "to": "2026-05-01"}, "to-day", "The end date must be the same as or after the start date"),
    ("impossible_date_in_boxes", {"from-day": "31", "from-month": "2", "from-year": "2026"}, "from-day", "Start date must be a real date"),
    ("half_a_date", {"to-day": "3", "to-month": "", "to-year": "2026"}, "to-day", "End date must include a month"),
    ("two_digit_year", {"from-day": "1", "from-month": "2", "from-year": "26"}, "from-day", "Year must include 4 numbers"),
    ("words_for_a_date", {"from": "last tuesday"}, "from-day", "Start date must be a real date"),
    ("impossible_iso_date", {"from": "2026-13-01"}, "from-day", "Start date must be a real date"),
    ("before_records_began", {"from": "1980-01-01", "to": "2026-01-01"}, "from-day", "on or after 1 January 1990"),
    ("end_far_in_the_future", {"to": "2099-01-01"}, "to-day", "must not be more than a year from today"),
    ("unknown_rating", {"rating": "purple"}, "rating", "Select ratings from the list"),
    ("unknown_source", {"source": "99Z"}, "source", "Select a referral source from the list"),
    ("unknown_agency", {"agency": "mi5"}, "agency", "Select an agency from the list"),
    ("unknown_team", {"team": "team-z"}, "team", "Select a team from the list"),
    ("unknown_grain", {"grain": "fortnight"}, "grain", "Select day, week, month or automatic"),
    ("days_over_two_years", {"from": "2024-01-01", "to": "2026-01-01", "grain": "day"}, "grain", "Choose week or month"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_FILTERS, ids=[c[0] for c in BAD_FILTERS])
def test_a_bad_filter_answers_400_with_the_error_summary_and_the_message_next_to_its_field(client, hub, world, case):
    _name, params, anchor, message = case
    client.force_login(hub["manager"])
    response = client.get(reverse("reports:performance") + "?" + urlencode(params))
    body = _text(response)
    assert response.status_code == 400
    assert "There is a problem" in body and f'href="#{anchor}"' in body
    assert re.search(r'class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:</span>[^<]*' + re.escape(message), body), message
    assert "Referrals received by" not in body, "no report is shown for a filter that could not be read"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["reports:insight", "reports:hotspots", "reports:export-csv", "reports:export-xlsx", "reports:pack-pdf",
                                  "reports:insight-csv", "reports:insight-xlsx", "reports:hotspots-csv", "reports:drilldown"])
def test_a_bad_filter_on_any_other_route_is_400_with_the_page_not_a_download(client, hub, world, name):
    client.force_login(hub["manager"])
    response = client.get(reverse(name) + "?" + urlencode({"from": "2026-06-01", "to": "2026-05-01", "table": "by_source", "measure": "referrals"}))
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert "The end date must be the same as or after the start date" in _text(response)


@pytest.mark.django_db
def test_an_unknown_hotspot_grouping_or_cohort_is_400_next_to_its_field(client, hub, world):
    client.force_login(hub["manager"])
    response = client.get(_url("reports:hotspots", level="area:999999", cohort="piracy"))
    body = _text(response)
    assert response.status_code == 400
    assert "Select how to group the places from the list" in body and 'href="#level"' in body
    assert "Select a cohort from the list" in body


@pytest.mark.django_db
def test_an_unknown_table_or_measure_is_404(client, hub, world):
    client.force_login(hub["manager"])
    assert client.get(_url("reports:export-csv", table="../../etc/passwd")).status_code == 404
    assert client.get(_url("reports:insight-csv", table="nope")).status_code == 404
    assert client.get(_url("reports:drilldown", measure="salary")).status_code == 404
    assert client.get(_url("reports:drilldown", measure="cohort", key="piracy")).status_code == 404


GARBAGE = [
    {"from": "\x00", "to": "9" * 400}, {"from-day": "-1", "from-month": "0", "from-year": "0000"},
    {"rating": ["red", "red", ""], "source": ""}, {"grain": "month", "from": "1990-01-01", "to": "2026-06-17"},
    {"table": "x" * 3000, "measure": "source", "key": "Z" * 3000}, {"level": "area:abc", "cohort": ""},
    {"level": "sector", "cohort": "fgm"}, {"from": "2026-06-17", "to": "2026-06-17", "grain": "day"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("params", GARBAGE, ids=range(len(GARBAGE)))
def test_no_route_answers_500_to_anything(client, hub, world, params):
    for username in ("manager", "analyst"):
        client.force_login(hub[username])
        for name in PAGES + list(DOWNLOADS) + ["reports:drilldown"]:
            response = client.get(reverse(name) + "?" + urlencode(params, doseq=True))
            assert response.status_code < 500, (name, username, params)


# ------------------------------------------------------------------ drill-down


@pytest.mark.django_db
def test_drill_down_lists_the_referrals_behind_a_count_and_is_audited(client, hub, world):
    client.force_login(hub["manager"])
    response = client.get(_url("reports:drilldown", measure="source", key="2A"))
    body = _text(response)
    assert response.status_code == 200
    schools = {world["first"].reference, world["third"].reference}
    for reference in schools:
        assert f'href="{reverse("referrals:detail", args=[reference])}"' in body
    assert world["second"].reference not in body and world["fourth"].reference not in body
    assert "2 referrals" in body and "Referrals from 2A – Schools" in body
    event = AuditEvent.objects.filter(action="report.drilldown").latest("pk")
    assert event.actor_id == hub["manager"].pk
    assert set(event.details["references"]) == schools and event.details["key"] == "2A"


@pytest.mark.django_db
def test_drill_down_from_a_period_row_and_from_re_referrals(client, hub, world):
    client.force_login(hub["manager"])
    body = _text(client.get(_url("reports:drilldown", measure="re_referral")))
    assert world["fourth"].reference in body and world["second"].reference not in body
    whole = _text(client.get(_url("reports:drilldown")))  # no measure: every referral in the period
    assert "4 referrals" in whole


@pytest.mark.django_db
def test_the_analyst_may_not_drill_down(client, hub, world):
    client.force_login(hub["analyst"])
    assert client.get(_url("reports:drilldown", measure="source", key="2A")).status_code == 403
    assert not AuditEvent.objects.filter(action="report.drilldown").exists()


# ------------------------------------------------------------------ downloads


def _csv_rows(response) -> dict[str, list[str]]:
    text = response.content.decode("utf-8-sig")
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(text)) if row}


@pytest.mark.django_db
def test_the_csv_download_has_the_same_numbers_as_the_page_and_is_audited(client, hub, world):
    client.force_login(hub["manager"])
    response = client.get(_url("reports:export-csv", table="by_source"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="by-source-2026-01-01-to-2026-06-30-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    rows = _csv_rows(response)
    assert rows["Source"] == ["Referrals", "Share"]
    assert rows["2A – Schools"] == ["2", "50.0%"] and rows["Total"] == ["4", "100.0%"]
    event = AuditEvent.objects.filter(action="report.export").latest("pk")
    assert event.details["from"] == "2026-01-01" and event.actor_id == hub["manager"].pk


@pytest.mark.django_db
def test_the_analysts_downloads_are_suppressed_as_the_page_is(client, hub, world):
    client.force_login(hub["analyst"])
    rows = _csv_rows(client.get(_url("reports:export-csv", table="by_source")))
    assert rows["2A – Schools"][0] == "<5" and rows["Total"][0] == "<5"
    cohorts = _csv_rows(client.get(_url("reports:insight-csv", table="cohorts")))
    assert cohorts["Child sexual exploitation"][0] == "<5"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(_url("reports:export-xlsx")).content))
    values = [cell for row in book["Referrals by source"].iter_rows(values_only=True) for cell in row]
    assert "<5" in values and 2 not in values[4:]


@pytest.mark.django_db
def test_the_xlsx_has_a_sheet_per_table_with_the_pages_numbers(client, hub, world):
    from openpyxl import load_workbook

    client.force_login(hub["manager"])
    response = client.get(_url("reports:export-xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="performance-measures-2026-01-01-to-2026-06-30-')
    book = load_workbook(io.BytesIO(response.content))
    assert {"About", "Referrals by source", "Referrals by rating", "Agency timeliness", "Outcomes for children"} <= set(book.sheetnames)
    by_source = {row[0]: row[1:] for row in book["Referrals by source"].iter_rows(values_only=True) if row[0]}
    assert by_source["2A – Schools"][0] == 2 and by_source["Total"][0] == 4
    agencies = {row[0]: row[1:] for row in book["Agency timeliness"].iter_rows(values_only=True) if row[0]}
    assert agencies["Police"][0] == 2 and agencies["Police"][1] == 1  # asked on two referrals, answered one
    insight = load_workbook(io.BytesIO(client.get(_url("reports:insight-xlsx")).content))
    cohorts = {row[0]: row[1:] for row in insight["Phase-two cohorts"].iter_rows(values_only=True) if row[0]}
    assert cohorts["Child sexual exploitation"][:3] == (4, 4, 2)


@pytest.mark.django_db
def test_the_performance_pack_is_a_pdf_attachment(client, hub, world):
    client.force_login(hub["manager"])
    response = client.get(_url("reports:pack-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith('attachment; filename="performance-pack-2026-01-01-to-2026-06-30-')
    assert AuditEvent.objects.filter(action="report.export", actor_id=hub["manager"].pk).exists()


@pytest.mark.django_db
def test_the_hotspot_csv_matches_the_table(client, hub, world):
    client.force_login(hub["manager"])
    response = client.get(_url("reports:hotspots-csv", level="sector"))
    assert response.status_code == 200
    rows = _csv_rows(response)
    assert rows["SE15 4"] == ["7"] and rows["Total"] == ["7"]
