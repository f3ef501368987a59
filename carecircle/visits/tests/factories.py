"""factory_boy factories for the visits tests: children, households, visits as stored.

``VisitFactory`` writes rows directly (any date, no service rules), for the due lists
and the statistics, which count what is stored; tests of recording go through
``services.visit_record``. ``seen_on(visit, *minors)`` adds the children seen, with
the copies a recorded visit keeps (day, village, household).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import factory
from django.utils import timezone

from carecircle.people.models import CategoryMembership, Household, Minor
from carecircle.people.names import name_keys
from carecircle.testing.fixtures import AREA_A, make_user
from carecircle.visits.models import Visit, VisitMinor


class HouseholdFactory(factory.django.DjangoModelFactory[Household]):
    class Meta:
        model = Household

    area_code = AREA_A


class MinorFactory(factory.django.DjangoModelFactory[Minor]):
    class Meta:
        model = Minor

    name = factory.Faker("name", locale="zh_CN")
    sex = "F"
    birth_date = date(2014, 6, 1)
    area_code = AREA_A

    class Params:
        young = factory.Trait(birth_date=date(2021, 6, 1))  # under 8 until mid-2029
        older = factory.Trait(birth_date=date(2009, 6, 1))  # 16 or more from mid-2025

    @classmethod
    def _create(cls, model_class: type[Minor], *args: Any, **kwargs: Any) -> Minor:
        kwargs["name_pinyin"], kwargs["name_initials"] = name_keys(kwargs["name"])
        return super()._create(model_class, *args, **kwargs)


def in_category(minor: Minor, category: str, since: date = date(2020, 1, 1), **extra: Any) -> None:
    CategoryMembership.objects.create(
        minor=minor,
        category=category,
        source=CategoryMembership.Source.MANUAL,
        reason="test",
        valid_from=since,
        **extra,
    )


def registered_on(minor: Minor, day: date) -> Minor:
    """Set the day the child entered the registry (the anchor of a first visit)."""
    minor.created_at = timezone.make_aware(datetime.combine(day, time(9)))
    Minor.objects.filter(pk=minor.pk).update(created_at=minor.created_at)
    return minor


class VisitFactory(factory.django.DjangoModelFactory[Visit]):
    class Meta:
        model = Visit

    kind = Visit.Kind.HOME
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    recorded_by = factory.LazyFunction(lambda: make_user(f"visitor-{uuid.uuid4().hex[:12]}"))
    area_code = AREA_A
    idempotency_key = factory.Sequence(lambda n: f"factory-key-{n:06d}")

    class Params:
        phone = factory.Trait(kind=Visit.Kind.PHONE)
        school = factory.Trait(kind=Visit.Kind.SCHOOL)
        follow_up = factory.Trait(follow_up_needed=True)

    @classmethod
    def on(cls, day: date, **kwargs: Any) -> Visit:
        """A visit at 10:00 local time on ``day``."""
        at = timezone.make_aware(datetime.combine(day, time(10)))
        return cls.create(occurred_at=at, **kwargs)


def seen_on(visit: Visit, *minors: Minor, flags: tuple[str, ...] = ()) -> list[VisitMinor]:
    day = timezone.localtime(visit.occurred_at).date()
    return [
        VisitMinor.objects.create(
            visit=visit,
            minor=minor,
            visited_on=day,
            area_code=minor.area_code,
            household_id=minor.household_id,
            risk_flags=list(flags),
        )
        for minor in minors
    ]


def visit(day: date, *minors: Minor, **kwargs: Any) -> Visit:
    """A visit on ``day`` that saw ``minors``."""
    made = VisitFactory.on(day, **kwargs)
    seen_on(made, *minors)
    return made


# Personas by what the pages let them do with visits (visits/permissions.py).
READERS = (
    "child_director",
    "child_supervisor",
    "social_worker",
    "center_staff",
    "district_admin",
    "counselor",
)
NOT_READERS = (
    "school_psych_teacher",
    "school_admin",
    "volunteer",
    "analyst",
    "auditor",
    "sysadmin",
)
