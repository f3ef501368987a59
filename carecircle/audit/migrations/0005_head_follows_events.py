"""The chain head follows each appended event in the database itself.

``audit_record`` locks the head, reads its tip and inserts the next event; the
head's update was a third statement in every audited transaction, a round trip of
its own on PostgreSQL (a pupil's submit is one: PERFORMANCE.md G4). A trigger on
the insert moves the head in the same statement, and no code path can append an
event and leave the head behind.

Like 0002's triggers, this one is lost if SQLite ever rebuilds the table; the
audit tests check that the head follows, so such a migration cannot pass them.
"""

from django.db import migrations

from carecircle.db.migrations import execute_for_vendor

SQLITE = [
    """CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_auditevent
       BEGIN
         UPDATE audit_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
       END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_event_moves_head;"]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_moves_head() RETURNS trigger AS $$
       BEGIN
         UPDATE audit_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_moves_head();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_moves_head ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_moves_head();",
]


def forwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES})


def backwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_redundant_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
