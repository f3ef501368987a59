"""Drop two single-column indexes that the composite ones already serve.

Only the indexes go: the table is never rebuilt (SQLite's AlterField would copy it
and lose the append-only triggers of 0002), so the state change and the SQL are
given separately.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_import_merge_actions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "audit_auditevent_actor_id_270bb4b7"',
                    'CREATE INDEX "audit_auditevent_actor_id_270bb4b7" ON "audit_auditevent" ("actor_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "audit_auditevent_minor_id_95b38703"',
                    'CREATE INDEX "audit_auditevent_minor_id_95b38703" ON "audit_auditevent" ("minor_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="minor_id",
                    field=models.BigIntegerField(blank=True, null=True, verbose_name="minor"),
                ),
            ],
        ),
    ]
