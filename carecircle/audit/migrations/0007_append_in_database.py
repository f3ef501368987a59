"""On PostgreSQL the database links each event into the chain as it inserts it.

Until now ``audit_record`` locked the chain head, read its tip, hashed the event in
Python and inserted it. Every audited transaction on PostgreSQL therefore held the
one head row from that read to its commit, and a pupil's submit took the lock with
its first statement (``chain_held``), so the whole transaction (scoring included)
ran under it: the other worker's submit waited (PERFORMANCE.md G4).

``audit_append`` takes the event's columns and its canonical JSON without ``seq``
(``AuditEvent.content_json``). It locks the head, appends ``"seq":N`` before the
closing brace (``seq`` sorts last among the canonical keys), hashes exactly as
``chain_hash`` does, and inserts. The head stays locked from that statement to the
commit only. ``audit_verify`` checks these events in Python like any other, so an
event whose columns and JSON disagreed would be reported as altered.

0005's trigger still moves the head. SQLite keeps chaining in Python: it has no
SHA-256 function, and its transaction holds the whole database's write lock anyway.
"""

from django.db import migrations

from carecircle.db.migrations import execute_for_vendor

POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_append(
         p_at timestamptz, p_actor_id bigint, p_actor_username varchar,
         p_actor_roles varchar, p_action varchar, p_object_type varchar,
         p_object_id varchar, p_minor_id bigint, p_fields jsonb, p_details jsonb,
         p_request_id varchar, p_ip inet, p_content text,
         OUT appended_id bigint, OUT appended_seq bigint,
         OUT appended_prev_hash varchar, OUT appended_hash varchar)
       AS $$
       BEGIN
         SELECT h.seq, h.hash INTO appended_seq, appended_prev_hash
           FROM audit_auditchainhead h WHERE h.id = 1 FOR UPDATE;
         IF NOT FOUND THEN
           -- A database whose tables were emptied (a test's flush) has no head row.
           INSERT INTO audit_auditchainhead (id, seq, hash)
             VALUES (1, 0, repeat('0', 64)) ON CONFLICT (id) DO NOTHING;
           SELECT h.seq, h.hash INTO appended_seq, appended_prev_hash
             FROM audit_auditchainhead h WHERE h.id = 1 FOR UPDATE;
         END IF;
         IF left(p_content, 1) <> '{' OR right(p_content, 1) <> '}' OR p_content = '{}' THEN
           RAISE EXCEPTION 'audit_append: the content must be a non-empty JSON object';
         END IF;
         appended_seq := appended_seq + 1;
         appended_hash := encode(sha256(convert_to(
           appended_prev_hash || '|' || left(p_content, -1) || ',"seq":' || appended_seq || '}',
           'UTF8')), 'hex');
         INSERT INTO audit_auditevent (
             seq, at, actor_id, actor_username, actor_roles, action, object_type,
             object_id, minor_id, fields, details, request_id, ip, prev_hash, hash)
           VALUES (
             appended_seq, p_at, p_actor_id, p_actor_username, p_actor_roles, p_action,
             p_object_type, p_object_id, p_minor_id, p_fields, p_details, p_request_id,
             p_ip, appended_prev_hash, appended_hash)
           RETURNING id INTO appended_id;
       END; $$ LANGUAGE plpgsql;""",
]
POSTGRES_REVERSE = [
    """DROP FUNCTION IF EXISTS audit_append(
         timestamptz, bigint, varchar, varchar, varchar, varchar, varchar, bigint, jsonb,
         jsonb, varchar, inet, text);""",
]


def forwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"postgresql": POSTGRES})


def backwards(apps, schema_editor):
    execute_for_vendor(schema_editor, {"postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_actor_index_partial")]
    operations = [migrations.RunPython(forwards, backwards)]
