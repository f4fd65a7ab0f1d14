"""PostgreSQL: keep the block payloads out of line and uncompressed (ADR 0015, "Reading blocks").

A block is a few megabytes of packed numpy columns that the server would otherwise compress with
pglz; a report over decades reads every one, and decompressing 400 MB costs the server a second.
Stored EXTERNAL they take more disk (about 1.8 times) and are sent as they lie. SQLite has no such
setting. Blocks written before this change keep their compressed form until they are rebuilt.
"""

from django.db import migrations

TABLE = "reports_factblock"


def uncompressed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN payload SET STORAGE EXTERNAL")


def compressed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN payload SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_facts_and_areas")]

    operations = [migrations.RunPython(uncompressed, compressed)]
