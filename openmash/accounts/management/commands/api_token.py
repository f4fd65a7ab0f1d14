from django.core.management.base import BaseCommand, CommandError

from openmash.accounts.selectors import user_by_username
from openmash.accounts.services import api_token_create


class Command(BaseCommand):
    help = (
        "Make a new API token for a user and print it (only its hash is kept, so it is shown once). "
        "The token acts as that user, with their role and agency."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'police case system' (80 characters at most)")

    def handle(self, *args, username, name, **options):
        user = user_by_username(username=username)
        if user is None:
            raise CommandError(f"No user with the username {username!r}")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is deactivated; a token for them would not work")
        token = api_token_create(user=user, name=name or "made with manage.py api_token")
        # The token alone on stdout, so that scripts can capture it; the note goes to stderr.
        self.stderr.write(f"New API token for {user.username} ({user.get_role_display()}). It is not shown again.")
        self.stdout.write(token)
