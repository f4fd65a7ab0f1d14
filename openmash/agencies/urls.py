from django.urls import path

from openmash.agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.agency_list, name="list"),
    path("new/", views.agency_create, name="create"),
    path("<slug:code>/", views.agency_edit, name="edit"),
]
