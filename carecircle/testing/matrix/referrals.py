"""The referrals rows of the authorization table (issue 7 item 5), and the world's
referrals.

``ref_a`` refers case_a (side A's counselor) to side A's hospital and ``ref_p`` to
side A's police; ``ref_c`` refers case_c (side B's counselor) to side B's hospital;
all three await acceptance. The sending side (whoever reads the case: its counselor
and the supervisors over it) and the receiving organisation's users read them; a
clinician or an officer reaches only the referrals to their own organisation, and
never the child (the minor pages stay 404 for them, see ``SEEN["minor"]``).

Each page first refuses the roles that reach no referral on its side (403): the
receivers' steps (accept, decline, feedback) everyone who answers for no
organisation, the senders' (refer, withdraw, the outbox) everyone who reaches no
case. Feedback and closing come after acceptance, so on the world's referrals they
answer 400 to whoever may take them.
"""

from __future__ import annotations

from typing import Any

from carecircle.testing.matrix.core import (
    API,
    CHILDREN,
    INVALID,
    OK,
    WRONG_METHOD,
    Body,
    Expect,
    R,
    Route,
    to,
)

SENDERS = frozenset(
    {R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.SCHOOL_PSYCH_TEACHER}
)
# The world has no social-work station: social workers answer for none there.
RECEIVERS = frozenset(
    {R.HOSPITAL_CLINICIAN, R.AGENCY_OFFICER, R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN}
)
READERS = SENDERS | RECEIVERS
DETAIL = to("referrals:detail")


def _wrong_get() -> Expect:
    return Expect("GET", WRONG_METHOD, objects="referral", out_of_scope=WRONG_METHOD)


def _step(ok: str, allowed: frozenset[str], data: Body = None) -> Route:
    return Route(
        CHILDREN,
        _wrong_get(),
        Expect("POST", ok, allowed, objects="referral", data=data, writes=ok == DETAIL),
    )


def _new(world: Any, side: str) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "to_organisation": world.registry["school_a"].pk,
        "reason": "请学校协助关注孩子在校情绪和出勤",
        "shared_items": ["name", "school_class"],
        "basis": "guardian_consent",
        "consent_by": "母亲 王某",
        "consent_on": timezone.localdate().isoformat(),
    }


REFERRAL_ROUTES: dict[str, Route] = {
    "referrals:inbox": Route(CHILDREN, Expect("GET", OK, RECEIVERS)),
    "referrals:outbox": Route(CHILDREN, Expect("GET", OK, SENDERS)),
    "referrals:new": Route(
        CHILDREN,
        Expect("GET", OK, SENDERS, objects="case"),
        Expect("POST", DETAIL, SENDERS, objects="case", data=_new, writes=True),
    ),
    "referrals:detail": Route(CHILDREN, Expect("GET", OK, READERS, objects="referral")),
    "referrals:accept": _step(DETAIL, RECEIVERS),
    "referrals:decline": _step(DETAIL, RECEIVERS, {"reason": "本院暂无儿童精神科床位"}),
    "referrals:feedback": _step(INVALID, RECEIVERS, {"feedback": "门诊评估，建议药物治疗"}),
    "referrals:close": _step(INVALID, READERS),
    "referrals:withdraw": _step(DETAIL, SENDERS),
    "api:referral-list": Route(CHILDREN, Expect("GET", OK, READERS, **API)),
    "api:referral-detail": Route(CHILDREN, Expect("GET", OK, READERS, objects="referral", **API)),
    # The receivers' answers; decline and feedback read a JSON body, so the matrix's
    # form-encoded probe gets a 415 once past the gate and the lookup.
    "api:referral-accept": Route(
        CHILDREN, Expect("POST", OK, RECEIVERS, objects="referral", writes=True, **API)
    ),
    "api:referral-decline": Route(
        CHILDREN, Expect("POST", "415", RECEIVERS, objects="referral", **API)
    ),
    "api:referral-feedback": Route(
        CHILDREN, Expect("POST", "415", RECEIVERS, objects="referral", **API)
    ),
}


def _organisation_of(user: Any) -> Any:
    from carecircle.accounts.models import RoleAssignment

    return RoleAssignment.objects.get(user=user).organisation


def build_referrals(
    minors: dict[str, Any],
    personas: dict[str, Any],
    other_personas: dict[str, Any],
    registry: dict[str, Any],
) -> dict[str, Any]:
    """The referrals of ``OBJECTS["referral"]``, sent through the service."""
    from carecircle.cases.referrals.services import referral_send

    plan = (
        ("ref_a", personas, "case_a", R.HOSPITAL_CLINICIAN, "vital_interest", ["name", "risk"]),
        ("ref_p", personas, "case_a", R.AGENCY_OFFICER, "statutory_duty", ["name", "case_facts"]),
        ("ref_c", other_personas, "case_c", R.HOSPITAL_CLINICIAN, "vital_interest", ["name"]),
    )
    built: dict[str, Any] = {}
    for label, side, case, receiver, basis, items in plan:
        built[label] = referral_send(
            actor=side[R.COUNSELOR],
            case=registry[case],
            to_organisation=_organisation_of(side[receiver]),
            reason="孩子情绪持续低落，请评估并给出处置意见",
            shared_items=items,
            basis=basis,
        )
    return built
