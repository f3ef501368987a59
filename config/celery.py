"""Celery, for deployments that scale background work out (CELERY_BROKER_URL set).

The work itself lives in ``carecircle.notifications.outbox``: Celery only decides
when it runs. Start with::

    celery -A config worker -l info
    celery -A config beat -l info
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("carecircle")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="carecircle.drain_outbox")
def drain_outbox() -> int:
    from carecircle.notifications.outbox import drain

    return drain()


@app.task(name="carecircle.run_due_jobs")
def run_due_jobs() -> list[str]:
    from carecircle.notifications.outbox import run_due_jobs as run

    return run()


# Beat only ticks; each job's own schedule and its once-only claim stay in the
# database, so beat restarts or two beats never run a job twice.
app.conf.beat_schedule = {
    "carecircle-due-jobs": {"task": "carecircle.run_due_jobs", "schedule": 30.0},
    "carecircle-drain-outbox": {"task": "carecircle.drain_outbox", "schedule": 10.0},
}
