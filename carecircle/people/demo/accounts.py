"""The demo's organisations, accounts and role grants, written as the system
administrator would: organisations through ``organisation_save``, the named demo
users' roles through ``role_grant``, the rest in audited batches."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.accounts.services import organisation_save, role_grant
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.demo.district import DEMO_PASSWORD, DEMO_USERNAMES, ORGANISATIONS
from carecircle.people.demo.staff import DemoStaff
from carecircle.regions.models import Division


def _organisations(sysadmin: User, divisions: dict[str, Division]) -> dict[str, Organisation]:
    orgs: dict[str, Organisation] = {}
    for org in ORGANISATIONS:
        division = divisions[org.division]
        existing = Organisation.objects.filter(division=division, name=org.name).first()
        orgs[org.key] = existing or organisation_save(
            actor=sysadmin, name=org.name, kind=org.kind, division=division
        )
    return orgs


def _accounts(plan: list[DemoStaff]) -> dict[str, User]:
    taken = list(
        User.objects.filter(username__in=[s.username for s in plan]).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise ValidationError(
            _("These usernames already exist: %(names)s.") % {"names": ", ".join(taken[:5])}
        )
    # One hash for every demo account: PBKDF2 per account would take minutes, and
    # the shared password is public anyway.
    password = make_password(DEMO_PASSWORD)
    User.objects.bulk_create(
        [
            User(
                username=s.username,
                full_name=s.full_name,
                phone=s.phone,
                password=password,
                must_change_password=False,
            )
            for s in plan
        ],
        batch_size=500,
    )
    audit_record(
        actor=None,
        action=AuditEvent.Action.CREATE,
        object_type="accounts.user",
        fields=["username", "full_name", "phone"],
        details={"accounts": len(plan), "via": "seed_demo"},
        username="seed_demo",
    )
    return {u.username: u for u in User.objects.filter(username__in=[s.username for s in plan])}


def _grants(
    plan: list[DemoStaff],
    users: dict[str, User],
    divisions: dict[str, Division],
    orgs: dict[str, Organisation],
) -> None:
    """The system administrator grants every role: the named demo users one by one
    through ``role_grant``, the district's other staff as one audited batch per role
    (two hundred service calls would dominate a small seed)."""
    sysadmin = users[Role.SYSADMIN]
    batch: dict[str, list[RoleAssignment]] = {}
    for staff in plan:
        if staff.username == Role.SYSADMIN:
            continue
        user = users[staff.username]
        organisation = orgs[staff.organisation] if staff.organisation else None
        division = None if organisation else divisions[staff.division]
        if staff.username in DEMO_USERNAMES:
            role_grant(
                actor=sysadmin,
                user=user,
                role=staff.role,
                division=division,
                organisation=organisation,
            )
            continue
        prefix = organisation.division.prefix if organisation else staff.division
        batch.setdefault(staff.role, []).append(
            RoleAssignment(
                user=user,
                role=staff.role,
                division=division,
                organisation=organisation,
                scope_prefix=prefix,
                granted_by=sysadmin,
            )
        )
    for role, assignments in batch.items():
        RoleAssignment.objects.bulk_create(assignments)
        audit_record(
            actor=sysadmin,
            action=AuditEvent.Action.GRANT,
            object_type="accounts.user",
            details={
                "role": role,
                "users": [a.user.username for a in assignments],
                "via": "seed_demo",
            },
        )
