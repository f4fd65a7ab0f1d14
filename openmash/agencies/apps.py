from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "openmash.agencies"
    label = "agencies"
    verbose_name = "Partner agencies"
