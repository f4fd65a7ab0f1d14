"""manage.py import_involvements FILE.csv --agency CODE: load who is involved with the agency's people.

Columns (header required, any order): source_id, person_source_id, service, practitioner_name,
practitioner_contact, role, is_lead, start_date, end_date. `person_source_id` is the agency's own id of
a person already imported for the same agency (manage.py import_people); `role` is a code or label of
InvolvementRole; `is_lead` yes/no. Report, batches and exit status as import_people.
"""

from openmash.people.management.commands import import_people


class Command(import_people.Command):
    kind = "involvements"
    help = (
        "Import involvements from an agency's CSV file: validate every row, report bad rows with line "
        "numbers, load the rest (safe to run twice: keyed on the agency's own ids)."
    )
