"""Who reads, handles and answers reports of harm (issue 6 item 5).

The desk
    The minors' protection centre's staff and the district administrators: every
    tip whose division lies within their scope. They acknowledge, assign, dispatch,
    extend, merge, link, close and call back, and read the reporter's identity.
The handler
    The staff member a tip is assigned to (a desk role, a social worker or a
    counselor): that tip, with the reporter's identity, while they hold such a role.
An agency or a township
    The users of an organisation a tip is dispatched to (police, school, hospital,
    court, …), or the child supervisors of a township it is dispatched to: the tip
    while the dispatch is live or reported done, **without the reporter's
    identity**. They acknowledge, send back with a reason and report their result.
Those who entered it
    A professional's own mandatory reports, a hotline operator's tickets and a
    school's logged report-box notes: the status and what they wrote, but not the
    identity of another reporter.

Nobody else, whatever their role over children: a village's child director does
not read a report about a family of their village unless it is dispatched to them.
Out of scope is a 404 recorded as a denial; a role that reaches no tip at all gets
a 403 before any lookup.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import Role, spec
from carecircle.audit.services import note_denial
from carecircle.tips.models import Dispatch, Tip

MAX_ID = 2**63 - 1
DESK_ROLES = frozenset({Role.CENTER_STAFF, Role.DISTRICT_ADMIN})
HANDLER_ROLES = DESK_ROLES | {Role.SOCIAL_WORKER, Role.COUNSELOR}
HOTLINE_ROLES = DESK_ROLES | {Role.HOTLINE_OPERATOR}
BOX_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.SCHOOL_PSYCH_TEACHER})
TOWNSHIP_ROLES = frozenset({Role.CHILD_SUPERVISOR})
# Dispatches a live or finished agency still reads.
VISIBLE_DISPATCH = (Dispatch.Status.PENDING, Dispatch.Status.ACKNOWLEDGED, Dispatch.Status.DONE)
LIVE_DISPATCH = (Dispatch.Status.PENDING, Dispatch.Status.ACKNOWLEDGED)


def _roles(user: Any) -> set[str]:
    return perms.roles_of(user)


def desk_prefixes(user: Any) -> list[str]:
    return [a.scope_prefix for a in perms.assignments(user) if a.role in DESK_ROLES]


def is_desk(user: Any) -> bool:
    return bool(desk_prefixes(user))


def is_handler_role(user: Any) -> bool:
    return bool(_roles(user) & HANDLER_ROLES)


def agency_organisations(user: Any) -> list[int]:
    return [a.organisation_id for a in perms.assignments(user) if a.organisation_id is not None]


def township_prefixes(user: Any) -> list[str]:
    return [a.scope_prefix for a in perms.assignments(user) if a.role in TOWNSHIP_ROLES]


def can_enter_hotline(user: Any) -> bool:
    return bool(_roles(user) & HOTLINE_ROLES)


def hotline_prefixes(user: Any) -> list[str]:
    """Divisions a hotline ticket may be entered for."""
    return [a.scope_prefix for a in perms.assignments(user) if a.role in HOTLINE_ROLES]


def box_schools(user: Any) -> list[int]:
    """Schools whose report boxes the user logs (their own school's staff)."""
    return [
        a.organisation_id
        for a in perms.assignments(user)
        if a.role in BOX_ROLES and a.organisation_id is not None
    ]


def can_log_box(user: Any) -> bool:
    return bool(box_schools(user)) or is_desk(user)


def can_report_mandatory(user: Any) -> bool:
    """Every professional who may meet a harmed child at work (DOMAIN.md §3.2)."""
    return any(spec(a.role).sees_child_data for a in perms.assignments(user))


def reaches_tips(user: Any) -> bool:
    """Whether any tip list can hold something for the user (else 403 at the gate)."""
    return bool(
        is_desk(user)
        or is_handler_role(user)
        or agency_organisations(user)
        or township_prefixes(user)
        or can_enter_hotline(user)
        or can_report_mandatory(user)
    )


def require_reader(user: Any) -> None:
    if not reaches_tips(user):
        raise PermissionDenied(_("Your roles do not allow reading reports."))


def _dispatch_q(user: Any) -> Q | None:
    q: Q | None = None
    orgs = agency_organisations(user)
    if orgs:
        q = Q(organisation_id__in=orgs)
    town = perms.prefix_q("area_code", township_prefixes(user))
    if town is not None:
        q = town if q is None else q | town
    return q


def dispatches_for(user: Any) -> QuerySet[Dispatch]:
    """Dispatches addressed to the user's organisations or townships."""
    q = _dispatch_q(user)
    if q is None:
        return Dispatch.objects.none()
    return Dispatch.objects.filter(q, status__in=VISIBLE_DISPATCH)


def tips_visible_to(user: Any) -> QuerySet[Tip]:
    uid = getattr(user, "pk", None)
    if uid is None or not perms.assignments(user):
        return Tip.objects.none()
    q = Q(reporter_user_id=uid) | Q(entered_by_id=uid)
    desk = perms.prefix_q("area_code", desk_prefixes(user))
    if desk is not None:
        q |= desk
    if is_handler_role(user):
        q |= Q(handler_id=uid)
    if _dispatch_q(user) is not None:
        q |= Q(pk__in=dispatches_for(user).values("tip_id"))
    return Tip.objects.filter(q)


def get_tip_for_user(user: Any, pk: int) -> Tip:
    found = tips_visible_to(user).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type="tips.tip", object_id=pk, reason="out of scope")
        raise Http404
    return found


def desk_covers(user: Any, tip: Tip) -> bool:
    return perms.covers(desk_prefixes(user), tip.area_code)


def can_handle(user: Any, tip: Tip) -> bool:
    """Acknowledge, assign, dispatch, extend, link, close, call back."""
    return desk_covers(user, tip) or (
        tip.handler_id is not None
        and tip.handler_id == getattr(user, "pk", None)
        and is_handler_role(user)
    )


def can_decide_extension(user: Any, tip: Tip) -> bool:
    """The desk, and never for one's own request (checked by the service)."""
    return desk_covers(user, tip)


def sees_reporter(user: Any, tip: Tip) -> bool:
    """The reporter's name and contact: the desk over the tip and its handler; a
    professional's own report to themselves."""
    if tip.reporter_user_id is not None and tip.reporter_user_id == getattr(user, "pk", None):
        return True
    return can_handle(user, tip)


def live_dispatch_for(user: Any, tip: Tip) -> Dispatch | None:
    """The live dispatch of ``tip`` the user answers for, if any."""
    q = _dispatch_q(user)
    if q is None:
        return None
    return Dispatch.objects.filter(q, tip=tip, status__in=LIVE_DISPATCH).first()
