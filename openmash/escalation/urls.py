from django.urls import path

from openmash.escalation import views

app_name = "escalation"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_read_all, name="read-all"),
    path("<int:notification_id>/read/", views.notification_read, name="read"),
]
