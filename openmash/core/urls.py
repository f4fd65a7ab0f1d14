from django.urls import path

from openmash.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("keep-alive/", views.keep_alive, name="keep-alive"),
    path("healthz", views.healthz, name="healthz"),
]
