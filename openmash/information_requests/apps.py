from django.apps import AppConfig


class InformationRequestsConfig(AppConfig):
    name = "openmash.information_requests"
    label = "information_requests"
