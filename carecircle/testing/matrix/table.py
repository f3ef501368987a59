"""``TABLE``: every route of the URLconf and what each actor gets from it."""

from __future__ import annotations

from carecircle.testing.matrix.cases import CASE_ROUTES
from carecircle.testing.matrix.cases_api import CASE_API_ROUTES
from carecircle.testing.matrix.core import (
    ACCOUNTS,
    API,
    AUDIT,
    CHILDREN,
    CONFIRMS_TARGETS,
    EDITS_MINORS,
    FORBIDDEN,
    HOME_DIVISION,
    INVALID,
    LOGIN,
    MANAGES_ACCOUNTS,
    NOT_FOUND,
    OK,
    OWN,
    PUBLIC,
    READS_AUDIT,
    READS_STATS,
    REPORT_READERS,
    RUNS_CAMPAIGNS,
    SEES_CHILDREN,
    STATS,
    WRONG_METHOD,
    Expect,
    R,
    Route,
    to,
)
from carecircle.testing.matrix.counseling import COUNSELING_ROUTES
from carecircle.testing.matrix.dashboards import DASHBOARD_ROUTES
from carecircle.testing.matrix.referrals import REFERRAL_ROUTES
from carecircle.testing.matrix.tips_intake import TIPS_INTAKE_ROUTES
from carecircle.testing.matrix.tips_public import TIPS_PUBLIC_ROUTES
from carecircle.testing.matrix.tips_staff import TIPS_STAFF_ROUTES
from carecircle.testing.matrix.visits import VISIT_ROUTES
from carecircle.testing.matrix.world import World

ADMIN = MANAGES_ACCOUNTS


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
    "api:me": Route(OWN, Expect("GET", OK, **API), Expect("POST", WRONG_METHOD, **API)),
    "api:schema": Route(OWN, Expect("GET", OK, **API)),
    "api:docs": Route(OWN, Expect("GET", OK, **API)),
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
        Expect("GET", OK, SEES_CHILDREN, **API),
        Expect("POST", "415", EDITS_MINORS, **API),
    ),
    # Changing a record: the role gate (403) comes before the lookup (404 out of scope).
    "api:minor-detail": Route(
        CHILDREN,
        Expect("GET", OK, objects="minor", **API),
        Expect("POST", WRONG_METHOD, objects="minor", out_of_scope=WRONG_METHOD, **API),
        Expect(
            "PATCH",
            OK,
            EDITS_MINORS,
            objects="minor",
            data={"status": "moved_away"},
            writes=True,
            **API,
        ),
        # A whole record is required: a body with one field is refused with 400.
        Expect("PUT", INVALID, EDITS_MINORS, objects="minor", data={"boarding": True}, **API),
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
        Expect("GET", WRONG_METHOD, **API),
        Expect("POST", INVALID, EDITS_MINORS, **API),  # no file: 400, nothing written
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
    "api:screening-result-list": Route(CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, **API)),
    "api:screening-result-detail": Route(
        CHILDREN, Expect("GET", OK, RUNS_CAMPAIGNS, objects="result", **API)
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
TABLE.update(VISIT_ROUTES)
TABLE.update(TIPS_PUBLIC_ROUTES)
TABLE.update(TIPS_STAFF_ROUTES)
TABLE.update(TIPS_INTAKE_ROUTES)
TABLE.update(CASE_ROUTES)
TABLE.update(CASE_API_ROUTES)
TABLE.update(COUNSELING_ROUTES)
TABLE.update(REFERRAL_ROUTES)
TABLE.update(DASHBOARD_ROUTES)
