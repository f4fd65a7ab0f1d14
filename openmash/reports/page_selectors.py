"""Small reads the report pages need beside the measures: which uploaded area sets can be chosen,
and one set's boundaries for the hotspot map. Here, not in the views, because views never query
models (tests/test_architecture.py). No case data, so no audit: the hotspot counts themselves are
read and audited by `selectors.hotspots`.
"""

from __future__ import annotations

from openmash.access.policy import can_see_reports, require
from openmash.reports.models import Area, AreaSet


def area_set_choices(*, user) -> list[tuple[str, str]]:
    """("area:<id>", name) for every uploaded set of areas, by name."""
    require(can_see_reports(user), "Only MASH managers and analysts can see reports")
    return [(f"area:{pk}", name) for pk, name in AreaSet.objects.order_by("name", "pk").values_list("pk", "name")]


def area_set_for_map(*, user, level: str) -> tuple[AreaSet, list[tuple[str, str]]] | None:
    """For "area:<id>": the set (its stored GeoJSON draws the map) and its (code, name) areas; None if
    there is no such set."""
    require(can_see_reports(user), "Only MASH managers and analysts can see reports")
    pk = level[5:] if level.startswith("area:") else ""
    if not pk.isdigit():
        return None
    area_set = AreaSet.objects.filter(pk=int(pk)).first()
    if area_set is None:
        return None
    return area_set, list(Area.objects.filter(area_set=area_set).values_list("code", "name"))
