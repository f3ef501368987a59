"""Who sends, receives and reads referrals (issue 7 item 5).

The sending side
    Whoever reads the case (its team and its supervisors, ``cases.permissions``)
    reads its referrals; whoever may work the case sends one while the case is open,
    withdraws it while it awaits acceptance, and closes it once the receiver gave
    feedback. An override of consent is the supervisors' (centre staff and district
    administrators over the case's division).
The receiving side
    The users holding an organisation-scoped role at the receiving organisation (a
    clinician at the hospital, an officer at the police, court or procuratorate, the
    psychology teacher or administrator at the school) and, for a social-work
    station, the social workers whose division covers the station's. They read the
    snapshot, the reason and the steps, never the child's record: a referral grants
    no access to the child (``people.permissions`` is not extended).

A role that reaches neither side gets 403; a referral out of scope is a 404 recorded
as a denial.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.audit.services import note_denial
from carecircle.cases import permissions as case_perms
from carecircle.cases.models import Case, Referral

MAX_ID = 2**63 - 1
SENDER, RECEIVER = "sender", "receiver"
# Organisation-scoped roles that answer their organisation's referrals.
RECEIVER_ROLES = frozenset(
    {Role.HOSPITAL_CLINICIAN, Role.AGENCY_OFFICER, Role.SCHOOL_PSYCH_TEACHER, Role.SCHOOL_ADMIN}
)
STATION_ROLES = frozenset({Role.SOCIAL_WORKER})

_ORGS_ATTR = "_carecircle_referral_orgs"


def receiving_organisations(user: Any) -> list[int]:
    """The organisations whose referrals the user answers, read once per request object."""
    cached = getattr(user, _ORGS_ATTR, None)
    if cached is not None:
        return list(cached)
    found = {
        a.organisation_id
        for a in perms.assignments(user)
        if a.role in RECEIVER_ROLES and a.organisation_id is not None
    }
    station_prefixes = [
        a.scope_prefix
        for a in perms.assignments(user)
        if a.role in STATION_ROLES and a.organisation_id is None
    ]
    covered = perms.prefix_q("division_id", station_prefixes)
    if covered is not None:
        found |= set(
            Organisation.objects.filter(
                covered, kind=Organisation.Kind.SOCIAL_WORK_STATION
            ).values_list("pk", flat=True)
        )
    if getattr(user, "pk", None) is not None:
        setattr(user, _ORGS_ATTR, sorted(found))
    return sorted(found)


def receives(user: Any) -> bool:
    return bool(receiving_organisations(user))


def reaches_referrals(user: Any) -> bool:
    return receives(user) or case_perms.reaches_cases(user)


def require_reader(user: Any) -> None:
    if not reaches_referrals(user):
        raise PermissionDenied(_("Your roles do not allow reading referrals."))


def require_receiver(user: Any) -> None:
    if not receives(user):
        raise PermissionDenied(_("Your roles do not answer referrals."))


def require_sender(user: Any) -> None:
    if not case_perms.reaches_cases(user):
        raise PermissionDenied(_("Your roles do not allow sending referrals."))


def sent_q(user: Any) -> Q | None:
    if getattr(user, "pk", None) is None or not perms.assignments(user):
        return None
    if not case_perms.reaches_cases(user):
        return None
    return Q(case_id__in=case_perms.cases_visible_to(user).values("pk"))


def received_q(user: Any) -> Q | None:
    orgs = receiving_organisations(user)
    return Q(to_organisation_id__in=orgs) if orgs else None


def referrals_visible_to(user: Any) -> QuerySet[Referral]:
    q: Q | None = None
    for term in (sent_q(user), received_q(user)):
        if term is not None:
            q = term if q is None else q | term
    return Referral.objects.filter(q) if q is not None else Referral.objects.none()


def get_referral_for_user(user: Any, pk: int, *, related: tuple[str, ...] = ()) -> Referral:
    """The referral if ``user`` reads it (either side); else 404, recorded."""
    rows = referrals_visible_to(user).select_related("to_organisation", *related)
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type="cases.referral", object_id=pk, reason="out of scope")
        raise Http404
    return found


def sides_of(user: Any, referral: Referral) -> frozenset[str]:
    """Which sides of the referral the user is on (both, for a rare user who is)."""
    sides = set()
    if referral.to_organisation_id in receiving_organisations(user):
        sides.add(RECEIVER)
    if case_perms.cases_visible_to(user).filter(pk=referral.case_id).exists():
        sides.add(SENDER)
    return frozenset(sides)


def is_receiver(user: Any, referral: Referral) -> bool:
    return referral.to_organisation_id in receiving_organisations(user)


def works_sender_side(user: Any, referral: Referral) -> bool:
    return case_perms.can_work(user, referral.case)


def can_send(user: Any, case: Case) -> bool:
    return case.is_open and case_perms.can_work(user, case)


def can_override(user: Any, case: Case) -> bool:
    """Consent is overridden only by a supervisor over the case's division."""
    return case_perms.supervises(user, case)


def receiver_users(organisation: Organisation) -> list[int]:
    """Who is told of a referral to ``organisation``."""
    holders = RoleAssignment.objects.active().filter(
        organisation=organisation, role__in=list(RECEIVER_ROLES)
    )
    ids = set(
        User.objects.filter(is_active=True, pk__in=holders.values("user_id")).values_list(
            "pk", flat=True
        )
    )
    if organisation.kind == Organisation.Kind.SOCIAL_WORK_STATION:
        ids |= set(
            perms.role_holders(STATION_ROLES, organisation.division_id).values_list("pk", flat=True)
        )
    return sorted(ids)
