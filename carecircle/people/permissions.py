"""Who may see and change which minors. The model is explained in accounts/permissions.py.

Later modules add the links that give ``relationship`` roles access (a case team,
a referral, a pairing) with ``register_minor_access``; each provider returns a Q
over ``Minor`` or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from carecircle.accounts import permissions as perms
from carecircle.audit.services import note_denial
from carecircle.people.models import EmergencyAccess, Minor

AccessProvider = Callable[[Any], Q | None]
_PROVIDERS: list[AccessProvider] = []
_GRANTS_ATTR = "_carecircle_emergency_grants"


def register_minor_access(provider: AccessProvider) -> AccessProvider:
    _PROVIDERS.append(provider)
    return provider


def _break_glass_q(user: Any) -> Q | None:
    """The user's open emergency grants, as literal ids: a subquery inside the OR
    would make the database test every row of the table against it."""
    if not perms.can_break_glass(user):
        return None
    ids = getattr(user, _GRANTS_ATTR, None)
    if ids is None:
        # Once per request object, like the role assignments.
        ids = list(
            EmergencyAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values_list(
                "minor_id", flat=True
            )
        )
        setattr(user, _GRANTS_ATTR, ids)
    return Q(pk__in=ids) if ids else None


def forget_emergency_grants(user: Any) -> None:
    if hasattr(user, _GRANTS_ATTR):
        delattr(user, _GRANTS_ATTR)


def _union(*parts: Q | None) -> Q | None:
    q: Q | None = None
    for part in parts:
        if part is not None:
            q = part if q is None else q | part
    return q


def minor_scope_q(user: Any, *, edit: bool = False) -> Q | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    base = perms.jurisdiction_q(user, area_field="area_code", school_field="school_id", edit=edit)
    if edit:
        return base
    return _union(base, *(provider(user) for provider in _PROVIDERS), _break_glass_q(user))


def minors_visible_to(user: Any) -> QuerySet[Minor]:
    q = minor_scope_q(user)
    if q is None:
        return Minor.objects.none()
    return Minor.objects.filter(q)


def can_change_minor(user: Any, minor: Minor) -> bool:
    q = minor_scope_q(user, edit=True)
    return q is not None and Minor.objects.filter(q, pk=minor.pk).exists()


def get_minor_for_user(user: Any, pk: int) -> Minor:
    """The minor if ``user`` may see it; otherwise 404, recorded as a denial."""
    minor = minors_visible_to(user).select_related("school").filter(pk=pk).first()
    if minor is None:
        note_denial(actor=user, object_type="people.minor", object_id=pk, reason="out of scope")
        raise Http404
    return minor


def in_regular_scope(user: Any, minor: Minor) -> bool:
    """True when the user reaches the child without breaking the glass."""
    if _break_glass_q(user) is None:
        return True
    base = _union(
        perms.jurisdiction_q(user, area_field="area_code", school_field="school_id"),
        *(provider(user) for provider in _PROVIDERS),
    )
    return base is not None and Minor.objects.filter(base, pk=minor.pk).exists()
