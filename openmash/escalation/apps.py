from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "openmash.escalation"
    label = "escalation"
    verbose_name = "Escalation"
