"""Reading referrals for the pages and the API: the receiver's inbox, the sender's
outbox, a case's referrals with the crisis clock, and a referral's steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.cases.models import Case, CaseEvent, Referral, ReferralEvent
from carecircle.cases.referrals.permissions import (
    can_send,
    received_q,
    referrals_visible_to,
    sent_q,
)

S = Referral.Status
# A hospital referral counts for the crisis protocol unless it was declined or withdrawn.
COUNTS_FOR_CRISIS = (S.SENT, S.ACCEPTED, S.CLOSED)
HOSPITAL_CLOCK = "hospital"

EVENT_LABELS = {
    "sent": gettext_lazy("Sent"),
    "accepted": gettext_lazy("Accepted"),
    "declined": gettext_lazy("Declined"),
    "feedback": gettext_lazy("Feedback given"),
    "closed": gettext_lazy("Closed"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "escalated": gettext_lazy("Escalated: not answered in time"),
}
SENT_SIDE, RECEIVED_SIDE = "sent", "received"


def crisis_referral_hours() -> int:
    return int(getattr(settings, "CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS", 48))


def _base(rows: QuerySet[Referral], status: str) -> QuerySet[Referral]:
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("to_organisation", "sent_by").order_by("-sent_at", "-pk")


def inbox(user: Any, status: str = "") -> QuerySet[Referral]:
    """Referrals to the user's organisations."""
    q = received_q(user)
    return _base(Referral.objects.filter(q), status) if q is not None else Referral.objects.none()


def outbox(user: Any, status: str = "") -> QuerySet[Referral]:
    """Referrals of the cases the user reads (its team's, a supervisor's division's)."""
    q = sent_q(user)
    rows = Referral.objects.filter(q) if q is not None else Referral.objects.none()
    return _base(rows, status).select_related("case")


def visible(user: Any, *, status: str = "", direction: str = "") -> QuerySet[Referral]:
    if direction == SENT_SIDE:
        return outbox(user, status)
    if direction == RECEIVED_SIDE:
        return inbox(user, status)
    return _base(referrals_visible_to(user), status)


def is_overdue(referral: Referral, now: datetime | None = None) -> bool:
    return referral.status == S.SENT and referral.accept_due_at < (now or timezone.now())


def events_of(referral: Referral) -> list[dict[str, Any]]:
    rows = ReferralEvent.objects.filter(referral=referral).select_related("actor")
    return [
        {"event": ev, "label": EVENT_LABELS.get(ev.kind, ev.kind)}
        for ev in rows.order_by("at", "pk")
    ]


def latest_events(referrals: list[Referral]) -> dict[int, ReferralEvent]:
    latest: dict[int, ReferralEvent] = {}
    rows = ReferralEvent.objects.filter(referral__in=[r.pk for r in referrals]).order_by("at", "pk")
    for ev in rows:
        latest[ev.referral_id] = ev
    return latest


@dataclass(frozen=True)
class HospitalClock:
    """The crisis protocol's hospital referral: due when, and whether it was made."""

    began_at: datetime
    due_at: datetime
    referred: Referral | None
    escalated: bool

    @property
    def overdue(self) -> bool:
        return self.referred is None and self.due_at < timezone.now()


def hospital_referral_since(case: Case, began: datetime) -> Referral | None:
    return (
        Referral.objects.filter(
            case=case,
            to_organisation__kind=Organisation.Kind.HOSPITAL,
            status__in=COUNTS_FOR_CRISIS,
            sent_at__gte=began,
        )
        .order_by("sent_at", "pk")
        .first()
    )


def crisis_escalated(case: Case, key: int) -> bool:
    return CaseEvent.objects.filter(
        case=case, kind="escalated", details__clock=HOSPITAL_CLOCK, details__crisis=key
    ).exists()


def hospital_clock(case: Case) -> HospitalClock | None:
    if not case.in_crisis:
        return None
    from carecircle.cases.jobs import crisis_began

    began, key = crisis_began(case)
    return HospitalClock(
        began_at=began,
        due_at=began + timedelta(hours=crisis_referral_hours()),
        referred=hospital_referral_since(case, began),
        escalated=crisis_escalated(case, key),
    )


def case_panel(user: Any, case: Case) -> dict[str, Any]:
    """What the case page shows of its referrals (its readers are the sending side)."""
    rows = list(
        Referral.objects.filter(case=case)
        .select_related("to_organisation")
        .order_by("-sent_at", "-pk")
    )
    latest = latest_events(rows)
    now = timezone.now()
    return {
        "rows": [
            {
                "referral": r,
                "latest": latest.get(r.pk),
                "latest_label": EVENT_LABELS.get(latest[r.pk].kind, "") if r.pk in latest else "",
                "overdue": is_overdue(r, now),
            }
            for r in rows
        ],
        "can_send": can_send(user, case),
        "hospital_clock": hospital_clock(case),
    }
