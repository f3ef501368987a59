"""Benchmarks of the child registry (issue 3, item 9): roster import, list and search.

import_xlsx_100k, import_csv_100k
    ``import_minors`` of a 两表一册 roster (the 花名册 layout: the child, the school
    and class, father, mother and entrusted guardian) of 100,000 realistic rows from
    the demo district's planner (valid ID numbers, siblings, every family
    situation), as xlsx and as UTF-8 csv, into an empty registry: parsing, checking
    every cell, matching duplicates, writing the children and their guardians and
    deriving their categories, all in one all-or-nothing transaction. The baseline
    is a raw bulk insert of the same rows measured in the same run: one
    transaction of ``executemany`` INSERTs of the same values, already parsed, into
    the same tables (the children with their encrypted and blind-indexed fields,
    their classes and guardians). Goal: the import's rate ≥ 0.25 of the
    baseline's. ``BENCH_IMPORT_ROWS`` sets another number of rows (the figure's
    name stays); ``BENCH_IMPORT_RUNS`` how many runs the median takes (default 1
    at 100k, 3 below 20k).
minor_list_1m_vs_10k
    A child director's minors list as the page builds it (``MinorFilterForm`` on
    ``minors_visible_to``, the open categories prefetched, ordered by area and
    name, the count and the first page of 50) for a village of 400 children, with
    10,000 and then 1,000,000 minors in the table. Goal: the time at 1M ≤ 1.5 × the
    time at 10k.
minor_search_1m_vs_10k
    The same list searched (``?q=``) by initials (zs), full pinyin (zhang) and 汉字
    (张, 明), summed, at 10,000 and 1,000,000 minors. Goal ≤ 1.5.

``BENCH_FILL_ROWS`` lowers the 1,000,000 (for a quick try); filler rows go in by
executemany: these two figures time the reads, not the load.
"""

from __future__ import annotations

import csv
import io
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.utils import timezone

from bench.harness import Figure, default_row, insert_sql, note

IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
FILL_ROWS = int(os.environ.get("BENCH_FILL_ROWS", "1000000"))
SMALL_ROWS = 10_000
IN_VILLAGE = 400  # children in the child director's village, a large one
DIRECTOR = "bench_registry_director"
SEARCHES = ("zs", "zhang", "张", "明")
TODAY = date(2026, 11, 28)
SEED = 9


def _world() -> dict[str, Any]:
    """The demo district's divisions and schools, and a child director of its demo village."""
    from carecircle.accounts.models import Organisation, RoleAssignment, User
    from carecircle.accounts.roles import Role
    from carecircle.people import demo
    from carecircle.regions.models import Division
    from carecircle.regions.services import divisions_load

    _clear()
    divisions_load(rows=demo._region_rows())
    divisions = {d.prefix: d for d in Division.objects.within(demo.COUNTY)}
    schools: dict[str, Organisation] = {}
    for org in demo.SCHOOLS:
        schools[org.key], _created = Organisation.objects.get_or_create(
            name=org.name, kind=org.kind, defaults={"division": divisions[org.division]}
        )
    user = User.objects.filter(username=DIRECTOR).first()
    if user is None:
        user = User.objects.create_user(username=DIRECTOR, password=None, full_name="蒋丽")
        village = divisions[demo.DEMO_VILLAGE]
        RoleAssignment.objects.create(
            user=user, role=Role.CHILD_DIRECTOR, division=village, scope_prefix=village.prefix
        )
    return {"user": user, "schools": schools}


def _clear() -> None:
    """Empty the registry's tables (raw deletes: a million-row cascade through the
    ORM would take longer than the figure)."""
    from django.db import connection, transaction

    from carecircle.people.models import (
        CategoryMembership,
        EmergencyAccess,
        Guardian,
        Household,
        ImportBatch,
        Minor,
        SchoolClass,
    )

    with transaction.atomic(), connection.cursor() as cursor:
        for model in (
            EmergencyAccess,
            CategoryMembership,
            Guardian,
            ImportBatch,
            Minor,
            Household,
            SchoolClass,
        ):
            # Table names come from the models.
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Import ---------------------------------------------------------------------------


def _roster(rows: int) -> tuple[list[str], list[list[str]], list[Any]]:
    """Headers, cells and the planned children of a 花名册 of ``rows`` children."""
    from carecircle.people import demo, rosters
    from carecircle.people.models import Guardian

    layout = rosters.LAYOUTS["roster"]
    columns = layout.import_columns
    planned = list(demo.minor_rows(seed=SEED, count=rows, today=TODAY))
    schools = {org.key: org.name for org in demo.SCHOOLS}
    parents = (Guardian.Relation.FATHER, Guardian.Relation.MOTHER)
    cells: list[list[str]] = []
    for number, child in enumerate(planned, start=1):
        by_relation = {g.relation: g for g in child.guardians}
        carer = next((g for g in child.guardians if g.relation not in parents), None)
        values: dict[str, str] = {
            "seq": str(number),
            "name": child.name,
            "sex": rosters.enum_label("sex", child.sex),
            "ethnicity": rosters.enum_label("ethnicity", child.ethnicity),
            "birth_date": child.birth_date.isoformat(),
            "id_number": child.id_number,
            "area_code": child.area_code,
            "address": child.address,
            "schooling": rosters.enum_label("schooling", child.schooling),
            "school": schools.get(child.school, ""),
            "grade": rosters.enum_label("grade", child.grade) if child.school else "",
            "class_name": "1班" if child.school else "",
            "health": rosters.enum_label("health", child.health),
            "village_contact": child.household.village_contact,
            "village_contact_phone": child.household.village_contact_phone,
        }
        for prefix, relation in (("father", parents[0]), ("mother", parents[1])):
            parent = by_relation.get(relation)
            if parent is not None:
                values[f"{prefix}_name"] = parent.name
                values[f"{prefix}_state"] = rosters.enum_label("parent_state", parent.state)
                values[f"{prefix}_phone"] = parent.phone
        if carer is not None and carer.is_entrusted:
            values["entrusted_name"] = carer.name
            values["entrusted_relation"] = rosters.enum_label("relation", carer.relation)
            values["entrusted_phone"] = carer.phone
        cells.append([values.get(column.key, "") for column in columns])
    headers = [rosters.header_text(column) for column in columns]
    return headers, cells, planned


def _xlsx(headers: list[str], cells: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    from carecircle.people import rosters

    layout = rosters.LAYOUTS["roster"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(layout.sheet)
    sheet.append([layout.title])
    sheet.append([rosters.REPORTING_LINE])
    sheet.append(headers)
    for row in cells:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(headers: list[str], cells: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(cells)
    return buffer.getvalue().encode("utf-8")


def _bulk_insert(planned: list[Any], schools: dict[str, Any]) -> Callable[[], None]:
    """The baseline: the same rows, parsed already, inserted raw into the same tables.

    One transaction of ``executemany`` INSERTs with explicit primary keys (so the
    guardians need no read-back), each value prepared as the column stores it: the
    ID number, address and phones encrypted and the ID number blind-indexed, since
    that is what storing these rows costs whatever the code path.
    """
    from django.db import connection, transaction

    from carecircle.people.models import Guardian, Minor, SchoolClass
    from carecircle.people.names import name_keys

    keys = {child.name: name_keys(child.name) for child in planned}
    parents = (Guardian.Relation.FATHER, Guardian.Relation.MOTHER)
    minor_base, guardian_base = default_row(Minor), default_row(Guardian)
    minor_columns, guardian_columns = list(minor_base), list(guardian_base)
    fields: dict[str | None, Any] = {f.column: f for f in Minor._meta.concrete_fields}
    guardian_fields: dict[str | None, Any] = {f.column: f for f in Guardian._meta.concrete_fields}

    def prepared(field: Any, value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    def insert() -> None:
        with transaction.atomic():
            classes: dict[tuple[str, int], int] = {}
            next_minor = (
                Minor.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            ) + 1
            next_guardian = (
                Guardian.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            ) + 1
            minor_rows: list[tuple[Any, ...]] = []
            guardian_rows: list[tuple[Any, ...]] = []
            for offset, child in enumerate(planned):
                class_id = None
                if child.school and child.grade is not None:
                    key = (child.school, child.grade)
                    if key not in classes:
                        classes[key] = SchoolClass.objects.create(
                            school=schools[child.school], grade=child.grade, name="1班"
                        ).pk
                    class_id = classes[key]
                pinyin, initials = keys[child.name]
                row = dict(minor_base)
                row.update(
                    name=child.name,
                    name_pinyin=pinyin,
                    name_initials=initials,
                    sex=child.sex,
                    ethnicity=child.ethnicity,
                    birth_date=prepared(fields["birth_date"], child.birth_date),
                    id_number=prepared(fields["id_number"], child.id_number),
                    id_number_index=fields["id_number_index"].digest(child.id_number),
                    area_code=child.area_code,
                    address=prepared(fields["address"], child.address),
                    schooling=child.schooling,
                    school_id=schools[child.school].pk if child.school else None,
                    school_class_id=class_id,
                    health=child.health,
                )
                minor_id = next_minor + offset
                minor_rows.append((minor_id, *(row[c] for c in minor_columns)))
                for guardian in child.guardians:
                    if guardian.relation not in parents and not guardian.is_entrusted:
                        continue
                    g = dict(guardian_base)
                    g.update(
                        minor_id=minor_id,
                        relation=guardian.relation,
                        name=guardian.name,
                        state=guardian.state,
                        phone=prepared(guardian_fields["phone"], guardian.phone),
                        is_entrusted=guardian.is_entrusted,
                    )
                    guardian_rows.append(
                        (next_guardian + len(guardian_rows), *(g[c] for c in guardian_columns))
                    )
            with connection.cursor() as cursor:
                cursor.executemany(insert_sql(Minor, ["id", *minor_columns]), minor_rows)
                cursor.executemany(insert_sql(Guardian, ["id", *guardian_columns]), guardian_rows)

    return insert


def _import(data: bytes, filename: str) -> Callable[[], None]:
    from carecircle.people.imports import import_minors

    def run() -> None:
        report = import_minors(actor=None, data=data, filename=filename, dry_run=False)
        problems = list(report.problems)[:5]
        assert report.ok, f"the benchmark roster must import cleanly: {problems}"
        assert report.created == IMPORT_ROWS, (report.created, IMPORT_ROWS)

    return run


_ROSTER: dict[str, Any] = {}


def _import_figure(world: dict[str, Any], kind: str) -> Figure:
    from carecircle.people.models import Minor

    if "cells" not in _ROSTER:
        started = time.perf_counter()
        headers, cells, planned = _roster(IMPORT_ROWS)
        _ROSTER.update(headers=headers, cells=cells, planned=planned)
        note(f"roster of {IMPORT_ROWS} rows planned in {time.perf_counter() - started:.1f} s")
    headers, cells, planned = _ROSTER["headers"], _ROSTER["cells"], _ROSTER["planned"]
    if kind == "xlsx":
        data, filename = _xlsx(headers, cells), "花名册.xlsx"
    else:
        data, filename = _csv(headers, cells), "花名册.csv"
    note(f"import_{kind}: {len(data) / 1e6:.1f} MB file")
    runs = int(os.environ.get("BENCH_IMPORT_RUNS", "1" if IMPORT_ROWS >= 20_000 else "3"))
    baseline, subject = _bulk_insert(planned, world["schools"]), _import(data, filename)
    pairs = []
    for _run in range(runs):
        times = []
        for op in (baseline, subject):
            _clear()
            start = time.perf_counter()
            op()
            times.append(time.perf_counter() - start)
            assert Minor.objects.count() == IMPORT_ROWS
        pairs.append(times)
    _clear()
    raw_seconds = statistics.median(p[0] for p in pairs)
    import_seconds = statistics.median(p[1] for p in pairs)
    raw_rate, import_rate = IMPORT_ROWS / raw_seconds, IMPORT_ROWS / import_seconds
    note(
        f"import_{kind}: raw bulk insert {raw_rate:.0f} rows/s ({raw_seconds:.1f} s), "
        f"import {import_rate:.0f} rows/s ({import_seconds:.1f} s)"
    )
    return Figure(f"import_{kind}_100k", import_rate, "rows/s", import_rate / raw_rate, ">=0.25")


def import_xlsx_100k(world: dict[str, Any]) -> Figure:
    return _import_figure(world, "xlsx")


def import_csv_100k(world: dict[str, Any]) -> Figure:
    return _import_figure(world, "csv")


# --- List and search --------------------------------------------------------------------


class _Filler:
    """Grows the minors table with raw rows: the director's village keeps
    ``IN_VILLAGE`` children, the other villages of the district take the rest."""

    def __init__(self) -> None:
        from django.db import connection

        from carecircle.people import demo
        from carecircle.people.models import Minor
        from carecircle.people.names import name_keys

        self.rng = random.Random(SEED)
        base = default_row(Minor)
        self.columns = list(base)
        self.base = base
        self.sql = insert_sql(Minor, self.columns)
        self.others = [code for code, _n, _c in demo.villages() if code != demo.DEMO_VILLAGE]
        # Names with their search keys, drawn once: pinyin for a million names would
        # take longer than the figure.
        names = {demo.child_name(self.rng, self.rng.choice("MF")) for _ in range(6000)}
        self.names = [(name, *name_keys(name)) for name in sorted(names)]
        self.births = [
            connection.ops.adapt_datefield_value(date.fromordinal(TODAY.toordinal() - days))
            for days in range(0, 18 * 365, 7)
        ]
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())

    def row(self, area_code: str) -> tuple[Any, ...]:
        name, pinyin, initials = self.rng.choice(self.names)
        values = dict(self.base)
        values.update(
            name=name,
            name_pinyin=pinyin,
            name_initials=initials,
            sex=self.rng.choice("MF"),
            birth_date=self.rng.choice(self.births),
            area_code=area_code,
            status="active" if self.rng.random() < 0.98 else "moved_away",
            created_at=self.now,
            updated_at=self.now,
        )
        return tuple(values[c] for c in self.columns)

    def fill(self, total: int) -> None:
        from django.db import connection, transaction

        from carecircle.people import demo
        from carecircle.people.models import Minor

        in_village = Minor.objects.filter(area_code=demo.DEMO_VILLAGE).count()
        rows = [self.row(demo.DEMO_VILLAGE) for _ in range(IN_VILLAGE - in_village)]
        missing = total - Minor.objects.count() - len(rows)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            for start in range(0, missing, 50_000):
                chunk = [
                    self.row(self.rng.choice(self.others))
                    for _ in range(min(50_000, missing - start))
                ]
                cursor.executemany(self.sql, chunk)
        _analyze()
        note(f"filled to {total} minors in {time.perf_counter() - started:.1f} s")


def _list_page(user: Any, query: dict[str, str]) -> tuple[int, list[Any]]:
    """What the list page asks the database: the count and the first page of 50."""
    from django.core.paginator import Paginator
    from django.db.models import Prefetch, Q

    from carecircle.people.filters import MinorFilterForm
    from carecircle.people.models import CategoryMembership
    from carecircle.people.permissions import minors_visible_to

    form = MinorFilterForm(query)
    assert form.is_valid(), form.errors
    minors = form.apply(minors_visible_to(user), today=TODAY)
    current = CategoryMembership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=TODAY), valid_from__lte=TODAY
    ).order_by("category")
    minors = minors.select_related("school", "school_class").prefetch_related(
        Prefetch("categories", queryset=current, to_attr="open_categories")
    )
    page = Paginator(minors.order_by("area_code", "name", "pk"), 50).get_page(1)
    return page.paginator.count, list(page)


def _timed(user: Any, queries: list[dict[str, str]], repeats: int = 20) -> float:
    """Median seconds of running every query once (count and first page each)."""
    from carecircle.accounts.models import User

    user = User.objects.get(pk=user.pk)  # a fresh object: no cached role assignments
    for query in queries:
        _list_page(user, query)  # warm the cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for query in queries:
            _list_page(user, query)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plan(user: Any, query: dict[str, str], *, count: bool = False) -> str:
    """The query plan of the first page, or of the page's count."""
    from django.db import connection

    from carecircle.people.filters import MinorFilterForm
    from carecircle.people.permissions import minors_visible_to

    form = MinorFilterForm(query)
    assert form.is_valid()
    queryset = form.apply(minors_visible_to(user), today=TODAY)
    if count:
        from django.test.utils import CaptureQueriesContext

        # The statement ``count()`` really runs, as the database received it.
        with CaptureQueriesContext(connection) as captured:
            queryset.count()
        text, params = captured.captured_queries[-1]["sql"], ()
    else:
        page = queryset.order_by("area_code", "name")[:50]
        text, params = page.query.get_compiler(using="default").as_sql()  # type: ignore[assignment]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + text, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


_TIMES: dict[str, dict[int, float]] = {}


def _scaling(world: dict[str, Any]) -> dict[str, dict[int, float]]:
    """Both figures' times at 10k and at the fill size, measured in one fill."""
    if _TIMES:
        return _TIMES
    _clear()
    filler = _Filler()
    user = world["user"]
    # The list as it opens, and narrowed to an age band (a filter of the same page).
    lists: list[dict[str, str]] = [{}, {"age": "6-13"}]
    searches = [{"q": q} for q in SEARCHES]
    for total in (SMALL_ROWS, FILL_ROWS):
        filler.fill(total)
        count, page = _list_page(user, {})
        assert count >= IN_VILLAGE * 0.9 and len(page) == 50, (count, len(page))
        _TIMES.setdefault("list", {})[total] = _timed(user, lists)
        _TIMES.setdefault("search", {})[total] = _timed(user, searches)
        each = ", ".join(
            f"{query or 'no filter'} {_timed(user, [query], repeats=3) * 1e3:.1f} ms"
            for query in (*lists, *searches)
        )
        note(f"at {total} minors: {each}")
    for name, query in (("list", {}), ("search zs", {"q": "zs"}), ("search 张", {"q": "张"})):
        note(f"plan of the {name} page at {FILL_ROWS}: {_plan(user, query)}")
    for query in lists:
        plan = _plan(user, query, count=True)
        note(f"plan of the count of {query or 'the list'} at {FILL_ROWS}: {plan}")
    _clear()
    return _TIMES


def _scaling_figure(world: dict[str, Any], kind: str) -> Figure:
    times = _scaling(world)[kind]
    small, large = times[SMALL_ROWS], times[FILL_ROWS]
    note(f"minor_{kind}: {small * 1e3:.2f} ms at {SMALL_ROWS}, {large * 1e3:.2f} ms at {FILL_ROWS}")
    return Figure(f"minor_{kind}_1m_vs_10k", large * 1e3, "ms", large / small, "<=1.5")


def minor_list_1m_vs_10k(world: dict[str, Any]) -> Figure:
    return _scaling_figure(world, "list")


def minor_search_1m_vs_10k(world: dict[str, Any]) -> Figure:
    return _scaling_figure(world, "search")


FIGURES = {
    "import_xlsx_100k": import_xlsx_100k,
    "import_csv_100k": import_csv_100k,
    "minor_list_1m_vs_10k": minor_list_1m_vs_10k,
    "minor_search_1m_vs_10k": minor_search_1m_vs_10k,
}


def run(names: list[str]) -> list[Figure]:
    world = _world()
    return [FIGURES[name](world) for name in names]
