from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from openmash.board.codes import BoardKind, BoardLabels
from openmash.board.services import board_create
from openmash.core.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a wall board display and print its link (the secret travels in the link)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", choices=BoardKind.values, default=BoardKind.HUB)
        parser.add_argument("--agency", default="", help="agency code, for --kind agency")
        parser.add_argument("--labels", choices=BoardLabels.values, default=BoardLabels.INITIALS)
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the service is reached")

    def handle(self, *args, **options):
        try:
            board, key = board_create(
                user=None, name=options["name"], kind=options["kind"], agency_code=options["agency"], labels=options["labels"]
            )
        except InvalidInput as exc:
            raise CommandError("; ".join(m for ms in exc.errors.values() for m in ms)) from None
        self.stderr.write(f"Board {board.pk} '{board.name}' ({board.get_kind_display()}). Open this link on the screen:")
        self.stdout.write(f"{options['base_url'].rstrip('/')}{reverse('board:page')}?key={key}")
