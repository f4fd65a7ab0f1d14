# Mounted at /reports/areas/ (openmash/config/urls.py) under the namespace "reports_areas".
from django.urls import path

from openmash.reports import area_views

app_name = "reports_areas"
urlpatterns = [
    path("", area_views.area_set_list, name="list"),
    path("new/", area_views.area_set_create, name="create"),
    path("<int:area_set_id>/", area_views.area_set_detail, name="detail"),
    path("<int:area_set_id>/delete/", area_views.area_set_delete, name="delete"),
]
