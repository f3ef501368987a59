"""Follow-ups of triaged results (issue 4, item 5): who is told, by when, and escalation.

On submit, a red-critical result tells the school's psychology teacher and the
district centre (center staff and counselors covering the school) at once and opens
an acknowledgement due within ``CARECIRCLE_SCREENING_ACK_HOURS`` (24); red and
yellow results open an interview due within ``CARECIRCLE_SCREENING_RED_DAYS`` (3)
and ``CARECIRCLE_SCREENING_YELLOW_DAYS`` (7). Green opens nothing.

The periodic job ``screening.escalate`` (every 15 minutes) escalates each overdue
follow-up once to the district administrators covering the school. Notifications
go through the outbox, in the same transaction as the follow-up, so a crash loses
neither; they name no child (they may leave the system by e-mail) and link to the
follow-up, which only those in scope can open. The follow-up's own message is
written with it, in the pupil's transaction; the list of people to tell is made
when the worker delivers that message, an instant after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.crypto.prepared import insert_row
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import enqueue, handler, periodic
from carecircle.notifications.services import notification_send
from carecircle.regions.codes import PREFIX_LENGTHS
from carecircle.screening.models import FollowUp, Response
from carecircle.screening.permissions import CENTRE_ROLES, SCHOOL_ROLES, follow_ups_visible_to

OPENED_TOPIC = "screening.follow_up"


def _limit(level: str) -> timedelta:
    if level == Response.Triage.RED_CRITICAL:
        return timedelta(hours=getattr(settings, "CARECIRCLE_SCREENING_ACK_HOURS", 24))
    if level == Response.Triage.RED:
        return timedelta(days=getattr(settings, "CARECIRCLE_SCREENING_RED_DAYS", 3))
    return timedelta(days=getattr(settings, "CARECIRCLE_SCREENING_YELLOW_DAYS", 7))


def _covering(roles: Iterable[str], school: Organisation) -> Q:
    """Assignments of ``roles`` whose division scope covers the school."""
    code = school.division_id
    prefixes = [code[:n] for n in PREFIX_LENGTHS.values()]
    return Q(role__in=list(roles), scope_prefix__in=prefixes, organisation__isnull=True)


def responders(school: Organisation, *, centre: bool = True) -> QuerySet[User]:
    """The school's psychology teachers and, with ``centre``, the centre's staff and
    counselors over the school."""
    scope = Q(role__in=list(SCHOOL_ROLES), organisation=school)
    if centre:
        scope |= _covering(CENTRE_ROLES, school)
    assignments = RoleAssignment.objects.active().filter(scope)
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))


def supervisors(school: Organisation) -> QuerySet[User]:
    assignments = RoleAssignment.objects.active().filter(_covering([Role.DISTRICT_ADMIN], school))
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))


def followup_open(response: Response) -> FollowUp | None:
    """Open the follow-up a submitted response's level demands (in the caller's transaction).

    Who is told is worked out when the outbox delivers, right after the commit: a
    pupil's submit writes only the follow-up, its outbox message and its audit
    event (PERFORMANCE.md G4), and the people told are those assigned then.
    """
    level = response.triage
    if level not in (Response.Triage.RED_CRITICAL, Response.Triage.RED, Response.Triage.YELLOW):
        return None
    participant = response.participant
    kind = (
        FollowUp.Kind.ACKNOWLEDGE
        if level == Response.Triage.RED_CRITICAL
        else FollowUp.Kind.INTERVIEW
    )
    follow_up = FollowUp(
        response=response,
        minor_id=participant.minor_id,
        school_id=participant.campaign.school_id,
        level=level,
        kind=kind,
        due_at=(response.submitted_at or timezone.now()) + _limit(level),
    )
    insert_row(follow_up)
    enqueue(OPENED_TOPIC, {"follow_up": follow_up.pk})
    audit_record(
        actor=None,
        action=AuditEvent.Action.CREATE,
        object_type="screening.followup",
        object_id=follow_up.pk,
        minor_id=participant.minor_id,
        details={"level": level, "kind": kind, "due_at": follow_up.due_at.isoformat()},
        username="system",
    )
    return follow_up


@handler(OPENED_TOPIC)
def followup_announce(message: OutboxMessage) -> None:
    """Tell the responders of a new follow-up: red-critical and red reach the centre
    too, yellow the school's own teacher only."""
    follow_up = (
        FollowUp.objects.select_related("school").filter(pk=message.payload["follow_up"]).first()
    )
    if follow_up is None:  # the child's records were merged away meanwhile
        return
    school, level = follow_up.school, follow_up.level
    urgent = level == Response.Triage.RED_CRITICAL
    # Staff read notifications in the site's language, whoever caused them.
    with translation.override(settings.LANGUAGE_CODE):
        notification_send(
            recipients=responders(school, centre=level != Response.Triage.YELLOW),
            title=(
                _("A screening result needs action today")
                if urgent
                else _("A screening result needs a follow-up interview")
            ),
            body=_("A pupil at %(school)s answered a questionnaire; open the follow-up to see why.")
            % {"school": school.name},
            link=reverse("screening:follow-up", args=[follow_up.pk]),
            level=Notification.Level.URGENT if urgent else Notification.Level.INFO,
            dedupe_key=f"screening.follow_up:{follow_up.pk}",
        )


@transaction.atomic
def followup_acknowledge(*, actor: Any, follow_up: FollowUp) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not follow_ups_visible_to(actor).filter(pk=follow_up.pk).exists():
        raise PermissionDenied(_("You cannot act on this follow-up."))
    if follow_up.status != FollowUp.Status.OPEN:
        raise ValidationError(_("This follow-up has already been acknowledged."))
    follow_up.status = FollowUp.Status.ACKNOWLEDGED
    follow_up.acknowledged_by = actor
    follow_up.acknowledged_at = timezone.now()
    follow_up.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        object_type="screening.followup",
        object_id=follow_up.pk,
        minor_id=follow_up.minor_id,
        fields=["status"],
        details={"status": follow_up.status},
    )
    return follow_up


@transaction.atomic
def followup_complete(*, actor: Any, follow_up: FollowUp, outcome: str) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not follow_ups_visible_to(actor).filter(pk=follow_up.pk).exists():
        raise PermissionDenied(_("You cannot act on this follow-up."))
    if follow_up.status == FollowUp.Status.DONE:
        raise ValidationError(_("This follow-up is already done."))
    if not outcome.strip():
        raise ValidationError({"outcome": [_("Write down what was done.")]})
    now = timezone.now()
    if follow_up.status == FollowUp.Status.OPEN:
        follow_up.acknowledged_by, follow_up.acknowledged_at = actor, now
    follow_up.status = FollowUp.Status.DONE
    follow_up.done_by, follow_up.done_at = actor, now
    follow_up.outcome = outcome.strip()
    follow_up.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        object_type="screening.followup",
        object_id=follow_up.pk,
        minor_id=follow_up.minor_id,
        fields=["status", "outcome"],
        details={"status": follow_up.status},
    )
    return follow_up


def escalate_overdue(now: Any = None) -> int:
    """Tell the district administrators of every overdue follow-up, once; returns how many."""
    now = now or timezone.now()
    waiting = Q(kind=FollowUp.Kind.ACKNOWLEDGE, status=FollowUp.Status.OPEN) | Q(
        kind=FollowUp.Kind.INTERVIEW,
        status__in=[FollowUp.Status.OPEN, FollowUp.Status.ACKNOWLEDGED],
    )
    escalated = 0
    told: dict[int, list[int]] = {}  # school → its supervisors, asked once per run
    overdue = FollowUp.objects.filter(waiting, due_at__lt=now, escalated_at__isnull=True)
    for follow_up in overdue.select_related("school").order_by("due_at")[:500]:
        if follow_up.school_id not in told:
            told[follow_up.school_id] = list(
                supervisors(follow_up.school).values_list("pk", flat=True)
            )
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            FollowUp.objects.filter(pk=follow_up.pk).update(escalated_at=now)
            notification_send(
                recipients=told[follow_up.school_id],
                title=_("A screening follow-up is overdue"),
                body=_("A follow-up at %(school)s was due and has not been done.")
                % {"school": follow_up.school.name},
                link=reverse("screening:follow-up", args=[follow_up.pk]),
                level=Notification.Level.URGENT,
                dedupe_key=f"screening.escalate:{follow_up.pk}",
            )
            audit_record(
                actor=None,
                action=AuditEvent.Action.SYSTEM,
                object_type="screening.followup",
                object_id=follow_up.pk,
                minor_id=follow_up.minor_id,
                details={"escalated": True, "due_at": follow_up.due_at.isoformat()},
                username="system",
            )
        escalated += 1
    return escalated


@periodic("screening.escalate", every=timedelta(minutes=15))
def escalate() -> None:
    escalate_overdue()
