"""Small-number suppression: primary, secondary, totals, rates (openmash.reports.suppression)."""

import math

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from openmash.reports.suppression import (
    CONFIDENTIAL,
    DENOMINATOR,
    NUMERATOR,
    PRIMARY,
    SECONDARY,
    count_cell,
    line_is_safe,
    rate_cell,
    statistic_cell,
    suppress_counts,
    suppression_threshold,
    table,
    text_cell,
)


def grid_of(t):
    return [[c.text for c in row.cells] for row in t.rows]


def test_primary_suppression_shows_small_counts_as_under_the_threshold_and_zero_as_zero():
    t = suppress_counts([[0, 3, 12, 20]], row_labels=["a"], column_labels="wxyz", row_totals=False, column_totals=False)
    assert grid_of(t) == [["0", "<5", "12", "20"]]
    hidden = t.rows[0].cells[1]
    assert hidden.value is None and hidden.suppressed and hidden.reason == PRIMARY
    assert t.rows[0].cells[0].value == 0 and not t.rows[0].cells[0].suppressed
    assert t.any_suppressed and "0 means none" in t.all_notes[-1] and "<5: from 1 to 4" in t.all_notes[-1]


def test_the_threshold_comes_from_settings_and_appears_in_the_text():
    with override_settings(REPORTS_SUPPRESSION_THRESHOLD=10):
        assert suppression_threshold() == 10
        assert count_cell(9).text == "<10" and count_cell(10).text == "10"
    assert suppression_threshold() == 5
    assert count_cell(4, threshold=3).text == "4" and count_cell(2, threshold=3).text == "<3"
    with override_settings(REPORTS_SUPPRESSION_THRESHOLD="x"), pytest.raises(ValueError):
        suppression_threshold()


def test_a_row_with_one_hidden_cell_hides_the_next_smallest_non_zero_cell():
    t = suppress_counts([[0, 2, 9, 7, 30]], row_labels=["a"], column_labels="vwxyz", column_totals=False)
    # 7 is the smallest non-zero shown cell.
    assert grid_of(t) == [["0", "<5", "9", "[c]", "30", "48"]]
    assert t.rows[0].cells[3].reason == SECONDARY
    assert t.columns == tuple("vwxyz") + ("Total",)


def test_two_ones_in_a_row_are_not_safe_together():
    """1 + 1 = 2: with zeros shown, two "<5" cells adding to 2 must both be 1, so a third is hidden."""
    t = suppress_counts([[1, 1, 10, 20]], row_labels=["a"], column_labels="wxyz", column_totals=False)
    assert grid_of(t) == [["<5", "<5", "[c]", "20", "32"]]


def test_a_total_under_the_threshold_is_hidden_and_the_cascade_reaches_the_margins():
    counts = [[1, 0], [0, 0], [6, 7]]
    t = suppress_counts(counts, row_labels=["a", "b", "c"], column_labels=["x", "y"])
    rows = grid_of(t)
    assert rows[0] == ["<5", "0", "<5"]  # the row total 1 is itself under the threshold
    assert rows[1] == ["0", "0", "0"]
    # Column x: the hidden 1 needs a partner (6); the total column (1, 0, 13 of 14) would give the
    # hidden 1 away, so 13 goes too. Row c is then safe: "[c]" + 7 = "[c]" has many solutions.
    assert rows[2] == ["[c]", "7", "[c]"] and rows[3] == ["7", "7", "14"]
    assert_safe(t, counts, row_totals=True, column_totals=True)


def test_a_line_whose_only_non_zero_cell_is_hidden_hides_its_total():
    # Column x has a 2 and zeros; the column's total (2) is under the threshold too, so it is hidden.
    counts = [[2, 10], [0, 10]]
    t = suppress_counts(counts, row_labels=["a", "b"], column_labels=["x", "y"], row_totals=False)
    assert grid_of(t) == [["<5", "10"], ["0", "10"], ["<5", "20"]]
    assert_safe(t, counts, row_totals=False, column_totals=True)


def test_rates_are_hidden_for_small_denominators_and_hidden_numerators():
    assert rate_cell(3, 4).reason == DENOMINATOR and rate_cell(3, 4).text == CONFIDENTIAL
    assert rate_cell(3, 40).reason == NUMERATOR
    assert rate_cell(count_cell(3), 40).reason == NUMERATOR
    assert rate_cell(0, 40).text == "0.0%" and rate_cell(0, 40).value == 0
    r = rate_cell(17, 40)
    assert r.value == pytest.approx(0.425) and r.text == "42.5%" and not r.suppressed
    assert rate_cell(5, 0).text == "–" and rate_cell(5, 0).value is None and not rate_cell(5, 0).suppressed
    t = suppress_counts([[1, 9]], row_labels=["a"], column_labels="xy", column_totals=False)
    assert rate_cell(t.rows[0].cells[1], t.rows[0].cells[2]).suppressed  # a "[c]" numerator
    assert statistic_cell(12.0, 4).suppressed and statistic_cell(12.0, 5).text == "12"
    assert statistic_cell(None, 0).text == "–"


def test_counts_must_be_whole_numbers_not_below_zero():
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError):
            count_cell(bad)
    with pytest.raises(ValueError):
        suppress_counts([[1, 2]], row_labels=["a"], column_labels=["x"])


def test_a_mixed_table_keeps_its_cells_and_marks_total_rows():
    t = table(
        title="Agencies", row_header="Agency", columns=["Requests", "On time", "Note"],
        rows=[("Police", [count_cell(40), rate_cell(30, 40), text_cell("=cmd")]), ("All", [count_cell(40), rate_cell(30, 40), text_cell("")])],
        total_rows=1,
    )
    assert [r.is_total for r in t.rows] == [False, True]
    assert t.rows[0].cells[1].text == "75.0%" and not t.any_suppressed and t.all_notes == ()


def test_threshold_zero_or_one_hides_nothing():
    t = suppress_counts([[1, 2], [3, 0]], row_labels=["a", "b"], column_labels=["x", "y"], threshold=1)
    assert not t.any_suppressed


# ------------------------------------------------------------------ property tests


def reader_view(cell, threshold):
    """What a reader can know of a cell: (low, high). Stricter than the printed symbols: the reader
    is assumed to know that a "[c]" hidden for secondary reasons is at least the threshold."""
    if not cell.suppressed:
        return (cell.value, cell.value)
    if cell.text == f"<{threshold}":
        return (1, threshold - 1)
    assert cell.text == CONFIDENTIAL
    return (threshold, math.inf) if cell.reason == SECONDARY else (1, math.inf)


def feasible_values(target_index, members, threshold, cap):
    """Every value of member `target_index` consistent with the line (by enumeration, independent
    of the module's interval arithmetic): members are (coefficient, (low, high)); they sum to 0."""
    found = []
    lo, hi = members[target_index][1]
    for v in range(int(lo), int(min(hi, cap)) + 1):
        rest_min = rest_max = 0
        for i, (a, (l, h)) in enumerate(members):
            if i == target_index:
                continue
            lo_s, hi_s = (l, h) if a > 0 else (-h, -l)
            rest_min += lo_s
            rest_max += hi_s
        need = -members[target_index][0] * v
        if rest_min <= need <= rest_max:
            found.append(v)
        if len(found) > 1:
            break
    return found


def assert_safe(t, counts, *, row_totals, column_totals):
    th = t.threshold
    n_rows, n_cols = len(counts), len(counts[0])
    view = [[reader_view(c, th) for c in row.cells] for row in t.rows]
    true = [list(r) + ([sum(r)] if row_totals else []) for r in counts]
    if column_totals:
        true.append([sum(col) for col in zip(*true)])
    cap = sum(map(sum, counts)) + 1
    # Nothing shown from 1 to threshold - 1, and what is shown is true.
    for r, row in enumerate(t.rows):
        for c, cell in enumerate(row.cells):
            if not cell.suppressed:
                assert cell.value == true[r][c]
                assert not 0 < cell.value < th, (r, c, cell)
            else:
                lo, hi = reader_view(cell, th)
                assert lo <= true[r][c] <= hi
    lines = []
    if row_totals:
        lines += [[(1, (r, c)) for c in range(n_cols)] + [(-1, (r, n_cols))] for r in range(n_rows)]
    if column_totals:
        lines += [[(1, (r, c)) for r in range(n_rows)] + [(-1, (n_rows, c))] for c in range(n_cols)]
    if row_totals and column_totals:
        lines.append([(1, (n_rows, c)) for c in range(n_cols)] + [(-1, (n_rows, n_cols))])
        lines.append([(1, (r, n_cols)) for r in range(n_rows)] + [(-1, (n_rows, n_cols))])
    for line in lines:
        members = [(a, view[r][c]) for a, (r, c) in line]
        for i, (a, (lo, hi)) in enumerate(members):
            if lo == hi:
                continue  # shown
            r, c = line[i][1]
            values = feasible_values(i, members, th, cap)
            assert true[r][c] in values or len(values) > 1
            assert len(values) >= 2, f"cell {(r, c)} of {counts} is recoverable as {values}: {grid_of(t)}"


small_counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n_rows=st.integers(1, 6),
    n_cols=st.integers(1, 6),
    row_totals=st.booleans(),
    column_totals=st.booleans(),
    threshold=st.sampled_from([3, 5, 10]),  # "<2" can only mean 1: see the module docstring
)
def test_no_hidden_cell_can_be_worked_out_from_any_line_with_a_total(data, n_rows, n_cols, row_totals, column_totals, threshold):
    counts = data.draw(st.lists(st.lists(small_counts, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows))
    t = suppress_counts(
        counts, row_labels=[f"r{i}" for i in range(n_rows)], column_labels=[f"c{i}" for i in range(n_cols)],
        row_totals=row_totals, column_totals=column_totals, threshold=threshold,
    )
    assert_safe(t, counts, row_totals=row_totals, column_totals=column_totals)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=30))
def test_a_single_column_with_a_total_never_gives_away_a_hidden_cell(values):
    assume(any(0 < v < 5 for v in values))
    counts = [[v] for v in values]
    t = suppress_counts(counts, row_labels=[str(i) for i in range(len(values))], column_labels=["n"], row_totals=False)
    assert_safe(t, counts, row_totals=False, column_totals=True)


def test_a_line_of_small_numbers_with_a_small_total_prints_the_total_as_confidential():
    """1 + 1 = 2 with every member "<3" still pins both 1s (each is at least 1, the total at most
    2): the total is printed as "[c]", which promises no upper bound."""
    counts = [[0, 1], [0, 1]]
    t = suppress_counts(counts, row_labels=["a", "b"], column_labels=["x", "y"], row_totals=False, threshold=3)
    assert grid_of(t) == [["0", "<3"], ["0", "<3"], ["0", "[c]"]]
    assert t.rows[2].cells[1].reason == PRIMARY
    assert_safe(t, counts, row_totals=False, column_totals=True)


def test_line_is_safe_examples():
    # x + 7 = 10 with x hidden: x = 3 exactly.
    assert not line_is_safe([(1, 3, PRIMARY), (1, 7, ""), (-1, 10, "")], 5)
    # x + y = 10 with x "<5" and y "[c]": x could be 1..4 with y ≥ 6... but y ≥ 5 means x ≤ 5: 1..4.
    assert line_is_safe([(1, 3, PRIMARY), (1, 7, SECONDARY), (-1, 10, "")], 5)
    # x + y = 6 with x "<5", y "[c]" (y ≥ 5): x = 1 exactly.
    assert not line_is_safe([(1, 1, PRIMARY), (1, 5, SECONDARY), (-1, 6, "")], 5)
