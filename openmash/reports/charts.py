"""Server-drawn SVG charts: no JavaScript, no network, readable by assistive technology.

Each chart is one `<svg role="img" aria-labelledby="ID-title ID-desc">` with a `<title>` (what it
shows) and a `<desc>` (a sentence of what it says: range, highest, how many hidden), in GOV.UK
colours, with axis labels and "nice" tick values (0, 250, 500, …). The numbers themselves are in the
data table that sits beside every chart (`reports/_charts.html`, macro `chart_with_table`): a chart
is a picture of the table, not a substitute for it.

Values may be plain numbers, None (no data) or `suppression.Cell`s. A hidden cell is never drawn at
its true height: it gets a short hatched marker of fixed height and its printed text ("<5", "[c]").

Only presentation attributes are used (fill, stroke, font-size), never `style`: the service's
Content-Security-Policy allows no inline styles.

    bar_chart(chart_id=..., title=..., labels=[...], values=[...])      volumes by day/week/month
    hbar_chart(chart_id=..., title=..., labels=[...], values=[...])     by source, by agency
    line_chart(chart_id=..., title=..., labels=[...], series=[(name, values), ...])
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from openmash.reports.suppression import RATE, Cell

# GOV.UK Design System colours.
BLUE = "#1d70b8"
DARK_BLUE = "#003078"
TEXT = "#0b0c0c"
SECONDARY_TEXT = "#505a5f"
MID_GREY = "#b1b4b6"
LIGHT_GREY = "#f3f2f1"
WHITE = "#ffffff"
# Line series: colours that stay apart for common colour-blindness, each with its own dash pattern.
SERIES = [(BLUE, ""), ("#d4351c", "6 3"), ("#00703c", "2 3"), ("#f47738", "8 3 2 3"), ("#4c2c92", "1 2")]
FONT = "arial, sans-serif"

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def _check_id(chart_id: str) -> str:
    if not isinstance(chart_id, str) or not _ID.match(chart_id):
        raise ValueError("chart_id must be a letter then letters, digits, _ or - (it becomes an HTML id)")
    return chart_id


# ------------------------------------------------------------------ numbers


def nice_ticks(max_value: float, *, count: int = 5, integer: bool = True) -> list[float]:
    """Tick values from 0 to at least `max_value` in steps of 1, 2, 2.5 or 5 × a power of ten.

    1. The raw step is max / count; its power of ten is `magnitude`.
    2. The step is the first of 1, 2, 2.5, 5, 10 × magnitude not below the raw step (whole numbers
       only when `integer`, so counts never get a 2.5 tick).
    3. Ticks run from 0 to the first multiple of the step at or above max.
    """
    if not max_value or max_value < 1e-9 or not math.isfinite(max_value):  # nothing, or too small to step through
        return [0, 1] if integer else [0, 0.25, 0.5, 0.75, 1]
    raw = max_value / max(1, count)
    if integer and raw <= 1:
        step = 1
    else:
        magnitude = 10 ** math.floor(math.log10(raw))
        steps = (1, 2, 5, 10) if integer and magnitude < 10 else (1, 2, 2.5, 5, 10)
        step = next(m * magnitude for m in steps if m * magnitude >= raw * (1 - 1e-9))
    top = max(1, math.ceil(max_value / step - 1e-9)) * step
    n = int(round(top / step))
    return [_clean(i * step) for i in range(n + 1)]


def _clean(v: float) -> float:
    """Drop floating-point noise (0.30000000000000004 → 0.3) and print whole numbers as such."""
    r = float(f"{v:.12g}")
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


def format_number(v: float, *, percent: bool = False) -> str:
    """Compact tick text: 950, 1,500, 12k, 1.5M, 2B; percentages as 25%."""
    if percent:
        pct = v * 100
        return f"{pct:.0f}%" if float(round(pct, 6)).is_integer() else f"{pct:.1f}%"
    a = abs(v)
    for at_least, size, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if a >= at_least:
            x = v / size
            return (f"{x:.0f}" if float(round(x, 6)).is_integer() else f"{x:.1f}".rstrip("0").rstrip(".")) + suffix
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Point:
    value: float | None  # None: nothing to draw
    text: str  # what the table says
    hidden: bool  # suppressed: draw the marker, never the height


def _point(v, *, percent: bool) -> Point:
    if isinstance(v, Cell):
        if v.suppressed:
            return Point(None, v.text, True)
        if v.value is None or not v.numeric:
            return Point(None, v.text, False)
        value = float(v.value)
        return Point(value, v.text, False)
    if v is None:
        return Point(None, "no data", False)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"a chart value must be a number, None or a Cell, not {v!r}")
    return Point(float(v), format_number(v, percent=percent) if percent else f"{v:,}", False)


def _is_percent(values) -> bool:
    return any(isinstance(v, Cell) and v.kind == RATE for v in values)


def _truncate(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: max(1, n - 1)] + "…"


def _f(v: float) -> str:
    """Coordinates to 0.1 px: small output, and the same output for the same input."""
    r = round(float(v), 1)
    return str(int(r)) if r.is_integer() else f"{r:.1f}"


def _label_spacing(labels: Sequence[str], band: float, max_labels: int) -> tuple[int, int]:
    """Label every k-th bar so the labels do not overlap: fewer labels rather than cut ones, unless
    even one label a band is too long (then they are shortened with "…")."""
    n = len(labels)
    longest = max((len(lab) for lab in labels), default=1)
    every = max(1, math.ceil(n / max(1, max_labels)), math.ceil((longest * 6.6 + 6) / max(band, 0.1)))
    every = min(every, max(1, math.ceil(n / 2)))  # always at least two labels when there are two bars
    return every, max(3, int((band * every - 6) / 6.6))


def _text_width(text: str, size: float) -> float:
    return len(str(text)) * size * 0.55


# ------------------------------------------------------------------ common parts


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" id="{chart_id}" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false" '
        f'font-family="{FONT}" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<defs><pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{WHITE}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{SECONDARY_TEXT}" stroke-width="2"/>'
        f"</pattern></defs>",
    ]


def _describe(kind: str, labels: Sequence[str], points: Sequence[Point], *, percent: bool, unit: str = "") -> str:
    shown = [(lab, p) for lab, p in zip(labels, points) if p.value is not None]
    hidden = sum(1 for p in points if p.hidden)
    if not points:
        return f"{kind}: no data."
    parts = [f"{kind} of {len(points)} value{'s' if len(points) != 1 else ''}"]
    if len(labels) > 1:
        parts[0] += f", from {labels[0]} to {labels[-1]}"
    if shown:
        top_label, top = max(shown, key=lambda lp: lp[1].value)
        low_label, low = min(shown, key=lambda lp: lp[1].value)
        parts.append(f"highest {top_label} ({top.text}{unit})")
        if len(shown) > 1:
            parts.append(f"lowest {low_label} ({low.text}{unit})")
    else:
        parts.append("nothing to show")
    sentence = "; ".join(parts) + "."
    if hidden:
        sentence += f" {hidden} value{'s are' if hidden != 1 else ' is'} hidden to protect small numbers."
    return sentence + " The same figures are in the table."


def _empty(chart_id: str, width: int, height: int, title: str, message: str) -> Markup:
    out = _open(chart_id, width, height, title, message)
    out.append(f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="{LIGHT_GREY}" stroke="{MID_GREY}"/>')
    out.append(f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" font-size="16" fill="{SECONDARY_TEXT}">{escape(message)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _hidden_marker(chart_id: str, x: float, y: float, w: float, h: float, label: str, text: str, show_text: bool, *, horizontal=False) -> str:
    parts = [
        f'<g class="app-chart__hidden"><rect x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0.5))}" height="{_f(max(h, 0.5))}" '
        f'fill="url(#{chart_id}-hatch)" stroke="{SECONDARY_TEXT}" stroke-width="0.5"><title>{escape(label)}: {escape(text)} (hidden)</title></rect>'
    ]
    if show_text:
        if horizontal:
            parts.append(f'<text x="{_f(x + w + 4)}" y="{_f(y + h / 2 + 4)}" font-size="12" fill="{SECONDARY_TEXT}">{escape(text)}</text>')
        else:
            parts.append(f'<text x="{_f(x + w / 2)}" y="{_f(y - 4)}" text-anchor="middle" font-size="11" fill="{SECONDARY_TEXT}">{escape(text)}</text>')
    parts.append("</g>")
    return "".join(parts)


# ------------------------------------------------------------------ vertical bars


def _bars(kind: str, chart_id: str, labels: Sequence, values: Sequence, description: str | None):
    """What every bar chart starts from: a checked id, the labels as text, the points, whether they
    are percentages, and the description (given, or written from the values)."""
    chart_id = _check_id(chart_id)
    labels = [str(x) for x in labels]
    if len(labels) != len(values):
        raise ValueError("one label per value")
    percent = _is_percent(values)
    points = [_point(v, percent=percent) for v in values]
    return chart_id, labels, points, percent, description or _describe(kind, labels, points, percent=percent)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence,
    description: str | None = None,
    x_label: str = "",
    y_label: str = "",
    width: int = 640,
    height: int = 320,
    max_labels: int = 12,
) -> Markup:
    """Vertical bars, one per label in order (volumes by day, week or month)."""
    chart_id, labels, points, percent, desc = _bars("Bar chart", chart_id, labels, values, description)
    if not points or all(p.value is None and not p.hidden for p in points):
        return _empty(chart_id, width, height, title, "No data for this period")
    top_value = max((p.value for p in points if p.value is not None), default=0)
    ticks = nice_ticks(top_value, integer=not percent)
    tick_texts = [format_number(t, percent=percent) for t in ticks]
    left = 14 + max(_text_width(t, 12) for t in tick_texts) + (18 if y_label else 0)
    right, top_m = 12, 16
    bottom = 28 + (20 if x_label else 0)
    pw, ph = width - left - right, height - top_m - bottom
    base = top_m + ph
    axis_max = ticks[-1]
    out = _open(chart_id, width, height, title, desc)
    for t, text in zip(ticks, tick_texts):
        y = base - t / axis_max * ph
        out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + pw)}" y2="{_f(y)}" stroke="{MID_GREY}" stroke-width="1"/>')
        out.append(f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" font-size="12" fill="{TEXT}">{escape(text)}</text>')
    n = len(points)
    band = pw / n
    bar_w = min(band * 0.8, 60)
    every, max_chars = _label_spacing(labels, band, max_labels)
    for i, (label, p) in enumerate(zip(labels, points)):
        x = left + i * band + (band - bar_w) / 2
        if p.hidden:
            out.append(_hidden_marker(chart_id, x, base - 8, bar_w, 8, label, p.text, band >= 16))
        elif p.value is not None:
            h = p.value / axis_max * ph
            out.append(
                f'<rect x="{_f(x)}" y="{_f(base - h)}" width="{_f(max(bar_w, 0.5))}" height="{_f(h)}" fill="{BLUE}">'
                f"<title>{escape(label)}: {escape(p.text)}</title></rect>"
            )
        if i % every == 0:
            cx = left + i * band + band / 2
            out.append(f'<text x="{_f(cx)}" y="{_f(base + 18)}" text-anchor="middle" font-size="12" fill="{TEXT}">{escape(_truncate(label, max_chars))}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + pw)}" y2="{_f(base)}" stroke="{TEXT}" stroke-width="1"/>')
    _axis_titles(out, x_label, y_label, left, pw, top_m, ph, height)
    out.append("</svg>")
    return Markup("".join(out))


def _axis_titles(out, x_label, y_label, left, pw, top_m, ph, height):
    if x_label:
        out.append(f'<text x="{_f(left + pw / 2)}" y="{_f(height - 6)}" text-anchor="middle" font-size="13" font-weight="bold" fill="{TEXT}">{escape(x_label)}</text>')
    if y_label:
        cy = top_m + ph / 2
        out.append(f'<text x="14" y="{_f(cy)}" transform="rotate(-90 14 {_f(cy)})" text-anchor="middle" font-size="13" font-weight="bold" fill="{TEXT}">{escape(y_label)}</text>')


# ------------------------------------------------------------------ horizontal bars


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence,
    description: str | None = None,
    x_label: str = "",
    width: int = 640,
    row_height: int = 26,
    max_label_chars: int = 30,
) -> Markup:
    """Horizontal bars, one row per label (by referral source, by agency), each with its value."""
    chart_id, labels, points, percent, desc = _bars("Horizontal bar chart", chart_id, labels, values, description)
    n = len(points)
    top_m, bottom = 8, 30 + (20 if x_label else 0)
    height = top_m + max(1, n) * row_height + bottom
    if not points or all(p.value is None and not p.hidden for p in points):
        return _empty(chart_id, width, max(height, 120), title, "No data for this period")
    top_value = max((p.value for p in points if p.value is not None), default=0)
    ticks = nice_ticks(top_value, integer=not percent)
    shown_labels = [_truncate(lab, max_label_chars) for lab in labels]
    left = 12 + max(_text_width(lab, 13) for lab in shown_labels)
    value_room = 12 + max(_text_width(p.text, 12) for p in points)
    right = max(16, value_room)
    pw = max(40.0, width - left - right)
    axis_max = ticks[-1]
    base_y = top_m + n * row_height
    out = _open(chart_id, width, height, title, desc)
    for t in ticks:
        x = left + t / axis_max * pw
        out.append(f'<line x1="{_f(x)}" y1="{top_m}" x2="{_f(x)}" y2="{_f(base_y)}" stroke="{MID_GREY}" stroke-width="1"/>')
        out.append(f'<text x="{_f(x)}" y="{_f(base_y + 16)}" text-anchor="middle" font-size="12" fill="{TEXT}">{escape(format_number(t, percent=percent))}</text>')
    bar_h = row_height * 0.7
    for i, (label, short, p) in enumerate(zip(labels, shown_labels, points)):
        y = top_m + i * row_height + (row_height - bar_h) / 2
        out.append(f'<text x="{_f(left - 8)}" y="{_f(y + bar_h / 2 + 4)}" text-anchor="end" font-size="13" fill="{TEXT}">{escape(short)}</text>')
        if p.hidden:
            out.append(_hidden_marker(chart_id, left, y, 8, bar_h, label, p.text, True, horizontal=True))
        elif p.value is not None:
            w = p.value / axis_max * pw
            out.append(
                f'<rect x="{_f(left)}" y="{_f(y)}" width="{_f(w)}" height="{_f(bar_h)}" fill="{BLUE}">'
                f"<title>{escape(label)}: {escape(p.text)}</title></rect>"
            )
            out.append(f'<text x="{_f(left + w + 4)}" y="{_f(y + bar_h / 2 + 4)}" font-size="12" fill="{TEXT}">{escape(p.text)}</text>')
        else:
            out.append(f'<text x="{_f(left + 4)}" y="{_f(y + bar_h / 2 + 4)}" font-size="12" fill="{SECONDARY_TEXT}">{escape(p.text)}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{top_m}" x2="{_f(left)}" y2="{_f(base_y)}" stroke="{TEXT}" stroke-width="1"/>')
    if x_label:
        out.append(f'<text x="{_f(left + pw / 2)}" y="{_f(height - 6)}" text-anchor="middle" font-size="13" font-weight="bold" fill="{TEXT}">{escape(x_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# ------------------------------------------------------------------ lines


def line_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    description: str | None = None,
    x_label: str = "",
    y_label: str = "",
    width: int = 640,
    height: int = 320,
    max_labels: int = 12,
) -> Markup:
    """One line per series over the labels (months, weeks); a hidden or missing point breaks the
    line (it is not joined across), and a hidden one gets a hatched marker on the axis."""
    chart_id = _check_id(chart_id)
    labels = [str(x) for x in labels]
    if not series:
        series = [("", [])]
    if len(series) > len(SERIES):
        raise ValueError(f"at most {len(SERIES)} series in one chart")
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} needs one value per label")
    percent = any(_is_percent(values) for _, values in series)
    all_points = [[_point(v, percent=percent) for v in values] for _, values in series]
    if description is None:
        descs = [_describe(f"Line{' ' + name if name else ''}", labels, pts, percent=percent).removesuffix(" The same figures are in the table.") for (name, _), pts in zip(series, all_points)]
        description = "Line chart. " + " ".join(descs) + " The same figures are in the table."
    if not labels or all(p.value is None and not p.hidden for pts in all_points for p in pts):
        return _empty(chart_id, width, height, title, "No data for this period")
    top_value = max((p.value for pts in all_points for p in pts if p.value is not None), default=0)
    ticks = nice_ticks(top_value, integer=not percent)
    tick_texts = [format_number(t, percent=percent) for t in ticks]
    legend = len(series) > 1 or bool(series[0][0])
    left = 14 + max(_text_width(t, 12) for t in tick_texts) + (18 if y_label else 0)
    right, top_m = 16, 16 + (22 if legend else 0)
    bottom = 28 + (20 if x_label else 0)
    pw, ph = width - left - right, height - top_m - bottom
    base = top_m + ph
    axis_max = ticks[-1]
    n = len(labels)
    step = pw / n
    out = _open(chart_id, width, height, title, description)
    for t, text in zip(ticks, tick_texts):
        y = base - t / axis_max * ph
        out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + pw)}" y2="{_f(y)}" stroke="{MID_GREY}" stroke-width="1"/>')
        out.append(f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" font-size="12" fill="{TEXT}">{escape(text)}</text>')
    every, max_chars = _label_spacing(labels, step, max_labels)
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(f'<text x="{_f(left + (i + 0.5) * step)}" y="{_f(base + 18)}" text-anchor="middle" font-size="12" fill="{TEXT}">{escape(_truncate(label, max_chars))}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + pw)}" y2="{_f(base)}" stroke="{TEXT}" stroke-width="1"/>')
    markers = n <= 60
    for s, ((name, _values), pts) in enumerate(zip(series, all_points)):
        colour, dash = SERIES[s]
        segments, current = [], []
        for i, p in enumerate(pts):
            if p.value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((left + (i + 0.5) * step, base - p.value / axis_max * ph, labels[i], p))
        if current:
            segments.append(current)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="app-chart__series">')
        for seg in segments:
            if len(seg) > 1:
                d = "M" + " L".join(f"{_f(x)} {_f(y)}" for x, y, _, _ in seg)
                out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="3"{dash_attr}/>')
            for x, y, label, p in seg:
                if markers or len(seg) == 1:
                    out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" fill="{colour}"><title>{escape(name + ": " if name else "")}{escape(label)}: {escape(p.text)}</title></circle>')
        for i, p in enumerate(pts):
            if p.hidden:
                x = left + (i + 0.5) * step
                mw = min(10, step * 0.6)
                out.append(_hidden_marker(chart_id, x - mw / 2, base - 8 - 9 * s, mw, 8, (name + ": " if name else "") + labels[i], p.text, step >= 16 and s == 0))
        out.append("</g>")
    if legend:
        x = left
        for s, (name, _values) in enumerate(series):
            colour, dash = SERIES[s]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{_f(x)}" y1="12" x2="{_f(x + 24)}" y2="12" stroke="{colour}" stroke-width="3"{dash_attr}/>')
            out.append(f'<text x="{_f(x + 30)}" y="16" font-size="13" fill="{TEXT}">{escape(name)}</text>')
            x += 30 + _text_width(name, 13) + 24
    _axis_titles(out, x_label, y_label, left, pw, top_m, ph, height)
    out.append("</svg>")
    return Markup("".join(out))
