"""Shared machinery: a throwaway database, timers, plain twin tables and BENCH lines.

Every figure is a ratio to a baseline measured in the same run on the same
database (shared/PERFORMANCE.md): the absolute value is printed for context, the
ratio is what carries to other hardware.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The same fixed throwaway keys as the test suite: a benchmark never needs real ones.
THROWAWAY_ENV = {
    "CARECIRCLE_ENV": "test",
    "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
    "CARECIRCLE_DATA_KEYS": "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "CARECIRCLE_BLIND_INDEX_KEY": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "LOG_LEVEL": "WARNING",
}
RUNS = 3  # every figure is the median of three runs


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    ratio: float
    goal: str  # ">=0.3" or "<=1.5"

    def met(self, tolerance: float = 0.15) -> bool:
        """Within PERFORMANCE.md's 15 % tolerance for noisy machines."""
        bound = float(self.goal[2:])
        if self.goal.startswith(">="):
            return self.ratio >= bound * (1 - tolerance)
        return self.ratio <= bound * (1 + tolerance)

    def line(self) -> str:
        value = f"{self.value:.0f}" if self.value >= 100 else f"{self.value:.3g}"
        return f"BENCH {self.name} {value} {self.unit} ratio={self.ratio:.2f} goal={self.goal}"


def note(message: str) -> None:
    """Context for humans, on stderr: stdout carries only BENCH lines."""
    print(f"# {message}", file=sys.stderr, flush=True)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Set up Django on a database that exists only for this run; yield its vendor.

    SQLite (the default): a file in a temporary folder, so that commits really reach
    the disk as in production. PostgreSQL when DATABASE_URL says so: a fresh
    database ``carecircle_bench_<pid>`` beside the configured one, dropped at the end.
    The developer's own database is never opened.
    """
    for key, value in THROWAWAY_ENV.items():
        if key == "CARECIRCLE_ENV":
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    folder = Path(tempfile.mkdtemp(prefix="carecircle-bench-"))
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"

    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    settings.DATABASES["default"].setdefault("TEST", {})
    settings.DATABASES["default"]["TEST"]["NAME"] = (
        str(folder / "bench-db.sqlite3")
        if connection.vendor == "sqlite"
        else f"carecircle_bench_{os.getpid()}"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    _forget_the_last_database()
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        for path in sorted(folder.glob("*"), reverse=True):
            path.unlink()
        folder.rmdir()


def _forget_the_last_database() -> None:
    """Clear what the process keeps of an earlier throwaway database: cached rows
    (roles by user id, throttle counters, content types) whose keys a new database
    gives to other rows."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()
    ContentType.objects.clear_cache()


def _rate(op: Callable[[], Any], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        op()
        count += 1
    return count / elapsed


def compare_rates(
    baseline: Callable[[], Any], subject: Callable[[], Any], *, seconds: float = 1.0
) -> tuple[float, float]:
    """Medians of ops/s for baseline and subject, their runs interleaved (B S B S B S)
    so that a noisy neighbour slows both alike."""
    for op in (baseline, subject):
        for _ in range(10):
            op()
    pairs = [(_rate(baseline, seconds), _rate(subject, seconds)) for _ in range(RUNS)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _timed(op: Callable[[], Any], reset: Callable[[], Any] | None) -> float:
    if reset is not None:
        reset()
    start = time.perf_counter()
    op()
    return time.perf_counter() - start


def compare_seconds(
    baseline: Callable[[], Any],
    subject: Callable[[], Any],
    *,
    reset: Callable[[], Any] | None = None,
) -> tuple[float, float]:
    """Median wall times of baseline and subject, interleaved, ``reset`` untimed before each."""
    pairs = [(_timed(baseline, reset), _timed(subject, reset)) for _ in range(RUNS)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def plain_twin(model: type[Any], *, name: str, indexes: bool) -> type[Any]:
    """A model with ``model``'s columns as plain, unencrypted types, and its table.

    ``indexes=False`` keeps only the primary key (a "plain table"); ``True`` keeps
    each column's own index, so that only the encryption differs.
    """
    from django.db import connection, models

    from carecircle.crypto.fields import BlindIndexField, EncryptedTextField

    attrs: dict[str, Any] = {"__module__": __name__}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        common: dict[str, Any] = {
            "null": field.null,
            "blank": True,
            "db_index": indexes and (field.db_index or field.unique),
        }
        if field.has_default():
            common["default"] = field.default
        if isinstance(field, EncryptedTextField):
            twin: models.Field = models.TextField(**common)
        elif isinstance(field, BlindIndexField | models.CharField):
            twin = models.CharField(max_length=field.max_length, **common)
        elif isinstance(field, models.ForeignKey):
            twin = models.BigIntegerField(**common)
        elif isinstance(field, models.DateTimeField):
            twin = models.DateTimeField(
                auto_now=field.auto_now, auto_now_add=field.auto_now_add, **common
            )
        else:
            twin = field.__class__(**common)
        attrs[field.attname] = twin
    attrs["Meta"] = type("Meta", (), {"app_label": "bench", "db_table": f"bench_{name}"})
    twin_model = type(f"Plain{model.__name__}", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.create_model(twin_model)
    return twin_model


def insert_sql(model: type[Any], columns: list[str]) -> str:
    """A parameterised multi-column INSERT into ``model``'s table, for executemany."""
    from django.db import connection

    quote = connection.ops.quote_name
    # Identifiers come from the model, values are bound parameters.
    return "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )


def default_row(model: type[Any]) -> dict[str, Any]:
    """Database values of every concrete column of ``model`` (primary key apart) as a new
    instance would store them: its default, "" for blank text, None for null, now
    for timestamps. Filler rows start from it, so that a raw INSERT keeps working
    when a migration adds a NOT NULL column with a Python-side default."""
    from django.db import connection, models
    from django.utils import timezone

    now = timezone.now()
    row: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            value: Any = now
        elif field.has_default():
            value = field.get_default()
        elif field.null or not field.empty_strings_allowed:
            value = None  # nullable, or for the caller to fill (a date, a foreign key)
        else:
            value = ""
        row[field.column] = field.get_db_prep_save(value, connection) if value is not None else None
    return row


def wsgi(
    handler: Any,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    content_type: str = "",
    cookie: str = "",
) -> tuple[str, dict[str, list[str]], bytes]:
    """One request through the whole WSGI stack: its status, headers (lower-case
    names) and body."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"] = status
        answer["headers"] = {}
        for name, value in headers:
            answer["headers"].setdefault(name.lower(), []).append(value)

    content = b"".join(handler(environ, start_response))
    return answer["status"], answer["headers"], content
