"""Benchmarks of the visit lists (issue 5, item 7; PERFORMANCE.md G10, G12).

The world: a county of its own (431102, apart from the other figures' children) of
20 townships with 10 villages each; its children carry the categories that give
them a visit rule (one in five an orphan or de facto unsupported: monthly; half
left behind: quarterly; the rest none) and ten visits each over the two years
before the day measured, the last of them spread so that some children are due,
some overdue and some visited on time. A township child supervisor follows one
township; a district administrator the whole county.

The district grows from ``SMALL`` children (10,000, with 100,000 visits) to
``LARGE`` (100,000, with 1,000,000 visits); ``BENCH_VISITS_SCALE=10`` makes them
100,000 and 1,000,000 children (10,000,000 visits), the issue's province-sized
district. The supervisor's township keeps its 2,000 children: only the others'
grow. Filler rows go in through executemany, with their keys given: the figures
time the reads, not the load.

visits_overdue_supervisor
    The supervisor's overdue list as the page shows it (``due.overdue``: the first
    50, longest overdue first, and how many there are) and the coverage per village.
    Value: milliseconds at the large size; ratio: large / small. Goal ≤ 1.5 (the
    issue): the cost follows the scope, an index range on the area code, not the
    size of the database.
visits_overdue_district
    The district administrator's overdue list over the whole county, the same two
    sizes. Here the scope grows with the district, so the ratio is of the time per
    child in scope (large / small). Goal ≤ 1.5: no worse than linear in the children
    followed.
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta
from typing import Any

from bench.harness import Figure, default_row, insert_sql, note

SCALE = int(os.environ.get("BENCH_VISITS_SCALE", "1"))
SMALL, LARGE = 10_000 * SCALE, 100_000 * SCALE
IN_TOWNSHIP = 2_000
VISITS_EACH = 10
COUNTY = "431102"
TOWNSHIPS = [f"{COUNTY}{n:03d}" for n in range(101, 121)]
VILLAGES = {township: [f"{township}{v:03d}" for v in range(200, 210)] for township in TOWNSHIPS}
SUPERVISED = TOWNSHIPS[0]
OTHER_VILLAGES = [v for township in TOWNSHIPS[1:] for v in VILLAGES[township]]
PAGE = 50
RUNS = 5
SEED = 11

FIGURES = ("visits_overdue_supervisor", "visits_overdue_district")


def _world() -> dict[str, Any]:
    from carecircle.accounts.models import RoleAssignment, User
    from carecircle.accounts.roles import Role
    from carecircle.regions.models import Division
    from carecircle.regions.services import divisions_load

    rows = [("43", "湖南省", ""), ("4311", "永州市", ""), (COUNTY, "零陵区", "")]
    for n, township in enumerate(TOWNSHIPS, start=1):
        rows.append((township, f"第{n}镇", ""))
        rows += [(v, f"第{n}镇{v[-3:]}村", "220") for v in VILLAGES[township]]
    divisions_load(rows=rows)
    supervisor = User.objects.create_user(
        username="bench_supervisor", password=None, full_name="周督导"
    )
    RoleAssignment.objects.create(
        user=supervisor,
        role=Role.CHILD_SUPERVISOR,
        division=Division.objects.get(prefix=SUPERVISED),
        scope_prefix=SUPERVISED,
    )
    admin = User.objects.create_user(username="bench_district", password=None, full_name="区管理员")
    county = Division.objects.get(prefix=COUNTY)
    RoleAssignment.objects.create(
        user=admin, role=Role.DISTRICT_ADMIN, division=county, scope_prefix=COUNTY
    )
    return {"supervisor": supervisor, "admin": admin, "recorder": supervisor, "next": {}}


class _Filler:
    """Children with categories and visits, inserted raw with their keys given."""

    def __init__(self, world: dict[str, Any], today: date) -> None:
        from django.db import connection

        from carecircle.people.models import Category, CategoryMembership, Minor
        from carecircle.visits.models import Visit, VisitMinor

        self.world, self.today, self.rng = world, today, random.Random(SEED)
        self.keys = itertools.count()
        self.connection = connection
        self.models = {
            "minor": Minor,
            "membership": CategoryMembership,
            "visit": Visit,
            "seen": VisitMinor,
        }
        self.base = {name: default_row(model) for name, model in self.models.items()}
        self.sql = {
            name: insert_sql(model, ["id", *self.base[name]]) for name, model in self.models.items()
        }
        self.categories = [
            (0.1, Category.ORPHAN),
            (0.2, Category.DE_FACTO_UNSUPPORTED),
            (0.7, Category.RURAL_LEFT_BEHIND),
        ]
        self.date = connection.ops.adapt_datefield_value
        self.stamp = connection.ops.adapt_datetimefield_value

    def _next_id(self, name: str) -> int:
        keys: dict[str, int] = self.world["next"]
        if name not in keys:
            model: Any = self.models[name]
            found = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            keys[name] = (found or 0) + 1
        keys[name] += 1
        return keys[name] - 1

    def _row(self, table: str, **values: Any) -> tuple[Any, ...]:
        row = dict(self.base[table])
        row.update(values)
        return (self._next_id(table), *row.values())

    def children(self, count: int, villages: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        rng, today = self.rng, self.today
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.models}
        from django.utils import timezone

        registered = self.stamp(
            timezone.make_aware(datetime.combine(today - timedelta(days=800), datetime.min.time()))
        )
        recorder = self.world["recorder"].pk
        for _ in range(count):
            area = rng.choice(villages)
            row = self._row(
                "minor",
                name="王" + rng.choice("明华伟芳娜秀英敏静丽") + rng.choice("强磊军洋勇艳杰娟涛超"),
                sex=rng.choice("MF"),
                birth_date=self.date(date(2010 + rng.randrange(12), 1 + rng.randrange(12), 1)),
                area_code=area,
                status="active",
                created_at=registered,
                updated_at=registered,
            )
            minor_id = row[0]
            rows["minor"].append(row)
            draw = rng.random()
            category = next((c for share, c in self.categories if draw < share), None)
            if category is not None:
                rows["membership"].append(
                    self._row(
                        "membership",
                        minor_id=minor_id,
                        category=category,
                        source="manual",
                        bucket="",
                        reason="认定",
                        valid_from=self.date(today - timedelta(days=700)),
                    )
                )
            # Ten visits, the last 0-120 days ago: with monthly and quarterly rules
            # some children are overdue, some due this week, most on time.
            last = rng.randrange(0, 120)
            for n in range(VISITS_EACH):
                day = today - timedelta(days=last + n * 60 + rng.randrange(10))
                occurred = datetime.combine(day, datetime.min.time()).replace(hour=10)
                visit = self._row(
                    "visit",
                    kind="home",
                    occurred_at=self.stamp(timezone.make_aware(occurred)),
                    recorded_by_id=recorder,
                    area_code=area,
                    idempotency_key=f"bench-{next(self.keys)}",
                )
                visit_id = visit[0]
                rows["visit"].append(visit)
                rows["seen"].append(
                    self._row(
                        "seen",
                        visit_id=visit_id,
                        minor_id=minor_id,
                        visited_on=self.date(day),
                        area_code=area,
                    )
                )
        return rows

    def add(self, count: int, villages: list[str]) -> None:
        from django.core.management.color import no_style
        from django.db import transaction

        rows = self.children(count, villages)
        with transaction.atomic(), self.connection.cursor() as cursor:
            for name in ("minor", "membership", "visit", "seen"):
                cursor.executemany(self.sql[name], rows[name])
            # Keys were given: the sequences move past them (PostgreSQL).
            for statement in self.connection.ops.sequence_reset_sql(
                no_style(), list(self.models.values())
            ):
                cursor.execute(statement)
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _median_ms(run: Any) -> float:
    run()  # warm: the first call compiles and fills caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _lists(user: Any, today: date) -> tuple[float, int]:
    """Milliseconds for the overdue page (first 50 and the count) and the count."""
    from carecircle.visits import due

    counted: list[int] = []

    def page() -> None:
        listed = due.overdue(user, on=today)
        rows = list(listed.values_list("pk", "next_due_on")[:PAGE])
        counted[:] = [listed.count()]
        assert len(rows) == min(PAGE, counted[0])

    return _median_ms(page), counted[0]


def _coverage_ms(user: Any, today: date, length: int) -> float:
    from carecircle.visits import due

    return _median_ms(lambda: due.coverage(user, length=length, on=today))


def _loaded(children: int, started: float) -> None:
    seconds = time.perf_counter() - started
    note(f"visits: {children} children, {children * VISITS_EACH} visits loaded in {seconds:.0f} s")


def run(names: list[str]) -> list[Figure]:
    from django.utils import timezone

    from carecircle.people.models import Minor
    from carecircle.visits.due import TOWNSHIP, VILLAGE

    world = _world()
    today = timezone.localdate()
    filler = _Filler(world, today)
    supervisor, admin = world["supervisor"], world["admin"]
    started = time.perf_counter()
    filler.add(IN_TOWNSHIP, VILLAGES[SUPERVISED])
    filler.add(SMALL - IN_TOWNSHIP, OTHER_VILLAGES)
    _loaded(SMALL, started)
    small_supervisor, supervised = _lists(supervisor, today)
    small_admin, small_overdue = _lists(admin, today)
    small_villages = _coverage_ms(supervisor, today, VILLAGE)
    started = time.perf_counter()
    filler.add(LARGE - SMALL, OTHER_VILLAGES)
    _loaded(LARGE, started)
    large_supervisor, supervised_after = _lists(supervisor, today)
    large_admin, large_overdue = _lists(admin, today)
    large_villages = _coverage_ms(supervisor, today, VILLAGE)
    townships = _coverage_ms(admin, today, TOWNSHIP)
    assert supervised == supervised_after, (supervised, supervised_after)
    in_county = Minor.objects.filter(area_code__startswith=COUNTY).count()
    assert in_county == LARGE, in_county
    note(
        f"visits_overdue_supervisor: {small_supervisor:.1f} ms at {SMALL}, "
        f"{large_supervisor:.1f} ms at {LARGE} ({supervised} of {IN_TOWNSHIP} overdue); "
        f"coverage per village {small_villages:.1f} -> {large_villages:.1f} ms"
    )
    note(
        f"visits_overdue_district: {small_admin:.0f} ms at {SMALL} ({small_overdue} overdue), "
        f"{large_admin:.0f} ms at {LARGE} ({large_overdue} overdue); "
        f"coverage per township {townships:.0f} ms"
    )
    figures = {
        "visits_overdue_supervisor": Figure(
            "visits_overdue_supervisor",
            large_supervisor,
            "ms",
            large_supervisor / small_supervisor,
            "<=1.5",
        ),
        "visits_overdue_district": Figure(
            "visits_overdue_district",
            large_admin,
            "ms",
            (large_admin / LARGE) / (small_admin / SMALL),
            "<=1.5",
        ),
    }
    return [figures[name] for name in names]
