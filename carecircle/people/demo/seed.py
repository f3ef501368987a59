"""``demo_seed``, the entry point of ``manage.py seed_demo``: the whole demo district in
one transaction, then the traces of a working day (key assistance marked by the
child director, views, a break-the-glass access, notifications)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, User
from carecircle.accounts.roles import Role
from carecircle.accounts.services import sysadmin_grant
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people import categories
from carecircle.people.categories import category_add_manual
from carecircle.people.demo.accounts import _accounts, _grants, _organisations
from carecircle.people.demo.district import (
    COUNTY,
    DEFAULT_MINORS,
    DEFAULT_SEED,
    DEMO_SCHOOL,
    DEMO_TOWNSHIP,
    DEMO_USERNAMES,
    DEMO_VILLAGE,
    _region_rows,
)
from carecircle.people.demo.load import (
    _bulk_load,
    _classes,
    _Loaded,
    _register,
    _registration_dates,
)
from carecircle.people.demo.planner import minor_rows
from carecircle.people.demo.staff import staff_plan
from carecircle.people.filters import open_category_q
from carecircle.people.models import Category, Minor
from carecircle.people.services import emergency_access_grant, minor_view
from carecircle.regions.data import lengshuitan
from carecircle.regions.models import Division
from carecircle.regions.services import divisions_load


@dataclass(frozen=True)
class DemoSummary:
    divisions: int
    organisations: int
    users: int
    minors: int
    households: int = 0
    guardians: int = 0
    classes: int = 0
    categorised: int = 0
    screened: int = 0
    visits: int = 0
    tips: int = 0
    cases: int = 0
    rooms: int = 0


def demo_loaded() -> bool:
    return User.objects.filter(username__in=DEMO_USERNAMES).exists()


def _key_assistance(director: User) -> int:
    """The child director marks the orphans and de-facto unsupported children of the
    village as key assistance targets (重点帮扶对象): the rules never derive it."""
    today = timezone.localdate()
    targets = Minor.objects.filter(
        open_category_q(Category.ORPHAN, on=today)
        | open_category_q(Category.DE_FACTO_UNSUPPORTED, on=today),
        area_code=DEMO_VILLAGE,
    ).order_by("pk")
    marked = 0
    for minor in targets:
        category_add_manual(
            actor=director,
            minor=minor,
            category=Category.KEY_ASSISTANCE,
            reason="摸底排查确定为重点帮扶对象：父母均无法履行抚养义务，由祖辈照料，"
            "每月至少走访一次。",
        )
        marked += 1
    return marked


def _activity(
    users: dict[str, User], registered: list[Minor], orgs: dict[str, Organisation]
) -> None:
    """The traces of a working day: views, a break-the-glass access, notifications."""
    director = users[Role.CHILD_DIRECTOR]
    for minor in registered:
        minor_view(actor=director, minor=minor, fields=["name", "birth_date", "id_number"])
    teacher = users[Role.SCHOOL_PSYCH_TEACHER]
    pupil = Minor.objects.filter(school=orgs[DEMO_SCHOOL]).order_by("pk").first()
    if pupil is not None:
        minor_view(actor=teacher, minor=pupil, fields=["name", "birth_date"])
    outsider = (
        Minor.objects.exclude(area_code__startswith=DEMO_TOWNSHIP)
        .exclude(id_number_index=None)
        .order_by("pk")
        .first()
    )
    if outsider is not None:
        emergency_access_grant(
            actor=director,
            minor=outsider,
            reason="孩子在本村走失后被村民送回，监护人联系不上，需核对身份并联系其户籍地儿童主任。",
        )
    notification_send(
        recipients=[users[name] for name in DEMO_USERNAMES],
        title=_("Welcome to the CareCircle demo"),
        body=_(
            "Everything here is invented demo data for %(district)s. Your home page shows "
            "the figures of your own scope."
        )
        % {"district": lengshuitan.COUNTY[1]},
        link="/",
    )
    if registered:
        village = Division.objects.get(prefix=DEMO_VILLAGE)
        notification_send(
            recipients=[users[Role.CHILD_SUPERVISOR]],
            title=_("%(count)d children were registered in %(village)s")
            % {"count": len(registered), "village": village.name},
            body=_("Registered by %(user)s.") % {"user": director.display_name},
            link="/minors/",
            level=Notification.Level.INFO,
        )


@transaction.atomic
def demo_seed(
    *,
    minors: int = DEFAULT_MINORS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Load the demo district: regions, organisations, staff, schools with their
    classes, households with their children and guardians, and some activity; the
    children's categories are then derived by the rule engine from those facts.

    All or nothing; refuses (ValidationError) when the demo users already exist.
    """
    if demo_loaded():
        raise ValidationError(_("The demo district is already loaded."))
    if minors < 0:
        raise ValidationError(_("The number of minors cannot be negative."))
    today = today or timezone.localdate()
    # Notification texts are rendered when they are created, in the district's language.
    with translation.override("zh-hans"):
        division_count = divisions_load(rows=_region_rows())
        divisions = {d.prefix: d for d in Division.objects.within(COUNTY)}
        plan = staff_plan(seed)
        users = _accounts(plan)
        sysadmin_grant(user=users[Role.SYSADMIN], division=divisions[COUNTY], via="seed_demo")
        orgs = _organisations(users[Role.SYSADMIN], divisions)
        _grants(plan, users, divisions, orgs)
        rows = minor_rows(seed=seed, count=minors, today=today)
        loaded = _Loaded()
        _register(rows, loaded, orgs, users[Role.CHILD_DIRECTOR])
        _bulk_load(rows, loaded, orgs, batch_size=batch_size, progress=progress)
        classes = _classes(loaded.pupils, orgs, seed=seed)
        _registration_dates(loaded.registered_on)
        # Derived, never written: the rule engine reads the facts just loaded.
        categorised = categories.categories_refresh_many(
            Minor.objects.all(), today=today, actor=None
        )
        _key_assistance(users[Role.CHILD_DIRECTOR])
        audit_record(
            actor=None,
            action=AuditEvent.Action.SYSTEM,
            object_type="people.minor",
            details={
                "event": "seed_demo",
                "minors": loaded.minors,
                "households": len(loaded.households),
                "guardians": loaded.guardians,
                "classes": classes,
                "seed": seed,
            },
            username="seed_demo",
        )
        _activity(users, loaded.registered, orgs)
        from carecircle.screening.demo import screening_demo_seed

        screened = screening_demo_seed(
            users=users, orgs=orgs, school_key=DEMO_SCHOOL, today=today, seed=seed
        )
        from carecircle.visits.demo import visits_demo_seed

        visited = visits_demo_seed(township=DEMO_TOWNSHIP, today=today, seed=seed)
        from carecircle.tips.demo import tips_demo_seed

        reported = tips_demo_seed(
            users=users, orgs=orgs, village=DEMO_VILLAGE, today=today, seed=seed
        )
        from carecircle.cases.demo import cases_demo_seed

        opened = cases_demo_seed(users=users, village=DEMO_VILLAGE, today=today)
        from carecircle.counseling.demo import counseling_demo_seed

        rooms = counseling_demo_seed(users=users, orgs=orgs)
    return DemoSummary(
        divisions=division_count,
        organisations=len(orgs),
        users=len(users),
        minors=loaded.minors,
        households=len(loaded.households),
        guardians=loaded.guardians,
        classes=classes,
        categorised=categorised,
        screened=screened,
        visits=visited,
        tips=reported,
        cases=opened,
        rooms=rooms,
    )
