"""``{% case_appointments case user %}``: the case's appointments on its page, with
the steps the viewer may take on each, so the case's view needs no change."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from carecircle.cases.models import Case
from carecircle.cases.permissions import can_work, is_member
from carecircle.counseling.permissions import can_manage, can_see, reaches_rooms
from carecircle.counseling.selectors import case_appointments as appointments_of

register = template.Library()


@register.inclusion_tag("counseling/_case_appointments.html", takes_context=True)
def case_appointments(context: Any, case: Case, user: Any) -> dict[str, Any]:
    now = timezone.now()
    works = can_work(user, case)
    member = is_member(user, case)
    rows = []
    for appointment in appointments_of(case):
        room = appointment.shift.room
        sees = can_see(user, room)
        started = appointment.starts_at <= now
        rows.append(
            {
                "appointment": appointment,
                "started": started,
                "records": member and sees and started,
                "acts": sees and (works or can_manage(user, room)),
            }
        )
    return {
        "csrf_token": context.get("csrf_token"),
        "rows": rows,
        "books": works and case.is_open and reaches_rooms(user),
    }
