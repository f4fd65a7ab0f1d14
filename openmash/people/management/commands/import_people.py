"""manage.py import_people FILE.csv --agency CODE: load the people an agency holds, keyed on its own ids.

Columns (header required, any order): source_id, given_name, family_name, date_of_birth, sex,
address_line, town, postcode, and optionally nhs_number, upn, other_names (several separated by ";").
Dates as YYYY-MM-DD or DD/MM/YYYY. See openmash/people/imports.py for what a run may change on a
person already imported, and docs/adr/0014-imports.md for the decisions.

Every bad row is reported (line number, the header being line 1, field and reason) and left out; the
rest are loaded in batches, one transaction each. Exit status: 0 when every row was loaded, 2 when
some rows were rejected (the rest were loaded), 1 when the file could not be imported at all.
"""

import os
import time

from django.core.management.base import BaseCommand, CommandError

from openmash.core.progress import ProgressBar
from openmash.people import imports

EXIT_REJECTED_ROWS = 2


class Command(BaseCommand):
    kind = "people"
    help = (
        "Import people from an agency's CSV file: validate every row, report bad rows with line numbers, "
        "load the rest (safe to run twice: keyed on the agency's own ids)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, with or without a BOM; header on line 1)")
        parser.add_argument("--agency", required=True, help="code of the agency whose ids these are (e.g. police)")
        parser.add_argument("--batch-size", type=int, default=imports.BATCH_SIZE, help=f"rows per transaction ({imports.BATCH_SIZE})")
        parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")

    def handle(self, *args, file, agency, batch_size, no_progress, **options):
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000")
        if not os.path.isfile(file):
            raise CommandError(f"No such file: {file}")
        try:
            target = imports.agency_for_command(code=agency)
        except imports.FileProblem as exc:
            raise CommandError(str(exc)) from None
        progress = None if no_progress else ProgressBar(f"Importing {self.kind}", self.stderr)
        started = time.monotonic()
        try:
            result = imports.import_file(kind=self.kind, path=file, agency=target, batch_size=batch_size, progress=progress)
        except imports.FileProblem as exc:
            raise CommandError(f"{file}: {exc}. Nothing was imported.") from None
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc})") from None
        elapsed = time.monotonic() - started
        for rejected in result.rejected:
            for name, messages in rejected.errors.items():
                for message in messages:
                    where = f"line {rejected.line}" + (f", {name}" if name else "")
                    self.stdout.write(f"{where}: {message}")
        counts = result.summary()
        self.stdout.write(
            f"{os.path.basename(file)} for {target.code}: {counts['read']:,} read, {counts['created']:,} created, "
            f"{counts['updated']:,} updated, {counts['unchanged']:,} unchanged, {counts['rejected']:,} rejected "
            f"in {elapsed:.1f} s."
        )
        if result.rejected:
            raise CommandError(
                f"{len(result.rejected):,} row{'s were' if len(result.rejected) != 1 else ' was'} rejected "
                "(listed above); the other rows were imported", returncode=EXIT_REJECTED_ROWS,
            )
