from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "openmash.sharing"
    label = "sharing"
    verbose_name = "Consent, lawful basis and the sharing log"
