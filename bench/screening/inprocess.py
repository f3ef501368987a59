"""screening_start: requests through the WSGI handler, in process.

The figure and its baseline go through the same ``WSGIHandler`` (every middleware
of the project) one request at a time, interleaved by ``harness.compare_rates``;
the baseline's view is in ``bench/urls.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from bench.harness import Figure, compare_rates, note, wsgi
from bench.screening.world import campaign, codes, quantiles

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
