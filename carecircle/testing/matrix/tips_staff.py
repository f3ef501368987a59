"""The staff tips routes of the table (issue 6), and the reports of the world.

Every staff page first refuses the roles that reach no report (403: no role, the
auditor, the analyst, the system administrator), then looks the report up in the
user's scope (404 outside it), then checks the step is the user's to take (403).

The world's tip_a and tip_c are dispatched and have an extension waiting, so each
step answers as it would on such a report: the desk's steps that fit it succeed
(``writes=True``), those that do not (acknowledging again, closing with a live
dispatch, …) answer 400 and change nothing. The matrix can probe one outcome per
expectation, so a step's expectation lets in, besides those who take it, the
readers who reach neither report (404 on both), and leaves out those who read
tip_a from side A without taking the step (the agency officer for the desk's
steps, the desk for the agency's), who get the 403.
"""

from __future__ import annotations

from typing import Any

from carecircle.accounts.models import Organisation, User
from carecircle.testing.matrix.core import (
    CHILDREN,
    INVALID,
    OK,
    SEES_CHILDREN,
    WRONG_METHOD,
    Body,
    Expect,
    R,
    Route,
    to,
)

# Who passes the gate of the tips pages: every role that reaches some report
# (``permissions.reaches_tips``): the desk, handlers, agencies, townships, the
# hotline, and every professional who may file a mandatory report.
TIP_READERS = SEES_CHILDREN
DESK_STEP = TIP_READERS - {R.AGENCY_OFFICER}
AGENCY_STEP = TIP_READERS - {R.DISTRICT_ADMIN, R.CENTER_STAFF}
DETAIL = to("tips:detail")
TOWNSHIP = {"A": "431103102", "B": "431102001"}
MINOR = {"A": "a", "B": "c"}


def _wrong_get() -> Expect:
    return Expect("GET", WRONG_METHOD, objects="tip", out_of_scope=WRONG_METHOD, own=WRONG_METHOD)


def _step(ok: str, allowed: frozenset[str], data: Body = None) -> Route:
    return Route(
        CHILDREN,
        _wrong_get(),
        Expect("POST", ok, allowed, objects="tip", data=data or {}, writes=ok == DETAIL),
    )


def _handler(world: Any, side: str) -> dict[str, Any]:
    return {"handler": world.user(R.SOCIAL_WORKER, "B" if side == "B" else "A").pk}


def _redispatch(world: Any, side: str) -> dict[str, Any]:
    return {"township": TOWNSHIP.get(side, TOWNSHIP["A"]), "reason": "属地乡镇更合适，改派"}


def _minor(world: Any, side: str) -> dict[str, Any]:
    return {"minor": world.minors[MINOR.get(side, "a")].pk}


TIPS_STAFF_ROUTES: dict[str, Route] = {
    "tips:queue": Route(CHILDREN, Expect("GET", OK, TIP_READERS)),
    "tips:detail": Route(
        CHILDREN,
        Expect("GET", OK, TIP_READERS, objects="tip"),
        Expect("GET", OK, TIP_READERS, objects="tip_own"),
    ),
    "tips:attachment": Route(CHILDREN, Expect("GET", OK, TIP_READERS, objects="tip_file")),
    # The desk's and handler's steps.
    "tips:acknowledge": _step(INVALID, DESK_STEP),  # already acknowledged
    "tips:contact": _step(DETAIL, DESK_STEP),
    "tips:assign": _step(DETAIL, DESK_STEP, _handler),
    "tips:urgency": _step(DETAIL, DESK_STEP, {"urgency": "3", "reason": ""}),
    "tips:dispatch": _step(DETAIL, DESK_STEP, _redispatch),
    "tips:dispatch-withdraw": _step(DETAIL, DESK_STEP, {"reason": "中心直接处理此事"}),
    "tips:extension-request": _step(INVALID, DESK_STEP, {"reason": "需要联合核查"}),  # one waits
    "tips:extension-decide": _step(DETAIL, DESK_STEP, {"decision": "approve"}),
    "tips:merge": _step(INVALID, DESK_STEP),  # no report named
    "tips:minor-search": Route(CHILDREN, Expect("GET", OK, DESK_STEP, objects="tip")),
    "tips:link-minor": _step(DETAIL, DESK_STEP, _minor),
    "tips:unlink-minor": _step(INVALID, DESK_STEP, _minor),  # not linked
    "tips:note": _step(DETAIL, DESK_STEP, {"text": "邻居反映情况属实"}),
    "tips:handoff": _step(DETAIL, DESK_STEP, {"line": "120"}),
    "tips:police": _step(DETAIL, DESK_STEP, {"unit": "花桥派出所", "receipt": "110-2026-9"}),
    "tips:close": _step(INVALID, DESK_STEP, {"outcome": "resolved", "note": "已处理"}),  # live
    "tips:followup": _step(INVALID, DESK_STEP, {"satisfaction": "satisfied"}),  # not closed
    "tips:reopen": _step(INVALID, DESK_STEP, {"reason": "举报人补充了情况"}),  # not closed
    # The agency's answers to the dispatch addressed to it.
    "tips:dispatch-acknowledge": _step(DETAIL, AGENCY_STEP),
    "tips:dispatch-return": _step(DETAIL, AGENCY_STEP, {"reason": "不属于本所辖区"}),
    "tips:dispatch-report": _step(DETAIL, AGENCY_STEP, {"result": "已上门核查，孩子安全"}),
}


def build_tips(
    district: dict[str, Any],
    personas: dict[str, User],
    other_personas: dict[str, User],
    school_c: Organisation,
) -> dict[str, Any]:
    """The reports of ``OBJECTS`` through the services, as the desk handles them."""
    from carecircle.testing import fixtures
    from carecircle.tips.attachments import CleanFile
    from carecircle.tips.handling import (
        tip_acknowledge,
        tip_dispatch,
        tip_request_extension,
    )
    from carecircle.tips.models import Category, Channel, TipAttachment, Trigger
    from carecircle.tips.services import Intake, tip_receive

    # A desk member of both counties who is no persona: the extensions are theirs.
    requester = fixtures.make_user("tip_desk")
    fixtures.grant(requester, R.CENTER_STAFF, prefix="431103")
    fixtures.grant(requester, R.CENTER_STAFF, prefix="431102")
    picture = CleanFile(
        kind=TipAttachment.Kind.IMAGE,
        content_type="image/jpeg",
        original=b"original",
        cleaned=b"cleaned",
    )
    built: dict[str, Any] = {}
    plan = (
        ("a", "431103101200", personas, {"organisation": district["orgs"]["police_A"]}),
        ("c", "431102001001", other_personas, {"organisation": school_c}),
    )
    for label, area, side, target in plan:
        made = tip_receive(
            Intake(
                channel=Channel.WEB,
                category=Category.NEGLECT,
                description="邻居家的孩子经常一个人在门口坐到很晚。",
                area_code=area,
                reporter_name="王女士",
                reporter_contact="13800000000",
            ),
            files=[picture],
        ).tip
        desk = side[R.CENTER_STAFF]
        tip_acknowledge(actor=desk, tip=made)
        tip_dispatch(actor=desk, tip=made, **target)
        tip_request_extension(actor=requester, tip=made, reason="需要多部门联合核查")
        built[f"tip_{label}"] = made
        built[f"file_{label}"] = made.attachments.get()
    built["tip_h"] = tip_receive(
        Intake(
            channel=Channel.HOTLINE,
            category=Category.BULLYING,
            description="来电反映孩子在校外被高年级学生索要钱财。",
            area_code="431103101200",
            external_number="12345-matrix",
        ),
        actor=personas[R.HOTLINE_OPERATOR],
    ).tip
    built["tip_m"] = tip_receive(
        Intake(
            channel=Channel.MANDATORY,
            category=Category.ABUSE,
            description="学生手臂上有多处淤青，称是家长所打。",
            area_code="431103101200",
            trigger=Trigger.MULTIPLE_INJURIES,
        ),
        actor=personas[R.SCHOOL_PSYCH_TEACHER],
    ).tip
    return built
