from django.core.management.base import BaseCommand

from openmash.core.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the 16 partner agencies, demo users for every role and referrals in every state (idempotent)."

    def handle(self, *args, **options):
        users, references = seed_demo()
        self.stdout.write(f"{len(users)} demo users ready (password: {DEMO_PASSWORD}).")
        if references:
            self.stdout.write(f"{len(references)} demo referrals created: {', '.join(references)}")
        else:
            self.stdout.write("Referrals already present; none added.")
