from django.urls import include, path

from openmash.api.urls import api

urlpatterns = [
    path("", include("openmash.core.urls")),
    path("", include("openmash.accounts.urls")),
    path("", include("openmash.referrals.urls")),
    path("", include("openmash.sharing.urls")),
    path("requests/", include("openmash.information_requests.urls")),
    path("people/", include("openmash.people.urls")),
    path("admin/agencies/", include("openmash.agencies.urls")),
    path("notifications/", include("openmash.escalation.urls")),
    path("", include("openmash.board.urls")),
    path("reports/areas/", include("openmash.reports.area_urls")),
    path("", include("openmash.reports.urls")),
    path("api/v1/", api.urls),
]

handler404 = "openmash.core.views.page_not_found"
handler403 = "openmash.core.views.permission_denied"
handler500 = "openmash.core.views.server_error"
