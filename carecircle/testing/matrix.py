"""The committed authorization matrix (SECURITY.md AZ-1, AZ-2, AZ-9).

``TABLE`` says, for every route of ``config/urls.py``, what each role gets. The
test ``carecircle/accounts/tests/test_authz_matrix.py`` walks the URL resolver,
fails when a route has no entry here (or an entry names a route that no longer
exists), and for every route x method x role x jurisdiction x object compares
the real response with the outcome written below. Expectations name roles
explicitly instead of deriving them from ``ROLE_SPECS``: a change to the role
table must show up here as a reviewed diff, not silently widen access.

Actors
    ``anonymous``, ``no_role`` (signed in, holding nothing: deny by default) and
    every ``Role``. Each role is tried twice: the ``personas`` user of
    jurisdiction A and the ``other_personas`` user of jurisdiction B (district-wide
    roles: 冷水滩区 431103 vs 零陵区 431102). Signed-in actors have a verified
    second factor.

Objects (``SEEN`` says which ones each actor reaches)
    - minors ``a`` (village 431103101200, school A), ``b`` (431103102200,
      school B), ``c`` (零陵区 431102001001, no school);
    - accounts ``acct_a`` (a volunteer in 431103101), ``acct_c`` (a volunteer
      in 431102001), ``unassigned`` (no role, created in 冷水滩区: that county's
      administrators may give it one, the other county's may not see it, see
      ``users_visible_to``) and ``self`` (the actor's own account);
    - organisations ``org_a`` (school A) and ``org_c`` (a school in 零陵区);
    - role assignments ``asg_a``, ``asg_c`` (those accounts' roles), ``asg_self``
      (the actor's own) and ``asg_mismatch`` (acct_a's URL with acct_c's
      assignment: an IDOR probe).

Outcomes
    Status codes as strings; a redirect is ``"302 <url name>"`` (``to(name)``).
    A page refused to an anonymous visitor is ``LOGIN``; an API call ``UNAUTH``.
    Out of scope is ``NOT_FOUND`` (never 403: no existence oracle).

How to add a route
    1. Add its URL pattern with a name, as usual.
    2. Add an entry to ``TABLE`` under that exact name (``app:name``):
       ``Route(area, Expect(...), ...)`` with one ``Expect`` per method the view
       accepts, and for a POST-only view a GET row answering ``WRONG_METHOD``
       (``_wrong_get(objects)`` when the URL carries a pk). A method the table
       does not list must answer 405 (the view needs ``require_GET``,
       ``require_safe`` or ``require_POST``).
       - ``area``: ``PUBLIC``, ``OWN`` (the user's own things), ``CHILDREN``,
         ``ACCOUNTS``, ``AUDIT`` or ``STATS``; the separation-of-duties tests
         read it (the sysadmin never succeeds on ``CHILDREN``/``AUDIT``, the
         auditor only on ``PUBLIC``/``OWN``/``AUDIT``, the analyst only on
         those and ``STATS``).
       - ``allowed``: the roles that pass the view's gate, written out by name
         (or ``EVERYONE``); the others get ``denied`` (403 by default).
       - ``objects``: for a URL with a pk, which kind of object to put in it;
         objects outside the actor's ``SEEN`` entry get ``out_of_scope`` (404);
         ``own`` is the answer when an allowed actor targets itself (AZ-4).
       - ``kwargs``: other URL arguments (``{"action": "deactivate"}``).
       - ``data``: the POST body, a dict or ``lambda world, side: {...}`` when
         it must name the actor's own division or a fixture object;
         ``writes=True`` when the allowed outcome changes data. Every other POST
         is checked to have changed nothing.
    3. New objects or a new relation: add them to ``build_world`` and ``SEEN``.
    4. Run ``pytest carecircle/accounts/tests/test_authz_matrix.py``; a mismatch
       prints route, actor, object, expected and actual outcomes, flagged
       ``UNEXPECTED SUCCESS`` or ``DATA CHANGED`` where that applies. Never
       make the test pass by widening ``allowed`` or ``SEEN`` without checking
       ``accounts/permissions.py``: the table is the reviewed access model.

``probes`` says which sides and objects each actor is tried with: all of them
past the view's gate, the first object only where the gate (or a wrong method)
answers before any lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role

# --- Outcomes -----------------------------------------------------------------

OK = "200"
NO_CONTENT = "204"
INVALID = "400"
UNAUTH = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"
WRONG_METHOD = "405"


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


ADMIN = MANAGES_ACCOUNTS
# API views answer an anonymous caller 401 (with WWW-Authenticate), not a redirect.
_API: dict[str, Any] = {"anonymous": UNAUTH}


def _grant_body(world: World, side: str) -> dict[str, str]:
    return {"role": R.COUNSELOR, "division_code": HOME_DIVISION.get(side, HOME_DIVISION["A"])}


def _organisation_body(world: World, side: str) -> dict[str, str]:
    division = HOME_DIVISION.get(side, HOME_DIVISION["A"])
    return {
        "name": "Renamed school",
        "kind": "school",
        "division_code": division,
        "is_active": "on",
    }


_EDIT_BODY = {"full_name": "Renamed Person", "email": "", "phone": ""}


def _wrong_get(objects: str, **kwargs: str) -> Expect:
    """GET on a POST-only route: 405 once past the login gate, before any object lookup."""
    return Expect(
        "GET",
        WRONG_METHOD,
        objects=objects,
        out_of_scope=WRONG_METHOD,
        own=WRONG_METHOD,
        kwargs=kwargs,
    )


def _user_action(action: str, ok: str, own: str) -> Expect:
    return Expect(
        "POST", ok, ADMIN, objects="account", own=own, kwargs={"action": action}, writes=True
    )


TABLE: dict[str, Route] = {
    # Sign-in and the user's own things.
    "accounts:home": Route(OWN, Expect("GET", OK)),
    "accounts:login": Route(
        PUBLIC,
        Expect("GET", to("accounts:home"), anonymous=OK),
        Expect("POST", to("accounts:home"), anonymous=OK),  # empty form: re-shown
    ),
    "accounts:logout": Route(
        PUBLIC,
        Expect("GET", WRONG_METHOD, anonymous=WRONG_METHOD),
        Expect("POST", LOGIN),
    ),
    "accounts:otp-verify": Route(OWN, Expect("GET", OK), Expect("POST", OK)),
    # Everyone here already has a confirmed device: enrolment sends them on.
    "accounts:otp-setup": Route(
        OWN, Expect("GET", to("accounts:otp-verify")), Expect("POST", to("accounts:otp-verify"))
    ),
    "accounts:password-change": Route(OWN, Expect("GET", OK), Expect("POST", OK)),
    "notifications:list": Route(OWN, Expect("GET", OK)),
    # Marks only the caller's own notifications: the bystander's stays unread.
    "notifications:read": Route(
        OWN,
        Expect("GET", WRONG_METHOD),
        Expect(
            "POST", to("notifications:list"), data=lambda world, side: {"id": world.notification_id}
        ),
    ),
    # Django's language switch: public, changes only a cookie.
    "set_language": Route(
        PUBLIC,
        Expect("GET", to("accounts:home"), anonymous=to("accounts:home"), data={"next": "/"}),
        Expect(
            "POST",
            to("accounts:home"),
            anonymous=to("accounts:home"),
            data={"language": "en", "next": "/"},
        ),
    ),
    "api:me": Route(OWN, Expect("GET", OK, **_API), Expect("POST", WRONG_METHOD, **_API)),
    "api:schema": Route(OWN, Expect("GET", OK, **_API)),
    "api:docs": Route(OWN, Expect("GET", OK, **_API)),
    # Child data.
    "people:minor-list": Route(CHILDREN, Expect("GET", OK, SEES_CHILDREN)),
    "people:minor-detail": Route(CHILDREN, Expect("GET", OK, objects="minor")),
    # Step-up reveal of the full ID number: editing roles only; an empty form (no
    # authenticator code) is refused with 400 and reveals nothing.
    "people:minor-reveal-id": Route(
        CHILDREN,
        _wrong_get("minor"),
        Expect("POST", INVALID, EDITS_MINORS, objects="minor"),
    ),
    "people:emergency-access": Route(
        CHILDREN,
        Expect("GET", OK, SEES_CHILDREN),
        Expect("POST", OK, SEES_CHILDREN),  # empty form: re-shown, nothing granted
    ),
    # The registry pages (issue 3 item 4). Forms are posted empty: re-shown with their
    # errors (200, or 400 for the sibling POST), nothing written. Read-only roles are
    # refused before any lookup (403); out of scope is 404.
    "people:minor-create": Route(
        CHILDREN, Expect("GET", OK, EDITS_MINORS), Expect("POST", OK, EDITS_MINORS)
    ),
    "people:minor-edit": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="minor"),
        Expect("POST", OK, EDITS_MINORS, objects="minor"),
    ),
    "people:minor-timeline": Route(CHILDREN, Expect("GET", OK, objects="minor")),
    "people:guardian-add": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="minor"),
        Expect("POST", OK, EDITS_MINORS, objects="minor"),
    ),
    "people:guardian-edit": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="guardian"),
        Expect("POST", OK, EDITS_MINORS, objects="guardian"),
    ),
    "people:guardian-delete": Route(
        CHILDREN,
        _wrong_get("guardian"),
        Expect("POST", to("people:minor-detail"), EDITS_MINORS, objects="guardian", writes=True),
    ),
    # Every child of the world already has a household: creating one sends the user to it.
    "people:household-create": Route(
        CHILDREN,
        Expect("GET", to("people:household-detail"), EDITS_MINORS, objects="minor"),
        Expect("POST", to("people:household-detail"), EDITS_MINORS, objects="minor"),
    ),
    "people:household-detail": Route(CHILDREN, Expect("GET", OK, objects="household")),
    "people:household-edit": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="household"),
        Expect("POST", OK, EDITS_MINORS, objects="household"),
    ),
    "people:household-add-member": Route(
        CHILDREN,
        _wrong_get("household"),
        Expect("POST", INVALID, EDITS_MINORS, objects="household"),
    ),
    "people:school-list": Route(CHILDREN, Expect("GET", OK, SEES_CHILDREN)),
    "people:school-detail": Route(CHILDREN, Expect("GET", OK, objects="school")),
    "people:class-detail": Route(CHILDREN, Expect("GET", OK, objects="class")),
    "people:class-create": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="school"),
        Expect("POST", OK, EDITS_MINORS, objects="school"),
    ),
    "people:class-edit": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="class"),
        Expect("POST", OK, EDITS_MINORS, objects="class"),
    ),
    "people:class-options": Route(CHILDREN, Expect("GET", OK, SEES_CHILDREN)),
    # Category rules: read by district administrators and centre staff, a new version
    # saved by a county-wide district administrator (empty form: re-shown, nothing saved).
    "people:rules": Route(
        CHILDREN,
        Expect("GET", OK, frozenset({R.DISTRICT_ADMIN, R.CENTER_STAFF})),
        Expect("POST", OK, frozenset({R.DISTRICT_ADMIN})),
    ),
    # Manual categories: editing roles on a child in their editable scope; an empty
    # form is re-shown and changes nothing.
    "people:category-add": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="minor"),
        Expect("POST", OK, EDITS_MINORS, objects="minor"),
    ),
    "people:category-end": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="minor"),
        Expect("POST", OK, EDITS_MINORS, objects="minor"),
    ),
    # Registering: roles that change children; the matrix posts a form-encoded body,
    # which the JSON-only API refuses with 415 once past the role gate.
    "api:minor-list": Route(
        CHILDREN,
        Expect("GET", OK, SEES_CHILDREN, **_API),
        Expect("POST", "415", EDITS_MINORS, **_API),
    ),
    # Changing a record: the role gate (403) comes before the lookup (404 out of scope).
    "api:minor-detail": Route(
        CHILDREN,
        Expect("GET", OK, objects="minor", **_API),
        Expect("POST", WRONG_METHOD, objects="minor", out_of_scope=WRONG_METHOD, **_API),
        Expect(
            "PATCH",
            OK,
            EDITS_MINORS,
            objects="minor",
            data={"status": "moved_away"},
            writes=True,
            **_API,
        ),
        # A whole record is required: a body with one field is refused with 400.
        Expect("PUT", INVALID, EDITS_MINORS, objects="minor", data={"boarding": True}, **_API),
    ),
    # Rosters (issue 3 item 5): roles that change children. An empty upload or export
    # form is refused with 400 and writes nothing; the export also needs a fresh
    # authenticator code. The merge page is about one record: out of scope = 404.
    "people:import": Route(
        CHILDREN, Expect("GET", OK, EDITS_MINORS), Expect("POST", INVALID, EDITS_MINORS)
    ),
    "people:import-template": Route(CHILDREN, Expect("GET", OK, EDITS_MINORS)),
    "people:export": Route(
        CHILDREN, Expect("GET", OK, EDITS_MINORS), Expect("POST", INVALID, EDITS_MINORS)
    ),
    "people:duplicates": Route(CHILDREN, Expect("GET", OK, EDITS_MINORS)),
    "people:minor-merge": Route(
        CHILDREN,
        Expect("GET", OK, EDITS_MINORS, objects="minor"),
        Expect("POST", INVALID, EDITS_MINORS, objects="minor"),
    ),
    "api:minor-import": Route(
        CHILDREN,
        Expect("GET", WRONG_METHOD, **_API),
        Expect("POST", INVALID, EDITS_MINORS, **_API),  # no file: 400, nothing written
    ),
    # Audit and statistics.
    "audit:log": Route(AUDIT, Expect("GET", OK, READS_AUDIT)),
    "stats:indicator-list": Route(STATS, Expect("GET", OK, READS_STATS)),
    # Account administration (三员: the sysadmin only, inside their own scope).
    "accounts:organisation-list": Route(ACCOUNTS, Expect("GET", OK, ADMIN)),
    "accounts:organisation-create": Route(
        ACCOUNTS,
        Expect("GET", OK, ADMIN),
        Expect(
            "POST", to("accounts:organisation-list"), ADMIN, data=_organisation_body, writes=True
        ),
    ),
    "accounts:organisation-edit": Route(
        ACCOUNTS,
        Expect("GET", OK, ADMIN, objects="organisation"),
        Expect(
            "POST",
            to("accounts:organisation-list"),
            ADMIN,
            objects="organisation",
            data=_organisation_body,
            writes=True,
        ),
    ),
    "accounts:user-list": Route(ACCOUNTS, Expect("GET", OK, ADMIN)),
    "accounts:user-create": Route(
        ACCOUNTS,
        Expect("GET", OK, ADMIN),
        Expect(
            "POST", OK, ADMIN, data={"username": "newcomer", "full_name": "New Comer"}, writes=True
        ),
    ),
    "accounts:user-detail": Route(ACCOUNTS, Expect("GET", OK, ADMIN, objects="account", own=OK)),
    "accounts:user-edit": Route(
        ACCOUNTS,
        _wrong_get("account"),
        Expect(
            "POST",
            to("accounts:user-detail"),
            ADMIN,
            objects="account",
            own=INVALID,
            data=_EDIT_BODY,
            writes=True,
        ),
    ),
    "accounts:role-grant": Route(
        ACCOUNTS,
        _wrong_get("account"),
        Expect(
            "POST",
            to("accounts:user-detail"),
            ADMIN,
            objects="account",
            own=INVALID,
            data=_grant_body,
            writes=True,
        ),
    ),
    "accounts:role-revoke": Route(
        ACCOUNTS,
        _wrong_get("assignment"),
        Expect(
            "POST",
            to("accounts:user-detail"),
            ADMIN,
            objects="assignment",
            own=FORBIDDEN,
            writes=True,
        ),
    ),
    # The pupils' questionnaire behind a one-time code: public, and without a code in
    # the session every step leads back to the code form (an empty form is re-shown).
    "questionnaire:start": Route(
        PUBLIC, Expect("GET", OK, anonymous=OK), Expect("POST", OK, anonymous=OK, data={})
    ),
    "questionnaire:answer": Route(
        PUBLIC,
        Expect("GET", to("questionnaire:start"), anonymous=to("questionnaire:start")),
        Expect("POST", to("questionnaire:start"), anonymous=to("questionnaire:start"), data={}),
    ),
    "questionnaire:thanks": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    # Screening campaigns (issue 4 item 4): the school's psychology teacher and the
    # centre's staff and counselors. Empty forms are re-shown; issuing codes and
    # closing write; empty consent forms change nothing. ``class_pk`` 0 is "pupils
    # without a class", where the world's participants are.
    "screening:campaign-list": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS)),
    "screening:campaign-create": Route(
        CHILDREN,
        Expect("GET", OK, RUNS_CAMPAIGNS),
        Expect("POST", OK, RUNS_CAMPAIGNS, data={}),
    ),
    "screening:campaign-scope": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS)),
    "screening:campaign-detail": Route(
        CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, objects="campaign")
    ),
    "screening:campaign-progress": Route(
        CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, objects="campaign")
    ),
    "screening:campaign-issue": Route(
        CHILDREN,
        _wrong_get("campaign"),
        Expect(
            "POST",
            to("screening:campaign-detail"),
            RUNS_CAMPAIGNS,
            objects="campaign",
            writes=True,
        ),
    ),
    "screening:campaign-close": Route(
        CHILDREN,
        _wrong_get("campaign"),
        Expect(
            "POST",
            to("screening:campaign-detail"),
            RUNS_CAMPAIGNS,
            objects="campaign",
            writes=True,
        ),
    ),
    "screening:class-detail": Route(
        CHILDREN,
        Expect("GET", OK, RUNS_CAMPAIGNS, objects="campaign", kwargs={"class_pk": "0"}),
    ),
    "screening:class-sheet": Route(
        CHILDREN,
        Expect("GET", OK, RUNS_CAMPAIGNS, objects="campaign", kwargs={"class_pk": "0"}),
    ),
    "screening:class-consent": Route(
        CHILDREN,
        _wrong_get("campaign", class_pk="0"),
        Expect(
            "POST",
            to("screening:class-detail"),
            RUNS_CAMPAIGNS,
            objects="campaign",
            kwargs={"class_pk": "0"},
        ),
    ),
    "screening:participant-consent": Route(
        CHILDREN,
        _wrong_get("participant"),
        Expect("POST", to("screening:class-detail"), RUNS_CAMPAIGNS, objects="participant"),
    ),
    # The screening API: a submission's credential is the pupil's one-time code in a
    # JSON body (the form-encoded probe is refused, 415, for everyone alike);
    # results are read by those who run campaigns, in scope.
    "api:screening-submit": Route(
        PUBLIC,
        Expect("GET", WRONG_METHOD, anonymous=WRONG_METHOD),
        Expect("POST", "415", anonymous="415"),
    ),
    "api:screening-result-list": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, **_API)),
    "api:screening-result-detail": Route(
        CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, objects="result", **_API)
    ),
    # Screening reports (aggregates): those who run campaigns and the school's
    # administrator (small cells hidden), per school reached.
    "screening-reports:school-list": Route(STATS, Expect("GET", OK, REPORT_READERS)),
    "screening-reports:school-detail": Route(
        STATS, Expect("GET", OK, REPORT_READERS, objects="school")
    ),
    "screening-reports:school-export": Route(
        STATS, Expect("GET", OK, REPORT_READERS, objects="school")
    ),
    # Screening follow-ups: those who run campaigns, at their schools; a POST without
    # an action is refused (400) and changes nothing.
    "screening:follow-ups": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS)),
    "screening:follow-up": Route(
        CHILDREN,
        Expect("GET", OK, RUNS_CAMPAIGNS, objects="follow_up"),
        Expect("POST", INVALID, RUNS_CAMPAIGNS, objects="follow_up"),
    ),
    # Key assistance targets: the list for those who run campaigns; confirming (the
    # world's minors already are targets: refused with a message, nothing written)
    # and ending (no reason given: 400) for counselors and psychology teachers.
    "key-targets:list": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS)),
    "key-targets:confirm": Route(
        CHILDREN,
        _wrong_get("screened"),
        Expect("POST", to("key-targets:list"), CONFIRMS_TARGETS, objects="screened"),
    ),
    "key-targets:end": Route(
        CHILDREN,
        _wrong_get("key_target"),
        Expect("POST", INVALID, CONFIRMS_TARGETS, objects="key_target"),
    ),
    "accounts:user-action": Route(
        ACCOUNTS,
        _wrong_get("account", action="deactivate"),
        _user_action("deactivate", to("accounts:user-detail"), own=FORBIDDEN),
        _user_action("activate", to("accounts:user-detail"), own=FORBIDDEN),
        _user_action("reset-password", OK, own=FORBIDDEN),
        _user_action("reset-otp", to("accounts:user-detail"), own=FORBIDDEN),
        # An unknown action: still 403 for non-admins, 404 for the admin.
        Expect(
            "POST", NOT_FOUND, ADMIN, objects="account", own=NOT_FOUND, kwargs={"action": "promote"}
        ),
    ),
}

# --- The resolver ----------------------------------------------------------------


def _is_static(pattern: URLPattern) -> bool:
    # django.views.static.serve appears only with DEBUG (and static() helpers); it
    # serves public assets, not data, so it has no place in the matrix.
    return getattr(pattern.callback, "__module__", "") == "django.views.static"


def resolver_routes() -> dict[str, str]:
    """Every route of the URLconf → its pattern, namespaces included. An unnamed
    pattern is keyed by its regex so that it, too, needs an entry."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, namespace: tuple[str, ...], prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = (*namespace, entry.namespace) if entry.namespace else namespace
                walk(entry, ns, prefix + str(entry.pattern))
            elif not _is_static(entry):
                route = prefix + str(entry.pattern)
                name = ":".join((*namespace, entry.name)) if entry.name else f"<unnamed {route}>"
                found[name] = route

    walk(get_resolver(), (), "")
    return found


# --- The world the matrix runs against --------------------------------------------


@dataclass
class World:
    """The fixture district, both sets of personas, and the objects of ``OBJECTS``."""

    personas: dict[str, User]
    other_personas: dict[str, User]
    no_role: User
    minors: dict[str, Any]
    accounts: dict[str, User]
    organisations: dict[str, Organisation]
    assignments: dict[str, RoleAssignment]
    notification_id: int
    registry: dict[str, Any] = field(default_factory=dict)  # REGISTRY_KINDS objects by label

    def user(self, actor: str, side: str) -> User:
        if actor == NO_ROLE:
            return self.no_role
        return (self.personas if side == "A" else self.other_personas)[actor]

    def url_kwargs(self, kind: str, label: str, actor: User | None) -> dict[str, int]:
        if kind in REGISTRY_KINDS:
            return {"pk": self.registry[label].pk}
        if kind == "minor":
            return {"pk": self.minors[label].pk}
        if kind == "organisation":
            return {"pk": self.organisations[label].pk}
        if kind == "account":
            target = actor if label == "self" else self.accounts[label]
            return {"pk": getattr(target, "pk", 0) or 0}
        if label == "asg_self":
            own = RoleAssignment.objects.filter(user=actor).first() if actor else None
            return {"pk": getattr(actor, "pk", 0) or 0, "assignment_pk": getattr(own, "pk", 0)}
        if label == "asg_mismatch":
            user, assignment = self.accounts["acct_a"], self.assignments["asg_c"]
        else:
            assignment = self.assignments[label]
            user = assignment.user
        return {"pk": user.pk, "assignment_pk": assignment.pk}


def build_world() -> World:
    from carecircle.notifications.models import Notification
    from carecircle.people.models import Minor
    from carecircle.regions.models import Division
    from carecircle.testing import fixtures

    district = fixtures.build_district()
    personas = {role: fixtures.build_persona(district, role, "A") for role in Role.values}
    other_personas = {role: fixtures.build_persona(district, role, "B") for role in Role.values}
    minors = {
        "a": fixtures.build_minor_a(district),
        "b": fixtures.build_minor_b(district),
        "c": Minor.objects.create(
            name="王小军",
            sex="M",
            birth_date=date(2015, 7, 9),
            area_code="431102001001",
            id_number="431102201507090018",
        ),
    }
    accounts = {
        "acct_a": fixtures.make_user("acct_a"),
        "acct_c": fixtures.make_user("acct_c"),
        "unassigned": fixtures.make_user("unassigned", home_prefix="431103"),
    }
    assignments = {
        "asg_a": fixtures.grant(accounts["acct_a"], R.VOLUNTEER, prefix=HOME_DIVISION["A"]),
        "asg_c": fixtures.grant(accounts["acct_c"], R.VOLUNTEER, prefix=HOME_DIVISION["B"]),
    }
    organisations = {
        "org_a": district["orgs"]["school_A"],
        "org_c": Organisation.objects.create(
            name="C-school",
            kind=Organisation.Kind.SCHOOL,
            division=Division.objects.get(prefix=HOME_DIVISION["B"]),
        ),
    }
    notification = Notification.objects.create(recipient=accounts["acct_a"], title="Bystander")
    registry = _build_registry(district, minors, organisations["org_c"])
    registry.update(_build_screening(registry, minors, personas["counselor"]))
    return World(
        personas=personas,
        other_personas=other_personas,
        no_role=fixtures.make_user(NO_ROLE),
        minors=minors,
        accounts=accounts,
        organisations=organisations,
        assignments=assignments,
        notification_id=notification.pk,
        registry=registry,
    )


def _build_registry(
    district: dict[str, Any], minors: dict[str, Any], school_c: Organisation
) -> dict[str, Any]:
    """A guardian and a household for each minor; schools A, B, C with a class each."""
    from carecircle.people.models import Guardian, Household, Minor, SchoolClass

    registry: dict[str, Any] = {}
    for label, minor in minors.items():
        registry[f"guardian_{label}"] = Guardian.objects.create(
            minor=minor, relation="mother", name="Guardian"
        )
        household = Household.objects.create(area_code=minor.area_code)
        Minor.objects.filter(pk=minor.pk).update(household=household)
        registry[f"household_{label}"] = household
    schools = {
        "a": district["orgs"]["school_A"],
        "b": district["orgs"]["school_B"],
        "c": school_c,
    }
    for label, school in schools.items():
        registry[f"school_{label}"] = school
        registry[f"class_{label}"] = SchoolClass.objects.create(school=school, grade=1, name="1")
    return registry


def _build_screening(
    registry: dict[str, Any], minors: dict[str, Any], organiser: User
) -> dict[str, Any]:
    """At each school a campaign whose pupil (minor a, b, c) gave a red-critical answer."""
    from django.utils import timezone

    from carecircle.screening.models import (
        Campaign,
        CampaignInstrument,
        FollowUp,
        KeyTarget,
        Participant,
        Response,
    )

    now = timezone.now()
    built: dict[str, Any] = {}
    for label in ("a", "b", "c"):
        school = registry[f"school_{label}"]
        campaign = Campaign.objects.create(
            name=f"Campaign {label}",
            school=school,
            opens_at=now,
            closes_at=now + timedelta(days=7),
            basis=Campaign.Basis.STATUTORY,
            statutory_basis="test",
            status=Campaign.Status.OPEN,
            created_by=organiser,
        )
        CampaignInstrument.objects.create(
            campaign=campaign, code="PHQ9", version=1, min_age=0, max_age=18
        )
        participant = Participant.objects.create(
            campaign=campaign,
            minor=minors[label],
            code=f"CODE{label.upper()}",
            code_digest=f"digest-{label}",
            consent=Participant.Consent.NOT_NEEDED,
        )
        response = Response.objects.create(
            participant=participant,
            code="PHQ9",
            version=1,
            submitted_at=now,
            triage=Response.Triage.RED_CRITICAL,
        )
        built[f"campaign_{label}"] = campaign
        built[f"participant_{label}"] = participant
        built[f"result_{label}"] = response
        built[f"screened_{label}"] = minors[label]
        built[f"key_target_{label}"] = KeyTarget.objects.create(
            minor=minors[label], reasons=["test"], confirmed_by=organiser, confirmed_at=now
        )
        built[f"follow_up_{label}"] = FollowUp.objects.create(
            response=response,
            minor=minors[label],
            school=school,
            level=Response.Triage.RED_CRITICAL,
            kind=FollowUp.Kind.ACKNOWLEDGE,
            due_at=now + timedelta(hours=24),
        )
    return built
