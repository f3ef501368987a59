"""Benchmarks of the foundation (issue 2): what the security layers cost.

audit_append
    Audited child views per second through ``minor_view`` (one transaction each: lock
    the chain head, hash, insert, move the head; on PostgreSQL the database's
    ``audit_append`` does all four) against a raw single-row INSERT
    of the same payload into a plain table (primary key only) in autocommit: one
    commit each, so both pay the same durable commit. Goal ≥ 0.3.
encrypted_field_write
    ``bulk_create`` of 10,000 minors whose ID number and address are encrypted
    (AES-256-GCM) and whose ID number gets a blind index (HMAC), against the same
    rows into a twin table with plain text columns and the same indexes, both in
    one transaction with batches of 1,000. Goal ≥ 0.25.
scoped_minor_detail
    A child director's GET of a minor's detail page through the whole WSGI stack
    (session, second factor, idle timeout, scope query, audit event with its
    commit, template) against an anonymous GET of a bare ``JsonResponse`` view
    through the same stack. Goal ≥ 0.2.
village_scope_filter
    ``minors_visible_to(child_director).count()`` for one village holding 100
    children, with 10,000 and then 100,000 minors in the table: the ratio of the
    two times stays near 1 when the scope filter is served by an index. Goal ≤ 1.5.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from typing import Any

from bench.harness import (
    Figure,
    compare_rates,
    compare_seconds,
    default_row,
    insert_sql,
    note,
    plain_twin,
    wsgi,
)

VILLAGE = "431103101200"
# 100 other villages of the district, in ten townships.
OTHER_VILLAGES = [
    f"431103{town}{village}" for town in range(102, 112) for village in range(200, 210)
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛超"


def _id_number(rng: random.Random) -> str:
    born = date(2008, 1, 1).toordinal() + rng.randrange(17 * 365)
    return (
        f"431103{date.fromordinal(born):%Y%m%d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"
    )


def _minor_values(rng: random.Random, *, area_code: str, sensitive: bool = True) -> dict[str, Any]:
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        "sex": rng.choice("MF"),
        "birth_date": date(2008 + rng.randrange(17), 1 + rng.randrange(12), 1 + rng.randrange(28)),
        "area_code": area_code,
        "id_number": _id_number(rng) if sensitive else "",
        "address": f"冷水滩区花桥街镇石门村{rng.randrange(1, 40)}组{rng.randrange(1, 99)}号"
        if sensitive
        else "",
        "status": "active",
    }


def _world() -> dict[str, Any]:
    """The district, a child director of one village with a confirmed device, one child."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carecircle.accounts.models import RoleAssignment, User
    from carecircle.accounts.roles import Role
    from carecircle.people.models import Minor
    from carecircle.regions.models import Division
    from carecircle.regions.services import divisions_load

    divisions_load(
        rows=[
            ("43", "湖南省", ""),
            ("4311", "永州市", ""),
            ("431103", "冷水滩区", ""),
            ("431103101", "花桥街镇", ""),
            (VILLAGE, "石门村", "220"),
        ]
    )
    user = User.objects.create_user(username="bench_director", password=None, full_name="王芳")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    village = Division.objects.get(prefix=VILLAGE)
    RoleAssignment.objects.create(
        user=user, role=Role.CHILD_DIRECTOR, division=village, scope_prefix=village.prefix
    )
    minor = Minor.objects.create(**_minor_values(random.Random(1), area_code=VILLAGE))
    return {"user": user, "device": device, "minor": minor}


def audit_append(world: dict[str, Any]) -> Figure:
    from django.db import connection

    from carecircle.audit.models import AuditEvent
    from carecircle.people.services import minor_view

    user, minor = world["user"], world["minor"]
    fields = ["name", "sex", "birth_date", "id_number", "area_code", "address", "school"]

    def audited() -> None:
        minor_view(actor=user, minor=minor, fields=fields)

    audited()
    sample = AuditEvent.objects.order_by("-seq").first()
    plain = plain_twin(AuditEvent, name="plain_event", indexes=False)
    columns = [f for f in plain._meta.concrete_fields if not f.primary_key]
    row = plain(**{f.attname: getattr(sample, f.attname) for f in columns})
    params = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns]
    # Identifiers come from the model, values are bound parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(plain._meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    cursor = connection.cursor()

    def raw() -> None:
        cursor.execute(sql, params)  # autocommit: one commit per row

    raw_rate, audited_rate = compare_rates(raw, audited)
    cursor.close()
    note(f"audit_append: raw INSERT {raw_rate:.0f}/s, audit_record {audited_rate:.0f}/s")
    return Figure("audit_append", audited_rate, "writes/s", audited_rate / raw_rate, ">=0.3")


def encrypted_field_write(world: dict[str, Any], rows: int = 10_000) -> Figure:
    from django.db import transaction

    from carecircle.crypto.fields import lookup_index
    from carecircle.people.models import Minor

    plain = plain_twin(Minor, name="plain_minor", indexes=True)
    rng = random.Random(42)
    values = [_minor_values(rng, area_code=rng.choice(OTHER_VILLAGES)) for _ in range(rows)]

    def writer(model: type[Any]) -> Any:
        def write() -> None:
            with transaction.atomic():
                model.objects.bulk_create([model(**v) for v in values], batch_size=1000)

        return write

    def reset() -> None:
        plain.objects.all().delete()
        Minor.objects.exclude(pk=world["minor"].pk).delete()

    plain_seconds, encrypted_seconds = compare_seconds(writer(plain), writer(Minor), reset=reset)
    probe = values[rows // 2]["id_number"]
    found = Minor.objects.filter(id_number_index=lookup_index(Minor, "id_number_index", probe))
    assert found.exists(), "the blind index of a bulk-created row must be searchable"
    Minor.objects.exclude(pk=world["minor"].pk).delete()
    plain_rate, encrypted_rate = rows / plain_seconds, rows / encrypted_seconds
    note(f"encrypted_field_write: plain {plain_rate:.0f} rows/s, encrypted {encrypted_rate:.0f}")
    return Figure(
        "encrypted_field_write", encrypted_rate, "rows/s", encrypted_rate / plain_rate, ">=0.25"
    )


def scoped_minor_detail(world: dict[str, Any]) -> Figure:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client, override_settings
    from django_otp import DEVICE_ID_SESSION_KEY

    from carecircle.audit.models import AuditEvent

    client = Client()
    client.force_login(world["user"])
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = world["device"].persistent_id
    session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    minor = world["minor"]
    detail_path = f"/minors/{minor.pk}/"

    with override_settings(ROOT_URLCONF="bench.urls"):
        handler = WSGIHandler()
        status, body = wsgi(handler, "GET", detail_path, cookie=cookie)[::2]
        assert status.startswith("200"), status
        assert minor.name in body.decode(), "the detail page must show the child"
        status, body = wsgi(handler, "GET", "/bench/hello/")[::2]
        assert status.startswith("200") and body == b'{"ok": true}', (status, body)
        queries: list[str] = []

        def count(execute: Any, sql: str, *args: Any) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            wsgi(handler, "GET", detail_path, cookie=cookie)[::2]
        views_before = AuditEvent.objects.filter(action="view", minor_id=minor.pk).count()
        hello_rate, detail_rate = compare_rates(
            lambda: wsgi(handler, "GET", "/bench/hello/")[::2],
            lambda: wsgi(handler, "GET", detail_path, cookie=cookie)[::2],
        )
    views = AuditEvent.objects.filter(action="view", minor_id=minor.pk).count() - views_before
    assert views > 0, "every detail view must write its audit event"
    note(
        f"scoped_minor_detail: hello {hello_rate:.0f} req/s, detail {detail_rate:.0f} req/s "
        f"({len(queries)} SQL statements per detail page)"
    )
    return Figure("scoped_minor_detail", detail_rate, "req/s", detail_rate / hello_rate, ">=0.2")


def village_scope_filter(world: dict[str, Any], in_village: int = 100) -> Figure:
    from django.db import connection, transaction

    from carecircle.accounts.models import User
    from carecircle.people.models import Minor
    from carecircle.people.permissions import minors_visible_to

    rng = random.Random(7)

    base = default_row(Minor)
    columns = list(base)
    sql = insert_sql(Minor, columns)

    def row(area_code: str) -> tuple[Any, ...]:
        values = dict(base)
        values.update(_minor_values(rng, area_code=area_code, sensitive=False))
        values["birth_date"] = connection.ops.adapt_datefield_value(values["birth_date"])
        return tuple(values[c] for c in columns)

    def fill(total: int) -> None:
        """Grow the table to ``total`` rows; the village keeps ``in_village`` children.
        Filler rows go in through executemany: this figure times the read, not the load."""
        rows = [
            row(VILLAGE)
            for _ in range(in_village - Minor.objects.filter(area_code=VILLAGE).count())
        ]
        rows += [
            row(rng.choice(OTHER_VILLAGES))
            for _ in range(total - Minor.objects.count() - len(rows))
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def timed_count() -> float:
        director = User.objects.get(pk=world["user"].pk)
        times = []
        for _ in range(30):
            start = time.perf_counter()
            count = minors_visible_to(director).count()
            times.append(time.perf_counter() - start)
        assert count == in_village, count
        return statistics.median(times)

    fill(10_000)
    small = timed_count()
    fill(100_000)
    large = timed_count()
    plan = _plan()
    note(f"village_scope_filter: {small * 1e3:.2f} ms at 10k, {large * 1e3:.2f} ms at 100k")
    note(f"village_scope_filter plan: {plan}")
    return Figure("village_scope_filter", large * 1e3, "ms", large / small, "<=1.5")


def _plan() -> str:
    """The query plan of the scope count, for the reader of a failed figure."""
    from django.db import connection

    from carecircle.accounts.models import User
    from carecircle.people.permissions import minors_visible_to

    queryset = minors_visible_to(User.objects.get(username="bench_director"))
    compiler = queryset.query.get_compiler(using="default")
    text, params = compiler.as_sql()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + text, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


FIGURES = {
    "audit_append": audit_append,
    "encrypted_field_write": encrypted_field_write,
    "scoped_minor_detail": scoped_minor_detail,
    "village_scope_filter": village_scope_filter,
}


def run(names: list[str]) -> list[Figure]:
    world = _world()
    return [FIGURES[name](world) for name in names]
