"""Drop the index on Response.participant: ``response_once`` (participant, code)
serves the same lookups. Only the index goes; the table is not rebuilt."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0002_key_target_school"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "screening_response_participant_id_b888796d"',
                    'CREATE INDEX "screening_response_participant_id_b888796d" '
                    'ON "screening_response" ("participant_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="response",
                    name="participant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="responses",
                        to="screening.participant",
                        verbose_name="participant",
                    ),
                ),
            ],
        ),
    ]
