"""tips_flood: a flood against the public reporting page, and the staff pages beside it.

Issue 6 item 8 and SECURITY.md AN-2. gunicorn serves the project from a subprocess
on the run's throwaway database, trusting one proxy hop so that the load generator
can play ``FLOOD_CLIENTS`` different addresses through ``X-Forwarded-For``. A
centre staff member's session reads the queue (``/tips/``) and a report's page, one
request after another, first alone, then while the flood runs:

- the flood threads send ``FLOOD_RPS`` requests a second in all, each a fresh
  challenge (``/report/challenge/``) and a report; half the addresses solve the
  proof of work, the other half are bots that skip it;
- the server's proof of work is lowered to ``FLOOD_POW_BITS`` (8) so that the
  generator, in Python, can reach the rate: the limit, not the puzzle, is under test.

Figures: ``tips_flood_staff`` is the staff pages' p95 under the flood against their
p95 alone (goal ≤ 2); ``tips_flood_limit`` the reports accepted against what the
limits allow (``CARECIRCLE_TIP_REPORTS_PER_HOUR`` per address that solves the
puzzle; goal ≤ 1: not one report more than the limit lets through).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from bench.harness import Figure, note

STAFF_TIPS = int(os.environ.get("BENCH_TIPS", "2000"))
FLOOD_CLIENTS = int(os.environ.get("BENCH_FLOOD_CLIENTS", "20"))
FLOOD_RPS = float(os.environ.get("BENCH_FLOOD_RPS", "100"))
FLOOD_SECONDS = float(os.environ.get("BENCH_FLOOD_SECONDS", "20"))
FLOOD_THREADS = 8
FLOOD_POW_BITS = 8
STAFF_REQUESTS = int(os.environ.get("BENCH_STAFF_REQUESTS", "200"))
VILLAGE = "431103101200"
_COUNTS_LOCK = threading.Lock()


def build_world() -> dict[str, Any]:
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from carecircle.accounts.roles import Role
    from carecircle.testing import fixtures
    from carecircle.tips.models import Category, Channel
    from carecircle.tips.services import Intake, tip_receive

    fixtures.build_district()
    staff = fixtures.make_user("bench_centre")
    fixtures.grant(staff, Role.CENTER_STAFF, prefix="431103")
    operator = fixtures.make_user("bench_operator")
    fixtures.grant(operator, Role.HOTLINE_OPERATOR, prefix="431103")
    started = time.perf_counter()
    categories = list(Category.values)
    last = None
    for n in range(STAFF_TIPS):
        last = tip_receive(
            Intake(
                channel=Channel.HOTLINE,
                external_number=f"B{n:07d}",
                category=categories[n % len(categories)],
                description=f"热线来电第{n}件：孩子放学后常常一个人在家。",
                area_code=VILLAGE if n % 3 else "431103102",
                reporter_name="来电人",
                reporter_contact="13800000000",
            ),
            actor=operator,
        ).tip
    made = time.perf_counter() - started
    note(f"tips_flood: {STAFF_TIPS} reports in the queue, made in {made:.1f} s")
    session = SessionStore()
    session["_auth_user_id"] = str(staff.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = staff.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=staff).persistent_id
    session.create()
    assert last is not None
    return {"session": session.session_key, "tip": last.pk}


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


class _Staff:
    """The centre's browser: the queue and a report, in turn, each timed."""

    def __init__(self, port: int, session: str, tip: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Cookie": f"sessionid={session}", "Accept-Language": "zh-CN"}
        self.paths = ["/tips/", f"/tips/{tip}/"]

    def sample(self, count: int, stop: threading.Event | None = None) -> list[float]:
        times: list[float] = []
        for n in range(count):
            if stop is not None and stop.is_set():
                break
            path = self.paths[n % 2]
            start = time.perf_counter()
            self.connection.request("GET", path, headers=self.headers)
            response = self.connection.getresponse()
            response.read()
            times.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status} to the centre's staff")
        return times

    def close(self) -> None:
        self.connection.close()


def _attempt(
    connection: http.client.HTTPConnection, client: str, attempt: int, proof_of_work: Any
) -> str:
    """One report from ``client``: a challenge, then the form; the answer's status."""
    headers = {"X-Forwarded-For": client, "Accept-Language": "zh-CN"}
    connection.request("GET", "/report/challenge/", headers=headers)
    response = connection.getresponse()
    challenge = json.loads(response.read())["challenge"]
    # Even addresses solve the puzzle; odd ones are bots that skip it (an empty
    # nonce: a guessed one passes 8 bits once in 256 tries, and would blur the count).
    solved = attempt % FLOOD_CLIENTS % 2 == 0
    nonce = proof_of_work.solve(challenge, FLOOD_POW_BITS) if solved else ""
    body = urlencode(
        {
            "category": "neglect",
            "township": "431103101000",
            "village": VILLAGE,
            "description": f"压力测试第{attempt}份举报：有孩子独自在家。",
            "anonymous": "on",
            "challenge": challenge,
            "nonce": nonce,
        }
    )
    connection.request(
        "POST",
        "/report/",
        body=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = connection.getresponse()
    response.read()
    return str(response.status)


def _flood(port: int, number: int, stop: threading.Event, counts: dict[str, int]) -> None:
    from carecircle.tips import pow as proof_of_work

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    interval = FLOOD_THREADS / FLOOD_RPS * 2  # two requests per attempt
    attempt = number
    mine: dict[str, int] = {}
    next_at = time.perf_counter()
    while not stop.is_set():
        client = f"10.9.{attempt % FLOOD_CLIENTS // 250}.{attempt % FLOOD_CLIENTS % 250 + 1}"
        try:
            key = _attempt(connection, client, attempt, proof_of_work)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            key = exc.__class__.__name__
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine[key] = mine.get(key, 0) + 1
        attempt += FLOOD_THREADS
        next_at += interval
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    connection.close()
    with _COUNTS_LOCK:
        for key, value in mine.items():
            counts[key] = counts.get(key, 0) + value


@contextmanager
def _flood_server() -> Iterator[int]:
    from bench.screening.school import SCHOOL_WORKERS, server

    saved = {k: os.environ.get(k) for k in ("CARECIRCLE_PROXY_HOPS", "CARECIRCLE_TIP_POW_BITS")}
    os.environ["CARECIRCLE_PROXY_HOPS"] = "1"
    os.environ["CARECIRCLE_TIP_POW_BITS"] = str(FLOOD_POW_BITS)
    try:
        with server(SCHOOL_WORKERS) as port:
            yield port
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def tips_flood(built: dict[str, Any]) -> list[Figure]:
    from django.conf import settings

    from carecircle.tips.models import Channel, ThrottleHit, Tip

    before = Tip.objects.filter(channel=Channel.WEB).count()
    counts: dict[str, int] = {}
    with _flood_server() as port:
        staff = _Staff(port, built["session"], built["tip"])
        staff.sample(20)  # warm every worker's code paths
        # Alone: half before the flood, half after it (a noisy machine's pauses
        # then weigh on both sides alike).
        quiet = staff.sample(STAFF_REQUESTS // 2)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_flood, args=(port, n, stop, counts), daemon=True)
            for n in range(FLOOD_THREADS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # the flood is on before the staff measure
        loud: list[float] = []
        while time.perf_counter() - started < FLOOD_SECONDS:
            loud += staff.sample(20)
        stop.set()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        quiet += staff.sample(STAFF_REQUESTS // 2)
        staff.close()
    accepted = Tip.objects.filter(channel=Channel.WEB).count() - before
    counters = sorted(ThrottleHit.objects.values_list("count", flat=True), reverse=True)
    solvers = len(range(0, FLOOD_CLIENTS, 2))
    allowed = solvers * int(settings.CARECIRCLE_TIP_REPORTS_PER_HOUR)
    sent = sum(counts.values())
    quiet_p95, loud_p95 = _p95(quiet) * 1000, _p95(loud) * 1000
    note(
        f"tips_flood: {sent} reports sent in {seconds:.1f} s "
        f"({2 * sent / seconds:.0f} requests/s with the challenges) from {FLOOD_CLIENTS} "
        f"addresses; answers {dict(sorted(counts.items()))}; "
        f"{accepted} accepted, the limits allow {allowed}; throttle counters {counters}"
    )
    note(
        f"tips_flood: staff pages p50/p95 alone {statistics.median(quiet) * 1000:.1f}/"
        f"{quiet_p95:.1f} ms ({len(quiet)} requests), under the flood "
        f"{statistics.median(loud) * 1000:.1f}/{loud_p95:.1f} ms ({len(loud)} requests)"
    )
    return [
        Figure("tips_flood_staff", loud_p95, "ms", loud_p95 / quiet_p95, "<=2.0"),
        Figure("tips_flood_limit", accepted, "reports", accepted / allowed, "<=1.0"),
    ]


FIGURES = {"tips_flood_staff": tips_flood, "tips_flood_limit": tips_flood}


def run(names: list[str]) -> list[Figure]:
    built = build_world()
    return [figure for figure in tips_flood(built) if figure.name in names]
