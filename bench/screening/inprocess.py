"""screening_submit and screening_start: requests through the WSGI handler, in process.

Both figures and their baselines go through the same ``WSGIHandler`` (every
middleware of the project) one request at a time, interleaved by
``harness.compare_rates``; the baselines' views are in ``bench/urls.py``.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from bench.harness import Figure, compare_rates, note, wsgi
from bench.screening.world import SEED, campaign, codes, draw, quantiles, shares

SUBMIT_PATH = "/api/v1/screening/submissions/"
MINIMAL_SUBMIT_PATH = "/bench/screening/submit/"
START_PATH = "/q/"


def _expect(status: str, wanted: str, content: bytes) -> None:
    text = content.decode(errors="replace")[:200]
    assert status.startswith(wanted), f"{status} instead of {wanted}: {text}"


def _timed(op: Callable[[], None], times: list[float]) -> Callable[[], None]:
    def run() -> None:
        start = time.perf_counter()
        op()
        times.append(time.perf_counter() - start)

    return run


def _statements(op: Callable[[], Any]) -> list[str]:
    """The SQL statements one call of ``op`` sends (BEGIN and savepoints included)."""
    from django.db import connection

    sent: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        sent.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        op()
    return sent


_PLAIN: list[Any] = []


def plain_submission() -> Any:
    """The minimal submit view's table: the body's fields in plain columns, a primary key."""
    if not _PLAIN:
        from django.db import models

        attrs: dict[str, Any] = {
            "__module__": __name__,
            "code": models.CharField(max_length=64),
            "instrument": models.CharField(max_length=32),
            "answers": models.TextField(),
            "total": models.IntegerField(null=True),
            "idempotency_key": models.CharField(max_length=64),
            "submitted_at": models.DateTimeField(),
            "Meta": type("Meta", (), {"app_label": "bench", "db_table": "bench_plain_submission"}),
        }
        _PLAIN.append(type("PlainSubmission", (models.Model,), attrs))
    return _PLAIN[0]


def screening_submit(built: dict[str, Any]) -> Figure:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import override_settings

    from carecircle.screening.instruments import get_instrument
    from carecircle.screening.models import Response

    instrument = get_instrument("PHQ9")
    rng = random.Random(SEED)

    def body(code: str) -> bytes:
        answers = draw(instrument, rng)
        given = {
            "code": code,
            "instrument": instrument.code,
            "answers": [answers[item.id] for item in instrument.items],
            "idempotency_key": uuid.uuid4().hex,
        }
        return json.dumps(given).encode()

    # Two campaigns' codes: more than three seconds of submits at any plausible rate.
    fresh = [code for n in (1, 2) for _pk, code in codes(campaign(built, f"提交 {n}"))]
    bodies = iter([body(code) for code in fresh])
    minimal_body = body("0" * 10)
    plain = plain_submission()
    if plain._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(plain)
    no_throttle = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"screening_submit": None}}
    with override_settings(ROOT_URLCONF="bench.urls", REST_FRAMEWORK=no_throttle):
        handler = WSGIHandler()

        def submit() -> None:
            posted = next(bodies, None)
            if posted is None:
                raise RuntimeError("the submit figure used up its one-time codes")
            status, _h, content = wsgi(
                handler, "POST", SUBMIT_PATH, body=posted, content_type="application/json"
            )
            _expect(status, "201", content)

        def minimal() -> None:
            status, _h, content = wsgi(
                handler,
                "POST",
                MINIMAL_SUBMIT_PATH,
                body=minimal_body,
                content_type="application/json",
            )
            _expect(status, "201", content)

        statements, minimal_statements = _statements(submit), _statements(minimal)
        before = Response.objects.filter(submitted_at__isnull=False).count()
        times: dict[str, list[float]] = {"minimal": [], "submit": []}
        minimal_rate, submit_rate = compare_rates(
            _timed(minimal, times["minimal"]), _timed(submit, times["submit"])
        )
    submitted = Response.objects.filter(submitted_at__isnull=False)
    assert submitted.count() - before == len(times["submit"])  # warm-ups included
    levels = list(submitted.values_list("triage", flat=True))
    note(
        f"screening_submit: minimal {minimal_rate:.0f}/s ({quantiles(times['minimal'])}, "
        f"{len(minimal_statements)} SQL), submit {submit_rate:.0f}/s "
        f"({quantiles(times['submit'])}, {len(statements)} SQL); levels {shares(levels)}"
    )
    return Figure("screening_submit", submit_rate, "req/s", submit_rate / minimal_rate, ">=0.7")


def screening_start(built: dict[str, Any]) -> Figure:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    participants = codes(campaign(built, "开始"))
    with override_settings(ROOT_URLCONF="bench.urls", CARECIRCLE_CODE_ATTEMPTS=10**9):
        handler = WSGIHandler()
        status, headers, page = wsgi(handler, "GET", START_PATH)
        _expect(status, "200", page)
        cookie: SimpleCookie = SimpleCookie()
        for header in headers.get("set-cookie", []):
            cookie.load(header)
        csrf = f"csrftoken={cookie['csrftoken'].value}"
        token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        # Each code in turn: starting does not use a code up, so the list is reused.
        forms = [
            urlencode({"csrfmiddlewaretoken": token, "code": code}).encode()
            for _pk, code in participants
        ]
        paths = [f"/bench/participants/{pk}/" for pk, _code in participants]
        turns = {"start": 0, "read": 0}

        def start() -> None:
            turns["start"] += 1
            status, headers, content = wsgi(
                handler,
                "POST",
                START_PATH,
                body=forms[turns["start"] % len(forms)],
                content_type="application/x-www-form-urlencoded",
                cookie=csrf,
            )
            _expect(status, "302", content)
            assert headers["location"] == ["/q/answer/"], headers["location"]

        def read() -> None:
            turns["read"] += 1
            status, _h, content = wsgi(handler, "GET", paths[turns["read"] % len(paths)])
            _expect(status, "200", content)

        statements, read_statements = _statements(start), _statements(read)
        times: dict[str, list[float]] = {"read": [], "start": []}
        read_rate, start_rate = compare_rates(
            _timed(read, times["read"]), _timed(start, times["start"])
        )
    note(
        f"screening_start: read by id {read_rate:.0f}/s ({quantiles(times['read'])}, "
        f"{len(read_statements)} SQL), start {start_rate:.0f}/s "
        f"({quantiles(times['start'])}, {len(statements)} SQL)"
    )
    return Figure("screening_start", start_rate, "req/s", start_rate / read_rate, ">=0.5")
