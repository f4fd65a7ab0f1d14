"""manage.py find_duplicates [--threshold P] [--dry-run] [--limit N]: queue likely duplicate pairs.

Reads every person not merged into another, finds pairs that are probably one person (blocking keys,
the same field-by-field score as a search, see openmash/people/duplicates/) and queues the new ones
as open `DuplicatePair` rows for review. Pairs already queued or reviewed — "not the same person"
above all — are never queued again. Safe to run as often as wanted: a second run adds nothing new.
"""

from django.core.management.base import BaseCommand, CommandError

from openmash.core.progress import ProgressBar
from openmash.people.duplicates.batch import DEFAULT_CLOSURE_THRESHOLD, DEFAULT_THRESHOLD
from openmash.people.duplicates.finder import find_duplicates


class Command(BaseCommand):
    help = "Find likely duplicate people and queue the new pairs for review."

    def add_arguments(self, parser):
        parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                            help=f"queue pairs whose match probability is at least this ({DEFAULT_THRESHOLD})")
        parser.add_argument("--closure-threshold", type=float, default=DEFAULT_CLOSURE_THRESHOLD,
                            help="queue two records each found with a third when their own probability is at least "
                                 f"this ({DEFAULT_CLOSURE_THRESHOLD}); 0 to turn off")
        parser.add_argument("--dry-run", action="store_true", help="count the pairs, write nothing")
        parser.add_argument("--limit", type=int, help="read only the first N people (by id): for trying it out")
        parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bars")

    def handle(self, *args, threshold, closure_threshold, dry_run, limit, no_progress, **options):
        if not 0 < threshold < 1:
            raise CommandError("--threshold must be a probability greater than 0 and less than 1 (e.g. 0.2)")
        if not 0 <= closure_threshold < 1:
            raise CommandError("--closure-threshold must be a probability from 0 (off) to less than 1")
        if closure_threshold > threshold:
            raise CommandError("--closure-threshold cannot be above --threshold")
        if limit is not None and limit < 2:
            raise CommandError("--limit must be at least 2")
        result = find_duplicates(
            threshold=threshold, closure_threshold=closure_threshold or None, dry_run=dry_run, limit=limit,
            read_progress=None if no_progress else ProgressBar("Reading", self.stderr),
            score_progress=None if no_progress else ProgressBar("Scoring", self.stderr),
        )
        self.stdout.write(result.summary())
