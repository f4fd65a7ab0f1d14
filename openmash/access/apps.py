from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "openmash.access"
    label = "access"
