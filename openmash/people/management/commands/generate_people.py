"""manage.py generate_people --count N --seed S [--truth PATH]: made-up people for measuring matching.

For a scratch database only (OPENMASH_VAR_DIR or DATABASE_URL pointing at one): it refuses a
database that already holds people unless --append is given.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from openmash.core.progress import ProgressBar

from openmash.people.generator import generate_population, write_people, write_truth
from openmash.people.keystore import rebuild_all_keys


class Command(BaseCommand):
    help = "Generate realistic made-up people (households, twins, duplicates with errors) and keep the truth aside."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="number of person records to write")
        parser.add_argument("--seed", type=int, required=True, help="same seed, same people")
        parser.add_argument("--truth", help="write the truth (same person / household / twins) to this CSV file")
        parser.add_argument("--duplicate-rate", type=float, default=0.1, help="share of people with a duplicate record (0.1)")
        parser.add_argument("--twin-rate", type=float, default=0.04, help="share of births that are twins (0.04)")
        parser.add_argument("--batch-size", type=int, default=20_000, help="records per transaction")
        parser.add_argument("--append", action="store_true", help="allow a database that already holds people")
        parser.add_argument("--no-keys", action="store_true",
                            help="do not fill the search key table (the duplicate finder does not need it)")

    def handle(self, *args, count, seed, truth, duplicate_rate, twin_rate, batch_size, append, no_keys=False, **options):
        from openmash.people.models import Person

        if count < 1:
            raise CommandError("--count must be at least 1")
        if not 0 <= duplicate_rate <= 1 or not 0 <= twin_rate <= 1:
            raise CommandError("--duplicate-rate and --twin-rate must be between 0 and 1")
        if not append and Person.objects.exists():
            raise CommandError("This database already holds people. Use a scratch database, or --append.")
        started = time.monotonic()
        self.stderr.write(f"Generating {count:,} people (seed {seed})…")
        records = generate_population(count, seed, duplicate_rate=duplicate_rate, twin_rate=twin_rate)
        generated = time.monotonic()
        ids = write_people(records, batch_size=batch_size, progress=ProgressBar("Writing", self.stderr))
        written = time.monotonic()
        keys = rebuild_all_keys(progress=ProgressBar("Keys", self.stderr), first_id=min(ids)) if ids and not no_keys else 0
        keyed = time.monotonic()
        if truth:
            write_truth(truth, records, ids)
        duplicates = sum(1 for r in records if r.errors)
        twins = sum(1 for r in records if r.twin_group)
        self.stdout.write(
            f"{len(ids):,} people written ({duplicates:,} duplicate records, {twins:,} twins) in "
            f"{keyed - started:.1f} s (generate {generated - started:.1f} s, write {written - generated:.1f} s, "
            f"{keys:,} keys {keyed - written:.1f} s)."
            + (f" Truth: {truth}" if truth else "")
        )
