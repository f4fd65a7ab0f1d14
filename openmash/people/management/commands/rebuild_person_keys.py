"""manage.py rebuild_person_keys: rewrite every person's blocking keys (PersonKey).

For a database loaded without them (an old backup, a bulk load) or after the key definitions in
matching/keys.py change. Services keep the keys current as people are created, edited and merged.
"""

import time

from django.core.management.base import BaseCommand

from openmash.core.progress import ProgressBar
from openmash.people.keystore import rebuild_all_keys


class Command(BaseCommand):
    help = "Rewrite the blocking keys (PersonKey) of every person, for person search and the duplicate finder."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=20_000, help="people per transaction")

    def handle(self, *args, batch_size, **options):
        started = time.monotonic()
        written = rebuild_all_keys(progress=ProgressBar("Keys", self.stderr), batch_size=max(1, batch_size))
        self.stdout.write(f"{written:,} keys written in {time.monotonic() - started:.1f} s.")
