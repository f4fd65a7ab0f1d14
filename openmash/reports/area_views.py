"""Pages to upload, list, look at and delete boundary sets (administrators and analysts)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from openmash.core.errors import InvalidInput
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form
from openmash.reports import area_services, geo
from openmash.reports.area_forms import AreaSetForm
from openmash.reports.suppression import count_cell, table

_ANCHORS = {"geojson": "geojson", "postcode_lookup": "postcode_lookup"}


@require_GET
def area_set_list(request):
    sets = list(area_services.area_set_list(user=request.user))
    return render(request, "reports/areas/list.html", {"title": "Boundary sets for the hotspot map", "sets": sets})


@require_http_methods(["GET", "POST"])
def area_set_create(request):
    area_services.area_set_require_manager(user=request.user)
    # A POST is a submission even when empty (nothing chosen, nothing typed): it gets the errors.
    form = AreaSetForm(request.POST, request.FILES) if request.method == "POST" else AreaSetForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            area_set = area_services.area_set_create(
                user=request.user, name=data["name"], geojson=data["geojson"], code_property=data["code_property"],
                name_property=data["name_property"], postcode_lookup=data["postcode_lookup"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{area_set.name} uploaded.")
            return redirect("reports_areas:detail", area_set.pk)
    return render_form(
        request, "reports/areas/form.html", form, title="Upload a boundary set", anchors=_ANCHORS,
        max_geojson_mb=geo.MAX_GEOJSON_BYTES // (1024 * 1024), max_lookup_mb=geo.MAX_LOOKUP_BYTES // (1024 * 1024),
    )


@require_GET
def area_set_detail(request, area_set_id):
    area_set = area_services.area_set_get(user=request.user, area_set_id=area_set_id)
    preview = area_services.area_set_preview(user=request.user, area_set=area_set)
    # Postcodes are places, not people: the counts are not suppressed.
    rows = [(f"{name} ({code})", [count_cell(n, threshold=0)]) for code, name, n in preview.rows]
    postcodes_table = table(
        title="Postcodes in each area", row_header="Area", columns=["Postcodes"], rows=rows, threshold=0,
    )
    svg = geo.area_map_svg(
        area_set=area_set, cells={code: n for code, _name, n in preview.rows},
        title=f"Map of {area_set.name}: postcodes in each area", chart_id="area-set-map",
    )
    return render(request, "reports/areas/detail.html", {
        "title": area_set.name, "area_set": area_set, "preview": preview, "table": postcodes_table, "map": svg,
    })


@require_http_methods(["GET", "POST"])
def area_set_delete(request, area_set_id):
    area_set = area_services.area_set_get(user=request.user, area_set_id=area_set_id)
    if request.method == "POST":
        name = area_set.name
        area_services.area_set_delete(user=request.user, area_set=area_set)
        messages.success(request, f"{name} deleted.")
        return redirect("reports_areas:list")
    return render(request, "reports/areas/delete.html", {"title": f"Delete {area_set.name}?", "area_set": area_set})
