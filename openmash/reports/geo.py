"""Places for the hotspot reports: postcode districts and sectors, council boundary files (GeoJSON),
postcode-to-area lookups, and choropleth maps drawn as SVG with no tile server (issue 6).

Postcodes. `postcode_district("se154ab")` → "SE15" (the outward code), `postcode_sector` → "SE15 4"
(outward code and the first character of the inward code). Anything blank or not a postcode is
"Unknown" — a count of children in "Unknown" is still a count the hub needs to see.

Boundaries. A council uploads its wards or neighbourhoods as a GeoJSON FeatureCollection of Polygons
and MultiPolygons in longitude/latitude (WGS 84, as RFC 7946 requires), naming which property holds
each area's code and which its name. `parse_boundaries` checks all of it and explains every problem
in words a council's GIS officer can act on ("Feature 12 (E05000123): …").

Maps. `project` turns the boundaries into SVG paths: equirectangular, with longitude scaled by the
cosine of the middle latitude (so a borough is not squashed), fitted to the view box, y flipped
(north up), coordinates rounded to 0.1 px with repeated points dropped (a ward file of megabytes
becomes a page of kilobytes). `choropleth_svg` fills each area by its count in five classes of
blues (quantiles or fixed breaks); a hidden count is hatched and labelled ("<5"), never coloured.

Postcode lookup. A CSV with the header `postcode,area_code` (a byte-order mark is fine), as
exported from the ONS postcode directory; every bad line is reported as "line N: reason", and codes
that are not in the boundary file are reported too.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from openmash.people.identifiers import clean_postcode
from openmash.reports.suppression import Cell

UNKNOWN = "Unknown"
MAX_GEOJSON_BYTES = 20 * 1024 * 1024
MAX_LOOKUP_BYTES = 20 * 1024 * 1024
MAX_FEATURES = 5000
MAX_PROBLEMS = 10  # problems listed before "and N more": enough to fix a file, not a wall of text
CODE_MAX, NAME_MAX, POSTCODE_MAX = 40, 120, 8  # the Area and AreaPostcode columns

# ------------------------------------------------------------------ postcodes

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def _parts(value) -> tuple[str, str] | None:
    """(outward, inward) of a full postcode, (outward, "") of an outward code alone, else None."""
    if not isinstance(value, str):
        return None
    try:
        full = clean_postcode(value)
    except ValueError:
        compact = re.sub(r"\s", "", value).upper()
        return (compact, "") if _OUTWARD.match(compact) else None
    if not full:
        return None
    outward, inward = full.split(" ")
    return outward, inward


def postcode_district(value) -> str:
    """The postcode district (outward code): "se15 4ab" → "SE15"; blank or invalid → "Unknown"."""
    parts = _parts(value)
    return parts[0] if parts else UNKNOWN


def postcode_sector(value) -> str:
    """The postcode sector: "SE154AB" → "SE15 4"; an outward code alone, blank or invalid → "Unknown"."""
    parts = _parts(value)
    return f"{parts[0]} {parts[1][0]}" if parts and parts[1] else UNKNOWN


# ------------------------------------------------------------------ boundaries


class GeoError(ValueError):
    """What is wrong with an uploaded file: `messages`, each one problem, at most MAX_PROBLEMS + 1.

    `fields[i]`, when given, names the upload-form field message i is about ("code_property",
    "name_property"); otherwise it is about the file itself."""

    def __init__(self, messages: Sequence[str], fields: Sequence[str | None] | None = None):
        self.messages = list(messages)
        self.fields = list(fields) if fields is not None else [None] * len(self.messages)
        super().__init__(self.messages[0] if self.messages else "The file could not be read")


class _Problems:
    def __init__(self):
        self.items: list[str] = []
        self.more = 0

    def add(self, message: str):
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(message)
        else:
            self.more += 1

    def raise_if_any(self):
        if self.items:
            extra = [f"…and {self.more} more problem{'s' if self.more != 1 else ''}"] if self.more else []
            raise GeoError(self.items + extra)


Ring = list[tuple[float, float]]
Polygon = list[Ring]  # outer ring, then holes


@dataclass
class Boundary:
    code: str
    name: str
    polygons: list[Polygon] = field(default_factory=list)


def _decode(data: bytes | str, *, what: str, max_bytes: int) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise GeoError([f"The {what} must be smaller than {max_bytes // (1024 * 1024)} MB"])
    if not data.strip():
        raise GeoError([f"The {what} is empty"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GeoError([f"The {what} must be saved as UTF-8 text"]) from None


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _property_text(value) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_ring(ring, where: str, problems: _Problems) -> Ring | None:
    if not isinstance(ring, list) or len(ring) < 4:
        problems.add(f"{where}: each ring needs at least 4 positions (the first repeated at the end)")
        return None
    out: Ring = []
    for position in ring:
        if not isinstance(position, list) or len(position) < 2 or not all(_is_number(v) for v in position[:2]):
            problems.add(f"{where}: every position must be [longitude, latitude] as numbers")
            return None
        lon, lat = float(position[0]), float(position[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            if abs(lon) > 1000 or abs(lat) > 1000:
                problems.add(
                    f"{where}: coordinates like {position[0]}, {position[1]} are not longitude and latitude; the file looks "
                    "projected (British National Grid?). Export it as GeoJSON in WGS 84 (EPSG:4326)"
                )
            else:
                problems.add(f"{where}: longitude must be from -180 to 180 and latitude from -90 to 90 (found {position[0]}, {position[1]})")
            return None
        out.append((lon, lat))
    if len(set(out)) < 3:
        problems.add(f"{where}: a ring needs at least 3 different positions")
        return None
    return out


def _check_geometry(geometry, where: str, problems: _Problems) -> list[Polygon] | None:
    if not isinstance(geometry, dict):
        problems.add(f"{where}: has no geometry")
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons_in = [coordinates]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            problems.add(f"{where}: a MultiPolygon needs a list of polygons")
            return None
        polygons_in = coordinates
    else:
        problems.add(f"{where}: geometry must be a Polygon or MultiPolygon, not {str(kind)[:30] if kind else 'nothing'}")
        return None
    polygons: list[Polygon] = []
    for polygon in polygons_in:
        if not isinstance(polygon, list) or not polygon:
            problems.add(f"{where}: a polygon needs a list of rings")
            return None
        rings = []
        for ring in polygon:
            checked = _check_ring(ring, where, problems)
            if checked is None:
                return None
            rings.append(checked)
        polygons.append(rings)
    return polygons


def geojson_property_names(data: dict) -> list[str]:
    """The property names that appear on the features (to suggest when the one given is not there)."""
    names: dict[str, None] = {}
    for feature in data.get("features", [])[:200] if isinstance(data.get("features"), list) else []:
        if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
            for key in feature["properties"]:
                names.setdefault(str(key), None)
    return list(names)


def parse_boundaries(data: bytes | str, *, code_property: str, name_property: str, max_bytes: int = MAX_GEOJSON_BYTES) -> list[Boundary]:
    """Check a GeoJSON FeatureCollection and return its areas; raise GeoError listing the problems.

    1. At most `max_bytes`, UTF-8 (a byte-order mark is fine), valid JSON without NaN or Infinity.
    2. A FeatureCollection of 1 to MAX_FEATURES Features, each a Polygon or MultiPolygon whose
       positions are numeric [longitude, latitude] in range, each ring at least 4 positions.
    3. Each feature has `code_property` (at most 40 characters) and `name_property` (at most 120).
       Two features with the same code and name are one area in several pieces (their polygons are
       joined); the same code with different names is a mistake.
    """
    text = _decode(data, what="boundary file", max_bytes=max_bytes)
    try:
        parsed = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GeoError([f"The boundary file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]) from None
    except (ValueError, RecursionError) as exc:
        raise GeoError([f"The boundary file is not valid GeoJSON: {str(exc)[:100]}"]) from None
    if not isinstance(parsed, dict) or parsed.get("type") != "FeatureCollection":
        found = parsed.get("type") if isinstance(parsed, dict) else type(parsed).__name__
        raise GeoError([f"The boundary file must be a GeoJSON FeatureCollection (found {str(found)[:30]})"])
    features = parsed.get("features")
    if not isinstance(features, list) or not features:
        raise GeoError(["The boundary file has no features"])
    if len(features) > MAX_FEATURES:
        raise GeoError([f"The boundary file has {len(features):,} features; at most {MAX_FEATURES:,} can be drawn"])
    code_property, name_property = (code_property or "").strip(), (name_property or "").strip()
    names = geojson_property_names(parsed)
    missing = [p for p in (code_property, name_property) if p not in names]
    if missing:
        shown = ", ".join(names[:20]) if names else "none"
        raise GeoError(
            [f'No feature has a property called "{p}". The properties in this file are: {shown}' if p else "Enter the name of a property" for p in missing],
            fields=["code_property" if p == code_property else "name_property" for p in missing],
        )

    problems = _Problems()
    areas: dict[str, Boundary] = {}
    first_seen: dict[str, int] = {}
    for i, feature in enumerate(features, start=1):
        where = f"Feature {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.add(f"{where}: is not a GeoJSON Feature")
            continue
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        code, name = _property_text(properties.get(code_property)), _property_text(properties.get(name_property))
        if code:
            where = f"Feature {i} ({code[:CODE_MAX]})"
        polygons = _check_geometry(feature.get("geometry"), where, problems)
        if not code:
            problems.add(f'{where}: has no "{code_property}" (the area code)')
            continue
        if len(code) > CODE_MAX:
            problems.add(f"{where}: the code must be {CODE_MAX} characters or fewer")
            continue
        if not name:
            problems.add(f'{where}: has no "{name_property}" (the area name)')
            continue
        if len(name) > NAME_MAX:
            problems.add(f"{where}: the name must be {NAME_MAX} characters or fewer")
            continue
        if polygons is None:
            continue
        if code in areas:
            if areas[code].name != name:
                problems.add(f'{where}: the code {code} is also feature {first_seen[code]}, named "{areas[code].name}"')
                continue
            areas[code].polygons.extend(polygons)
        else:
            areas[code] = Boundary(code, name, polygons)
            first_seen[code] = i
    problems.raise_if_any()
    return list(areas.values())


def boundaries_from_stored(geojson: str, *, code_property: str = "code", name_property: str = "name") -> list[Boundary]:
    """Boundaries from the GeoJSON an AreaSet keeps (written by `stored_geojson`)."""
    return parse_boundaries(geojson, code_property=code_property, name_property=name_property, max_bytes=max(MAX_GEOJSON_BYTES, len(geojson) * 4 + 1))


def stored_geojson(boundaries: Sequence[Boundary], *, places: int = 6) -> str:
    """A compact FeatureCollection with `code` and `name` properties only, coordinates to `places`
    decimals (6 is about 10 cm): what an AreaSet keeps, whatever else the upload carried."""
    features = []
    for b in boundaries:
        polygons = [[[[round(lon, places), round(lat, places)] for lon, lat in ring] for ring in polygon] for polygon in b.polygons]
        features.append({
            "type": "Feature", "properties": {"code": b.code, "name": b.name},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        })
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------ projection


@dataclass(frozen=True)
class MapArea:
    code: str
    name: str
    path: str  # SVG path data; "" if the area is smaller than a pixel (drawn as a dot at the label)
    label_x: float
    label_y: float


@dataclass(frozen=True)
class MapShape:
    width: int
    height: int
    areas: tuple[MapArea, ...]


def _fmt(v: float) -> str:
    r = round(v, 1)
    return str(int(r)) if r == int(r) else f"{r:.1f}"


def project(boundaries: Sequence[Boundary], *, width: int = 600, height: int | None = None, padding: int = 8) -> MapShape:
    """Boundaries → SVG paths in a `width` × `height` view box (height from the shape if not given).

    1. x = longitude × cos(middle latitude), y = latitude: near enough for a council's area, and a
       degree of longitude in England is only ~0.6 of a degree of latitude on the ground.
    2. One scale for both axes, the largest that fits inside the padding; the shape centred; y flipped.
    3. Each position rounded to 0.1 px; a position equal to the one before is dropped; a ring left with
       fewer than 3 positions is dropped (it is smaller than a pixel).
    """
    points = [pt for b in boundaries for poly in b.polygons for ring in poly for pt in ring]
    if not points:
        return MapShape(width, height or width // 2, ())
    lats = [lat for _, lat in points]
    mid = math.radians((min(lats) + max(lats)) / 2)
    k = math.cos(mid)
    xs = [lon * k for lon, _ in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
    dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    inner_w = width - 2 * padding
    scale = inner_w / dx
    if height is None:
        height = int(math.ceil(dy * scale + 2 * padding))
        height = max(height, 2 * padding + 1)
    else:
        scale = min(scale, (height - 2 * padding) / dy)
    off_x = padding + (inner_w - dx * scale) / 2
    off_y = padding + ((height - 2 * padding) - dy * scale) / 2

    def to_px(lon: float, lat: float) -> tuple[float, float]:
        return round(off_x + (lon * k - x0) * scale, 1), round(off_y + (y1 - lat) * scale, 1)

    areas = []
    for b in boundaries:
        parts, best, best_area = [], None, -1.0
        for polygon in b.polygons:
            for ring in polygon:
                px: list[tuple[float, float]] = []
                for lon, lat in ring:
                    p = to_px(lon, lat)
                    if not px or p != px[-1]:
                        px.append(p)
                if len(px) > 1 and px[0] == px[-1]:
                    px.pop()
                if len(set(px)) < 3:
                    continue
                parts.append("M" + "L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in px) + "Z")
                a = abs(_ring_area(px))
                if a > best_area:
                    best, best_area = px, a
        if best is None:  # smaller than a pixel: a dot where it is
            first = b.polygons[0][0][0]
            lx, ly = to_px(*first)
        else:
            lx, ly = _label_point(best)
        areas.append(MapArea(b.code, b.name, "".join(parts), lx, ly))
    return MapShape(width, height, tuple(areas))


def _ring_area(px: Sequence[tuple[float, float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(px, [*px[1:], px[0]])) / 2


def _label_point(px: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The centroid of the ring (the middle of its box if it is degenerate)."""
    a = _ring_area(px)
    if abs(a) < 1e-6:
        xs, ys = [p[0] for p in px], [p[1] for p in px]
        return round((min(xs) + max(xs)) / 2, 1), round((min(ys) + max(ys)) / 2, 1)
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(px, [*px[1:], px[0]])) / (6 * a)
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(px, [*px[1:], px[0]])) / (6 * a)
    return round(cx, 1), round(cy, 1)


# ------------------------------------------------------------------ classes and the map

# Five GOV.UK-ish blues, light to dark (the darkest is GOV.UK dark blue).
BLUES = ("#d2e2f1", "#a5c6e3", "#5694ca", "#1d70b8", "#003078")
NO_DATA = "#ffffff"
OUTLINE = "#505a5f"
TEXT = "#0b0c0c"


def class_breaks(values: Sequence[float], *, method: str = "quantile", breaks: Sequence[float] | None = None, classes: int = 5) -> list[float]:
    """Upper bounds of the classes (the last is the largest value): quantiles of the values, or the
    `breaks` given (ascending upper bounds of all but the last class). Fewer classes when there are
    fewer distinct values."""
    values = sorted(v for v in values if v is not None)
    if method == "fixed":
        if not breaks or list(breaks) != sorted(set(breaks)) or len(breaks) > classes - 1:
            raise ValueError(f"fixed breaks must be up to {classes - 1} ascending, different numbers")
        return [*breaks, max([*values, breaks[-1] + 1])]
    if method != "quantile":
        raise ValueError("method must be quantile or fixed")
    if not values:
        return []
    n = len(values)
    bounds = [values[min(n - 1, math.ceil(n * q / classes) - 1)] for q in range(1, classes + 1)]
    return sorted(set(bounds))


def class_of(value: float, bounds: Sequence[float]) -> int:
    for i, upper in enumerate(bounds):
        if value <= upper:
            return i
    return len(bounds) - 1


def _class_colours(n_classes: int) -> list[str]:
    """n of the five blues, spread from light to dark."""
    if n_classes <= 1:
        return [BLUES[2]]
    return [BLUES[round(i * (len(BLUES) - 1) / (n_classes - 1))] for i in range(n_classes)]


def choropleth_svg(
    *,
    chart_id: str,
    title: str,
    shape: MapShape,
    cells: Mapping[str, Cell | int | None],
    description: str | None = None,
    method: str = "quantile",
    breaks: Sequence[float] | None = None,
) -> Markup:
    """The map: each area filled by the class of its count, a hidden count hatched and labelled with
    its text ("<5"), an area with no figure white; each area's <title> gives its name and figure on
    hover; a legend below. The same counts belong in a table beside it (`reports/_charts.html`)."""
    from openmash.reports.charts import _check_id

    chart_id = _check_id(chart_id)

    def as_cell(v) -> Cell | None:
        if v is None or isinstance(v, Cell):
            return v
        return Cell(v, f"{v:,}")

    figures = {code: as_cell(v) for code, v in cells.items()}
    shown = {code: float(c.value) for code, c in figures.items() if c is not None and not c.suppressed and c.value is not None}
    bounds = class_breaks(list(shown.values()), method=method, breaks=breaks)
    colours = _class_colours(len(bounds))
    legend_rows = len(bounds) + 2
    legend_h = 22 * ((legend_rows + 2) // 3) + 10
    width, height = shape.width, shape.height + legend_h
    hidden_n = sum(1 for c in figures.values() if c is not None and c.suppressed)
    if description is None:
        names = {a.code: a.name for a in shape.areas}
        parts = [f"Map of {len(shape.areas)} area{'s' if len(shape.areas) != 1 else ''}"]
        if shown:
            top = max(shown, key=lambda c: (shown[c], c))
            parts.append(f"highest {names.get(top, top)} ({figures[top].text})")
        description = "; ".join(parts) + "."
        if hidden_n:
            description += f" {hidden_n} area{'s are' if hidden_n != 1 else ' is'} hidden to protect small numbers."
        description += " The same figures are in the table."
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-map" id="{chart_id}" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false" font-family="arial, sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<defs><pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{OUTLINE}" stroke-width="2"/></pattern></defs>',
        '<g class="app-map__areas">',
    ]
    labels = []
    for area in shape.areas:
        cell = figures.get(area.code)
        if cell is None:
            fill, figure = NO_DATA, "no figure"
        elif cell.suppressed:
            fill, figure = f"url(#{chart_id}-hatch)", f"{cell.text} (hidden)"
            labels.append(area)
        elif cell.value is None:
            fill, figure = NO_DATA, cell.text
        else:
            fill, figure = colours[class_of(float(cell.value), bounds)], cell.text
        tooltip = f"<title>{escape(area.name)} ({escape(area.code)}): {escape(figure)}</title>"
        if area.path:
            out.append(f'<path d="{area.path}" fill="{fill}" fill-rule="evenodd" stroke="{OUTLINE}" stroke-width="0.75">{tooltip}</path>')
        else:
            out.append(f'<circle cx="{_fmt(area.label_x)}" cy="{_fmt(area.label_y)}" r="2" fill="{fill}" stroke="{OUTLINE}">{tooltip}</circle>')
    out.append("</g>")
    for area in labels:
        text = escape(figures[area.code].text)
        out.append(
            f'<text x="{_fmt(area.label_x)}" y="{_fmt(area.label_y + 4)}" text-anchor="middle" font-size="11" font-weight="bold" '
            f'fill="{TEXT}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{text}</text>'
        )
    # Legend: the classes, then hidden, then no figure.
    entries = []
    lower = None
    for i, upper in enumerate(bounds):
        lo = min(shown.values()) if i == 0 and shown else (lower if lower is not None else 0)
        entries.append((colours[i], _range_text(lo, upper, first=i == 0)))
        lower = _next_above(upper)
    threshold_text = next((c.text for c in figures.values() if c is not None and c.suppressed), None)
    entries.append((f"url(#{chart_id}-hatch)", f"Hidden ({threshold_text})" if threshold_text else "Hidden"))
    entries.append((NO_DATA, "No figure"))
    y0 = shape.height + 8
    col_w = width / 3
    for i, (fill, text) in enumerate(entries):
        x, y = 8 + (i % 3) * col_w, y0 + (i // 3) * 22
        out.append(f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="18" height="14" fill="{fill}" stroke="{OUTLINE}" stroke-width="0.75"/>')
        out.append(f'<text x="{_fmt(x + 24)}" y="{_fmt(y + 12)}" font-size="12" fill="{TEXT}">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


_shapes: dict[tuple, MapShape] = {}


def area_map_svg(*, area_set, cells: Mapping[str, Cell | int | None], title: str | None = None, chart_id: str | None = None, width: int = 600) -> Markup | None:
    """The choropleth of an uploaded AreaSet (its stored GeoJSON), shaded by `cells` (area code →
    suppressed count); None if the stored boundaries cannot be read (the page shows its table
    alone rather than fail). The projection of a set is kept in memory per upload: a ward file is
    parsed once per process, not on every page."""
    key = (area_set.pk, str(getattr(area_set, "uploaded_at", "")), len(area_set.geojson), width)
    shape = _shapes.get(key)
    if shape is None:
        try:
            boundaries = boundaries_from_stored(area_set.geojson)
        except GeoError:
            return None
        shape = project(boundaries, width=width)
        if len(_shapes) > 16:
            _shapes.clear()
        _shapes[key] = shape
    return choropleth_svg(
        chart_id=chart_id or f"area-map-{area_set.pk}", title=title or f"Map of {area_set.name}", shape=shape, cells=cells,
    )


def _next_above(v: float) -> float:
    return v + 1 if float(v).is_integer() else v


def _range_text(lo: float, hi: float, *, first: bool) -> str:
    def f(v):
        return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"

    return f(hi) if lo >= hi else f"{f(lo)} to {f(hi)}"


# ------------------------------------------------------------------ postcode lookup


@dataclass
class PostcodeLookup:
    mapping: dict[str, str]  # normalised postcode → area code
    errors: list[str]  # "line N: reason", at most MAX_PROBLEMS and a "…and N more"
    unknown_codes: list[str]  # "E05000999 (line 7)": codes not in the boundary file


def parse_postcode_lookup(data: bytes | str, *, known_codes: set[str] | None = None, max_bytes: int = MAX_LOOKUP_BYTES) -> PostcodeLookup:
    """Read a `postcode,area_code` CSV (other columns are ignored; a BOM is fine).

    Every postcode is normalised (`SE15 4AB`); a line with a postcode that is not real, no area code,
    a code over 40 characters, or a postcode already given a different area is an error. The same
    postcode with the same area twice is not. Raises GeoError only when the file as a whole cannot
    be read (size, encoding, header); line problems come back in `errors`.
    """
    text = _decode(data, what="postcode lookup", max_bytes=max_bytes)
    problems = _Problems()
    unknown: dict[str, int] = {}
    mapping: dict[str, str] = {}
    first_line: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise GeoError([f"line 1: {exc}"]) from None
    columns = [h.strip().lower() for h in header] if header else []
    if "postcode" not in columns or "area_code" not in columns:
        raise GeoError(['The postcode lookup must start with the header line "postcode,area_code"'])
    pc_i, code_i = columns.index("postcode"), columns.index("area_code")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(f"line {reader.line_num}: {exc}")
            continue
        line = reader.line_num
        if not any(v.strip() for v in row):
            continue
        raw_pc = row[pc_i].strip() if pc_i < len(row) else ""
        code = row[code_i].strip() if code_i < len(row) else ""
        try:
            postcode = clean_postcode(raw_pc)
        except ValueError:
            problems.add(f'line {line}: "{raw_pc[:20]}" is not a real postcode')
            continue
        if not postcode:
            problems.add(f"line {line}: no postcode")
            continue
        if not code:
            problems.add(f"line {line}: no area code for {postcode}")
            continue
        if len(code) > CODE_MAX:
            problems.add(f"line {line}: the area code must be {CODE_MAX} characters or fewer")
            continue
        if postcode in mapping:
            if mapping[postcode] != code:
                problems.add(f"line {line}: {postcode} is already on line {first_line[postcode]} with area {mapping[postcode]}")
            continue
        mapping[postcode] = code
        first_line[postcode] = line
        if known_codes is not None and code not in known_codes and code not in unknown:
            unknown[code] = line
    if not mapping and not problems.items:
        problems.add("The postcode lookup has no postcodes")
    errors = problems.items + ([f"…and {problems.more} more problem{'s' if problems.more != 1 else ''}"] if problems.more else [])
    return PostcodeLookup(mapping, errors, [f"{code} (line {line})" for code, line in unknown.items()])


def area_counts(*, postcode_counts: Mapping[str, int], lookup: Mapping[str, str]) -> tuple[dict[str, int], int]:
    """Counts by full postcode → counts by area code, and how many could not be placed (a postcode
    not in the lookup, or none). Postcodes are normalised first, so "se154ab" finds "SE15 4AB"."""
    out: dict[str, int] = {}
    unplaced = 0
    for raw, n in postcode_counts.items():
        try:
            postcode = clean_postcode(raw or "")
        except ValueError:
            postcode = ""
        code = lookup.get(postcode) if postcode else None
        if code is None:
            unplaced += n
        else:
            out[code] = out.get(code, 0) + n
    return out, unplaced
