"""Boundary sets for the hotspot map: upload, list, look at, delete (issue 6).

A council uploads its wards or neighbourhoods (GeoJSON) with a postcode-to-area lookup (CSV); the
insight pages then count children into those areas and draw them with no tile server. Who may:
administrators and analysts (`openmash.access.policy.can_manage_areas`). A boundary set holds no
case data, so its pages are not audited as views; every upload and deletion is.

Writes (`area_set_create`, `area_set_delete`) and the few reads the area pages need
(`area_set_list`, `area_set_get`, `area_set_preview`) are kept together here: they concern only these
three tables, and nothing else reads them through this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from openmash.access.policy import can_manage_areas, require
from openmash.audit.services import audit_record
from openmash.core.errors import Collector, NotFound
from openmash.reports import geo
from openmash.reports.models import Area, AreaPostcode, AreaSet

NAME_MAX = 120
PROPERTY_MAX = 100
_FORBIDDEN = "Only an administrator or an analyst can manage boundary sets"


def _require_manager(user):
    require(can_manage_areas(user), _FORBIDDEN)


def area_set_require_manager(*, user) -> None:
    """Forbidden unless the user may manage boundary sets (for a page that shows a blank form)."""
    _require_manager(user)


# ------------------------------------------------------------------ writes


def area_set_create(
    *, user, name: str, geojson: bytes | None, code_property: str, name_property: str, postcode_lookup: bytes | None,
) -> AreaSet:
    """Check the boundary file and the postcode lookup, then store the set, its areas and its
    postcodes, and the audit event, in one transaction. Every problem is reported against its
    field (`InvalidInput.errors`): name, geojson, code_property, name_property, postcode_lookup.

    1. The name: given, at most 120 characters, not the name of another set.
    2. The property names: given, at most 100 characters.
    3. The boundary file (geo.parse_boundaries): only if 1–2 leave it something to check.
    4. The postcode lookup (geo.parse_postcode_lookup): every line a real postcode with a code of an
       area in the boundary file.
    5. Store: the boundaries as compact GeoJSON (code and name only), the areas, the postcodes.
    """
    _require_manager(user)
    name = (name or "").strip()
    code_property, name_property = (code_property or "").strip(), (name_property or "").strip()
    errors = Collector()
    if not name:
        errors.add("name", "Enter a name for the boundary set, like Wards 2024")
    elif len(name) > NAME_MAX:
        errors.add("name", f"Name must be {NAME_MAX} characters or fewer")
    elif AreaSet.objects.filter(name__iexact=name).exists():
        errors.add("name", "Another boundary set already has this name")
    for field, value, example in (("code_property", code_property, "WD24CD"), ("name_property", name_property, "WD24NM")):
        if not value:
            errors.add(field, f"Enter the name of the property that holds each area's {'code' if field == 'code_property' else 'name'}, like {example}")
        elif len(value) > PROPERTY_MAX:
            errors.add(field, f"Property name must be {PROPERTY_MAX} characters or fewer")

    boundaries = None
    if not geojson:
        errors.add("geojson", "Choose the boundary file (GeoJSON)")
    elif "code_property" not in errors.errors and "name_property" not in errors.errors:
        try:
            boundaries = geo.parse_boundaries(geojson, code_property=code_property, name_property=name_property)
        except geo.GeoError as exc:
            for message, field in zip(exc.messages, exc.fields):
                errors.add(field or "geojson", message)

    lookup = None
    if not postcode_lookup:
        errors.add("postcode_lookup", "Choose the postcode lookup (CSV)")
    else:
        known = {b.code for b in boundaries} if boundaries is not None else None
        try:
            lookup = geo.parse_postcode_lookup(postcode_lookup, known_codes=known)
        except geo.GeoError as exc:
            for message in exc.messages:
                errors.add("postcode_lookup", message)
        else:
            for message in lookup.errors:
                errors.add("postcode_lookup", message)
            if lookup.unknown_codes:
                shown = ", ".join(lookup.unknown_codes[: geo.MAX_PROBLEMS])
                more = len(lookup.unknown_codes) - geo.MAX_PROBLEMS
                errors.add(
                    "postcode_lookup",
                    f"Area codes not in the boundary file: {shown}" + (f" and {more} more" if more > 0 else ""),
                )
    errors.raise_if_any()

    with transaction.atomic():
        area_set = AreaSet.objects.create(name=name, geojson=geo.stored_geojson(boundaries), uploaded_by=user)
        Area.objects.bulk_create([Area(area_set=area_set, code=b.code, name=b.name) for b in boundaries], batch_size=1000)
        AreaPostcode.objects.bulk_create(
            [AreaPostcode(area_set=area_set, postcode=pc, area_code=code) for pc, code in lookup.mapping.items()], batch_size=2000,
        )
        audit_record(
            user=user, action="area_set.create", object_type="area_set", object_id=area_set.pk,
            details={
                "name": name, "areas": len(boundaries), "postcodes": len(lookup.mapping),
                "code_property": code_property, "name_property": name_property,
            },
        )
    return area_set


def area_set_delete(*, user, area_set: AreaSet) -> None:
    """Delete a set with its areas and postcodes (the hotspot reports stop offering it)."""
    _require_manager(user)
    with transaction.atomic():
        details = {"name": area_set.name, "areas": area_set.areas.count(), "postcodes": area_set.postcodes.count()}
        pk = area_set.pk
        area_set.delete()
        audit_record(user=user, action="area_set.delete", object_type="area_set", object_id=pk, details=details)


# ------------------------------------------------------------------ reads


def area_set_list(*, user):
    """Every set, with how many areas and postcodes it has (counted one table at a time: a join of
    both would multiply the rows)."""
    _require_manager(user)
    areas = Area.objects.filter(area_set=OuterRef("pk")).order_by().values("area_set").annotate(n=Count("pk")).values("n")
    postcodes = AreaPostcode.objects.filter(area_set=OuterRef("pk")).order_by().values("area_set").annotate(n=Count("pk")).values("n")
    return (
        AreaSet.objects.select_related("uploaded_by").defer("geojson")
        .annotate(area_count=Coalesce(Subquery(areas), 0), postcode_count=Coalesce(Subquery(postcodes), 0))
        .order_by("name", "id")
    )


def area_set_get(*, user, area_set_id) -> AreaSet:
    _require_manager(user)
    try:
        area_set_id = int(area_set_id)
    except (TypeError, ValueError):
        raise NotFound("No such boundary set") from None
    if not 0 < area_set_id < 2**63:
        raise NotFound("No such boundary set")
    area_set = AreaSet.objects.select_related("uploaded_by").filter(pk=area_set_id).first()
    if area_set is None:
        raise NotFound("No such boundary set")
    return area_set


@dataclass(frozen=True)
class AreaPreview:
    rows: list[tuple[str, str, int]]  # (code, name, postcodes in the lookup)
    postcodes: int


def area_set_preview(*, user, area_set: AreaSet) -> AreaPreview:
    """Each area with the number of postcodes the lookup puts in it: a check, before any report uses
    the set, that the lookup and the boundaries belong together (an area with no postcodes stands out)."""
    _require_manager(user)
    counts = dict(
        AreaPostcode.objects.filter(area_set=area_set).order_by().values("area_code").annotate(n=Count("pk")).values_list("area_code", "n")
    )
    rows = [(a.code, a.name, counts.get(a.code, 0)) for a in area_set.areas.order_by("name", "code")]
    return AreaPreview(rows=rows, postcodes=sum(counts.values()))
