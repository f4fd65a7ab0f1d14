from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "openmash.board"
    label = "board"
    verbose_name = "Wall boards"
