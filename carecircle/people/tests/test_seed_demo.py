"""The demo district: `seed_demo` and `demo_logins` (the plan itself: test_seed_demo_plan.py).

Seeding takes seconds, so the tests that only read the district share one of
``SEEDED`` children, built once for ``TestSeededDistrict`` and rolled back at its
end; each test runs in a savepoint of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import ROLE_SPECS, Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_verify
from carecircle.notifications.models import Notification
from carecircle.people import demo
from carecircle.people.models import (
    Category,
    CategoryMembership,
    Guardian,
    Household,
    Minor,
    SchoolClass,
)
from carecircle.people.services import find_minor_for_emergency
from carecircle.regions.models import Division

pytestmark = pytest.mark.django_db

SEED = 11
# Enough children for every category, in the shares of a real district.
SEEDED = 2000

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def passes_mod_11_2(id_number: str) -> bool:
    """GB 11643 check, written out independently of the code under test."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(id_number[:17], WEIGHTS, strict=True)) % 11
    return id_number[17] == "10X98765432"[remainder]


def seed(*args: str, minors: int = 50) -> str:
    out = StringIO()
    call_command("seed_demo", "--minors", str(minors), *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Minor.objects.count(),
        Organisation.objects.count(),
        AuditEvent.objects.count(),
    )


def minor_facts() -> set[tuple[str, str, date, str, str]]:
    return {
        (m.name, m.sex, m.birth_date, m.id_number or "", m.area_code) for m in Minor.objects.all()
    }


def test_it_loads_the_planned_minors_for_a_seed_into_an_empty_database() -> None:
    output = seed("--if-empty", "--seed", str(SEED))
    assert "50 minors" in output
    planned = list(demo.minor_rows(seed=SEED, count=50, today=timezone.localdate()))
    assert minor_facts() == {
        (r.name, r.sex, r.birth_date, r.id_number, r.area_code) for r in planned
    }
    assert User.objects.filter(username__in=demo.DEMO_USERNAMES).count() == len(Role.values)
    # The families as planned: households, parents with their states, classes.
    assert Household.objects.count() == len({r.household.number for r in planned})
    assert Guardian.objects.count() == sum(len(r.guardians) for r in planned)
    loaded = {
        (g.minor.name, g.minor.birth_date, g.relation, g.name, g.state, g.id_number or "")
        for g in Guardian.objects.select_related("minor")
    }
    assert loaded == {
        (r.name, r.birth_date, g.relation, g.name, g.state, g.id_number)
        for r in planned
        for g in r.guardians
    }
    pupils = Minor.objects.exclude(school=None)
    assert pupils.count() == sum(1 for r in planned if r.school)
    assert not pupils.filter(school_class=None).exists()


def test_it_leaves_a_database_with_other_accounts_alone_with_if_empty() -> None:
    User.objects.create_user(username="someone", password="x")
    output = seed("--if-empty")
    assert "demo not loaded" in output
    assert not Minor.objects.exists()
    assert not User.objects.filter(username__in=demo.DEMO_USERNAMES).exists()


def test_it_refuses_to_run_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not User.objects.exists()


def test_it_rejects_a_negative_number_of_minors() -> None:
    with pytest.raises(CommandError, match="--minors"):
        call_command("seed_demo", "--minors", "-1", stdout=StringIO())
    assert not User.objects.exists()


def test_it_hints_at_seed_demo_when_no_demo_is_loaded() -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()
    assert demo.DEMO_PASSWORD not in out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The demo district with 50 children, rolled back after the class (as in
    ``accounts/tests/test_authz_matrix.py``)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed("--seed", str(SEED), minors=SEEDED)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.usefixtures("seeded")
class TestSeededDistrict:
    def test_it_does_nothing_the_second_time_with_if_empty(self) -> None:
        before = counts()
        assert before[1] == SEEDED

        output = seed("--if-empty")

        assert "already loaded" in output
        assert counts() == before

    def test_it_refuses_a_second_load_without_if_empty(self) -> None:
        before = counts()
        with pytest.raises(CommandError, match="already loaded"):
            seed()
        assert counts() == before

    def test_it_creates_every_role_user_with_the_password_and_scope(self) -> None:
        expected_scope: dict[str, str] = {
            Role.CHILD_SUPERVISOR: demo.DEMO_TOWNSHIP,
            Role.CHILD_DIRECTOR: demo.DEMO_VILLAGE,
        }
        expected_org: dict[str, tuple[str, str]] = {
            Role.SCHOOL_PSYCH_TEACHER: ("花桥街镇中学", Organisation.Kind.SCHOOL),
            Role.SCHOOL_ADMIN: ("花桥街镇中学", Organisation.Kind.SCHOOL),
            Role.HOSPITAL_CLINICIAN: ("永州市第三人民医院", Organisation.Kind.HOSPITAL),
            Role.AGENCY_OFFICER: ("永州市公安局冷水滩分局", Organisation.Kind.POLICE),
        }
        assert set(demo.DEMO_USERNAMES) == set(Role.values)
        for role in Role.values:
            user = User.objects.get(username=role)
            assert user.check_password(demo.DEMO_PASSWORD)
            validate_password(demo.DEMO_PASSWORD, user)  # raises if a validator refuses it
            assert not user.must_change_password
            assert user.is_active
            assert len(user.full_name) >= 2
            # No authenticator yet: it is enrolled at the first sign-in.
            assert not TOTPDevice.objects.filter(user=user).exists()
            (assignment,) = RoleAssignment.objects.active().filter(user=user)
            assert assignment.role == role
            if role in expected_org:
                assert assignment.organisation is not None
                assert (assignment.organisation.name, assignment.organisation.kind) == (
                    expected_org[role]
                )
            else:
                assert assignment.division_id is not None
                assert assignment.scope_prefix == expected_scope.get(role, "431103")
        center = Organisation.objects.get(name="冷水滩区未成年人保护中心")
        assert (center.kind, center.division.prefix) == (
            Organisation.Kind.PROTECTION_CENTER,
            "431103",
        )

    def test_it_signs_in_with_the_demo_password_and_asks_for_totp_enrolment(self) -> None:
        client = Client()
        login = reverse("accounts:login")

        response = client.post(
            login, {"username": "district_admin", "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:otp-verify")
        assert client.get(reverse("accounts:home"))["Location"] == reverse("accounts:otp-verify")
        assert client.get(reverse("accounts:otp-verify"))["Location"] == reverse(
            "accounts:otp-setup"
        )

        # The analyst sees no child data and needs no second factor; no password change either.
        analyst = Client()
        response = analyst.post(login, {"username": "analyst", "password": demo.DEMO_PASSWORD})
        assert response["Location"] == reverse("accounts:home")
        assert analyst.get(reverse("accounts:home")).status_code == 200

        refused = Client().post(login, {"username": "analyst", "password": "wrong-password-1"})
        assert refused.status_code == 200
        assert "_auth_user_id" not in refused.client.session

    def test_it_puts_minors_in_the_villages_of_the_district(self) -> None:
        villages = set(
            Division.objects.within("431103").filter(level="village").values_list("code", flat=True)
        )
        assert len(villages) == len(demo.villages())
        minors = list(Minor.objects.select_related("school__division", "school_class"))
        assert len(minors) == SEEDED
        assert {m.area_code for m in minors} <= villages
        assert len({m.area_code for m in minors}) > len(villages) * 0.9
        today = timezone.localdate()
        for minor in minors:
            if minor.school is None:
                assert minor.school_class is None
                continue
            assert minor.school.kind == Organisation.Kind.SCHOOL
            assert minor.age_on(today) >= 3
            grade = demo.school_grade(minor.birth_date, today)
            # Up to junior secondary, village children go to school in their own town.
            rural = minor.area_code[9:] >= "200"
            if rural and grade <= 9 and minor.hukou_code[:6] == "431103":
                special = minor.school.name == "冷水滩区特殊教育学校"
                assert special or minor.school.division.prefix == minor.area_code[:9]
        assert sum(m.status == Minor.Status.ACTIVE for m in minors) >= SEEDED * 0.95

    def test_it_puts_pupils_in_classes_of_their_grade(self) -> None:
        today = timezone.localdate()
        pupils = Minor.objects.exclude(school=None).select_related("school_class")
        assert pupils.count() > SEEDED * 0.6
        for pupil in pupils:
            assert pupil.school_class is not None
            assert pupil.school_class.school_id == pupil.school_id
            assert pupil.school_class.grade == demo.school_grade(pupil.birth_date, today)
            assert -2 <= pupil.school_class.grade <= 12
        # Every grade of every school has its classes, 1班 first, each with a head teacher.
        for org in demo.SCHOOLS:
            assert org.grades is not None
            school = Organisation.objects.get(name=org.name)
            grades = set(SchoolClass.objects.filter(school=school).values_list("grade", flat=True))
            assert grades == set(range(org.grades[0], org.grades[1] + 1))
        assert not SchoolClass.objects.filter(head_teacher="").exists()
        assert SchoolClass.objects.filter(name="1班").count() == sum(
            o.grades[1] - o.grades[0] + 1 for o in demo.SCHOOLS if o.grades
        )
        # A class is opened for every 45 or so pupils (55 in senior secondary).
        for school_class in SchoolClass.objects.all():
            assert school_class.pupils.count() <= 55
        assert Minor.objects.filter(boarding=True, school_class__grade__gte=7).exists()

    def test_it_groups_siblings_in_households(self) -> None:
        sizes = Counter(
            Minor.objects.exclude(household=None).values_list("household_id", flat=True)
        )
        assert Minor.objects.filter(household=None).count() == 0
        assert set(sizes.values()) == {1, 2, 3}
        assert sum(1 for n in sizes.values() if n > 1) > len(sizes) * 0.3
        for household in Household.objects.filter(pk__in=[k for k, n in sizes.items() if n > 1])[
            :50
        ]:
            members = list(household.members.all())
            assert {m.area_code for m in members} == {household.area_code}
            assert {m.address for m in members} == {household.address}
            fathers = {
                g.name for g in Guardian.objects.filter(minor__in=members, relation="father")
            }
            assert len(fathers) == 1
        assert Household.objects.exclude(village_contact="").count() == Household.objects.count()
        assert Household.objects.filter(assistance=Household.Assistance.MINIMUM_LIVING).exists()

    def test_it_derives_every_category_by_rule_in_realistic_shares(self) -> None:
        open_now = CategoryMembership.objects.filter(valid_to=None)
        counts = Counter(open_now.values_list("category", flat=True))
        assert set(counts) == set(Category.values)
        # Derived by the rule engine from the facts, never written by the loader; only
        # 重点帮扶对象, which no rule derives, is set by hand: by the child director, and
        # by the counselor confirming a target of the demo's screening.
        derived = open_now.exclude(category=Category.KEY_ASSISTANCE)
        assert set(derived.values_list("source", flat=True)) == {"rule"}
        assert set(derived.values_list("rule_version", flat=True)) == {1}
        assert all(m.reason for m in derived)
        manual = open_now.filter(category=Category.KEY_ASSISTANCE)
        assert set(manual.values_list("source", "created_by__username")) == {
            ("manual", "child_director"),
            ("manual", "counselor"),
        }
        share = {category: n / SEEDED for category, n in counts.items()}
        assert 0.03 < share[Category.RURAL_LEFT_BEHIND] < 0.2
        assert 0 < share[Category.URBAN_LEFT_BEHIND] < share[Category.RURAL_LEFT_BEHIND]
        assert 0.01 < share[Category.MIGRANT] < 0.12
        assert 0 < share[Category.ORPHAN] < 0.01
        assert 0 < share[Category.DE_FACTO_UNSUPPORTED] < 0.015
        assert 0.02 < share[Category.IN_DIFFICULTY] < 0.15
        buckets = set(
            open_now.filter(category=Category.IN_DIFFICULTY).values_list("bucket", flat=True)
        )
        assert {"A", "B", "C"} <= buckets
        # The demo child director's village shows every category.
        village = set(
            open_now.filter(minor__area_code=demo.DEMO_VILLAGE).values_list("category", flat=True)
        )
        assert village == set(Category.values) - {Category.URBAN_LEFT_BEHIND}

    def test_it_screens_the_demo_school_with_results_waiting_for_the_teacher(self) -> None:
        from carecircle.screening.models import Campaign, FollowUp, KeyTarget

        campaigns = Campaign.objects.order_by("opens_at")
        assert [c.status for c in campaigns] == [Campaign.Status.CLOSED, Campaign.Status.OPEN]
        assert {c.school.name for c in campaigns} == {"花桥街镇中学"}
        waiting = FollowUp.objects.filter(
            status=FollowUp.Status.OPEN, response__participant__campaign=campaigns[1]
        )
        assert waiting.filter(level="red_critical").exists()
        assert not FollowUp.objects.filter(response__participant__campaign=campaigns[0]).exclude(
            status=FollowUp.Status.DONE
        )
        assert KeyTarget.objects.filter(confirmed_by__username="counselor").count() == 1
        # Pupils who have not answered still hold their codes for /q/.
        assert campaigns[1].participants.filter(status="issued").exists()

    def test_it_records_a_year_of_visits_in_the_demo_township(self) -> None:
        from carecircle.visits.models import Visit, VisitTask

        visits = Visit.objects.all()
        assert visits.exists()
        assert not visits.exclude(area_code__startswith="431103101")
        # Each by the village's own child director, none in the future.
        for visit in visits.select_related("recorded_by"):
            assert visit.recorded_by.username.startswith("child_director")
            assert visit.occurred_at <= timezone.now()
        # The child found living alone: the police task is waiting.
        assert VisitTask.objects.filter(kind="report_police", status="open").count() == 1

    def test_it_records_a_year_of_reports_of_harm_and_todays_queue(self) -> None:
        from carecircle.tips.models import Channel, Dispatch, Extension, Status, Tip, Urgency

        year = Tip.objects.filter(received_at__lt=timezone.now() - timedelta(days=20))
        # The article's 15 reports: all responded to, handled and closed.
        assert year.count() == 15
        assert not year.exclude(status=Status.CLOSED)
        assert not year.filter(responded_at__isnull=True)
        assert {t.channel for t in year} == set(Channel.values)
        # One reporter was dissatisfied: the report was reopened and closed again.
        assert year.filter(reopened=1).count() == 1
        # Today's queue: an emergency from the public page with its photo, a ticket
        # waiting for the township, the police on a mandatory report, an extension.
        web = Tip.objects.get(channel=Channel.WEB, status=Status.RECEIVED)
        assert web.urgency == Urgency.EMERGENCY and web.attachments.count() == 1
        assert Dispatch.objects.filter(status="pending", area_code="431103101").count() == 1
        assert Dispatch.objects.filter(status="acknowledged", organisation__kind="police").exists()
        assert Extension.objects.filter(decision="pending").count() == 1
        assert all(t.received_at <= timezone.now() for t in Tip.objects.all())

    def test_it_opens_cases_of_each_situation_through_the_services(self) -> None:
        from carecircle.cases.models import Case, CaseMember, CaseTask
        from carecircle.screening.models import KeyTarget

        # From the confirmed key target: planned, in intervention, with a task.
        target = KeyTarget.objects.get(confirmed_by__username="counselor")
        planned = Case.objects.get(source="key_target")
        assert planned.source_target == target and planned.minor_id == target.minor_id
        assert planned.status == "intervention" and planned.goals and planned.review_on
        assert planned.tasks.filter(kind="general", status="open").count() == 1
        # The report's child, or a walk-in: a legal-aid case with the lawyer on its team.
        legal = Case.objects.get(kind="legal_aid")
        assert legal.source in {"tip", "walk_in"}
        assert CaseMember.objects.filter(
            case=legal, user__username="lawyer", left_at__isnull=True
        ).exists()
        # Closed with a supervisor's approval, by someone other than who asked.
        closed = Case.objects.get(status="closed")
        assert closed.closed_by is not None and closed.closed_by.username == "center_staff"
        requested = closed.closure_requested_by
        assert requested is not None and requested.username == "counselor"
        assert closed.opened_at < timezone.now() - timedelta(days=60)
        # A crisis with its protocol: safety plan, guardian told, today's follow-up.
        crisis = Case.objects.get(risk="red_critical")
        assert crisis.kind == "crisis" and crisis.safety_plan and crisis.guardian_told_at
        follow_ups = CaseTask.objects.filter(case=crisis, kind="crisis_follow_up")
        assert [t.status for t in follow_ups.order_by("pk")] == ["done", "open"]
        assert Case.objects.count() == 4
        assert not Case.objects.exclude(area_code__startswith=demo.DEMO_TOWNSHIP)

    def test_it_dates_the_registrations_back_to_the_screenings(self) -> None:
        today = timezone.localdate()
        registered = [timezone.localtime(m.created_at).date() for m in Minor.objects.all()]
        assert sum(day < today for day in registered) > SEEDED * 0.9
        assert all(day <= today for day in registered)
        # The child director's own registrations are today's, as the audit log says.
        created = AuditEvent.objects.filter(
            action=AuditEvent.Action.CREATE, object_type="people.minor"
        )
        assert created.count() == demo.REGISTERED_BY_DIRECTOR
        ids = [event.minor_id for event in created if event.minor_id is not None]
        assert {
            timezone.localtime(m.created_at).date() for m in Minor.objects.filter(pk__in=ids)
        } == {today}

    def test_it_encrypts_and_indexes_the_bulk_loaded_id_numbers(self) -> None:
        minor = Minor.objects.exclude(id_number_index=None).order_by("-pk").first()
        assert minor is not None and passes_mod_11_2(minor.id_number)
        assert find_minor_for_emergency(id_number=minor.id_number.lower()) == minor
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number, address FROM people_minor WHERE id = %s", [minor.pk])
            raw_id, raw_address = cursor.fetchone()
        assert minor.id_number not in raw_id and raw_id.startswith("cc1$")
        assert "冷水滩" not in raw_address
        for row in Minor.objects.exclude(id_number_index=None):
            assert passes_mod_11_2(row.id_number)
        # Guardians are written by one executemany: still encrypted like save().
        guardian = next(g for g in Guardian.objects.order_by("-pk") if g.phone and g.id_number)
        assert passes_mod_11_2(guardian.id_number)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT phone, id_number FROM people_guardian WHERE id = %s", [guardian.pk]
            )
            raw_phone, raw_id = cursor.fetchone()
        assert raw_phone.startswith("cc1$") and guardian.phone not in raw_phone
        assert raw_id.startswith("cc1$") and guardian.id_number not in raw_id

    def test_it_reports_the_staff_counts_through_the_stats_command(self) -> None:
        today = timezone.localdate().isoformat()
        out = StringIO()
        call_command("stats", "--from", today, "--to", today, "--json", stdout=out)
        values = json.loads(out.getvalue())

        townships = Division.objects.within("431103").filter(level="township").count()
        villages = Division.objects.within("431103").filter(level="village").count()
        schools = Organisation.objects.filter(kind=Organisation.Kind.SCHOOL).count()
        kindergartens = sum(org.is_kindergarten for org in demo.SCHOOLS)
        assert townships == 18
        assert values["staff.child_supervisors"] == townships
        assert values["staff.child_directors"] == villages
        assert values["staff.school_psych_teachers"] == schools - kindergartens
        assert values["staff.social_workers"] == 2
        assert values["staff.counselors"] == 2
        assert values["staff.family_educators"] == 1
        assert values["staff.lawyers"] == 2

    def test_it_leaves_notifications_and_an_intact_audit_trail(self) -> None:
        admin = User.objects.get(username="district_admin")
        levels = set(Notification.objects.filter(recipient=admin).values_list("level", flat=True))
        # The desk's alerts about reports of harm include warnings (an urgent report).
        assert levels == {
            Notification.Level.INFO,
            Notification.Level.WARNING,
            Notification.Level.URGENT,
        }
        for username in demo.DEMO_USERNAMES:
            assert Notification.objects.filter(recipient__username=username).exists()

        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {
            AuditEvent.Action.GRANT,
            AuditEvent.Action.CREATE,
            AuditEvent.Action.VIEW,
            AuditEvent.Action.BREAK_GLASS,
        } <= actions
        # Every role was granted by the system administrator, one by one or in a batch.
        sysadmin = User.objects.get(username="sysadmin")
        granted: set[str] = set()
        for event in AuditEvent.objects.filter(
            action=AuditEvent.Action.GRANT, actor_id=sysadmin.pk
        ):
            if event.object_id:
                granted.add(User.objects.get(pk=event.object_id).username)
            granted.update(event.details.get("users", []))
        assert granted == set(
            User.objects.exclude(pk=sysadmin.pk).values_list("username", flat=True)
        )
        assert audit_verify().ok

    def test_it_lists_the_demo_logins(self) -> None:
        out = StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        assert demo.DEMO_PASSWORD in text
        for username in demo.DEMO_USERNAMES:
            assert f"  {username} " in text
        assert "花桥街镇中学" in text
        assert "TOTP" in text
        analyst_line = next(line for line in text.splitlines() if "  analyst " in line)
        assert not ROLE_SPECS[Role.ANALYST].requires_second_factor
        assert analyst_line.rstrip().endswith("-")
