"""The CareCircle access model, in one place.

Deny by default
    A user sees nothing until a role grants it. Anonymous users see only the public
    pages (login, and later the reporting form and questionnaires behind one-time
    codes). Inactive users, users whose second factor is not yet verified, and
    sessions or tokens minted before the user's ``auth_epoch`` changed see nothing.

Roles and scopes
    A user holds one or more ``RoleAssignment`` rows: a role (``roles.Role``) within a
    scope. A *division scope* is a 12-digit statistical code prefix: ``431103``
    covers the whole of 冷水滩区, ``431103101`` one town, ``431103101201`` one
    village. An *organisation scope* is one organisation (a school, a hospital, an
    agency); it covers that organisation only, and its division is recorded so that
    statistics can place it. A user's rights are the union over their active
    assignments; revoking an assignment removes its rights on the next request.

Child data (``RoleSpec.minor_access``)
    - ``jurisdiction``: every minor whose residence code starts with the scope
      prefix (district admin, center staff, social worker, counselor, child
      supervisor, child director).
    - ``school``: every minor enrolled at the scope school (school psychology
      teacher, school administrator).
    - ``relationship``: only minors linked to the user by a case, a referral, a
      tip or a pairing. Each later module registers how its links grant access
      (``people.permissions.register_minor_access``); until then such roles see
      no child.
    - ``none``: auditor, analyst, system administrator. They never read an
      identified child record, whatever else they can do.
    Editing a minor additionally needs ``RoleSpec.edits_minors``.

Break the glass
    Someone who may see child data but not this child can open the child's
    record in an emergency by giving a reason and re-entering their second
    factor. The grant lasts ``CARECIRCLE_BREAK_GLASS_MINUTES`` (60), is audited,
    and notifies the district administrators covering the child.

Separation of duties (三员分立)
    - The system administrator manages organisations, accounts, roles and scopes
      inside their own division scope, and reads no child data and no audit log.
    - The auditor reads the audit log inside their scope, and nothing else.
    - Nobody grants or revokes their own roles, nor edits their own account
      through the admin pages; nobody grants a scope outside their own; the
      ``sysadmin`` role itself is created only from the command line
      (``create_sysadmin``), by whoever runs the server.

Statistics
    Aggregates are computed over the viewer's division scopes only; organisation
    scopes contribute their organisation's division. Roles with ``reads_stats``
    see the statistics page.

How code uses this module
    Each app's ``permissions.py`` builds its ``<noun>s_visible_to(user)`` querysets
    and ``can_<verb>_<noun>(user, obj)`` predicates from the helpers below. Views
    never filter by hand: they call ``get_<noun>_for_user`` which returns the object
    or raises ``Http404`` when it is out of scope (no existence oracle), and
    ``PermissionDenied`` (403) when it is visible but the action is not allowed.
    Every denial is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import ACCOUNT_ROLES, MinorAccess, Role, ScopeKind, is_role, spec
from carecircle.regions.codes import PREFIX_LENGTHS, prefix_term
from carecircle.regions.models import Division

AnyUser = User | AnonymousUser

_CACHE_ATTR = "_carecircle_assignments"


def assignments(user: AnyUser) -> list[RoleAssignment]:
    """The user's active assignments, loaded once per request object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.active()
            .filter(user=user)
            .select_related("division", "organisation", "organisation__division")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_assignments(user: AnyUser) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: AnyUser) -> set[str]:
    return {a.role for a in assignments(user)}


def is_verified(user: AnyUser) -> bool:
    """True once the session passed the second factor (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def requires_second_factor(user: AnyUser) -> bool:
    return any(spec(a.role).requires_second_factor for a in assignments(user))


def sees_child_data(user: AnyUser) -> bool:
    return any(spec(a.role).sees_child_data for a in assignments(user))


def minor_prefixes(user: AnyUser, access: MinorAccess, *, edit: bool = False) -> list[str]:
    """Scope prefixes through which the user reaches (or, with ``edit``, changes) minors."""
    return [
        a.scope_prefix
        for a in assignments(user)
        if spec(a.role).minor_access == access and (not edit or spec(a.role).edits_minors)
    ]


def minor_schools(user: AnyUser, *, edit: bool = False) -> list[int]:
    """Schools whose pupils the user reaches (or, with ``edit``, changes)."""
    return [
        a.organisation_id
        for a in assignments(user)
        if a.organisation_id is not None
        and spec(a.role).minor_access == MinorAccess.SCHOOL
        and (not edit or spec(a.role).edits_minors)
    ]


def prefix_q(field: str, prefixes: Iterable[str]) -> Q | None:
    """``field`` under any of ``prefixes`` (nested ones collapsed), or None for none."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    q: Q | None = None
    for prefix in kept:
        term = prefix_term(field, prefix)
        q = term if q is None else q | term
    return q


def jurisdiction_q(
    user: AnyUser, *, area_field: str, school_field: str | None = None, edit: bool = False
) -> Q | None:
    """Rows reached through the user's division and school scopes, or None for nothing."""
    q = prefix_q(area_field, minor_prefixes(user, MinorAccess.JURISDICTION, edit=edit))
    schools = minor_schools(user, edit=edit)
    if school_field and schools:
        term = Q(**{f"{school_field}__in": schools})
        q = term if q is None else q | term
    return q


def division_prefixes(user: AnyUser, *, capability: str) -> list[str]:
    """Scope prefixes of the assignments whose role has ``capability`` (a RoleSpec flag)."""
    return [a.scope_prefix for a in assignments(user) if getattr(spec(a.role), capability)]


def role_holders(roles: Iterable[str], code: str) -> QuerySet[User]:
    """Active users holding one of ``roles`` in a division that covers ``code``: who is
    told or asked to act about something there (alerts, candidates for a task)."""
    prefixes = [code[:n] for n in PREFIX_LENGTHS.values() if n <= len(code)]
    assignments = RoleAssignment.objects.active().filter(
        role__in=list(roles), scope_prefix__in=prefixes, organisation__isnull=True
    )
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))


def covers(prefixes: Iterable[str], code: str) -> bool:
    return any(code.startswith(p) for p in prefixes)


def can_manage_accounts(user: AnyUser) -> bool:
    return bool(division_prefixes(user, capability="manages_accounts"))


def can_read_audit(user: AnyUser) -> bool:
    return bool(division_prefixes(user, capability="reads_audit"))


def can_view_stats(user: AnyUser) -> bool:
    return bool(division_prefixes(user, capability="reads_stats"))


def can_manage_school(user: AnyUser, school: Organisation) -> bool:
    """Whether the user keeps the school's classes: it edits the school's pupils, or
    edits minors in a jurisdiction covering the school's division."""
    if school.pk in minor_schools(user, edit=True):
        return True
    return covers(minor_prefixes(user, MinorAccess.JURISDICTION, edit=True), school.division_id)


def can_break_glass(user: AnyUser) -> bool:
    return sees_child_data(user)


# --- Account administration ---------------------------------------------------


def admin_prefixes(user: AnyUser) -> list[str]:
    return division_prefixes(user, capability="manages_accounts")


def organisations_visible_to(user: AnyUser) -> Any:
    q = prefix_q("division__prefix", admin_prefixes(user))
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q).select_related("division")


def users_visible_to(user: AnyUser) -> Any:
    """Accounts an administrator manages: those holding a role inside the admin's scope,
    and accounts holding no role (new, or all roles revoked) that were created or last
    served inside it, so that they can be given one. Another district's role-less
    accounts stay out of sight.
    """
    prefixes = admin_prefixes(user)
    inside = prefix_q("scope_prefix", prefixes)
    home = prefix_q("home_prefix", prefixes)
    if inside is None or home is None:
        return User.objects.none()
    held = RoleAssignment.objects.filter(user=OuterRef("pk"))
    active = held.filter(revoked_at__isnull=True)
    roleless = ~Exists(active) & (home | Exists(held.filter(inside)))
    return User.objects.filter(Exists(active.filter(inside)) | roleless)


def check_grant(
    granter: AnyUser,
    *,
    target: User,
    role: str,
    division: Division | None,
    organisation: Organisation | None,
) -> None:
    """Raise PermissionDenied or ValidationError unless ``granter`` may make this grant."""
    if not is_role(role):
        raise ValidationError(_("Unknown role: %(role)s.") % {"role": role})
    if not can_manage_accounts(granter):
        raise PermissionDenied(_("Only a system administrator can grant roles."))
    if target.pk == getattr(granter, "pk", None):
        raise PermissionDenied(_("Nobody can change their own roles or scopes."))
    if role == Role.SYSADMIN:
        raise PermissionDenied(
            _("The system administrator role is created from the command line only.")
        )
    role_spec = spec(role)
    if role_spec.scope == ScopeKind.DIVISION:
        if division is None or organisation is not None:
            raise ValidationError(_("This role is held within a division."))
        prefix = division.prefix
    else:
        if organisation is None or division is not None:
            raise ValidationError(_("This role is held within an organisation."))
        if organisation.kind not in role_spec.org_kinds:
            raise ValidationError(
                _("This role cannot be held in a %(kind)s.")
                % {"kind": organisation.get_kind_display()}
            )
        prefix = organisation.division.prefix
    if not covers(admin_prefixes(granter), prefix):
        raise PermissionDenied(_("That scope is outside your own."))
    if role in ACCOUNT_ROLES and sees_child_data(target):
        raise ValidationError(
            _("Auditors and administrators cannot also hold a role that sees child data.")
        )
    if spec(role).sees_child_data and any(a.role in ACCOUNT_ROLES for a in assignments(target)):
        raise ValidationError(
            _("Auditors and administrators cannot also hold a role that sees child data.")
        )


def check_manage_user(admin: AnyUser, target: User) -> None:
    """Raise unless ``admin`` may edit, deactivate or reset ``target``."""
    if not can_manage_accounts(admin):
        raise PermissionDenied(_("Only a system administrator can manage accounts."))
    if target.pk == getattr(admin, "pk", None):
        raise PermissionDenied(_("Nobody can change their own account here."))
    if not users_visible_to(admin).filter(pk=target.pk).exists():
        raise PermissionDenied(_("That account is outside your scope."))
