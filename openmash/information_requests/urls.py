from django.urls import path

from openmash.information_requests import views

app_name = "information_requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("<int:request_id>/", views.request_detail, name="detail"),
]
