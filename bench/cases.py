"""Benchmarks of the case lists and the room rota (issue 7, item 10; PERFORMANCE.md G8, G12).

The world: a county of its own (431122, apart from the other figures' children) of
20 townships with 10 villages each. Every case has a child of its own, an owner
(one of the county's counselors, about 40 cases each), two tasks and ten sessions;
one case in five is open, and an open case's second task is open and due between
20 days ago and 40 days ahead, so that about a third of them are overdue. The
counseling rooms (60 of them, at the centre, the governance center and schools)
each have ten half-day shifts a week, cut into four 50-minute slots; three slots
in five are booked, and four appointments in five were held, each with its session
in the room. The sessions that no slot explains are held by phone, online or at
home: ten sessions per case in all.

The district grows from ``SMALL`` cases (10,000, with 100,000 sessions and a year
of rota) to ``LARGE`` (100,000 cases, 1,000,000 sessions and ten years of rota): a
larger file and a longer history. What one person looks at stays the same size:
the counselor's own 40 cases, the supervised township's ``IN_TOWNSHIP`` cases (only
the other townships grow, as in bench/visits.py) and one room's week. Filler rows
go in with their keys given, through executemany on SQLite and COPY on PostgreSQL,
followed by ANALYZE (VACUUM ANALYZE on PostgreSQL): the figures time the reads, not
the load. ``BENCH_CASES_SCALE=0.1`` shrinks everything for a quick try.

Each figure is one request's work after what runs before the view: the user is
loaded (``AuthenticationMiddleware``) and its role assignments with it
(``SecondFactorRequiredMiddleware`` asks ``requires_second_factor``, which caches
``permissions.assignments`` on the request's user), outside the timing and the
rows examined: those are the same for every page, and not what grows with the
district.

cases_counselor_list
    The counselor's case list as the page shows it: ``selectors.case_list`` with the
    page's default filters (open cases) through the page's ``Paginator`` (the count
    and the first page of 50), for a user loaded afresh as each request does, its
    role assignments loaded before the measured statements as the middleware does:
    the figures are the list's own queries, not the per-request role lookup.
cases_overdue_supervisor
    The overdue open tasks of open cases in the centre staff member's township:
    the 50 longest overdue (with case, child and assignee) and how many there are.
    ``cases.dashboards.selectors.overdue_tasks(user)``, as the page calls it.
counseling_room_week
    One room's rota for a week as the rota page reads it:
    ``counseling.selectors.room_week(room, monday, user, may_book=True)``, for the
    county's counselor (whose role assignment reaches every room of the county) with
    the room loaded as the view loads it (``get_room_for_user``). The selector reads
    the room's shifts of the week with their counselors, their live appointments
    with their cases, and which of those cases the counselor reads
    (``cases_visible_to``): about half of that week's appointments in that room are
    the counselor's own cases, the others are not.

Each is timed (median of ``RUNS``) at both sizes: value in ms at the large size,
ratio large / small, goal ≤ 1.5. Each ``<name>_rows`` figure is the rows the
database examined for it at the large size (value), against the rows it returned
(ratio), goal ≤ 10. A count returns the rows it counts. On PostgreSQL the rows
examined are read from ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` of every
statement the operation ran: over the scan nodes, the rows they produced plus the
rows their filters removed, times their loops (a Bitmap Index Scan is left out:
its heap scan counts the same rows). PostgreSQL 15 rounds those per-loop counts to
whole rows, so an inner loop finding under one row a time counts as none. SQLite
in this build has no per-loop row counts (no SQLITE_ENABLE_STMT_SCANSTATUS), so
there the figure is an estimate from ``EXPLAIN QUERY PLAN``, not a measurement:
each SEARCH the plan names counts the rows of its index range over all its outer
rows, computed as COUNTs over the same predicates (``ESTIMATES``); a full SCAN of a
big table, or a search through an index the estimate does not follow, counts the
whole table. The note on stderr shows the plans either figure was read from.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from bench.harness import Figure, default_row, insert_sql, note

SCALE = float(os.environ.get("BENCH_CASES_SCALE", "1"))
SMALL, LARGE = int(10_000 * SCALE), int(100_000 * SCALE)
SESSIONS_EACH = 10
SMALL_YEARS, LARGE_YEARS = 1, 10
IN_TOWNSHIP = int(1_000 * SCALE)
COUNSELOR_CASES = 40
ROOMS = max(int(60 * SCALE), 6)
SHIFTS_PER_WEEK = 10
SLOTS_PER_SHIFT = 4
SLOT_MINUTES = 50
OPEN_SHARE = 0.2
BOOKED_SHARE = 0.6
HELD_SHARE = 0.8
COUNTY = "431122"
TOWNSHIPS = [f"{COUNTY}{n:03d}" for n in range(101, 121)]
VILLAGES = {township: [f"{township}{v:03d}" for v in range(200, 210)] for township in TOWNSHIPS}
SUPERVISED = TOWNSHIPS[0]
OTHER_VILLAGES = [v for township in TOWNSHIPS[1:] for v in VILLAGES[township]]
ALL_VILLAGES = [v for township in TOWNSHIPS for v in VILLAGES[township]]
PAGE = 50
RUNS = 15
SEED = 23
CHUNK = 20_000
ROWS_GOAL = "<=10"
# The share of the measured room's appointments in the measured week that are the
# counselor's own cases (readable by the viewer); the others are anyone's.
OWN_SHARE = 0.5

FIGURES = (
    "cases_counselor_list",
    "cases_counselor_list_rows",
    "cases_overdue_supervisor",
    "cases_overdue_supervisor_rows",
    "counseling_room_week",
    "counseling_room_week_rows",
)
# Tables a full scan of which is a failure of the plan, whatever the figure.
BIG_TABLES = (
    "cases_case",
    "cases_casemember",
    "cases_casetask",
    "cases_session",
    "cases_sessionattendee",
    "counseling_shift",
    "counseling_appointment",
    "people_minor",
)


# --- The world -----------------------------------------------------------------------


def _world(now: datetime) -> dict[str, Any]:
    from django.utils import timezone

    from carecircle.accounts.models import Organisation, RoleAssignment, User
    from carecircle.accounts.roles import Role
    from carecircle.counseling.models import Room
    from carecircle.regions.models import Division
    from carecircle.regions.services import divisions_load

    rows = [("43", "湖南省", ""), ("4311", "永州市", ""), (COUNTY, "东安县", "")]
    for n, township in enumerate(TOWNSHIPS, start=1):
        rows.append((township, f"第{n}镇", ""))
        rows += [(v, f"第{n}镇{v[-3:]}村", "220") for v in VILLAGES[township]]
    divisions_load(rows=rows)
    county = Division.objects.get(prefix=COUNTY)
    counselor = User.objects.create_user(
        username="bench_counselor", password=None, full_name="李咨询"
    )
    RoleAssignment.objects.create(
        user=counselor, role=Role.COUNSELOR, division=county, scope_prefix=COUNTY
    )
    supervisor = User.objects.create_user(
        username="bench_centre", password=None, full_name="周中心"
    )
    RoleAssignment.objects.create(
        user=supervisor,
        role=Role.CENTER_STAFF,
        division=Division.objects.get(prefix=SUPERVISED),
        scope_prefix=SUPERVISED,
    )
    centre = Organisation.objects.create(
        name="东安县未成年人保护中心", kind=Organisation.Kind.PROTECTION_CENTER, division=county
    )
    kinds = [Room.Kind.CENTER] * 4 + [Room.Kind.GOVERNANCE_CENTER] * 2
    kinds += [Room.Kind.SCHOOL] * (ROOMS - len(kinds))
    rooms = Room.objects.bulk_create(
        Room(
            name=f"心理辅导室{n:02d}",
            kind=kind,
            organisation=centre,
            area_code=ALL_VILLAGES[n % len(ALL_VILLAGES)],
            created_by=supervisor,
        )
        for n, kind in enumerate(kinds, start=1)
    )
    # The week measured: the last whole week, Monday to Monday, in the local zone.
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday() + 7)
    week = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    return {
        "counselor": counselor,
        "supervisor": supervisor,
        "rooms": [room.pk for room in rooms],
        "room": rooms[len(rooms) // 2].pk,
        "week": week,
        "monday": monday,
        "now": now,
    }


class _Filler:
    """Cases, their children, teams, tasks, sessions and the rota, inserted raw."""

    def __init__(self, world: dict[str, Any]) -> None:
        from django.contrib.auth.hashers import make_password
        from django.db import connection

        from carecircle.accounts.models import User
        from carecircle.cases.models import Case, CaseMember, CaseTask, Session, SessionAttendee
        from carecircle.counseling.models import Appointment, Shift
        from carecircle.people.models import Minor

        self.world, self.rng = world, random.Random(SEED)
        self.connection = connection
        self.models: dict[str, Any] = {
            "user": User,
            "minor": Minor,
            "case": Case,
            "member": CaseMember,
            "task": CaseTask,
            "shift": Shift,
            "appointment": Appointment,
            "session": Session,
            "attendee": SessionAttendee,
        }
        self.base = {name: default_row(model) for name, model in self.models.items()}
        self.columns = {name: ["id", *base] for name, base in self.base.items()}
        self.sql = {
            name: insert_sql(model, self.columns[name]) for name, model in self.models.items()
        }
        self.next: dict[str, int] = {}
        self.stamp = connection.ops.adapt_datetimefield_value
        self.day = connection.ops.adapt_datefield_value
        # Every filler row carries the same ciphertext: encrypting once is enough for
        # a read path that decrypts, and keeps the load fast.
        self.summary = Case._meta.get_field("summary").get_db_prep_save(
            "学校转介：情绪低落，需要心理辅导。", connection
        )
        # An unusable password: the filler counselors never log in.
        self.password = make_password(None)
        self.counselors: list[int] = []
        self.cases: list[tuple[int, int, int]] = []  # (case, minor, owner)
        self.own: list[tuple[int, int, int]] = []  # the measured counselor's, as above
        self.weeks_built = 0

    def _key(self, name: str) -> int:
        if name not in self.next:
            found = self.models[name].objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next[name] = (found or 0) + 1
        self.next[name] += 1
        return self.next[name] - 1

    def _row(self, table: str, **values: Any) -> tuple[Any, ...]:
        row = dict(self.base[table])
        row.update(values)
        return (self._key(table), *row.values())

    def _insert(self, name: str, rows: Iterator[tuple[Any, ...]]) -> int:
        if self.connection.vendor == "postgresql":
            return self._copy(name, rows)
        count = 0
        batch: list[tuple[Any, ...]] = []
        with self.connection.cursor() as cursor:
            for row in rows:
                batch.append(row)
                if len(batch) == CHUNK:
                    cursor.executemany(self.sql[name], batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(self.sql[name], batch)
                count += len(batch)
        return count

    def _copy(self, name: str, rows: Iterator[tuple[Any, ...]]) -> int:
        """COPY on PostgreSQL: executemany through the driver loads a few thousand
        rows a second there, which would make the large world take many minutes."""
        quote = self.connection.ops.quote_name
        table = quote(self.models[name]._meta.db_table)
        columns = ", ".join(quote(c) for c in self.columns[name])
        # Drawn before the COPY starts: making a row may query (the next key), and
        # the connection is busy until the COPY ends.
        rows = iter(list(rows))
        count = 0
        self.connection.ensure_connection()
        statement = f"COPY {table} ({columns}) FROM STDIN"  # identifiers from the model
        with (
            self.connection.connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def _users(self, count: int) -> Iterator[tuple[Any, ...]]:
        joined = self.stamp(self.world["now"])
        for _ in range(count):
            key = self.next.get("user", 0)
            row = self._row(
                "user",
                username=f"bench_c{key}",
                full_name="张" + self.rng.choice("明华伟芳娜秀英敏静丽"),
                password=self.password,
                date_joined=joined,
            )
            self.counselors.append(row[0])
            yield row

    def _cases(self, count: int, villages: list[str], years: int) -> dict[str, list[Any]]:
        """Rows for ``count`` cases in ``villages``, opened over the last ``years``."""
        rng, now = self.rng, self.world["now"]
        rows: dict[str, list[Any]] = {"minor": [], "case": [], "member": [], "task": []}
        for _ in range(count):
            area = rng.choice(villages)
            opened = now - timedelta(days=rng.uniform(1, 365 * years))
            minor = self._minor(area, opened)
            rows["minor"].append(minor)
            owner = rng.choice(self.counselors)
            self._case(minor[0], area, owner, opened, rng.random() < OPEN_SHARE, rows)
        return rows

    def _minor(self, area: str, registered: datetime) -> tuple[Any, ...]:
        rng, now = self.rng, self.world["now"]
        born = (now - timedelta(days=rng.randrange(6 * 365, 17 * 365))).date()
        return self._row(
            "minor",
            name="王" + rng.choice("明华伟芳娜秀英敏静丽") + rng.choice("强磊军洋勇艳杰"),
            sex=rng.choice("MF"),
            birth_date=self.day(born),
            area_code=area,
            status="active",
            created_at=self.stamp(registered),
            updated_at=self.stamp(registered),
        )

    def _case(
        self,
        minor_id: int,
        area: str,
        owner: int,
        opened: datetime,
        is_open: bool,
        rows: dict[str, list[Any]],
    ) -> int:
        from carecircle.cases.models import CaseMember, CaseTask, Kind, Risk, Source, Status

        rng, now, stamp = self.rng, self.world["now"], self.stamp
        supervisor = self.world["supervisor"].pk
        status = (
            rng.choice([s for s in Status.values if s != Status.CLOSED])
            if is_open
            else Status.CLOSED
        )
        closed_at = None if is_open else stamp(min(opened + timedelta(days=90), now))
        case = self._row(
            "case",
            kind=rng.choice(Kind.values),
            minor_id=minor_id,
            area_code=area,
            status=status,
            source=rng.choice(Source.values),
            summary=self.summary,
            risk=rng.choice(Risk.values[:3]),
            closed_by_id=None if is_open else supervisor,
            closed_at=closed_at,
            opened_by_id=owner,
            opened_at=stamp(opened),
            updated_at=stamp(opened),
        )
        rows["case"].append(case)
        case_id = case[0]
        self.cases.append((case_id, minor_id, owner))
        rows["member"].append(
            self._row(
                "member",
                case_id=case_id,
                user_id=owner,
                role=CaseMember.Role.COUNSELOR,
                is_owner=True,
                added_by_id=owner,
                added_at=stamp(opened),
            )
        )
        first_due = opened + timedelta(days=7)
        rows["task"].append(
            self._row(
                "task",
                case_id=case_id,
                title="首次评估",
                assigned_to_id=owner,
                due_at=stamp(first_due),
                status=CaseTask.Status.DONE,
                done_by_id=owner,
                done_at=stamp(first_due),
                created_at=stamp(opened),
            )
        )
        if is_open:
            days = rng.uniform(-20, 40)
            # Not within a day of now: the list is read minutes apart, and a task
            # falling due between two readings would change what it shows.
            due = now + timedelta(days=days if abs(days) >= 1 else days + 2)
            task: dict[str, Any] = {
                "status": CaseTask.Status.OPEN,
                "done_by_id": None,
                "done_at": None,
            }
        else:
            due = opened + timedelta(days=60)
            task = {
                "status": CaseTask.Status.DONE,
                "done_by_id": owner,
                "done_at": stamp(due),
            }
        rows["task"].append(
            self._row(
                "task",
                case_id=case_id,
                title="计划复查",
                kind=CaseTask.Kind.REVIEW,
                assigned_to_id=owner,
                due_at=stamp(due),
                created_at=stamp(opened),
                **task,
            )
        )
        return case_id

    def _counselor_cases(self) -> dict[str, list[Any]]:
        """The measured counselor's own caseload: 40 cases, recent, most of them open."""
        rng, now = self.rng, self.world["now"]
        rows: dict[str, list[Any]] = {"minor": [], "case": [], "member": [], "task": []}
        owner = self.world["counselor"].pk
        for n in range(COUNSELOR_CASES):
            area = rng.choice(OTHER_VILLAGES)
            opened = now - timedelta(days=rng.uniform(1, 300))
            minor = self._minor(area, opened)
            rows["minor"].append(minor)
            self._case(minor[0], area, owner, opened, n % 4 != 0, rows)
            self.own.append(self.cases[-1])
        return rows

    def _rota(self, first_week: datetime, weeks: int) -> dict[str, list[Any]]:
        """Shifts of every room for ``weeks`` weeks from ``first_week``, their
        appointments, and the sessions held in them."""
        from carecircle.cases.models import Session
        from carecircle.counseling.models import Appointment

        rng, stamp = self.rng, self.stamp
        rows: dict[str, list[Any]] = {"shift": [], "appointment": [], "session": [], "attendee": []}
        creator = self.world["supervisor"].pk
        minutes = SLOT_MINUTES * SLOTS_PER_SHIFT
        for room in self.world["rooms"]:
            pool = rng.sample(self.counselors, 12)
            for week in range(weeks):
                monday = first_week + timedelta(weeks=week)
                # The measured week of the measured room: some of its appointments are
                # the viewing counselor's cases, which the rota page names.
                measured = room == self.world["room"] and monday == self.world["week"]
                for n in range(SHIFTS_PER_WEEK):
                    starts = monday + timedelta(days=n // 2, hours=8.5 if n % 2 == 0 else 14)
                    counselor = rng.choice(pool)
                    shift = self._row(
                        "shift",
                        room_id=room,
                        counselor_id=counselor,
                        starts_at=stamp(starts),
                        ends_at=stamp(starts + timedelta(minutes=minutes)),
                        slot_minutes=SLOT_MINUTES,
                        created_by_id=creator,
                        created_at=stamp(monday - timedelta(days=14)),
                    )
                    rows["shift"].append(shift)
                    for slot in range(SLOTS_PER_SHIFT):
                        if rng.random() >= BOOKED_SHARE:
                            continue
                        begins = starts + timedelta(minutes=SLOT_MINUTES * slot)
                        mine = measured and rng.random() < OWN_SHARE
                        case_id, minor_id, _owner = rng.choice(self.own if mine else self.cases)
                        draw = rng.random()
                        status = (
                            Appointment.Status.HELD
                            if draw < HELD_SHARE
                            else Appointment.Status.NO_SHOW
                            if draw < (1 + HELD_SHARE) / 2
                            else Appointment.Status.CANCELLED
                        )
                        appointment = self._row(
                            "appointment",
                            shift_id=shift[0],
                            case_id=case_id,
                            starts_at=stamp(begins),
                            ends_at=stamp(begins + timedelta(minutes=SLOT_MINUTES)),
                            status=status,
                            booked_by_id=counselor,
                            booked_at=stamp(begins - timedelta(days=3)),
                        )
                        rows["appointment"].append(appointment)
                        if status == Appointment.Status.HELD:
                            self._session(
                                rows,
                                case_id,
                                minor_id,
                                counselor,
                                begins,
                                mode=Session.Mode.IN_PERSON,
                                room=room,
                                appointment=appointment[0],
                            )
        return rows

    def _session(
        self,
        rows: dict[str, list[Any]],
        case_id: int,
        minor_id: int,
        counselor: int,
        held: datetime,
        *,
        mode: str,
        room: int | None = None,
        appointment: int | None = None,
    ) -> None:
        from carecircle.cases.models import Session

        session = self._row(
            "session",
            case_id=case_id,
            kind=Session.Kind.INDIVIDUAL,
            held_at=self.stamp(held),
            duration_minutes=SLOT_MINUTES,
            counselor_id=counselor,
            mode=mode,
            room_id=room,
            appointment_id=appointment,
            recorded_by_id=counselor,
            created_at=self.stamp(held),
        )
        rows["session"].append(session)
        rows["attendee"].append(self._row("attendee", session_id=session[0], minor_id=minor_id))

    def _other_sessions(self, count: int, years: int) -> Iterator[dict[str, list[Any]]]:
        """Sessions outside the rooms (phone, online, at home), in chunks."""
        from carecircle.cases.models import Session

        rng, now = self.rng, self.world["now"]
        modes = [Session.Mode.PHONE, Session.Mode.ONLINE]
        while count > 0:
            rows: dict[str, list[Any]] = {"session": [], "attendee": []}
            for _ in range(min(count, CHUNK)):
                case_id, minor_id, owner = rng.choice(self.cases)
                held = now - timedelta(days=rng.uniform(1, 365 * years))
                self._session(rows, case_id, minor_id, owner, held, mode=rng.choice(modes))
            count -= len(rows["session"])
            yield rows

    def grow(self, cases: int, years: int) -> int:
        """Grow the county to ``cases`` cases, ``SESSIONS_EACH`` sessions per case and
        ``years`` of rota (older weeks are added before the ones already there)."""
        from django.core.management.color import no_style
        from django.db import transaction

        from carecircle.cases.models import Case, Session

        started = time.perf_counter()
        inserted = 0
        have = Case.objects.filter(area_code__startswith=COUNTY).count()
        counselors = max(cases // COUNSELOR_CASES, 12) - len(self.counselors)
        with transaction.atomic():
            inserted += self._insert("user", self._users(counselors))
            if not have:
                parts = [
                    self._counselor_cases(),
                    self._cases(IN_TOWNSHIP, VILLAGES[SUPERVISED], years),
                    self._cases(cases - IN_TOWNSHIP - COUNSELOR_CASES, OTHER_VILLAGES, years),
                ]
            else:
                parts = [self._cases(cases - have, OTHER_VILLAGES, years)]
            for part in parts:
                for name in ("minor", "case", "member", "task"):
                    inserted += self._insert(name, iter(part[name]))
            del parts
            weeks = 52 * years - self.weeks_built
            # The rota ends with the week after the measured one.
            last = self.world["week"] + timedelta(weeks=2)
            first = last - timedelta(weeks=52 * years)
            rota = self._rota(first, weeks)
            self.weeks_built += weeks
            for name in ("shift", "appointment", "session", "attendee"):
                inserted += self._insert(name, iter(rota[name]))
            del rota
            held = Session.objects.filter(case__area_code__startswith=COUNTY).count()
            for part in self._other_sessions(cases * SESSIONS_EACH - held, years):
                for name in ("session", "attendee"):
                    inserted += self._insert(name, iter(part[name]))
            with self.connection.cursor() as cursor:
                # Keys were given: the sequences move past them (PostgreSQL).
                for statement in self.connection.ops.sequence_reset_sql(
                    no_style(), list(self.models.values())
                ):
                    cursor.execute(statement)
        with self.connection.cursor() as cursor:
            # As a live database is after autovacuum: statistics, and on PostgreSQL
            # hint bits and the visibility map, which a fresh COPY leaves unset (the
            # first reads would write them, and time that instead).
            cursor.execute(
                "VACUUM ANALYZE" if self.connection.vendor == "postgresql" else "ANALYZE"
            )
        seconds = time.perf_counter() - started
        note(
            f"cases: {cases} cases, {cases * SESSIONS_EACH} sessions, {years} year(s) of rota; "
            f"{inserted} rows loaded in {seconds:.0f} s"
        )
        return inserted


# --- What is measured ----------------------------------------------------------------


# Each operation, given the world, returns a request: called, it does what runs
# before the view (outside the timing and the rows examined) and returns the view's
# work, which is what is timed and whose statements are explained.
Work = Callable[[], int]
Request = Callable[[], Work]


def _signed_in(pk: int) -> Any:
    """The request's user as the middleware leaves it: loaded afresh (as each request
    loads one) with its role assignments cached on it, as
    ``SecondFactorRequiredMiddleware`` does by asking ``requires_second_factor``
    before any view runs."""
    from carecircle.accounts import permissions as perms
    from carecircle.accounts.models import User

    user = User.objects.get(pk=pk)
    perms.requires_second_factor(user)
    assert perms.assignments(user), "the bench's users hold a role"
    return user


def _counselor_page(world: dict[str, Any]) -> Request:
    """The case list page's queries for the counselor: the paginator's count and its
    first page."""
    from django.core.paginator import Paginator

    from carecircle.cases import selectors
    from carecircle.visits.views.common import PAGE_SIZE

    pk = world["counselor"].pk

    def request() -> Work:
        user = _signed_in(pk)

        def page() -> int:
            listed = Paginator(selectors.case_list(user, selectors.CaseFilters()), PAGE_SIZE)
            return len(list(listed.get_page(None).object_list))

        return page

    return request


def _overdue_page(world: dict[str, Any]) -> Request:
    """The overdue page's queries for the supervisor: the first 50 longest overdue and
    how many there are."""
    from carecircle.cases.dashboards.selectors import overdue_tasks

    pk = world["supervisor"].pk

    def request() -> Work:
        user = _signed_in(pk)

        def page() -> int:
            listed = overdue_tasks(user)
            rows = list(listed[:PAGE])
            total = listed.count()
            assert len(rows) == min(PAGE, total), (len(rows), total)
            return total

        return page

    return request


def _room_week(world: dict[str, Any]) -> Request:
    """The rota page's week: ``selectors.room_week`` as the view calls it, for the
    county's counselor, the room loaded as the view loads it."""
    from carecircle.counseling import selectors
    from carecircle.counseling.permissions import get_room_for_user

    pk, room_pk, monday = world["counselor"].pk, world["room"], world["monday"]

    def request() -> Work:
        user = _signed_in(pk)
        room = get_room_for_user(user, room_pk)

        def week() -> int:
            days = selectors.room_week(room, monday, user, may_book=True)
            rows = [row for day in days for row in day.shifts]
            booked = [slot for row in rows for slot in row.slots if slot.appointment]
            named = [slot for slot in booked if slot.case is not None]
            assert len(rows) == SHIFTS_PER_WEEK, len(rows)
            # Some of the week's cases are the viewer's, some are not.
            assert 0 < len(named) < len(booked), (len(named), len(booked))
            return len(booked)

        return week

    return request


OPERATIONS: dict[str, Callable[[dict[str, Any]], Request]] = {
    "cases_counselor_list": _counselor_page,
    "cases_overdue_supervisor": _overdue_page,
    "counseling_room_week": _room_week,
}


def _median_ms(request: Request) -> tuple[float, int]:
    result = request()()  # warm: the first call compiles and fills caches
    times = []
    for _ in range(RUNS):
        work = request()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, result


# --- Rows examined -------------------------------------------------------------------


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements run inside the block, with their parameters."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not many and sql.lstrip().upper().startswith("SELECT"):
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def _returned(sql: str, params: Any) -> int:
    """Rows a statement returns; for a COUNT, the rows it counted."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if '"__count"' in sql and len(rows) == 1:
        return int(rows[0][0])
    return len(rows)


_PG_SCANS = {
    "Seq Scan",
    "Index Scan",
    "Index Only Scan",
    "Bitmap Heap Scan",
    "Tid Scan",
    "Tid Range Scan",
}


def _pg_examined(node: dict[str, Any]) -> int:
    """Rows read by the scan nodes of a plan (each node's rows, kept and removed,
    times its loops)."""
    total = 0
    if node.get("Node Type") in _PG_SCANS:
        kept = node.get("Actual Rows", 0)
        removed = node.get("Rows Removed by Filter", 0) + node.get(
            "Rows Removed by Index Recheck", 0
        )
        total += round((kept + removed) * node.get("Actual Loops", 1))
    for child in node.get("Plans", []):
        total += _pg_examined(child)
    return total


def _pg_rows(statements: list[tuple[str, Any]]) -> tuple[int, int, list[str]]:
    from django.db import connection

    examined = returned = 0
    shapes: list[str] = []
    for sql, params in statements:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            found = cursor.fetchone()[0]
        plan = (json.loads(found) if isinstance(found, str) else found)[0]["Plan"]
        rows = _pg_examined(plan)
        examined += rows
        returned += _returned(sql, params)
        shapes.append(f"{rows} rows: {_pg_shape(plan)}")
    return examined, returned, shapes


def _pg_shape(node: dict[str, Any]) -> str:
    name = node.get("Node Type", "")
    if "Relation Name" in node:
        name += f" {node['Relation Name']}"
    if "Index Name" in node:
        name += f" ({node['Index Name']})"
    if node.get("Node Type") in _PG_SCANS:
        name += (
            f" est {node.get('Plan Rows')} got {node.get('Actual Rows')}x{node.get('Actual Loops')}"
        )
    children = [_pg_shape(child) for child in node.get("Plans", [])]
    return f"{name}[{', '.join(children)}]" if children else name


def _sqlite_plan(sql: str, params: Any) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [str(row[-1]) for row in cursor.fetchall()]


def _estimate_counselor(world: dict[str, Any], plans: list[str]) -> tuple[int, dict[str, str]]:
    from carecircle.cases.models import Case, CaseMember, CaseTask, Status

    uid = world["counselor"].pk
    member = CaseMember.objects.filter(user_id=uid, left_at__isnull=True).count()
    shown = list(
        Case.objects.filter(members__user_id=uid, members__left_at__isnull=True)
        .exclude(status=Status.CLOSED)
        .order_by("-opened_at", "-pk")
        .values_list("pk", flat=True)[:PAGE]
    )
    tasks = CaseTask.objects.filter(case_id__in=shown).count()
    # The count: the team list from case_member_user, each row's case by key in the
    # list subquery, then the outer case by key. The page: the same, then per row
    # shown its child, the owner (member and user) twice, and the case's tasks.
    # The user and its role assignments were loaded before, as the middleware does.
    examined = 3 * member + 3 * member + len(shown) * 5 + tasks
    expected = {
        "cases_casemember": "case_member_user case_one_owner",
        "cases_case": "PRIMARY KEY",
        "people_minor": "PRIMARY KEY",
        # The next open task: every task of the case, through either index led by the
        # case (the open status is the MIN's filter, not the WHERE's).
        "cases_casetask": "cases_casetask_case_id case_task_case_open",
    }
    return examined, expected


def _estimate_overdue(world: dict[str, Any], plans: list[str]) -> tuple[int, dict[str, str]]:
    from carecircle.accounts import permissions as perms
    from carecircle.cases.models import OPEN_STATUSES, Case, CaseTask

    scope = perms.prefix_q("area_code", [SUPERVISED])
    assert scope is not None
    township = Case.objects.filter(scope)
    cases = township.count()
    opened = township.filter(status__in=OPEN_STATUSES)
    in_open = CaseTask.objects.filter(case__in=opened)
    tasks = in_open.count()
    overdue = in_open.filter(status=CaseTask.Status.OPEN, due_at__lt=world["now"]).count()
    # Each statement reads the township's cases (every one from an index on
    # area_code, only the open ones from one led by status), then their tasks (all
    # of each open case from the case_id index, only the overdue ones from one on
    # case, status and due time); the page also reads each row's child (per open
    # case when joined before the tasks, else per overdue task) and assignee.
    examined = 0
    for plan in plans:
        if "cases_casetask" not in plan:
            continue
        examined += opened.count() if "case_status_area" in plan else cases
        examined += overdue if "case_task_case_open" in plan else tasks
        if "people_minor" in plan:
            first = plan.index("people_minor") < plan.index("cases_casetask")
            examined += (opened.count() if first else overdue) + overdue
    expected = {
        "cases_case": "cases_case_area_code case_area_status case_status_area",
        "people_minor": "PRIMARY KEY",
        "cases_casetask": "cases_casetask_case_id case_task_case_open",
    }
    return examined, expected


def _estimate_room(world: dict[str, Any], plans: list[str]) -> tuple[int, dict[str, str]]:
    from carecircle.cases.models import CaseMember
    from carecircle.counseling.models import Appointment, Shift

    start = world["week"]
    shifts = Shift.objects.filter(
        room_id=world["room"],
        cancelled_at__isnull=True,
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=7),
    )
    every = Appointment.objects.filter(shift__in=shifts)
    live = every.filter(status__in=Appointment.LIVE)
    cases = live.values("case_id").distinct().count()
    team = CaseMember.objects.filter(user_id=world["counselor"].pk, left_at__isnull=True).count()
    # The shifts from shift_room_start (cancelled_at checked on the row) and each
    # one's counselor by key. The shifts' appointments from appointment_shift: the
    # live ones only when the plan seeks the status too, else every one with its
    # status checked on the row; and each live one's case by key. The readable check
    # (cases_visible_to): the listed cases by key, and the viewer's team from
    # case_member_user with each row's case by key (the team subquery).
    steps = [step for plan in plans for step in plan.split(" | ")]
    seeks_status = any("appointment_shift" in s and "status=?" in s for s in steps)
    appointments = live.count() if seeks_status else every.count()
    examined = 2 * shifts.count() + appointments + live.count() + cases + 2 * team
    expected = {
        "counseling_shift": "shift_room_start",
        "counseling_appointment": "appointment_shift",
        "cases_casemember": "case_member_user",
        "cases_case": "PRIMARY KEY",
    }
    return examined, expected


ESTIMATES: dict[str, Callable[[dict[str, Any], list[str]], tuple[int, dict[str, str]]]] = {
    "cases_counselor_list": _estimate_counselor,
    "cases_overdue_supervisor": _estimate_overdue,
    "counseling_room_week": _estimate_room,
}


def _sqlite_rows(
    world: dict[str, Any], name: str, statements: list[tuple[str, Any]]
) -> tuple[int, int, list[str]]:
    """Rows examined as the plan implies (see the module's docstring), and returned.

    A full scan of a big table, or a search through an index the estimate does not
    follow, adds the whole table: the figure then fails loudly rather than flatter."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        indexes = dict(cursor.fetchall())
    plans = [_sqlite_plan(sql, params) for sql, params in statements]
    examined, expected = ESTIMATES[name](world, [" | ".join(plan) for plan in plans])
    returned = 0
    lines: list[str] = []
    for (sql, params), plan in zip(statements, plans, strict=True):
        returned += _returned(sql, params)
        lines.append(" | ".join(plan))
        for step in plan:
            words = step.split()
            if len(words) < 2 or words[0] not in ("SCAN", "SEARCH"):
                continue
            if "INTEGER PRIMARY KEY" in step:
                continue  # one row per lookup, in every estimate
            table = _table_of(words, sql, indexes)
            if table not in BIG_TABLES:
                continue
            known = expected.get(table, "").split()
            if words[0] == "SEARCH" and any(index in step for index in known):
                continue
            with connection.cursor() as cursor:
                # The table's name is one of BIG_TABLES, not input.
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                whole = int(cursor.fetchone()[0])
            examined += whole
            lines.append(f"not as estimated, counted whole ({whole} rows): {step}")
    return examined, returned, lines


def _table_of(words: list[str], sql: str, indexes: dict[str, str]) -> str:
    """The table a plan step reads: its index's table, else the table behind the
    alias (``U0``) in the statement."""
    if "INDEX" in words:
        return indexes.get(words[words.index("INDEX") + 1], words[1])
    alias = words[1]
    for table in BIG_TABLES:
        if alias == table or f'"{table}" {alias} ' in sql or f'"{table}" {alias})' in sql:
            return table
    return alias


def _rows(world: dict[str, Any], name: str) -> tuple[int, int, list[str]]:
    from django.db import connection

    work = OPERATIONS[name](world)()
    with _statements() as seen:
        work()
    if connection.vendor == "postgresql":
        return _pg_rows(seen)
    return _sqlite_rows(world, name, seen)


def run(names: list[str]) -> list[Figure]:
    from django.utils import timezone

    world = _world(timezone.now())
    filler = _Filler(world)
    filler.grow(SMALL, SMALL_YEARS)
    chosen = {name.removesuffix("_rows") for name in names}
    small = {name: _median_ms(OPERATIONS[name](world)) for name in OPERATIONS if name in chosen}
    filler.grow(LARGE, LARGE_YEARS)
    figures: dict[str, Figure] = {}
    for name, (small_ms, small_result) in small.items():
        large_ms, large_result = _median_ms(OPERATIONS[name](world))
        # What one person sees must not grow with the county.
        assert small_result == large_result, (name, small_result, large_result)
        examined, returned, plan = _rows(world, name)
        note(
            f"{name}: {small_ms:.1f} ms at {SMALL} cases, {large_ms:.1f} ms at {LARGE} "
            f"({large_result} shown or counted); {examined} rows examined for {returned} returned"
        )
        for line in plan:
            note(f"{name} plan: {line}")
        figures[name] = Figure(name, large_ms, "ms", large_ms / small_ms, "<=1.5")
        figures[f"{name}_rows"] = Figure(
            f"{name}_rows", examined, "rows", examined / max(returned, 1), ROWS_GOAL
        )
    return [figures[name] for name in names]
