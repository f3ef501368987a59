"""Index by actor only the events that have one.

A pupil's submit and every system job append an event without an actor, and each
paid a page of ``audit_actor_at`` that no lookup reads: a lookup by actor names
one (``actor_id = …`` implies ``IS NOT NULL`` on SQLite and PostgreSQL alike).
Dropping and creating an index does not rebuild the table, so 0002's and 0005's
triggers stay.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_head_follows_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="audit_actor_at"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)),
                fields=["actor", "at"],
                name="audit_actor_at",
            ),
        ),
    ]
