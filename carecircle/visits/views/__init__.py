"""The visits pages (issue 5 items 2 and 3), for phones first (prefix /visits/).

- ``record``: record a visit (one child or a household's children, the checklist,
  risk flags, photos), idempotent by the key the form carries;
- ``detail``: one visit, its read audited, and its photos served privately;
- ``lists``: the visits home, a director's children, due this week, overdue, and
  the coverage per village (supervisors) or per township (the district);
- ``tasks``: the user's open tasks and closing one;
- ``rules``: the visit intervals and their versions (district administrators).

Every page authorises first (``permissions.require_reader`` / ``require_recorder``:
403 for roles that have no business here), fetches objects only through the
permission layer (out of scope is 404, recorded as a denial), and writes only
through ``services``, ``photos``, ``tasks`` and ``rules``. No page shows why a child
has the visit interval it has: a screening result stays with those who read results.
"""

from carecircle.visits.views.detail import photo, visit_detail
from carecircle.visits.views.lists import coverage, due, home, my_children, overdue
from carecircle.visits.views.record import visit_children, visit_create
from carecircle.visits.views.rules import visit_rules
from carecircle.visits.views.tasks import task_complete, task_list

__all__ = [
    "coverage",
    "due",
    "home",
    "my_children",
    "overdue",
    "photo",
    "task_complete",
    "task_list",
    "visit_children",
    "visit_create",
    "visit_detail",
    "visit_rules",
]
