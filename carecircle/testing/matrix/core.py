"""The matrix's vocabulary: outcomes, actors, the objects each actor reaches, and
``Expect``/``Route`` with the rules that turn them into an expected outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from carecircle.accounts.roles import Role

if TYPE_CHECKING:
    from carecircle.testing.matrix.world import World

# --- Outcomes -----------------------------------------------------------------

OK = "200"
NO_CONTENT = "204"
INVALID = "400"
UNAUTH = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
WRONG_METHOD = "405"


# API views answer an anonymous caller 401 (with WWW-Authenticate), not a redirect.
API: dict[str, Any] = {"anonymous": UNAUTH}


def to(name: str) -> str:
    """A redirect to the named route."""
    return f"302 {name}"


LOGIN = to("accounts:login")
# Redirects that send the user to a gate rather than to the result of an action.
GATES = frozenset({LOGIN, to("accounts:otp-verify"), to("accounts:otp-setup")})


def is_success(outcome: str) -> bool:
    """2xx, or a redirect somewhere other than a sign-in gate."""
    return outcome.startswith("2") or (outcome.startswith("302") and outcome not in GATES)


# --- Actors ---------------------------------------------------------------------

ANONYMOUS = "anonymous"
NO_ROLE = "no_role"
ACTORS: tuple[str, ...] = (ANONYMOUS, NO_ROLE, *Role.values)

R = Role
EVERYONE = frozenset({NO_ROLE, *Role.values})
SEES_CHILDREN = frozenset(
    {
        R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.FAMILY_EDUCATOR,
        R.LAWYER, R.CHILD_SUPERVISOR, R.CHILD_DIRECTOR, R.SCHOOL_PSYCH_TEACHER,
        R.SCHOOL_ADMIN, R.HOSPITAL_CLINICIAN, R.AGENCY_OFFICER, R.HOTLINE_OPERATOR,
        R.VOLUNTEER,
    }
)  # fmt: skip
READS_STATS = frozenset(
    {
        R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.CHILD_SUPERVISOR,
        R.CHILD_DIRECTOR, R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN, R.ANALYST,
    }
)  # fmt: skip
EDITS_MINORS = frozenset(
    {
        R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.CHILD_SUPERVISOR,
        R.CHILD_DIRECTOR, R.SCHOOL_ADMIN,
    }
)  # fmt: skip
READS_AUDIT = frozenset({R.AUDITOR})
MANAGES_ACCOUNTS = frozenset({R.SYSADMIN})

# --- Objects each actor reaches: (role, side) -> labels ---------------------------

_DISTRICT_WIDE = (R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR)
_LOCAL = (R.CHILD_SUPERVISOR, R.CHILD_DIRECTOR, R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN)

# Relationship roles (family educator, lawyer, clinician, agency officer, hotline,
# volunteer) reach no child until a case or referral links them; none-access roles
# (auditor, analyst, sysadmin) never do.
SEEN: dict[str, dict[tuple[str, str], frozenset[str]]] = {
    "minor": {
        **{(role, "A"): frozenset({"a", "b"}) for role in _DISTRICT_WIDE},
        **{(role, "B"): frozenset({"c"}) for role in _DISTRICT_WIDE},
        **{(role, "A"): frozenset({"a"}) for role in _LOCAL},
        **{(role, "B"): frozenset({"b"}) for role in _LOCAL},
    },
    "account": {
        (R.SYSADMIN, "A"): frozenset({"acct_a", "unassigned"}),
        (R.SYSADMIN, "B"): frozenset({"acct_c"}),
    },
    "organisation": {
        (R.SYSADMIN, "A"): frozenset({"org_a"}),
        (R.SYSADMIN, "B"): frozenset({"org_c"}),
    },
    "assignment": {
        (R.SYSADMIN, "A"): frozenset({"asg_a"}),
        (R.SYSADMIN, "B"): frozenset({"asg_c"}),
    },
}
OBJECTS: dict[str, tuple[str, ...]] = {
    "minor": ("a", "b", "c"),
    "account": ("acct_a", "acct_c", "unassigned", "self"),
    "organisation": ("org_a", "org_c"),
    "assignment": ("asg_a", "asg_c", "asg_mismatch", "asg_self"),
}
SELF_OBJECTS = frozenset({"self", "asg_self"})

# Registry objects (issue 3 item 4). A guardian or household follows its child
# (``guardian_a`` is minor a's); schools are reached by division or as one's own
# school (``people/school_views.py``), a class with its school. School A sits in
# 431103101, school B in 431103102, school C in 零陵区 431102001; a village's
# child director reaches no school page.
REGISTRY_KINDS: tuple[str, ...] = ("guardian", "household", "school", "class")
for _kind in ("guardian", "household"):
    OBJECTS[_kind] = tuple(f"{_kind}_{label}" for label in OBJECTS["minor"])
    SEEN[_kind] = {
        key: frozenset(f"{_kind}_{label}" for label in labels)
        for key, labels in SEEN["minor"].items()
    }
_SCHOOL_LOCAL = (R.CHILD_SUPERVISOR, R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN)
SEEN["school"] = {
    **{(role, "A"): frozenset({"school_a", "school_b"}) for role in _DISTRICT_WIDE},
    **{(role, "B"): frozenset({"school_c"}) for role in _DISTRICT_WIDE},
    **{(role, "A"): frozenset({"school_a"}) for role in _SCHOOL_LOCAL},
    **{(role, "B"): frozenset({"school_b"}) for role in _SCHOOL_LOCAL},
}
SEEN["class"] = {
    key: frozenset(label.replace("school_", "class_") for label in labels)
    for key, labels in SEEN["school"].items()
}
OBJECTS["school"] = ("school_a", "school_b", "school_c")
OBJECTS["class"] = ("class_a", "class_b", "class_c")

# Screening (issue 4): a campaign at each school A, B and C with a red-critical
# result and its follow-up. Campaigns and follow-ups are reached by whoever runs
# campaigns at the school: its psychology teacher, and center staff and counselors
# whose division covers it (``screening/permissions.py``).
RUNS_CAMPAIGNS = frozenset({R.SCHOOL_PSYCH_TEACHER, R.CENTER_STAFF, R.COUNSELOR})
REGISTRY_KINDS += ("campaign", "follow_up", "participant", "result")
for _kind in ("campaign", "follow_up", "participant", "result"):
    OBJECTS[_kind] = tuple(f"{_kind}_{label}" for label in ("a", "b", "c"))
    SEEN[_kind] = {
        **{
            (role, "A"): frozenset({f"{_kind}_a", f"{_kind}_b"})
            for role in (R.CENTER_STAFF, R.COUNSELOR)
        },
        **{(role, "B"): frozenset({f"{_kind}_c"}) for role in (R.CENTER_STAFF, R.COUNSELOR)},
        (R.SCHOOL_PSYCH_TEACHER, "A"): frozenset({f"{_kind}_a"}),
        (R.SCHOOL_PSYCH_TEACHER, "B"): frozenset({f"{_kind}_b"}),
    }

# Key assistance targets: each screened minor (``screened_a`` is minor a, reached as
# its campaign is) already has an open target ``key_target_a``; counselors and the
# school's psychology teacher confirm and end them.
CONFIRMS_TARGETS = frozenset({R.COUNSELOR, R.SCHOOL_PSYCH_TEACHER})
REPORT_READERS = RUNS_CAMPAIGNS | {R.SCHOOL_ADMIN}
REGISTRY_KINDS += ("screened", "key_target")
for _kind in ("screened", "key_target"):
    OBJECTS[_kind] = tuple(f"{_kind}_{label}" for label in ("a", "b", "c"))
    SEEN[_kind] = {
        key: frozenset(label.replace("campaign_", f"{_kind}_") for label in labels)
        for key, labels in SEEN["campaign"].items()
    }

# A division inside each side's sysadmin scope, for forms that name one.
HOME_DIVISION = {"A": "431103101", "B": "431102001"}

# --- The table ---------------------------------------------------------------------

PUBLIC, OWN, CHILDREN, ACCOUNTS, AUDIT, STATS = (
    "public", "own", "children", "accounts", "audit", "stats"
)  # fmt: skip

# A POST body, or a function of (world, actor's side) returning one.
Body = Mapping[str, Any] | Callable[["World", str], Mapping[str, Any]] | None


@dataclass(frozen=True)
class Expect:
    """What one method of a route answers."""

    method: str
    ok: str  # for an allowed actor and an object in scope
    allowed: frozenset[str] = EVERYONE
    denied: str = FORBIDDEN
    anonymous: str = LOGIN
    objects: str | None = None  # a key of OBJECTS when the URL carries a pk
    out_of_scope: str = NOT_FOUND
    own: str | None = None  # the actor's own account or assignment (AZ-4)
    data: Body = None
    kwargs: Mapping[str, str] = field(default_factory=dict)
    writes: bool = False  # the ``ok`` outcome changes data


class Route:
    """One URL name: its area (for the separation-of-duties checks), one Expect per method."""

    def __init__(self, area: str, *expects: Expect) -> None:
        self.area = area
        self.expects = expects


def expected(exp: Expect, actor: str, side: str, obj: str | None) -> str:
    if actor == ANONYMOUS:
        return exp.anonymous
    if actor not in exp.allowed:
        return exp.denied
    if exp.objects is None or obj is None:
        return exp.ok
    if obj in SELF_OBJECTS:
        if exp.own is None:
            raise ValueError("an Expect on accounts must say what happens to one's own (own=)")
        return exp.own
    return exp.ok if obj in SEEN[exp.objects].get((actor, side), frozenset()) else exp.out_of_scope


def probes(exp: Expect, actor: str) -> list[tuple[str, str | None]]:
    """The (jurisdiction side, object) pairs one actor is tried with.

    Jurisdiction and object only matter past the view's gate: an allowed actor is
    tried from both sides against every object (its own account included); an
    actor the gate turns away, or any actor on a wrong method, from side A against
    the first object, which is in scope for side A's administrator. The anonymous
    visitor tries every object: the login gate answers alike for all of them.
    """
    objects: tuple[str | None, ...] = OBJECTS[exp.objects] if exp.objects else (None,)
    if actor == ANONYMOUS:
        return [("-", obj) for obj in objects]
    gated = actor not in exp.allowed or exp.ok == WRONG_METHOD
    if gated:
        objects = objects[:1]
    both = exp.objects is not None and not gated and actor != NO_ROLE
    return [(side, obj) for side in (("A", "B") if both else ("A",)) for obj in objects]


# Visits (issue 5): a home visit to each minor (``visit_a``, ``visit_b``, ``visit_c``)
# with a photo, read by whoever reads the child's area (``visits/permissions.py``):
# district-wide roles and the village's supervisor and director, never schools. The
# visits to a and b found a child living alone and asked for a follow-up: each has a
# follow-up task for the township's supervisor and a police task for the director
# who visited; a task visible to others is still only theirs to close (403).
READS_VISITS = frozenset(
    {
        R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.CHILD_SUPERVISOR,
        R.CHILD_DIRECTOR,
    }
)  # fmt: skip
RECORDS_VISITS = READS_VISITS - {R.COUNSELOR}
REGISTRY_KINDS += ("visit", "photo", "task_follow", "task_police")
for _kind in ("visit", "photo"):
    OBJECTS[_kind] = tuple(f"{_kind}_{label}" for label in ("a", "b", "c"))
    SEEN[_kind] = {
        (role, side): frozenset(f"{_kind}_{label}" for label in labels)
        for (role, side), labels in SEEN["minor"].items()
        if role in READS_VISITS
    }
for _kind, _owner in (("task_follow", R.CHILD_SUPERVISOR), ("task_police", R.CHILD_DIRECTOR)):
    OBJECTS[_kind] = (f"{_kind}_a", f"{_kind}_b")
    SEEN[_kind] = {
        (_owner, "A"): frozenset({f"{_kind}_a"}),
        (_owner, "B"): frozenset({f"{_kind}_b"}),
    }

# Reports of harm (issue 6): ``tip_a`` (village 431103101200) is acknowledged and
# dispatched to side A's police station, ``tip_c`` (零陵区 431102001001) to school C;
# each has an extension request waiting, made by a desk member who is no persona.
# The desk reads the reports of its county; an agency officer the ones dispatched to
# their organisation; nobody else reaches them (``tips/permissions.py``). ``tip_h``
# (a hotline ticket by side A's operator) and ``tip_m`` (a mandatory report by side
# A's psychology teacher) are read by the one who entered them and the desk over them.
# ``file_a`` and ``file_c`` are attachments of tip_a and tip_c.
TIP_DESK = frozenset({R.DISTRICT_ADMIN, R.CENTER_STAFF})
REGISTRY_KINDS += ("tip", "tip_own", "tip_file")
OBJECTS["tip"] = ("tip_a", "tip_c")
OBJECTS["tip_own"] = ("tip_h", "tip_m")
OBJECTS["tip_file"] = ("file_a", "file_c")
SEEN["tip"] = {
    **{(role, "A"): frozenset({"tip_a"}) for role in TIP_DESK},
    **{(role, "B"): frozenset({"tip_c"}) for role in TIP_DESK},
    (R.AGENCY_OFFICER, "A"): frozenset({"tip_a"}),
}
SEEN["tip_own"] = {
    **{(role, "A"): frozenset({"tip_h", "tip_m"}) for role in TIP_DESK},
    (R.HOTLINE_OPERATOR, "A"): frozenset({"tip_h"}),
    (R.SCHOOL_PSYCH_TEACHER, "A"): frozenset({"tip_m"}),
}
SEEN["tip_file"] = {
    key: frozenset(label.replace("tip_", "file_") for label in labels)
    for key, labels in SEEN["tip"].items()
}

# Cases (issue 7): ``case_a`` (minor a) opened by side A's counselor and ``case_c``
# (minor c, 零陵区) by side B's counselor, each the owner of their case, with a
# helper on the team who is no persona and an open task. The supervisors (centre
# staff and district administrators over the case's county) read every case there;
# the team reads its own; nobody else reaches them (``cases/permissions.py``).
CASE_SUPERVISORS = frozenset({R.DISTRICT_ADMIN, R.CENTER_STAFF})
REGISTRY_KINDS += ("case",)
OBJECTS["case"] = ("case_a", "case_c")
SEEN["case"] = {
    **{(role, "A"): frozenset({"case_a"}) for role in CASE_SUPERVISORS},
    **{(role, "B"): frozenset({"case_c"}) for role in CASE_SUPERVISORS},
    (R.COUNSELOR, "A"): frozenset({"case_a"}),
    (R.COUNSELOR, "B"): frozenset({"case_c"}),
}
# A counseling session on each case (``case_session_a``, ``case_session_c``), read by
# whoever reads its case.
REGISTRY_KINDS += ("case_session",)
OBJECTS["case_session"] = ("case_session_a", "case_session_c")
SEEN["case_session"] = {
    key: frozenset(label.replace("case_", "case_session_") for label in labels)
    for key, labels in SEEN["case"].items()
}

# Counseling rooms, rotas and appointments (issue 7 item 4).
# ``room_a`` is at school A, ``room_b`` at school B, ``room_c`` at school C (零陵区).
# Centre staff, district administrators and counselors see the rooms of their county;
# a school's psychology teacher and administrator their own school's; the managers
# (all but the counselor) keep the rooms they see (``counseling/permissions.py``).
# ``shift_a`` (room_a, side A's counselor) and ``shift_c`` (room_c, side B's) began
# half an hour ago and each holds a booked appointment in its first slot
# (``appointment_a`` for case_a, ``appointment_c`` for case_c); ``rota_a`` and
# ``rota_c`` are empty shifts to come in the same rooms. All are seen with their room.
ROOM_KEEPERS = frozenset({R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN})
ROOM_READERS = ROOM_KEEPERS | {R.COUNSELOR}
_ROOMS_BY_COUNTY = (R.DISTRICT_ADMIN, R.CENTER_STAFF, R.COUNSELOR)
_ROOMS_BY_SCHOOL = (R.SCHOOL_PSYCH_TEACHER, R.SCHOOL_ADMIN)
REGISTRY_KINDS += ("room", "shift", "rota", "appointment")
OBJECTS["room"] = ("room_a", "room_b", "room_c")
SEEN["room"] = {
    **{(role, "A"): frozenset({"room_a", "room_b"}) for role in _ROOMS_BY_COUNTY},
    **{(role, "B"): frozenset({"room_c"}) for role in _ROOMS_BY_COUNTY},
    **{(role, "A"): frozenset({"room_a"}) for role in _ROOMS_BY_SCHOOL},
    **{(role, "B"): frozenset({"room_b"}) for role in _ROOMS_BY_SCHOOL},
}
for _kind in ("shift", "rota", "appointment"):
    OBJECTS[_kind] = (f"{_kind}_a", f"{_kind}_c")
    SEEN[_kind] = {
        key: frozenset(label.replace("room_", f"{_kind}_") for label in labels if label != "room_b")
        for key, labels in SEEN["room"].items()
    }

# Referrals (issue 7 item 5).
REGISTRY_KINDS += ("referral",)
OBJECTS["referral"] = ("ref_a", "ref_c", "ref_p")
SEEN["referral"] = {
    **{(role, "A"): frozenset({"ref_a", "ref_p"}) for role in (*CASE_SUPERVISORS, R.COUNSELOR)},
    **{(role, "B"): frozenset({"ref_c"}) for role in (*CASE_SUPERVISORS, R.COUNSELOR)},
    (R.HOSPITAL_CLINICIAN, "A"): frozenset({"ref_a"}),
    (R.HOSPITAL_CLINICIAN, "B"): frozenset({"ref_c"}),
    (R.AGENCY_OFFICER, "A"): frozenset({"ref_p"}),
}
