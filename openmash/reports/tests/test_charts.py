"""Server-drawn SVG charts (openmash.reports.charts) and the chart-with-table macro."""

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.reports import charts
from openmash.reports.charts import bar_chart, format_number, hbar_chart, line_chart, nice_ticks
from openmash.reports.suppression import count_cell, rate_cell, suppress_counts

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def assert_accessible(root, chart_id, title):
    assert root.get("role") == "img"
    labelled = root.get("aria-labelledby").split()
    assert labelled == [f"{chart_id}-title", f"{chart_id}-desc"]
    ids = {el.get("id"): el for el in root.iter()}
    assert ids[f"{chart_id}-title"].tag.endswith("title") and ids[f"{chart_id}-title"].text == title
    assert ids[f"{chart_id}-desc"].tag.endswith("desc") and ids[f"{chart_id}-desc"].text
    assert root[0].tag.endswith("title"), "the title is the svg's first child"
    assert "style" not in str(ET.tostring(root)), "no inline styles (the Content-Security-Policy forbids them)"


def bars(root):
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == charts.BLUE]


def texts(root):
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("top,expected", [
    (0, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (23, [0, 5, 10, 15, 20, 25]), (100, [0, 20, 40, 60, 80, 100]),
    (1234, [0, 250, 500, 750, 1000, 1250]), (45000, [0, 10000, 20000, 30000, 40000, 50000]),
])
def test_nice_ticks(top, expected):
    assert nice_ticks(top) == expected


def test_nice_ticks_for_rates_and_number_formats():
    assert nice_ticks(0.37, integer=False) == [0, 0.1, 0.2, 0.3, 0.4]
    assert [format_number(v) for v in (0, 950, 1500, 12000, 15500, 1_500_000, 2e9)] == ["0", "950", "1,500", "12k", "15.5k", "1.5M", "2B"]
    assert format_number(0.25, percent=True) == "25%" and format_number(0.255, percent=True) == "25.5%"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e13, allow_nan=False), st.booleans())
def test_ticks_always_cover_the_top_value_in_a_few_even_steps(top, integer):
    ticks = nice_ticks(top, integer=integer)
    assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 11
    # Even up to floating-point noise, relative to the step (a top of 2e-6 has steps of 5e-7).
    steps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(steps) - min(steps) <= 1e-6 * max(steps)
    if integer:
        assert all(float(t).is_integer() for t in ticks)


def test_a_bar_chart_has_a_title_a_description_axis_labels_and_one_bar_per_value():
    svg = bar_chart(chart_id="by-month", title="Referrals by month", labels=["Jan", "Feb", "Mar"], values=[120, 80, 0],
                    x_label="Month received", y_label="Referrals")
    root = parse(svg)
    assert_accessible(root, "by-month", "Referrals by month")
    desc = root.find("svg:desc", NS).text
    assert "from Jan to Mar" in desc and "highest Jan (120)" in desc and "lowest Mar (0)" in desc
    assert len(bars(root)) == 3
    heights = [float(b.get("height")) for b in bars(root)]
    assert heights[0] > heights[1] > heights[2] == 0
    assert heights[0] / heights[1] == pytest.approx(1.5, rel=0.01)
    t = texts(root)
    assert {"Jan", "Feb", "Mar", "Month received", "Referrals"} <= set(t)
    assert {"0", "25", "50", "75", "100", "125"} <= set(t)
    assert [b.find("svg:title", NS).text for b in bars(root)] == ["Jan: 120", "Feb: 80", "Mar: 0"]


def test_a_suppressed_bar_is_hatched_and_labelled_never_drawn_at_its_height():
    t = suppress_counts([[40], [3], [25]], row_labels=["Police", "Dentist", "School"], column_labels=["Referrals"], row_totals=False, column_totals=False)
    cells = [row.cells[0] for row in t.rows]
    root = parse(bar_chart(chart_id="c1", title="By source", labels=["Police", "Dentist", "School"], values=cells))
    assert len(bars(root)) == 2
    hidden = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "app-chart__hidden"]
    assert len(hidden) == 1
    marker = hidden[0].find("svg:rect", NS)
    assert marker.get("fill") == "url(#c1-hatch)" and float(marker.get("height")) == 8
    assert "<5" in texts(root)
    assert "Dentist: <5 (hidden)" == marker.find("svg:title", NS).text
    assert "3" not in " ".join(texts(root)).split(), "the true value is nowhere"
    assert "1 value is hidden to protect small numbers" in root.find("svg:desc", NS).text
    assert root.find("svg:defs/svg:pattern", NS).get("id") == "c1-hatch"


def test_empty_single_and_huge():
    empty = parse(bar_chart(chart_id="e", title="Nothing", labels=[], values=[]))
    assert_accessible(empty, "e", "Nothing")
    assert "No data for this period" in texts(empty)
    assert "No data for this period" in texts(parse(line_chart(chart_id="e2", title="x", labels=["a"], series=[("s", [None])])))
    assert "No data for this period" in texts(parse(hbar_chart(chart_id="e3", title="x", labels=[], values=[])))
    one = parse(bar_chart(chart_id="one", title="One", labels=["2026"], values=[7]))
    assert len(bars(one)) == 1 and float(bars(one)[0].get("width")) <= 60
    huge = parse(bar_chart(chart_id="h", title="Huge", labels=["a", "b"], values=[3_400_000_000, 1]))
    assert "4B" in texts(huge) and float(bars(huge)[1].get("height")) < 1
    zeros = parse(bar_chart(chart_id="z", title="Zeros", labels=["a", "b"], values=[0, 0]))
    assert len(bars(zeros)) == 2 and {"0", "1"} <= set(texts(zeros))
    many = parse(bar_chart(chart_id="m", title="Days", labels=[f"d{i}" for i in range(365)], values=list(range(365))))
    assert len(bars(many)) == 365
    assert sum(1 for t in texts(many) if t.startswith("d")) <= 13, "labels thinned so they do not overlap"


def test_bad_ids_and_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        bar_chart(chart_id="1 bad\"", title="x", labels=["a"], values=[1])
    with pytest.raises(ValueError):
        bar_chart(chart_id="ok", title="x", labels=["a"], values=[1, 2])
    with pytest.raises(ValueError):
        bar_chart(chart_id="ok", title="x", labels=["a"], values=["12"])


def test_text_is_escaped():
    root = parse(hbar_chart(chart_id="x", title="<script>&", labels=["A & B <i>"], values=[5]))
    assert root.find("svg:title", NS).text == "<script>&"
    assert "A & B <i>" in texts(root)


def test_a_horizontal_bar_chart_labels_each_bar_with_its_value_and_rates_as_percentages():
    labels = ["Police", "Health", "Education", "Probation"]
    values = [rate_cell(45, 50), rate_cell(30, 60), rate_cell(2, 3), rate_cell(0, 0)]
    root = parse(hbar_chart(chart_id="ontime", title="Answered on time", labels=labels, values=values, x_label="Share on time"))
    assert_accessible(root, "ontime", "Answered on time")
    t = texts(root)
    assert {"Police", "Health", "Education", "Probation", "90.0%", "50.0%", "[c]", "–", "0%", "100%"} <= set(t)
    assert len(bars(root)) == 2
    w = [float(b.get("width")) for b in bars(root)]
    assert w[0] / w[1] == pytest.approx(1.8, rel=0.01)
    long = parse(hbar_chart(chart_id="l", title="x", labels=["A very long referral source name indeed, more than thirty"], values=[3]))
    assert any(s.endswith("…") for s in texts(long))


def test_a_line_chart_breaks_at_hidden_points_and_has_a_legend():
    months = ["Apr", "May", "Jun", "Jul", "Aug"]
    rates = [rate_cell(10, 50), rate_cell(12, 40), rate_cell(1, 3), rate_cell(9, 45), rate_cell(8, 40)]
    counts = [count_cell(50), count_cell(40), count_cell(3), count_cell(45), count_cell(40)]
    root = parse(line_chart(chart_id="rr", title="Re-referral rate", labels=months, series=[("Re-referrals", rates)], y_label="Rate"))
    assert_accessible(root, "rr", "Re-referral rate")
    paths = list(root.iter("{http://www.w3.org/2000/svg}path"))
    assert len(paths) == 2, "the line is not joined across the hidden month"
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 4
    assert any("%" in t for t in texts(root)) and "[c]" in texts(root)
    two = parse(line_chart(chart_id="two", title="Two", labels=months, series=[("Referrals", counts), ("Children", [60, 50, 4, 50, 45])]))
    assert {"Referrals", "Children"} <= set(texts(two))
    dashes = [p.get("stroke-dasharray") for p in two.iter("{http://www.w3.org/2000/svg}path")]
    assert None in dashes and "6 3" in dashes, "series differ by dash as well as colour"
    single = parse(line_chart(chart_id="s", title="One", labels=["Apr"], series=[("x", [5])]))
    assert len(list(single.iter("{http://www.w3.org/2000/svg}circle"))) == 1
    with pytest.raises(ValueError):
        line_chart(chart_id="bad", title="x", labels=months, series=[("x", [1])])


def test_charts_are_deterministic():
    kwargs = {"chart_id": "d", "title": "t", "labels": ["a", "b"], "values": [1.23456, 7]}
    assert bar_chart(**kwargs) == bar_chart(**kwargs)
    assert re.search(r'height="\d+(\.\d)?"', str(bar_chart(**kwargs)))


def test_the_macro_renders_chart_and_table_together_with_govuk_table_classes(rf):
    from django.template import engines

    t = suppress_counts([[40, 2], [30, 20]], row_labels=["Police", "School"], column_labels=["Red", "Amber"], title="By source")
    svg = bar_chart(chart_id="m1", title="By source", labels=["Police", "School"], values=[r.cells[2] for r in t.rows if not r.is_total])
    env = engines["jinja2"].env
    template = env.from_string('{% from "reports/_charts.html" import chart_with_table %}{{ chart_with_table(svg, table) }}{{ chart_with_table(svg, table, caption="Wide", layout="below") }}')
    html = template.render(svg=svg, table=t)
    assert html.count("<svg") == 2 and 'role="img"' in html
    assert 'class="govuk-grid-column-two-thirds"' in html and 'class="govuk-grid-column-one-third"' in html
    assert 'class="govuk-grid-column-full"' in html
    assert 'class="govuk-table govuk-table--small-text-until-tablet app-report-table"' in html
    assert '<caption class="govuk-table__caption govuk-table__caption--s">By source</caption>' in html
    assert "&lt;5<span class=\"govuk-visually-hidden\"> (hidden: fewer than 5)</span>" in html
    assert "[c]<span class=\"govuk-visually-hidden\"> (hidden)</span>" in html
    assert '<th scope="row" class="govuk-table__header">Police</th>' in html
    assert "govuk-table__cell--numeric" in html and "app-report-table__total" in html
    assert "0 means none" in html
    empty = suppress_counts([], row_labels=[], column_labels=["n"], row_totals=False, column_totals=False, title="E")
    assert "No data for this period." in env.from_string('{% from "reports/_charts.html" import data_table %}{{ data_table(t) }}').render(t=empty)
