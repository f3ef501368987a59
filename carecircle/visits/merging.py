"""When two registry records of one child are merged, the visits follow.

The duplicate's rows on visits move to the surviving record (``people.dedupe`` calls
this inside the merge's transaction), except on a visit that saw both records: there
the survivor's row stays and the duplicate's goes, since it was one child seen once.
Its tasks move too; its reminders are forgotten (the survivor's due day is its own).
"""

from __future__ import annotations

from typing import Any

from carecircle.people.dedupe import register_merge_hook
from carecircle.people.models import Minor
from carecircle.visits.models import VisitMinor, VisitNotice, VisitTask


@register_merge_hook
def move_visits(*, survivor: Minor, duplicate: Minor, actor: Any) -> None:
    both = VisitMinor.objects.filter(minor=survivor).values("visit_id")
    VisitMinor.objects.filter(minor=duplicate, visit_id__in=both).delete()
    VisitMinor.objects.filter(minor=duplicate).update(minor=survivor)
    VisitTask.objects.filter(minor=duplicate).update(minor=survivor)
    VisitNotice.objects.filter(minor=duplicate).delete()
