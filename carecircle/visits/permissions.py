"""Who records and reads visits. The model is explained in accounts/permissions.py.

Recording
    A visit is recorded by a role that changes children within a division
    (``RoleSpec.edits_minors`` with ``jurisdiction`` access: the child director of a
    village, the child supervisor of a township, social workers, the centre's
    staff, district administrators), for children living inside that division.
    School roles do not record visits: they reach pupils, not homes.

Reading
    A visit is read by every role that reaches children by jurisdiction (the
    recorders, and counselors) whose division covers the visit's ``area_code``:
    the narrowest division holding every child seen, fixed when the visit was
    recorded. A visit to one household is read in its village and above; a visit
    spanning two villages only at the township and above, so that no village's
    director reads about another village's child. Relationship roles, school roles
    and emergency (break-the-glass) access do not open visits.

Tasks
    A visit's tasks are read where the visit is; a follow-up is done by the role it
    names over its division (``assigned_role``), a police report by its visitor.

Out of scope is a 404 (``get_visit_for_user``), recorded as a denial; a role that
cannot read or record visits at all is a 403 before any lookup.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import MinorAccess
from carecircle.audit.services import note_denial
from carecircle.people.models import Minor
from carecircle.visits.models import Visit, VisitPhoto, VisitTask

# The largest id a 64-bit integer column holds; a larger one would overflow the query.
MAX_ID = 2**63 - 1
# Division prefixes this short (county, city, province) cover most visits stored.
WIDE_SCOPE = 6


def recording_prefixes(user: Any) -> list[str]:
    return perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)


def reading_prefixes(user: Any) -> list[str]:
    return perms.minor_prefixes(user, MinorAccess.JURISDICTION)


def can_record_visits(user: Any) -> bool:
    return bool(recording_prefixes(user))


def can_read_visits(user: Any) -> bool:
    return bool(reading_prefixes(user))


def require_recorder(user: Any) -> None:
    if not can_record_visits(user):
        raise PermissionDenied(_("Your roles do not allow recording visits."))


def require_reader(user: Any) -> None:
    if not can_read_visits(user):
        raise PermissionDenied(_("Your roles do not allow reading visits."))


def minors_recordable_by(user: Any) -> QuerySet[Minor]:
    """Active children the user may record a visit to."""
    q = perms.prefix_q("area_code", recording_prefixes(user))
    if q is None:
        return Minor.objects.none()
    return Minor.objects.filter(q, status=Minor.Status.ACTIVE)


def minors_tracked_by(user: Any) -> QuerySet[Minor]:
    """Active children whose visits the user follows (the due lists' scope)."""
    q = perms.prefix_q("area_code", reading_prefixes(user))
    if q is None:
        return Minor.objects.none()
    return Minor.objects.filter(q, status=Minor.Status.ACTIVE)


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    q = perms.prefix_q("area_code", reading_prefixes(user))
    return Visit.objects.none() if q is None else Visit.objects.filter(q)


def visits_for_listing(user: Any) -> QuerySet[Visit]:
    """``visits_visible_to``, written for a newest-first list.

    A county-wide (or wider) scope holds most visits of the database: there the
    area filter is written so that no index serves it (``startswith``), and the
    database walks the time index ``visit_time`` newest first, stopping at a page.
    A township's or village's visits are a small part: the area index finds them
    and only those are sorted. Either way a page costs what the scope holds.
    """
    terms: list[Q] = []
    for prefix in reading_prefixes(user):
        if len(prefix) <= WIDE_SCOPE:
            terms.append(Q(area_code__startswith=prefix))
        else:
            term = perms.prefix_q("area_code", [prefix])
            if term is not None:
                terms.append(term)
    if not terms:
        return Visit.objects.none()
    q = terms[0]
    for term in terms[1:]:
        q |= term
    return Visit.objects.filter(q)


def get_visit_for_user(user: Any, pk: int) -> Visit:
    """The visit if ``user`` may read it; otherwise 404, recorded as a denial."""
    found = visits_visible_to(user).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type="visits.visit", object_id=pk, reason="out of scope")
        raise Http404
    return found


def can_change_visit(user: Any, visit: Visit) -> bool:
    """Adding photos: the recorder, or a recorder whose division covers the visit."""
    prefixes = recording_prefixes(user)
    return bool(prefixes) and perms.covers(prefixes, visit.area_code)


def photos_visible_to(user: Any) -> QuerySet[VisitPhoto]:
    return VisitPhoto.objects.filter(visit__in=visits_visible_to(user))


def tasks_visible_to(user: Any) -> QuerySet[VisitTask]:
    q = perms.prefix_q("area_code", reading_prefixes(user))
    return VisitTask.objects.none() if q is None else VisitTask.objects.filter(q)


def can_complete_task(user: Any, task: VisitTask) -> bool:
    """A police report: its visitor. A follow-up: the role it names, over its division."""
    if task.assigned_to_id is not None:
        return bool(task.assigned_to_id == getattr(user, "pk", None) and can_read_visits(user))
    return any(
        a.role == task.assigned_role and task.area_code.startswith(a.scope_prefix)
        for a in perms.assignments(user)
    )


def my_tasks_q(user: Any) -> Q:
    """Open tasks the user is to do (a filter over ``tasks_visible_to``)."""
    mine = Q(assigned_to_id=getattr(user, "pk", None))
    for assignment in perms.assignments(user):
        term = perms.prefix_q("area_code", [assignment.scope_prefix])
        if term is not None:
            mine |= Q(term, assigned_to__isnull=True, assigned_role=assignment.role)
    return Q(mine, status=VisitTask.Status.OPEN)
