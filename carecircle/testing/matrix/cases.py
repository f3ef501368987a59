"""The cases' rows of the table (issue 7), and the cases of the world.

Every case page first refuses the roles that reach no case (403: those that cannot
open a case and are on no team), then looks the case up in the user's scope (404
outside it). The world's cases are at intake with an open task and a helper on the
team, so each step answers as it would on such a case: every step the owner and the
supervisors take succeeds (``writes=True``). The readers who reach neither case (the
social worker, the psychology teacher) get the 404 on both.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecircle.accounts.models import User
from carecircle.testing.matrix.core import (
    CASE_SUPERVISORS,
    CHILDREN,
    OK,
    WRONG_METHOD,
    Body,
    Expect,
    R,
    Route,
    to,
)

# Who passes the gate: the roles that open cases (``permissions.OPENER_ROLES``).
CASE_READERS = frozenset(
    {R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.SCHOOL_PSYCH_TEACHER}
)
DETAIL = to("cases:detail")
SIDE_CASE = {"A": "a", "B": "c"}


def _wrong_get() -> Expect:
    return Expect("GET", WRONG_METHOD, objects="case", out_of_scope=WRONG_METHOD)


def _step(data: Body, allowed: frozenset[str] = CASE_READERS) -> Route:
    return Route(
        CHILDREN,
        _wrong_get(),
        Expect("POST", DETAIL, allowed, objects="case", data=data, writes=True),
    )


def _label(side: str) -> str:
    return SIDE_CASE.get(side, "a")


def _open(world: Any, side: str) -> dict[str, Any]:
    return {
        "minor": world.minors["a"].pk,
        "kind": "welfare",
        "source": "walk_in",
        "summary": "家中经济困难，需要救助",
        "risk": "yellow",
    }


def _member_add(world: Any, side: str) -> dict[str, Any]:
    return {"user": world.user(R.DISTRICT_ADMIN, "B" if side == "B" else "A").pk}


def _member_remove(world: Any, side: str) -> dict[str, Any]:
    return {"member": world.registry[f"case_member_{_label(side)}"].pk}


def _task_add(world: Any, side: str) -> dict[str, Any]:
    from django.utils import timezone

    owner = world.user(R.COUNSELOR, "B" if side == "B" else "A")
    due = timezone.localdate() + timedelta(days=3)
    return {"title": "联系班主任了解情况", "assigned_to": owner.pk, "due_on": due.isoformat()}


def _task_complete(world: Any, side: str) -> dict[str, Any]:
    return {"task": world.registry[f"case_task_{_label(side)}"].pk, "note": "已电话联系监护人"}


def _session(world: Any, side: str) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "kind": "individual",
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "50",
        "counselor": world.user(R.COUNSELOR, "B" if side == "B" else "A").pk,
        "mode": "in_person",
        "notes": "孩子愿意表达近期的烦恼",
    }


CASE_ROUTES: dict[str, Route] = {
    "cases:list": Route(CHILDREN, Expect("GET", OK, CASE_READERS)),
    "cases:open": Route(
        CHILDREN,
        Expect("GET", OK, CASE_READERS, data=lambda world, side: {"minor": world.minors["a"].pk}),
        Expect("POST", DETAIL, CASE_READERS, data=_open, writes=True),
    ),
    "cases:detail": Route(CHILDREN, Expect("GET", OK, CASE_READERS, objects="case")),
    "cases:transition": _step({"to": "assessment"}),
    "cases:plan": _step({"assessment": "孩子情绪低落，与父母沟通少"}),
    "cases:risk": _step({"risk": "yellow", "reasons": "近两周情绪持续低落"}),
    "cases:crisis": _step({"safety_plan": "每日由班主任确认到校情况"}),
    "cases:member-add": _step(_member_add),
    "cases:member-remove": _step(_member_remove),
    "cases:task-add": _step(_task_add),
    "cases:task-complete": _step(_task_complete),
    # Only the team records a session: a supervisor who reaches the case gets the 403.
    "cases:session": _step(_session, CASE_READERS - CASE_SUPERVISORS),
}


def build_cases(
    minors: dict[str, Any], personas: dict[str, User], other_personas: dict[str, User]
) -> dict[str, Any]:
    """The cases of ``OBJECTS`` through the services, each with a helper and a task."""
    from django.utils import timezone

    from carecircle.cases.services import case_add_member, case_add_task, case_open
    from carecircle.testing import fixtures

    built: dict[str, Any] = {}
    plan = (("a", personas, "431103101"), ("c", other_personas, "431102001"))
    for label, side, prefix in plan:
        owner = side[R.COUNSELOR]
        case = case_open(
            actor=owner,
            minor=minors[label],
            kind="counseling",
            source="walk_in",
            summary="孩子近期情绪低落，老师建议心理辅导",
            risk="green",
        )
        helper = fixtures.make_user(f"case_helper_{label}")
        fixtures.grant(helper, R.VOLUNTEER, prefix=prefix)
        built[f"case_{label}"] = case
        built[f"case_member_{label}"] = case_add_member(actor=owner, case=case, user=helper)
        built[f"case_task_{label}"] = case_add_task(
            actor=owner,
            case=case,
            title="首次访谈并评估",
            assigned_to=owner,
            due_on=timezone.localdate() + timedelta(days=2),
        )
    return built
