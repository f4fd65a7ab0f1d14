"""Seed the lawful-basis list, and make the sharing log and consent history append-only in the
database itself (as the audit table is: see audit/migrations/0002)."""

from django.db import migrations

TABLES = ["sharing_sharingevent", "sharing_consententry"]


def _sqlite_up(table):
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END""",
    ]


def _sqlite_down(table):
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


def _postgres_up(table):
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '{table} is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""",
    ]


def _postgres_down(table):
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]


def _run(builders):
    def run(apps, schema_editor):
        build = builders.get(schema_editor.connection.vendor)
        if build is None:
            raise NotImplementedError(f"append-only triggers are defined for SQLite and PostgreSQL, not {schema_editor.connection.vendor}")
        for table in TABLES:
            for sql in build(table):
                schema_editor.execute(sql, None)

    return run


def seed_bases(apps, schema_editor):
    from openmash.sharing.codes import SEED_LAWFUL_BASES

    LawfulBasis = apps.get_model("sharing", "LawfulBasis")
    for order, (code, category, label) in enumerate(SEED_LAWFUL_BASES, start=1):
        LawfulBasis.objects.get_or_create(code=code, defaults={"label": label, "category": str(category), "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [
        migrations.RunPython(seed_bases, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": _sqlite_up, "postgresql": _postgres_up}),
            _run({"sqlite": _sqlite_down, "postgresql": _postgres_down}),
        ),
    ]
