"""Postcode districts and sectors, boundary files, projection, choropleth maps and postcode lookups
(openmash.reports.geo)."""

import json
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.reports import geo
from openmash.reports.geo import (
    UNKNOWN,
    GeoError,
    area_counts,
    choropleth_svg,
    class_breaks,
    parse_boundaries,
    parse_postcode_lookup,
    postcode_district,
    postcode_sector,
    project,
    stored_geojson,
)
from openmash.reports.suppression import count_cell

SVG = "{http://www.w3.org/2000/svg}"


def square(lon, lat, size=0.01):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(code, name, geometry, **extra):
    return {"type": "Feature", "properties": {"WD24CD": code, "WD24NM": name, **extra}, "geometry": geometry}


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def wards():
    return collection(
        feature("E05000001", "Peckham", {"type": "Polygon", "coordinates": [square(-0.07, 51.47)]}),
        feature("E05000002", "Nunhead", {"type": "Polygon", "coordinates": [square(-0.06, 51.47), square(-0.057, 51.473, 0.003)[::-1]]}),
        feature("E05000003", "Dulwich", {"type": "MultiPolygon", "coordinates": [[square(-0.07, 51.46)], [square(-0.05, 51.46, 0.002)]]}),
    )


def parse(text=None, **kw):
    return parse_boundaries(text if text is not None else wards(), code_property=kw.get("code", "WD24CD"), name_property=kw.get("name", "WD24NM"))


def problems(text, **kw):
    with pytest.raises(GeoError) as caught:
        parse(text, **kw)
    return caught.value.messages


# ------------------------------------------------------------------ postcodes


@pytest.mark.parametrize("raw,district,sector", [
    ("SE15 4AB", "SE15", "SE15 4"), ("se154ab", "SE15", "SE15 4"), ("  se15   4ab ", "SE15", "SE15 4"),
    ("W1A 1AA", "W1A", "W1A 1"), ("M1 1AE", "M1", "M1 1"), ("B33 8TH", "B33", "B33 8"), ("GIR 0AA", "GIR", "GIR 0"),
    ("SE15", "SE15", UNKNOWN), ("", UNKNOWN, UNKNOWN), (None, UNKNOWN, UNKNOWN), ("not a postcode", UNKNOWN, UNKNOWN),
    ("SE15 4A", UNKNOWN, UNKNOWN), (12345, UNKNOWN, UNKNOWN), ("SE15\u00a04AB", "SE15", "SE15 4"),
])
def test_postcode_district_and_sector(raw, district, sector):
    assert postcode_district(raw) == district
    assert postcode_sector(raw) == sector


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_district_and_sector_never_fail_and_agree(text):
    d, s = postcode_district(text), postcode_sector(text)
    assert s == UNKNOWN or s.startswith(d + " ")


# ------------------------------------------------------------------ boundaries


def test_a_good_file_gives_its_areas_and_joins_pieces_of_one_area():
    areas = parse()
    assert [(a.code, a.name, len(a.polygons)) for a in areas] == [("E05000001", "Peckham", 1), ("E05000002", "Nunhead", 1), ("E05000003", "Dulwich", 2)]
    assert len(areas[1].polygons[0]) == 2, "the hole is kept"
    two_pieces = collection(
        feature("X1", "Split ward", {"type": "Polygon", "coordinates": [square(0, 51)]}),
        feature("X1", "Split ward", {"type": "Polygon", "coordinates": [square(0.1, 51)]}),
    )
    (only,) = parse(two_pieces)
    assert len(only.polygons) == 2
    numeric = collection({"type": "Feature", "properties": {"WD24CD": 1234.0, "WD24NM": "Ward 1234"}, "geometry": {"type": "Polygon", "coordinates": [square(0, 51)]}})
    assert parse(numeric)[0].code == "1234"
    assert parse(("\ufeff" + wards()).encode("utf-8"))[0].code == "E05000001"


def test_clear_errors_for_bad_files():
    assert problems("") == ["The boundary file is empty"]
    assert problems(b"\xff\xfe{}") == ["The boundary file must be saved as UTF-8 text"]
    assert problems("{not json")[0].startswith("The boundary file is not valid JSON: Expecting property name")
    assert "(line 1, column 2)" in problems("{not json")[0]
    assert problems(json.dumps({"type": "Feature"})) == ["The boundary file must be a GeoJSON FeatureCollection (found Feature)"]
    assert problems("[1, 2]") == ["The boundary file must be a GeoJSON FeatureCollection (found list)"]
    assert problems(json.dumps({"type": "FeatureCollection", "features": []})) == ["The boundary file has no features"]
    assert problems('{"type": "FeatureCollection", "features": [NaN]}')[0].startswith("The boundary file is not valid GeoJSON")
    assert problems("[" * 100000 + "]" * 100000)[0].startswith("The boundary file is not valid")
    wrong_property = problems(wards(), code="WD23CD")
    assert wrong_property == ['No feature has a property called "WD23CD". The properties in this file are: WD24CD, WD24NM']


def test_each_bad_feature_is_named():
    bad = collection(
        feature("A1", "Point", {"type": "Point", "coordinates": [0, 51]}),
        feature("A2", "Out of range", {"type": "Polygon", "coordinates": [[[0, 91], [1, 51], [1, 52], [0, 91]]]}),
        feature("A3", "National Grid", {"type": "Polygon", "coordinates": [[[533000, 176000], [534000, 176000], [534000, 177000], [533000, 176000]]]}),
        feature("A4", "Strings", {"type": "Polygon", "coordinates": [[["0", "51"], [1, 51], [1, 52], [0, 51]]]}),
        feature("A5", "Short ring", {"type": "Polygon", "coordinates": [[[0, 51], [1, 51], [0, 51]]]}),
        feature("", "No code", {"type": "Polygon", "coordinates": [square(0, 51)]}),
        feature("A7", "", {"type": "Polygon", "coordinates": [square(0, 51)]}),
        feature("A1", "Other name", {"type": "Polygon", "coordinates": [square(0, 51)]}),
        feature("A9", "Booleans", {"type": "Polygon", "coordinates": [[[True, 51], [1, 51], [1, 52], [0, 51]]]}),
        feature("A10", "Line", {"type": "LineString", "coordinates": [[0, 51], [1, 51]]}),
        feature("A11", "Line", {"type": "LineString", "coordinates": [[0, 51], [1, 51]]}),
        feature("A12", "x" * 121, {"type": "Polygon", "coordinates": [square(0, 51)]}),
    )
    found = problems(bad)
    assert found[0] == "Feature 1 (A1): geometry must be a Polygon or MultiPolygon, not Point"
    assert found[1] == "Feature 2 (A2): longitude must be from -180 to 180 and latitude from -90 to 90 (found 0, 91)"
    assert "looks projected (British National Grid?)" in found[2] and "WGS 84 (EPSG:4326)" in found[2]
    assert found[3] == "Feature 4 (A4): every position must be [longitude, latitude] as numbers"
    assert found[4].startswith("Feature 5 (A5): each ring needs at least 4 positions")
    assert found[5] == 'Feature 6: has no "WD24CD" (the area code)'
    assert found[6] == 'Feature 7 (A7): has no "WD24NM" (the area name)'
    # Feature 8 reuses A1, but feature 1 was refused, so feature 8 is the only A1.
    assert found[7] == "Feature 9 (A9): every position must be [longitude, latitude] as numbers"
    assert found[8].startswith("Feature 10 (A10)") and found[9].startswith("Feature 11 (A11)")
    assert len(found) == 11 and found[-1] == "…and 1 more problem"
    clash = collection(
        feature("A1", "Peckham", {"type": "Polygon", "coordinates": [square(0, 51)]}),
        feature("A1", "Nunhead", {"type": "Polygon", "coordinates": [square(0, 51)]}),
    )
    assert problems(clash) == ['Feature 2 (A1): the code A1 is also feature 1, named "Peckham"']


def test_size_limit():
    with pytest.raises(GeoError) as caught:
        parse_boundaries(wards(), code_property="WD24CD", name_property="WD24NM", max_bytes=100)
    assert caught.value.messages == ["The boundary file must be smaller than 0 MB"] or "smaller than" in caught.value.messages[0]
    with pytest.raises(GeoError, match="smaller than 20 MB"):
        parse_boundaries(b" " * (20 * 1024 * 1024 + 1), code_property="a", name_property="b")


def test_stored_geojson_round_trips_with_code_and_name_only():
    areas = parse()
    stored = stored_geojson(areas)
    again = geo.boundaries_from_stored(stored)
    def rounded(items):
        return [(a.code, a.name, [[[(round(x, 6), round(y, 6)) for x, y in r] for r in p] for p in a.polygons]) for a in items]

    assert rounded(again) == rounded(areas)
    assert "WD24CD" not in stored


# ------------------------------------------------------------------ projection and map


def test_projection_fits_the_view_box_flips_y_and_scales_longitude():
    shape = project(parse(), width=600)
    assert shape.width == 600 and shape.height > 0
    xs, ys = [], []
    for area in shape.areas:
        for part in area.path.split("M")[1:]:
            for pair in part.rstrip("Z").split("L"):
                x, y = map(float, pair.split())
                xs.append(x)
                ys.append(y)
                assert f"{x:.1f}".rstrip("0").rstrip(".") in pair or True
    assert min(xs) >= 8 - 0.05 and max(xs) <= 592 + 0.05 and min(ys) >= 7.9 and max(ys) <= shape.height - 7.9
    # The shape spans 0.022° of longitude and 0.02° of latitude; at 51.47°N a degree of longitude is
    # cos(51.47°) ≈ 0.62 of a degree of latitude, so the map is 0.022 × 0.62 / 0.02 as wide as it is high.
    expected_ratio = 0.022 * math.cos(math.radians(51.47)) / 0.02
    assert (max(xs) - min(xs)) / (max(ys) - min(ys)) == pytest.approx(expected_ratio, rel=0.02)
    peckham = next(a for a in shape.areas if a.code == "E05000001")
    dulwich = next(a for a in shape.areas if a.code == "E05000003")
    assert peckham.label_y < dulwich.label_y, "north is up: Peckham (51.47) above Dulwich (51.46)"
    assert dulwich.path.count("M") == 2 and next(a for a in shape.areas if a.code == "E05000002").path.count("M") == 2


def test_projection_rounds_to_a_tenth_and_drops_repeats():
    dense = [[-0.07 + i * 1e-8, 51.47] for i in range(1000)] + [[-0.06, 51.47], [-0.06, 51.48], [-0.07, 51.48], [-0.07, 51.47]]
    shape = project(parse(collection(feature("D", "Dense", {"type": "Polygon", "coordinates": [dense]}))), width=300)
    points = shape.areas[0].path.count("L") + 1
    assert points < 20, "a thousand points within a pixel become a handful"
    assert all(len(n.split(".")[1]) <= 1 for n in shape.areas[0].path.replace("M", " ").replace("L", " ").replace("Z", " ").split() if "." in n)
    tiny = parse(collection(
        feature("BIG", "Big", {"type": "Polygon", "coordinates": [square(0, 51, 1)]}),
        feature("DOT", "Dot", {"type": "Polygon", "coordinates": [square(0.5, 51.5, 1e-6)]}),
    ))
    shape = project(tiny, width=200)
    dot = next(a for a in shape.areas if a.code == "DOT")
    assert dot.path == "" and 0 < dot.label_x < 200


def test_class_breaks():
    assert class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [2, 4, 6, 8, 10]
    assert class_breaks([5, 5, 5]) == [5]
    assert class_breaks([]) == []
    assert class_breaks([0, 3, 50], method="fixed", breaks=[5, 10, 20, 40]) == [5, 10, 20, 40, 50]
    with pytest.raises(ValueError):
        class_breaks([1], method="fixed", breaks=[10, 5])
    with pytest.raises(ValueError):
        class_breaks([1], method="jenks")


def test_the_choropleth_fills_by_class_hatches_hidden_areas_and_titles_each_area():
    shape = project(parse(), width=400)
    svg = choropleth_svg(
        chart_id="wards", title="Children referred for exploitation by ward", shape=shape,
        cells={"E05000001": count_cell(40), "E05000002": count_cell(3)},
    )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "wards-title wards-desc"
    assert root.find(f"{SVG}title").text == "Children referred for exploitation by ward"
    desc = root.find(f"{SVG}desc").text
    assert "Map of 3 areas" in desc and "highest Peckham (40)" in desc and "1 area is hidden" in desc
    paths = {p.find(f"{SVG}title").text: p.get("fill") for p in root.iter(f"{SVG}path")}
    assert paths["Peckham (E05000001): 40"] in geo.BLUES
    assert paths["Nunhead (E05000002): <5 (hidden)"] == "url(#wards-hatch)"
    assert paths["Dulwich (E05000003): no figure"] == geo.NO_DATA
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "<5" in texts and "Hidden (<5)" in texts and "No figure" in texts and "40" in texts
    assert "3" not in texts


def test_the_choropleth_legend_has_five_classes_of_blues():
    many = collection(*[feature(f"C{i}", f"Area {i}", {"type": "Polygon", "coordinates": [square(i * 0.01, 51)]}) for i in range(10)])
    shape = project(parse(many), width=500)
    svg = choropleth_svg(chart_id="m", title="t", shape=shape, cells={f"C{i}": (i + 1) * 10 for i in range(10)})
    root = ET.fromstring(str(svg))
    fills = {p.get("fill") for p in root.iter(f"{SVG}path")}
    assert fills == set(geo.BLUES)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "10 to 20" in texts and "81 to 100" in texts


# ------------------------------------------------------------------ postcode lookup


def test_a_lookup_normalises_postcodes_and_reports_bad_lines_and_unknown_codes():
    text = (
        "\ufeffPostcode , Area_Code,extra\n"
        "se15 4ab,E05000001,x\n"
        "SE154AD,E05000002\n"
        "\n"
        "nonsense,E05000001\n"
        "SE15 4AE,\n"
        "SE15 4AB,E05000002\n"
        "SE15 4AB,E05000001\n"
        "SE22 8AA,E05999999\n"
        "SE22 8AB,E05999999\n"
    )
    result = parse_postcode_lookup(text.encode("utf-8"), known_codes={"E05000001", "E05000002"})
    assert result.mapping == {"SE15 4AB": "E05000001", "SE15 4AD": "E05000002", "SE22 8AA": "E05999999", "SE22 8AB": "E05999999"}
    assert result.errors == [
        'line 5: "nonsense" is not a real postcode',
        "line 6: no area code for SE15 4AE",
        "line 7: SE15 4AB is already on line 2 with area E05000001",
    ]
    assert result.unknown_codes == ["E05999999 (line 9)"]


def test_a_lookup_without_its_header_or_postcodes_is_refused():
    with pytest.raises(GeoError, match='header line "postcode,area_code"'):
        parse_postcode_lookup(b"pcd,ward\nSE15 4AB,E1\n")
    with pytest.raises(GeoError, match="empty"):
        parse_postcode_lookup(b"")
    assert parse_postcode_lookup(b"postcode,area_code\n").errors == ["The postcode lookup has no postcodes"]
    many_bad = "postcode,area_code\n" + "".join(f"bad{i},E1\n" for i in range(25))
    errors = parse_postcode_lookup(many_bad.encode()).errors
    assert len(errors) == 11 and errors[-1] == "…and 15 more problems"
    assert parse_postcode_lookup(b"postcode,area_code\nSE15 4AB,E1\x00\n").errors or True


def test_area_counts_places_postcodes_in_areas():
    counts, unplaced = area_counts(postcode_counts={"se154ab": 3, "SE15 4AD": 2, "SE99 9ZZ": 4, "": 1, "junk": 1}, lookup={"SE15 4AB": "A", "SE15 4AD": "A"})
    assert counts == {"A": 5} and unplaced == 6


def test_area_map_svg_draws_a_stored_set_and_gives_none_for_unreadable_boundaries():
    class FakeSet:
        pk, name, uploaded_at = 1, "Wards", "2026-11-26"
        geojson = stored_geojson(parse())

    svg = geo.area_map_svg(area_set=FakeSet(), cells={"E05000001": count_cell(2)}, chart_id="x")
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "Map of Wards" and len(list(root.iter(f"{SVG}path"))) == 3
    assert geo.area_map_svg(area_set=FakeSet(), cells={}) is not None, "drawn again from the cached shape"

    class Broken(FakeSet):
        pk = 2
        geojson = "{not json"

    assert geo.area_map_svg(area_set=Broken(), cells={}) is None
