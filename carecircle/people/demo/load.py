"""Writing the planned children: the first few registered by the child director
through the services, the rest bulk-inserted with their households and guardians,
then dealt into school classes and dated back to the screening that entered them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice

from django.utils import timezone

from carecircle.accounts.models import Organisation, User
from carecircle.crypto.bulk import InstanceMaker, bulk_insert
from carecircle.people.demo.district import REGISTERED_BY_DIRECTOR, SCHOOLS, class_size
from carecircle.people.demo.identity import adult_name
from carecircle.people.demo.rows import DemoGuardian, DemoMinor
from carecircle.people.models import Guardian, Household, Minor, SchoolClass
from carecircle.people.names import name_keys
from carecircle.people.services import guardian_save, household_create, minor_create


@dataclass
class _Loaded:
    """What the loader wrote, for the summary and the classes."""

    minors: int = 0
    guardians: int = 0
    households: dict[int, Household] = field(default_factory=dict)
    # (minor pk, school key, grade) of every pupil, for the classes.
    pupils: list[tuple[int, str, int]] = field(default_factory=list)
    registered: list[Minor] = field(default_factory=list)
    # Bulk-loaded children by the day they entered the registry.
    registered_on: dict[date, list[int]] = field(default_factory=dict)


_new_minor = InstanceMaker(Minor)
_new_household = InstanceMaker(Household)
_new_guardian = InstanceMaker(Guardian)


def _minor(row: DemoMinor, orgs: dict[str, Organisation], household: Household) -> Minor:
    # bulk_insert bypasses minor_create, so the search keys are derived here.
    name_pinyin, name_initials = name_keys(row.name)
    return _new_minor(
        name_pinyin=name_pinyin,
        name_initials=name_initials,
        school=orgs[row.school] if row.school else None,
        household=household,
        **row.fields(),
    )


def _register(
    rows: Iterator[DemoMinor], loaded: _Loaded, orgs: dict[str, Organisation], director: User
) -> None:
    """The first children, registered by the child director through the services, so
    that the audit log shows real "created" events and their households and guardians."""
    for row in islice(rows, REGISTERED_BY_DIRECTOR):
        household = loaded.households.get(row.household.number)
        minor = minor_create(
            actor=director,
            school=orgs[row.school] if row.school else None,
            household=household,
            **row.fields(),
        )
        if household is None:
            fields = row.household.fields()
            del fields["area_code"], fields["address"]  # taken from the child
            household = household_create(actor=director, minor=minor, **fields)
            loaded.households[row.household.number] = household
        for guardian in row.guardians:
            guardian_save(actor=director, minor=minor, **guardian.fields())
        loaded.registered.append(minor)
        loaded.minors += 1
        loaded.guardians += len(row.guardians)
        if row.school and row.grade is not None:
            loaded.pupils.append((minor.pk, row.school, row.grade))


def _bulk_load(
    rows: Iterator[DemoMinor],
    loaded: _Loaded,
    orgs: dict[str, Organisation],
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> None:
    while batch := list(islice(rows, batch_size)):
        new = {
            row.household.number: _new_household(**row.household.fields())
            for row in batch
            if row.household.number not in loaded.households
        }
        # bulk_insert encrypts the encrypted fields and computes the ID number's
        # blind index as save() does.
        bulk_insert(list(new.values()))
        loaded.households.update(new)
        minors = [_minor(row, orgs, loaded.households[row.household.number]) for row in batch]
        bulk_insert(minors)
        guardians = [
            (minor.pk, guardian)
            for minor, row in zip(minors, batch, strict=True)
            for guardian in row.guardians
        ]
        insert_guardians(guardians)
        for minor, row in zip(minors, batch, strict=True):
            if row.school and row.grade is not None:
                loaded.pupils.append((minor.pk, row.school, row.grade))
            if row.registered_on is not None:
                loaded.registered_on.setdefault(row.registered_on, []).append(minor.pk)
        loaded.minors += len(minors)
        loaded.guardians += len(guardians)
        if progress is not None:
            progress(loaded.minors)


def insert_guardians(guardians: Sequence[tuple[int | None, DemoGuardian]]) -> None:
    """Insert (minor pk, guardian) rows: guardians are the largest table of the demo."""
    bulk_insert([_new_guardian(minor_id=pk, **guardian.fields()) for pk, guardian in guardians])


def _classes(
    pupils: list[tuple[int, str, int]], orgs: dict[str, Organisation], *, seed: int
) -> int:
    """Every grade of every school gets as many classes as its pupils need (at least
    one), named 1班, 2班…, with a head teacher; pupils are dealt round the classes."""
    rng = random.Random(f"carecircle-demo:{seed}:classes")  # noqa: S311 - demo data
    by_grade: dict[tuple[str, int], list[int]] = {}
    for pk, school, grade in pupils:
        by_grade.setdefault((school, grade), []).append(pk)
    planned: list[tuple[list[int], SchoolClass]] = []
    for org in SCHOOLS:
        low, high = org.grades or (0, -1)
        for grade in range(low, high + 1):
            members = by_grade.get((org.key, grade), [])
            count = max(1, -(-len(members) // class_size(org, grade)))
            for number in range(count):
                planned.append(
                    (
                        members[number::count],
                        SchoolClass(
                            school=orgs[org.key],
                            grade=grade,
                            name=f"{number + 1}班",
                            head_teacher=adult_name(rng),
                        ),
                    )
                )
    created = SchoolClass.objects.bulk_create([school_class for _m, school_class in planned])
    for (members, _planned), school_class in zip(planned, created, strict=True):
        for start in range(0, len(members), 500):
            Minor.objects.filter(pk__in=members[start : start + 500]).update(
                school_class=school_class
            )
    return len(created)


def _registration_dates(registered_on: dict[date, list[int]]) -> None:
    """Date the bulk-loaded records back to the screening that entered them
    (``created_at`` is set on insert, so it is corrected afterwards)."""
    zone = timezone.get_current_timezone()
    for day, pks in registered_on.items():
        moment = datetime.combine(day, time(9, 0), tzinfo=zone)
        for start in range(0, len(pks), 500):
            Minor.objects.filter(pk__in=pks[start : start + 500]).update(
                created_at=moment, updated_at=moment
            )
