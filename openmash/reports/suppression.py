"""Small-number suppression for every table an analyst sees or exports (issue 6).

A count of children from 1 to `threshold - 1` could identify a child, so it is never shown:

- **Primary suppression.** A count from 1 to threshold − 1 is shown as "<5" (the threshold in the
  text). **0 is shown as 0**: "nobody" identifies nobody, and hiding zeros would make every other
  hidden cell easier to bound (see the lower bounds below).
- **Secondary suppression.** Where a row or column has a total, a hidden cell could be worked out by
  subtracting the shown cells from the total. So, in every such line, if any hidden cell can still be
  pinned to one exact value, the next smallest non-zero shown cell of that line is hidden too (if none
  is left, the line's total); repeated until nothing changes. A cell hidden this way is shown as
  "[c]" (the Government Statistical Service symbol for "confidential"), never as "<5": it is not
  under the threshold, and saying so would be false. Where every member of a line is already hidden
  and small ones still pin each other down (1 + 1 with a total of "<5" means both are 1), a small
  one — the total first — is printed as "[c]" instead of "<5": "[c]" promises no upper bound.
- **Totals** are counts too: a total from 1 to threshold − 1 is itself "<5".
- **Rates** (and percentages) whose denominator is under the threshold are hidden, and so is a rate
  whose numerator is hidden. **Statistics** (median, 90th percentile) of fewer than `threshold`
  values are hidden: the median of one value is that child's value.

What "cannot be worked out" means here, exactly: for each line with a total, take what a reader
knows — the shown numbers, that a "<5" cell is 1 to threshold − 1 (zeros are shown, so it is at least
1), that a "[c]" cell hidden for the totals' sake is at least the threshold (a reader who knows this
algorithm knows it was not small enough to be hidden for itself) —
and the line's equation (cells add up to the total). The algorithm makes sure every hidden cell of
every such line has at least two values consistent with all that (`line_is_safe`). It reasons one line
at a time, which is the guarantee the statistical-disclosure guidance asks of a two-way table; it does
not solve all the lines as one system.

Totals are always computed here (the sum of the row or column): a total that is not the sum of its
cells (children counted in several categories) should be shown as a separate `count_cell` in a
table built without totals.

The result, `Table`, is what the page templates (`reports/_charts.html`) and the exports
(`openmash.reports.exports`) both read, so what is hidden on screen is hidden in every download.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

DEFAULT_THRESHOLD = 5

# Why a cell is hidden.
PRIMARY = "primary"  # a count from 1 to threshold - 1
SECONDARY = "secondary"  # hidden so that a primary cell cannot be worked out from the totals
DENOMINATOR = "denominator"  # a rate or statistic of fewer than threshold cases
NUMERATOR = "numerator"  # a rate whose numerator is hidden

# Internal: a small count printed as "[c]" (not "<5") because in its line every member is hidden and
# the small ones would otherwise pin each other down. A reader can bound it only by "1 or more".
WIDENED = "widened"

CONFIDENTIAL = "[c]"
NOT_APPLICABLE = "–"  # a rate of nothing (denominator 0) or a statistic of no values

# Kinds of cell: how exports format the value.
COUNT, RATE, NUMBER, TEXT = "count", "rate", "number", "text"


def suppression_threshold() -> int:
    """The threshold from settings.REPORTS_SUPPRESSION_THRESHOLD (default 5). 0 or 1 hides nothing;
    2 hides 1s as "<2", which any reader can tell means 1 — use 3 or more for real protection."""
    value = getattr(settings, "REPORTS_SUPPRESSION_THRESHOLD", DEFAULT_THRESHOLD)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"REPORTS_SUPPRESSION_THRESHOLD must be a whole number, not {value!r}") from None
    if value < 0:
        raise ValueError("REPORTS_SUPPRESSION_THRESHOLD must be 0 or more")
    return value


def _threshold(threshold: int | None) -> int:
    return suppression_threshold() if threshold is None else max(0, int(threshold))


def small_text(threshold: int) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class Cell:
    """One cell as everyone must see it.

    `value` is the number (None when hidden, or for a rate of nothing); `text` is what to print;
    `suppressed` and `reason` say whether and why it is hidden; `kind` tells an export how to format
    `value` (count, rate as a fraction 0–1, number, text).
    """

    value: int | float | str | None
    text: str
    suppressed: bool = False
    reason: str = ""
    kind: str = COUNT

    @property
    def numeric(self) -> bool:
        return self.value is not None and self.kind in (COUNT, RATE, NUMBER)


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    is_total: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of cells under column headings; `row_header` heads the column of row labels."""

    title: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    threshold: int
    notes: tuple[str, ...] = field(default=())

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for r in self.rows for c in r.cells)

    @property
    def all_notes(self) -> tuple[str, ...]:
        """The table's own notes, then the key to the suppression symbols when something is hidden."""
        return self.notes + ((suppression_note(self.threshold),) if self.any_suppressed else ())


def suppression_note(threshold: int) -> str:
    return (
        f"{small_text(threshold)}: from 1 to {threshold - 1}, hidden so that no child can be identified. "
        f"{CONFIDENTIAL}: hidden so that a number under {threshold} cannot be worked out from the totals. "
        f"Rates and averages of fewer than {threshold} are hidden too. 0 means none."
    )


# ------------------------------------------------------------------ single cells


def count_cell(n: int | None, *, threshold: int | None = None) -> Cell:
    """A count on its own (primary suppression only: use `suppress_counts` for a table with totals)."""
    t = _threshold(threshold)
    if n is None:
        return Cell(None, NOT_APPLICABLE, kind=COUNT)
    n = _check_count(n)
    if 0 < n < t:
        return Cell(None, small_text(t), True, PRIMARY, COUNT)
    return Cell(n, f"{n:,}", kind=COUNT)


def rate_cell(numerator: int | Cell, denominator: int | Cell, *, threshold: int | None = None, places: int = 1) -> Cell:
    """numerator / denominator as a fraction (value) and a percentage (text), hidden when the
    denominator is under the threshold or the numerator is hidden; "–" when the denominator is 0."""
    t = _threshold(threshold)
    if isinstance(denominator, Cell):
        if denominator.suppressed:
            return Cell(None, CONFIDENTIAL, True, DENOMINATOR, RATE)
        denominator = denominator.value
    if isinstance(numerator, Cell):
        if numerator.suppressed:
            return Cell(None, CONFIDENTIAL, True, NUMERATOR, RATE)
        numerator = numerator.value
    if denominator is None or numerator is None or denominator == 0:
        return Cell(None, NOT_APPLICABLE, kind=RATE)
    numerator, denominator = _check_count(numerator), _check_count(denominator)
    if denominator < t:
        return Cell(None, CONFIDENTIAL, True, DENOMINATOR, RATE)
    if 0 < numerator < t:
        return Cell(None, CONFIDENTIAL, True, NUMERATOR, RATE)
    fraction = numerator / denominator
    return Cell(fraction, f"{fraction * 100:.{places}f}%", kind=RATE)


def statistic_cell(value: float | None, n: int, *, threshold: int | None = None, text: str | None = None) -> Cell:
    """A median, percentile or mean of `n` values; hidden when n is under the threshold.

    `text` is how to print the value (e.g. "3h 20m"); by default the number with up to one decimal."""
    t = _threshold(threshold)
    if value is None or n == 0:
        return Cell(None, NOT_APPLICABLE, kind=NUMBER)
    if n < t:
        return Cell(None, CONFIDENTIAL, True, DENOMINATOR, NUMBER)
    if text is None:
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return Cell(value, text, kind=NUMBER)


def text_cell(text: str) -> Cell:
    return Cell(text, text, kind=TEXT)


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"a count must be a whole number 0 or more, not {n!r}")
    return n


# ------------------------------------------------------------------ tables with totals


def line_ranges(members: Sequence[tuple[int, int, str]], threshold: int) -> list[tuple[float, float] | None]:
    """What a reader can tell about each member of one line with a total.

    `members` are (coefficient, value, status) with coefficient +1 for a cell and −1 for the total
    (so the line says Σ coefficient × value = 0) and status "" (shown), PRIMARY, SECONDARY or WIDENED. For each
    hidden member: the (low, high) range of values consistent with the shown members and the bounds
    of the other hidden ones; None for shown members.

    1. The shown members fix B = −Σ coefficient × value over them; the hidden ones add up to B.
    2. A primary cell is 1..threshold−1 (zeros are shown); a secondary one is threshold or more (a
       reader who knows this algorithm can tell that much); a widened one is 1 or more.
    3. For hidden member i, the others' signed sum lies in [smin, smax], so coefficient_i × x_i lies
       in [B − smax, B − smin]; intersect with i's own bounds.
    """
    bounds = {PRIMARY: (1, threshold - 1), SECONDARY: (threshold, math.inf), WIDENED: (1, math.inf)}
    b = -sum(a * v for a, v, s in members if not s)
    signed = []  # per hidden member: (min, max) of coefficient × x
    for a, _v, s in members:
        if s:
            lo, hi = bounds[s]
            signed.append((lo, hi) if a > 0 else (-hi, -lo))
        else:
            signed.append(None)
    # Sums of the others' bounds without inf − inf: keep the finite part and count the infinities.
    mins, maxs = _Sum([r[0] for r in signed if r]), _Sum([r[1] for r in signed if r])
    out = []
    for (a, _v, s), r in zip(members, signed):
        if not s:
            out.append(None)
            continue
        lo_signed, hi_signed = b - maxs.without(r[1]), b - mins.without(r[0])
        lo, hi = (lo_signed, hi_signed) if a > 0 else (-hi_signed, -lo_signed)
        own_lo, own_hi = bounds[s]
        out.append((max(lo, own_lo), min(hi, own_hi)))
    return out


class _Sum:
    """A sum of numbers some of which are ±infinity, from which one term can be taken back out."""

    def __init__(self, values):
        self.finite = sum(v for v in values if not math.isinf(v))
        self.pos = sum(1 for v in values if v == math.inf)
        self.neg = sum(1 for v in values if v == -math.inf)

    def without(self, v) -> float:
        pos, neg, finite = self.pos - (v == math.inf), self.neg - (v == -math.inf), self.finite - (0 if math.isinf(v) else v)
        if pos and neg:  # cannot arise: a line's members are all bounded on the same side
            raise ArithmeticError("unbounded both ways")
        return math.inf if pos else -math.inf if neg else finite


def line_is_safe(members: Sequence[tuple[int, int, str]], threshold: int) -> bool:
    """True when no hidden member of the line can be pinned to a single value (other than by its
    own symbol: with threshold 2, "<2" can only mean 1, and no other cell can change that)."""
    ranges = line_ranges(members, threshold)
    return all(r is None or r[1] - r[0] >= 1 or (s == PRIMARY and threshold == 2) for r, (_a, _v, s) in zip(ranges, members))


def suppress_counts(
    counts: Sequence[Sequence[int]],
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    row_totals: bool = True,
    column_totals: bool = True,
    threshold: int | None = None,
    title: str = "",
    row_header: str = "",
    total_label: str = "Total",
    notes: Sequence[str] = (),
) -> Table:
    """A table of counts (rows × columns of non-negative whole numbers) with primary and secondary
    suppression, and a total column and/or total row computed from the counts.

    1. Lay the counts out with their totals as one grid (the grand total where both meet).
    2. Primary: every cell or total from 1 to threshold − 1 is hidden.
    3. Lines: each row with a total, each column with a total, and — when both totals are shown —
       the total row and total column (their total is the grand total).
    4. Repeat until no line changes: for a line in which some hidden member could be pinned to one
       value (`line_is_safe`), hide its smallest non-zero shown cell (ties: the first); if it has no
       shown non-zero cell, hide its total.
    """
    t = _threshold(threshold)
    n_rows, n_cols = len(counts), len(column_labels)
    if len(row_labels) != n_rows:
        raise ValueError("one row label per row of counts")
    grid: list[list[int]] = []
    for r, row in enumerate(counts):
        if len(row) != n_cols:
            raise ValueError(f"row {r + 1} has {len(row)} counts for {n_cols} columns")
        grid.append([_check_count(v) for v in row])
    # 1. Totals as extra column C and row R.
    if row_totals:
        for row in grid:
            row.append(sum(row))
    if column_totals:
        grid.append([sum(grid[r][c] for r in range(n_rows)) for c in range(len(grid[0]) if grid else n_cols + row_totals)])
    height, width = len(grid), (len(grid[0]) if grid else 0)
    status = [["" for _ in range(width)] for _ in range(height)]
    # 2. Primary.
    for r in range(height):
        for c in range(width):
            if 0 < grid[r][c] < t:
                status[r][c] = PRIMARY
    # 3. Lines: (cells, total position); the total is the last column or row.
    lines: list[tuple[list[tuple[int, int]], tuple[int, int]]] = []
    if row_totals:
        for r in range(n_rows):
            lines.append(([(r, c) for c in range(n_cols)], (r, n_cols)))
    if column_totals:
        for c in range(n_cols):
            lines.append(([(r, c) for r in range(n_rows)], (n_rows, c)))
    if row_totals and column_totals:
        lines.append(([(n_rows, c) for c in range(n_cols)], (n_rows, n_cols)))
        lines.append(([(r, n_cols) for r in range(n_rows)], (n_rows, n_cols)))
    # 4. Secondary, until stable. Each pass hides at least one more cell or stops, so it ends.
    if t > 1:
        changed = True
        while changed:
            changed = False
            for cells, total in lines:
                members = [(1, grid[r][c], status[r][c]) for r, c in cells] + [(-1, grid[total[0]][total[1]], status[total[0]][total[1]])]
                if line_is_safe(members, t):
                    continue
                shown = [(grid[r][c], i, (r, c)) for i, (r, c) in enumerate(cells) if not status[r][c] and grid[r][c] > 0]
                tr, tc = total
                if shown:
                    _, _, (r, c) = min(shown)
                    status[r][c] = SECONDARY
                elif not status[tr][tc]:
                    status[tr][tc] = SECONDARY
                else:
                    # Every member is hidden and small ones still pin each other down (1 + 1 = "<5"
                    # total): print a small one as "[c]", which promises no upper bound.
                    small = [(p == total, grid[p[0]][p[1]], p) for p in [*cells, total] if status[p[0]][p[1]] == PRIMARY]
                    if not small:
                        continue
                    _, _, (r, c) = max(small)
                    status[r][c] = WIDENED
                changed = True

    def cell(r: int, c: int) -> Cell:
        v, s = grid[r][c], status[r][c]
        if s == PRIMARY:
            return Cell(None, small_text(t), True, PRIMARY, COUNT)
        if s in (SECONDARY, WIDENED):
            return Cell(None, CONFIDENTIAL, True, PRIMARY if s == WIDENED else SECONDARY, COUNT)
        return Cell(v, f"{v:,}", kind=COUNT)

    rows = tuple(Row(str(row_labels[r]), tuple(cell(r, c) for c in range(width))) for r in range(n_rows))
    if column_totals:
        rows += (Row(total_label, tuple(cell(n_rows, c) for c in range(width)), is_total=True),)
    columns = tuple(str(c) for c in column_labels) + ((total_label,) if row_totals else ())
    return Table(title=title, row_header=row_header, columns=columns, rows=rows, threshold=t, notes=tuple(notes))


def table(*, title: str, row_header: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[Cell]]],
          threshold: int | None = None, notes: Sequence[str] = (), total_rows: int = 0) -> Table:
    """A table of cells already made with `count_cell`, `rate_cell`, `statistic_cell`, `text_cell`
    (e.g. one row per agency with requests, on-time rate, median). The last `total_rows` rows are
    marked as totals. No secondary suppression: use `suppress_counts` for counts with totals."""
    t = _threshold(threshold)
    built = []
    for i, (label, cells) in enumerate(rows):
        if len(cells) != len(columns):
            raise ValueError(f"row {label!r} has {len(cells)} cells for {len(columns)} columns")
        built.append(Row(str(label), tuple(cells), is_total=i >= len(rows) - total_rows))
    return Table(title=title, row_header=row_header, columns=tuple(columns), rows=tuple(built), threshold=t, notes=tuple(notes))


def column_cells(table_: Table, index: int) -> list[Cell]:
    """The cells of one column (without total rows): what a chart of that column draws."""
    return [row.cells[index] for row in table_.rows if not row.is_total]
