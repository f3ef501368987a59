"""Make the audit table append-only in the database itself.

The application never updates or deletes audit rows; these triggers make sure
nothing else does either (a stray script, an ORM bug), on SQLite and PostgreSQL.
``audit_verify`` still detects changes made by someone who drops the triggers.
The chain head gets its single row here, so that appends never race to create it.
"""

from django.db import migrations

from carecircle.db.migrations import execute_for_vendor

SQLITE = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
       ON audit_auditevent FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_append_only();",
]


def forwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES})
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(pk=1)


def backwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
