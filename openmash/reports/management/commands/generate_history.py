"""manage.py generate_history --referrals N --seed S [--end YYYY-MM-DD] [--per-year K] [--append]

Years of made-up hub history in the real tables, for measuring the reports (issue 6). For a scratch
database only (DATABASE_URL or OPENMASH_VAR_DIR pointing at one): it refuses a database that already
holds referrals unless --append is given, and then adds new people and referrals after the existing
ones (references continue from the counters; no existing row is changed).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from openmash.core.progress import ProgressBar


class Command(BaseCommand):
    help = "Generate realistic years of hub history (referrals, people, requests, answers, decisions)."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, required=True, help="number of referrals to write")
        parser.add_argument("--seed", type=int, required=True, help="same seed (and --end, --per-year), same history")
        parser.add_argument("--end", help="last day of the history, YYYY-MM-DD (default: today, up to now)")
        parser.add_argument("--per-year", type=int, default=40_000, help="referrals a year (40,000: 1,000,000 span 25 years)")
        parser.add_argument("--append", action="store_true", help="allow a database that already holds referrals")
        parser.add_argument("--no-keys", action="store_true", help="do not write person search keys (people will not be found by search)")

    def handle(self, *args, referrals, seed, end, per_year, append, no_keys=False, **options):
        from openmash.core import clock
        from openmash.referrals.models import Referral
        from openmash.reports.generator import generate_history

        if referrals < 1:
            raise CommandError("--referrals must be at least 1")
        if per_year < 1:
            raise CommandError("--per-year must be at least 1")
        end_date = None
        if end:
            try:
                end_date = dt.date.fromisoformat(end)
            except ValueError:
                raise CommandError("--end must be a date, YYYY-MM-DD") from None
            if end_date > clock.local_today():
                raise CommandError("--end must be today or earlier")
        if not append and Referral.objects.exists():
            raise CommandError(
                "This database already holds referrals. generate_history is for a scratch database: "
                "point DATABASE_URL at an empty one, or give --append to add to this one."
            )
        self.stderr.write(f"Generating {referrals:,} referrals (seed {seed}, {per_year:,} a year)…")
        result = generate_history(
            referrals=referrals, seed=seed, end=end_date, per_year=per_year, keys=not no_keys,
            progress=ProgressBar("Referrals", self.stderr), key_progress=ProgressBar("Keys", self.stderr),
        )
        t = result.timings
        self.stdout.write(
            f"{result.referrals:,} referrals, {result.people:,} people, {result.requests:,} requests, "
            f"{result.answers:,} answers ({result.rows:,} rows, {result.keys:,} keys) in {t['total']:.1f} s "
            f"(plan {t['plan']:.1f} s, write {t['write'] - t['plan']:.1f} s, keys {t['keys'] - t['write']:.1f} s; "
            f"{result.rows / max(t['write'] - t['plan'], 1e-9):,.0f} rows/s written)."
        )
