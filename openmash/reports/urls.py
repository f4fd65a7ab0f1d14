# Mounted at "" (openmash/config/urls.py): the performance measures under reports/, the phase-two
# insight under insight/. Downloads take the same filter query as their page.
from django.urls import path

from openmash.reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.performance, name="performance"),
    path("reports/export.csv", views.performance_csv, name="export-csv"),
    path("reports/export.xlsx", views.performance_xlsx, name="export-xlsx"),
    path("reports/pack.pdf", views.performance_pack, name="pack-pdf"),
    path("reports/drilldown/", views.drilldown, name="drilldown"),
    path("insight/", views.insight, name="insight"),
    path("insight/export.csv", views.insight_csv, name="insight-csv"),
    path("insight/export.xlsx", views.insight_xlsx, name="insight-xlsx"),
    path("insight/hotspots/", views.hotspots, name="hotspots"),
    path("insight/hotspots/export.csv", views.hotspots_csv, name="hotspots-csv"),
]
