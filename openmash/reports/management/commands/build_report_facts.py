"""manage.py build_report_facts: build every month's report block now (ADR 0015).

Blocks are rebuilt by themselves when something in their month changes, but a bulk load (the history
generator, a migration from another system, a restored backup) writes no audit events, and building
hundreds of months on the first report would make that report slow. Run this after such a load."""

import time

from django.core.management.base import BaseCommand

from openmash.core.progress import ProgressBar
from openmash.reports import facts
from openmash.reports.models import FactBlock


class Command(BaseCommand):
    help = "Build the report blocks (packed monthly facts) of every month that has referrals."

    def add_arguments(self, parser):
        parser.add_argument("--missing-only", action="store_true", help="only months that have no block yet")

    def handle(self, *args, missing_only, **options):
        started = time.monotonic()
        facts.refresh()
        months = facts.months_with_referrals()
        if missing_only:
            have = set(FactBlock.objects.values_list("month", flat=True))
            months = [m for m in months if m not in have]
        else:
            # Blocks of months with no referrals any more (all moved by a correction) would linger.
            FactBlock.objects.exclude(month__in=months).delete()
        bar = ProgressBar("Report blocks", self.stderr)
        total = len(months)
        facts.rebuild(months, progress=lambda done: bar(done, total))
        if not total:
            bar(0, 0)
        self.stdout.write(f"{total:,} monthly blocks built in {time.monotonic() - started:.1f} s.")
