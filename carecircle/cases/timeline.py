"""The cases module's entries on a child's timeline (people.timeline).

Every entry is for a viewer who may read the case it belongs to
(``permissions.cases_visible_to``: its team and the supervisors over its division);
a viewer who may not read the case sees nothing of it, not even that it exists.

- Each case of the child: its number, type, status and risk, on the day it opened.
- Each counseling session the child attended (on the child's own case, or a family
  or group session on another child's case the viewer reads): its kind, mode,
  counselor and room, when it was held.
- Each referral of the child: its number, the receiving organisation and its status,
  when it was sent.

Never a summary, a plan, session notes, a referral's reason or feedback: those are
read on the case or the referral itself, where the rule on notes is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from carecircle.cases.models import Referral, Risk, Session
from carecircle.cases.permissions import cases_visible_to
from carecircle.people.models import Minor
from carecircle.people.timeline import TimelineEntry, timeline_provider

TONES: dict[str, str] = {
    Risk.GREEN.value: "success",
    Risk.YELLOW.value: "warning",
    Risk.RED.value: "danger",
    Risk.RED_CRITICAL.value: "danger",
}


REFERRAL_TONES: dict[str, str] = {
    Referral.Status.SENT.value: "warning",
    Referral.Status.ACCEPTED.value: "info",
    Referral.Status.DECLINED.value: "danger",
}


def _link(pk: int, name: str = "cases:detail") -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


@timeline_provider("cases.cases")
def cases(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = cases_visible_to(viewer).filter(minor=minor)
    if before is not None:
        rows = rows.filter(opened_at__lt=before)
    for case in rows.order_by("-opened_at", "-pk")[:limit]:
        yield TimelineEntry(
            at=case.opened_at,
            kind="case",
            title=_("Case %(number)s opened") % {"number": case.number},
            detail=" · ".join(
                [
                    str(case.get_kind_display()),
                    str(case.get_status_display()),
                    _("risk: %(risk)s") % {"risk": case.get_risk_display()},
                ]
            ),
            url=_link(case.pk),
            tone=TONES.get(case.risk, "secondary") if case.is_open else "secondary",
        )


@timeline_provider("cases.sessions")
def sessions(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = Session.objects.filter(
        attendees__minor=minor, case__in=cases_visible_to(viewer).values("pk")
    ).select_related("counselor", "room")
    if before is not None:
        rows = rows.filter(held_at__lt=before)
    for session in rows.order_by("-held_at", "-pk")[:limit]:
        where = session.room.name if session.room else session.place
        yield TimelineEntry(
            at=session.held_at,
            kind="session",
            title=_("%(kind)s counseling session") % {"kind": session.get_kind_display()},
            detail=" · ".join(
                part
                for part in (
                    str(session.get_mode_display()),
                    _("%(minutes)s min") % {"minutes": session.duration_minutes},
                    session.counselor.display_name,
                    where,
                )
                if part
            ),
            url=_link(session.case_id),
            tone="info",
        )


@timeline_provider("cases.referrals")
def referrals(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = Referral.objects.filter(
        minor=minor, case__in=cases_visible_to(viewer).values("pk")
    ).select_related("to_organisation")
    if before is not None:
        rows = rows.filter(sent_at__lt=before)
    for referral in rows.order_by("-sent_at", "-pk")[:limit]:
        yield TimelineEntry(
            at=referral.sent_at,
            kind="referral",
            title=_("Referral %(number)s to %(organisation)s")
            % {"number": referral.number, "organisation": referral.to_organisation.name},
            detail=str(referral.get_status_display()),
            url=_link(referral.pk, "referrals:detail"),
            tone=REFERRAL_TONES.get(referral.status, "secondary"),
        )
