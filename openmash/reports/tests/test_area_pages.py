"""The boundary-set pages: upload, list, preview, delete (administrators and analysts)."""

import html
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse

from openmash.audit.models import AuditEvent
from openmash.config import urls as root_urls
from openmash.reports import area_services, geo
from openmash.reports.models import Area, AreaPostcode, AreaSet

# The pages under /reports/areas/, mounted here too until (and unless) the project's URLs do it.
urlpatterns = list(root_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "reports_areas" for p in urlpatterns):
    urlpatterns.append(path("reports/areas/", include("openmash.reports.area_urls")))
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def square(lon, lat, size=0.01):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


GEOJSON = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"WD24CD": "E05000001", "WD24NM": "Peckham", "extra": 1},
     "geometry": {"type": "Polygon", "coordinates": [square(-0.07, 51.47)]}},
    {"type": "Feature", "properties": {"WD24CD": "E05000002", "WD24NM": "Nunhead"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[square(-0.06, 51.47)], [square(-0.05, 51.46, 0.003)]]}},
    {"type": "Feature", "properties": {"WD24CD": "E05000003", "WD24NM": "Dulwich"},
     "geometry": {"type": "Polygon", "coordinates": [square(-0.07, 51.46)]}},
]})
LOOKUP = "\ufeffpostcode,area_code\nSE15 4AB,E05000001\nse154ad,E05000001\nSE15 3AA,E05000002\n"


def upload(client, **changes):
    data = {
        "name": "Wards 2024", "code_property": "WD24CD", "name_property": "WD24NM",
        "geojson": SimpleUploadedFile("wards.geojson", GEOJSON.encode(), content_type="application/geo+json"),
        "postcode_lookup": SimpleUploadedFile("lookup.csv", LOOKUP.encode("utf-8"), content_type="text/csv"),
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        elif isinstance(value, (bytes, str)) and key in ("geojson", "postcode_lookup"):
            data[key] = SimpleUploadedFile(f"{key}.bin", value if isinstance(value, bytes) else value.encode())
        else:
            data[key] = value
    return client.post(reverse("reports_areas:create"), data)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def field_error(response, field_id: str) -> str:
    """The error message shown next to a field (GOV.UK: <p id="FIELD-error">)."""
    match = re.search(rf'<p id="{field_id}-error" class="govuk-error-message">(.*?)</p>', response.content.decode(), re.S)
    assert match, f"no error next to {field_id}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def summary(response) -> list[str]:
    body = response.content.decode()
    block = re.search(r'class="govuk-error-summary".*?</ul>', body, re.S)
    assert block, "no error summary"
    return [html.unescape(re.sub(r"\s+", " ", m).strip()) for m in re.findall(r'<a href="#[^"]+">(.*?)</a>', block.group(0), re.S)]


@pytest.fixture
def analyst(client, hub):
    client.force_login(hub["analyst"])
    return client


def test_who_may_manage_boundary_sets(client, hub):
    for username, expected in (("analyst", 200), ("admin", 200), ("manager", 403), ("practitioner", 403), ("ig", 403), ("police-rep", 403)):
        client.force_login(hub[username])
        assert client.get(reverse("reports_areas:list")).status_code == expected, username
        assert client.get(reverse("reports_areas:create")).status_code == expected, username
    client.force_login(hub["manager"])
    assert upload(client).status_code == 403 and not AreaSet.objects.exists()
    client.force_login(hub["analyst"])
    assert client.post(reverse("reports_areas:list")).status_code == 405
    client.logout()
    assert client.get(reverse("reports_areas:list")).status_code == 302
    assert client.post(reverse("reports_areas:create")).status_code == 302


def test_upload_stores_the_set_areas_postcodes_and_an_audit_event(analyst, hub):
    empty = text(analyst.get(reverse("reports_areas:list")))
    assert "No boundary sets yet" in empty
    response = upload(analyst)
    area_set = AreaSet.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports_areas:detail", args=[area_set.pk])
    assert area_set.name == "Wards 2024" and area_set.uploaded_by == hub["analyst"]
    assert "WD24CD" not in area_set.geojson and "extra" not in area_set.geojson, "only code and name are kept"
    assert sorted(Area.objects.values_list("code", "name")) == [("E05000001", "Peckham"), ("E05000002", "Nunhead"), ("E05000003", "Dulwich")]
    assert dict(AreaPostcode.objects.values_list("postcode", "area_code")) == {"SE15 4AB": "E05000001", "SE15 4AD": "E05000001", "SE15 3AA": "E05000002"}
    event = AuditEvent.objects.get(action="area_set.create")
    assert event.object_id == str(area_set.pk) and event.actor_username == "analyst"
    assert event.details == {"name": "Wards 2024", "areas": 3, "postcodes": 3, "code_property": "WD24CD", "name_property": "WD24NM"}

    detail = analyst.get(reverse("reports_areas:detail", args=[area_set.pk]))
    body = text(detail)
    assert detail.status_code == 200 and "Wards 2024 uploaded." in body
    assert body.count("<svg") == 1 and 'role="img"' in body and 'aria-labelledby="area-set-map-title area-set-map-desc"' in body
    assert "<title>Peckham (E05000001): 2</title>" in body and "<title>Dulwich (E05000003): 0</title>" in body
    assert '<th scope="row" class="govuk-table__header">Nunhead (E05000002)</th>' in body
    assert "govuk-grid-column-two-thirds" in body and "govuk-table" in body
    assert "&lt;5" not in body, "postcodes are places, not people: nothing is hidden"

    listing = text(analyst.get(reverse("reports_areas:list")))
    assert "Wards 2024" in listing and ">3<" in listing.replace(" ", "") and "Alex Okafor" in listing


def test_every_missing_field_has_its_own_error_and_nothing_is_stored(analyst):
    response = analyst.post(reverse("reports_areas:create"), {"name": "", "code_property": "", "name_property": ""})
    assert response.status_code == 400
    assert summary(response) == [
        "Enter a name for the boundary set, like Wards 2024",
        "Choose the boundary file (GeoJSON)",
        "Enter the name of the property that holds each area's code, like WD24CD",
        "Enter the name of the property that holds each area's name, like WD24NM",
        "Choose the postcode lookup (CSV)",
    ]
    assert 'href="#geojson"' in response.content.decode() and 'href="#postcode_lookup"' in response.content.decode()
    assert field_error(response, "name") == "Error: Enter a name for the boundary set, like Wards 2024"
    assert field_error(response, "geojson") == "Error: Choose the boundary file (GeoJSON)"
    assert "<title>Error: Upload a boundary set" in response.content.decode()
    assert not AreaSet.objects.exists() and not AuditEvent.objects.filter(action="area_set.create").exists()
    nothing_at_all = analyst.post(reverse("reports_areas:create"))
    assert nothing_at_all.status_code == 400 and len(summary(nothing_at_all)) == 5


@pytest.mark.parametrize("changes,field,message", [
    ({"geojson": b"{not json"}, "geojson", "The boundary file is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ({"geojson": b"\xff\xfe\x00garbage"}, "geojson", "The boundary file must be saved as UTF-8 text"),
    ({"geojson": b""}, "geojson", "The selected file is empty"),
    ({"geojson": json.dumps({"type": "Feature"})}, "geojson", "The boundary file must be a GeoJSON FeatureCollection (found Feature)"),
    ({"code_property": "WD23CD"}, "code_property", 'No feature has a property called "WD23CD". The properties in this file are: WD24CD, WD24NM, extra'),
    ({"name_property": "x" * 101}, "name_property", "Property name must be 100 characters or fewer"),
    ({"name": "x" * 121}, "name", "Name must be 120 characters or fewer"),
    ({"postcode_lookup": "pcd,ward\nSE15 4AB,E05000001\n"}, "postcode_lookup", 'The postcode lookup must start with the header line "postcode,area_code"'),
    ({"postcode_lookup": "postcode,area_code\nSE15 4AB,E05999999\n"}, "postcode_lookup", "Area codes not in the boundary file: E05999999 (line 2)"),
    ({"postcode_lookup": b"postcode,area_code\nSE15 4AB,E0500\x000001\n"}, "postcode_lookup", None),
    ({"postcode_lookup": b"\x89PNG\r\n\x1a\n\x00\x00"}, "postcode_lookup", "The postcode lookup must be saved as UTF-8 text"),
])
def test_bad_input_gets_an_error_next_to_its_field_never_a_500(analyst, changes, field, message):
    response = upload(analyst, **changes)
    assert response.status_code == 400, text(response)[:500]
    shown = field_error(response, field)
    if message:
        assert shown == f"Error: {message}"
    assert not AreaSet.objects.exists()


def test_every_bad_line_of_the_lookup_is_listed_under_the_field(analyst):
    lookup = "postcode,area_code\nSE15 4AB,E05000001\nnonsense,E05000001\nSE15 4AD,\nSE15 4AB,E05000002\n"
    response = upload(analyst, postcode_lookup=lookup)
    assert response.status_code == 400
    assert summary(response) == ['line 3: "nonsense" is not a real postcode']
    assert field_error(response, "postcode_lookup") == 'Error: line 3: "nonsense" is not a real postcode'
    body = response.content.decode()
    more = re.search(r'<ul [^>]*id="postcode_lookup-more-errors">(.*?)</ul>', body, re.S).group(1)
    assert [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", more)] == [
        "line 4: no area code for SE15 4AD", "line 5: SE15 4AB is already on line 2 with area E05000001",
    ]
    assert 'aria-describedby="postcode_lookup-more-errors postcode_lookup-hint postcode_lookup-error"' in body


def test_a_file_over_the_limit_is_refused_before_it_is_read(analyst, monkeypatch):
    monkeypatch.setattr(geo, "MAX_GEOJSON_BYTES", 100)
    response = upload(analyst)
    assert response.status_code == 400
    assert field_error(response, "geojson") == "Error: The boundary file must be smaller than 0 MB" or "smaller than" in field_error(response, "geojson")


def test_names_are_unique(analyst):
    assert upload(analyst).status_code == 302
    again = upload(analyst, name="  WARDS 2024 ")
    assert again.status_code == 400 and field_error(again, "name") == "Error: Another boundary set already has this name"
    assert AreaSet.objects.count() == 1


def test_delete_asks_first_then_removes_the_set_and_is_audited(analyst, client, hub):
    upload(analyst)
    area_set = AreaSet.objects.get()
    confirm = analyst.get(reverse("reports_areas:delete", args=[area_set.pk]))
    assert confirm.status_code == 200 and "Delete Wards 2024?" in text(confirm)
    assert AreaSet.objects.exists()
    client.force_login(hub["manager"])
    assert client.post(reverse("reports_areas:delete", args=[area_set.pk])).status_code == 403
    client.force_login(hub["admin"])
    done = client.post(reverse("reports_areas:delete", args=[area_set.pk]))
    assert done.status_code == 302 and done["Location"] == reverse("reports_areas:list")
    assert not AreaSet.objects.exists() and not Area.objects.exists() and not AreaPostcode.objects.exists()
    event = AuditEvent.objects.get(action="area_set.delete")
    assert event.details == {"name": "Wards 2024", "areas": 3, "postcodes": 3} and event.actor_username == "admin"
    assert client.get(reverse("reports_areas:detail", args=[area_set.pk])).status_code == 404


def test_unknown_and_absurd_ids_are_404(analyst):
    assert analyst.get(reverse("reports_areas:detail", args=[999])).status_code == 404
    assert analyst.get("/reports/areas/99999999999999999999999/").status_code == 404
    assert analyst.post("/reports/areas/99999999999999999999999/delete/").status_code == 404


def test_the_service_refuses_users_who_may_not(hub):
    from openmash.core.errors import Forbidden

    with pytest.raises(Forbidden):
        area_services.area_set_create(user=hub["manager"], name="x", geojson=GEOJSON.encode(), code_property="WD24CD",
                                      name_property="WD24NM", postcode_lookup=LOOKUP.encode())
    with pytest.raises(Forbidden):
        list(area_services.area_set_list(user=hub["practitioner"]))
