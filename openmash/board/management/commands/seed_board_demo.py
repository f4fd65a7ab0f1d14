from django.core.management.base import BaseCommand, CommandError

from openmash.board.demo import seed_open_referrals
from openmash.core.demo import ensure_agencies_and_users


class Command(BaseCommand):
    help = (
        "Add made-up open referrals (every rating and state) to a DEMO or TEST hub, to try wall boards "
        "with many rows. Never run it against a live hub: the referrals are real records and cannot be deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, default=45, help="how many open referrals to add (default 45)")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for the same referrals every time")
        parser.add_argument("--agencies", type=int, default=None, help="agencies asked per referral (default: every active one)")
        parser.add_argument("--awaiting-triage", type=float, default=0.1, help="share left awaiting triage (default 0.1)")

    def handle(self, *args, **options):
        if not 0 < options["referrals"] <= 5000:
            raise CommandError("--referrals must be from 1 to 5000")
        ensure_agencies_and_users()
        references = seed_open_referrals(
            count=options["referrals"], seed=options["seed"], agencies=options["agencies"],
            awaiting_triage_share=options["awaiting_triage"],
        )
        self.stdout.write(f"{len(references)} open referrals added: {references[0]} to {references[-1]}")
