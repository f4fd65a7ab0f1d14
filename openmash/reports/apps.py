from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "openmash.reports"
    label = "reports"
