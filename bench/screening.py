"""Benchmarks of screening (issue 4, item 10; PERFORMANCE.md G4, G5, G13, G14).

The world: a junior secondary school of 3,000 pupils (grades 7 to 9, classes of 50,
aged 13 to 15), its psychology teacher and a centre counselor over the district,
and campaigns of PHQ-9 and GAD-7 on a documented statutory basis (so that no code
waits for a guardian). Answers are drawn by a pupil's mood (``_mood``: most pupils
well, one in ten with some symptoms, one in twenty with many), so that most pupils
screen green and some yellow, red and red-critical: follow-ups, their
notifications and their audit rows are written as in a real round.

screening_submit
    ``POST /api/v1/screening/submissions/`` of one pupil's PHQ-9 (ten answers, a
    fresh one-time code and idempotency key each time): the code looked up by its
    digest, the answers checked, scored and triaged, the response, its audit event
    and any follow-up with its notification written, one durable commit (SQLite
    ``synchronous=FULL``, PostgreSQL ``synchronous_commit=on``: G13). Against a
    minimal DRF view on the same WSGI handler in the same run (``bench/urls.py``:
    a serializer for the same body, a sum of the answers, one INSERT into a plain
    table, its own durable commit), the B3 "minimal submit". The submit throttle is
    off for the run (one address sends everything). Goal (G4): rate ≥ 0.7 of the
    baseline's. p50 and p99 of both are noted (G4 also wants p99 ≤ 3×).
screening_start
    ``POST /q/`` with a one-time code, as a pupil's phone sends it after loading
    the code form (the CSRF cookie and token of one GET): digest lookup, the
    campaign checked, a new session written, the redirect to the first question.
    Against an anonymous GET of a read-by-id view on the same handler (one
    participant's row by primary key as JSON). Goal (G5): ≥ 0.5 — which no
    password hash per pupil would reach.
screening_school_3000
    A whole school starting and submitting through the pupils' pages: each pupil
    loads the code form, enters the code, answers PHQ-9 and GAD-7 page by page
    (five questions a page, as a phone shows them) and reaches the thank-you page,
    about fourteen requests. The server is gunicorn with ``2 × cores + 1`` sync
    workers (the deployment guide's count) on 127.0.0.1, the load generator eight
    client threads of ``http.client`` on the same two cores (PERFORMANCE.md B3: c=8).
    The value is the seconds until all have submitted, the ratio those seconds /
    600 (the issue's ten minutes). Goal ≤ 1.0. ``BENCH_SCHOOL_PUPILS`` lowers the
    3,000 for a quick try (the name stays), ``BENCH_SCHOOL_CLIENTS`` and
    ``BENCH_SCHOOL_WORKERS`` change the concurrency.
screening_score_100k
    Re-scoring 100,000 stored responses with the engine: each row's answers read
    (decrypted), parsed and scored with its instrument (all seven of the issue:
    PHQ-9, PHQ-A, GAD-7, PSC-17, ASQ, SCARED, K6, evenly). Against reading the same
    rows the same way without scoring (``values_list`` of code and answers,
    decrypted, ``json.loads``). Goal ≥ 0.2: scoring may cost up to four times what
    fetching and decrypting a row costs. The engine is pure Python over 7 to 41
    items with rules for bands, positive screens, critical items and skip logic,
    against a C-level decrypt and parse; at a fifth of the read rate 100,000
    responses still re-score within a minute here, well inside a maintenance
    window when cut-offs change, and scoring stays a small part of each submit.
    ``BENCH_SCORE_ROWS`` lowers the 100,000.
"""

from __future__ import annotations

import http.client
import io
import json
import math
import os
import queue
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.harness import Figure, compare_rates, compare_seconds, default_row, insert_sql, note

SCHOOL_PUPILS = int(os.environ.get("BENCH_SCHOOL_PUPILS", "3000"))
SCHOOL_CLIENTS = int(os.environ.get("BENCH_SCHOOL_CLIENTS", "8"))
SCHOOL_WORKERS = int(os.environ.get("BENCH_SCHOOL_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
SCHOOL_SECONDS = 600  # the issue's ten minutes
SCORE_ROWS = int(os.environ.get("BENCH_SCORE_ROWS", "100000"))
PUPILS = max(3000, SCHOOL_PUPILS)
CLASS_SIZE = 50
TOWNSHIP, VILLAGE = "431103101", "431103101200"
INSTRUMENTS = [("PHQ9", 13, 18), ("GAD7", 12, 18)]
SCORED = ("PHQ9", "PHQA", "GAD7", "PSC17", "ASQ", "SCARED", "K6")
STATUTORY = "教育部办公厅《关于加强学生心理健康管理工作的通知》（教思政厅函〔2021〕10号）"
SUBMIT_PATH = "/api/v1/screening/submissions/"
MINIMAL_SUBMIT_PATH = "/bench/screening/submit/"
START_PATH, THANKS_PATH = "/q/", "/q/thanks/"
ROOT = Path(__file__).resolve().parent.parent
SEED = 4

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIDDEN = re.compile(r'type="hidden" name="(part|page|ticket)" value="([^"]*)"')
_RADIO = re.compile(r'type="radio" name="([^"]+)" id="[^"]*" value="([^"]*)"')


# --- The world ------------------------------------------------------------------------


def _world() -> dict[str, Any]:
    """The school with its pupils in classes, its psychology teacher, a centre counselor."""
    from carecircle.accounts.models import Organisation, RoleAssignment, User
    from carecircle.accounts.roles import Role
    from carecircle.people.demo import child_name
    from carecircle.people.models import Minor, SchoolClass
    from carecircle.people.names import name_keys
    from carecircle.regions.models import Division
    from carecircle.regions.services import divisions_load

    divisions_load(
        rows=[
            ("43", "湖南省", ""),
            ("4311", "永州市", ""),
            ("431103", "冷水滩区", ""),
            (TOWNSHIP, "花桥街镇", ""),
            (VILLAGE, "石门村", "220"),
        ]
    )
    township = Division.objects.get(prefix=TOWNSHIP)
    school, _created = Organisation.objects.get_or_create(
        name="花桥街镇中学", kind=Organisation.Kind.SCHOOL, defaults={"division": township}
    )
    teacher = User.objects.create_user(
        username="bench_psych_teacher", password=None, full_name="蒋老师"
    )
    RoleAssignment.objects.create(
        user=teacher,
        role=Role.SCHOOL_PSYCH_TEACHER,
        organisation=school,
        scope_prefix=township.prefix,
    )
    counselor = User.objects.create_user(
        username="bench_counselor", password=None, full_name="唐咨询师"
    )
    county = Division.objects.get(prefix="431103")
    RoleAssignment.objects.create(
        user=counselor, role=Role.COUNSELOR, division=county, scope_prefix=county.prefix
    )
    rng = random.Random(SEED)
    year = date.today().year
    keys: dict[str, tuple[str, str]] = {}
    pupils: list[Minor] = []
    per_grade = math.ceil(PUPILS / 3 / CLASS_SIZE)
    for grade, age in ((7, 13), (8, 14), (9, 15)):
        for number in range(1, per_grade + 1):
            school_class = SchoolClass.objects.create(
                school=school, grade=grade, name=f"{number}班"
            )
            for _ in range(CLASS_SIZE):
                sex = rng.choice("MF")
                name = child_name(rng, sex)
                if name not in keys:
                    keys[name] = name_keys(name)
                pupils.append(
                    Minor(
                        name=name,
                        name_pinyin=keys[name][0],
                        name_initials=keys[name][1],
                        sex=sex,
                        # Born early in January: the same age all through the campaign.
                        birth_date=date(year - age, 1, 1 + rng.randrange(5)),
                        area_code=VILLAGE,
                        school=school,
                        school_class=school_class,
                    )
                )
    Minor.objects.bulk_create(pupils[:PUPILS], batch_size=1000)
    return {"school": school, "teacher": teacher}


def _campaign(
    world: dict[str, Any], name: str, instruments: Any = None, *, issue: bool = True
) -> Any:
    """An open campaign of the whole school, with every pupil's code issued (``issue``)."""
    from django.utils import timezone

    from carecircle.screening.models import Campaign
    from carecircle.screening.services import campaign_create, participants_issue

    now = timezone.now()
    campaign = campaign_create(
        actor=world["teacher"],
        school=world["school"],
        name=name,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis=STATUTORY,
        instruments=instruments or INSTRUMENTS,
    )
    if issue:
        participants_issue(actor=world["teacher"], campaign=campaign)
    return campaign


def _codes(campaign: Any) -> list[tuple[int, str]]:
    """(participant pk, one-time code) of the campaign, in class order."""
    return list(campaign.participants.order_by("pk").values_list("pk", "code"))


def _mood(rng: random.Random) -> float:
    """How likely a pupil is to give each higher answer than the one below it: most
    pupils are well, one in ten has some symptoms, one in twenty many."""
    return rng.choices((0.06, 0.4, 1.0), weights=(85, 10, 5))[0]


def _pick(values: tuple[Any, ...], rng: random.Random, mood: float) -> Any:
    """An answer of a pupil in ``mood``: each rated value ``mood`` times as likely as
    the one below it; "yes" (or "refused") rather than "no" as often as the mood says."""
    if "N" in values:
        weights = [{"N": 1.0, "Y": mood / 2}.get(v, mood / 10) for v in values]
    else:
        weights = [mood**n for n in range(len(values))]
    return rng.choices(values, weights=weights)[0]


def _draw(instrument: Any, rng: random.Random) -> dict[str, Any]:
    """A valid set of answers by item id, as a pupil might give them (skipped items blank)."""
    from carecircle.screening.instruments import hidden_items, score

    mood = _mood(rng)
    for _ in range(100):
        answers = {item.id: _pick(item.option_set.values, rng, mood) for item in instrument.items}
        answers.update(dict.fromkeys(hidden_items(instrument, answers)))
        if score(instrument, answers).valid:
            return answers
    raise AssertionError(f"no valid answers drawn for {instrument.code}")


def _share(levels: list[str]) -> str:
    counts = {level: levels.count(level) for level in sorted(set(levels))}
    return ", ".join(f"{level} {100 * n / len(levels):.1f} %" for level, n in counts.items())


def _quantiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {cuts[49] * 1e3:.1f} ms, p99 {cuts[98] * 1e3:.1f} ms"


# --- In-process requests -------------------------------------------------------------------


def _wsgi(
    handler: Any,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    content_type: str = "",
    cookie: str = "",
) -> tuple[str, dict[str, list[str]], bytes]:
    """One request through the whole WSGI stack; the status, headers and body."""
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

    body_out = b"".join(handler(environ, start_response))
    return answer["status"], answer["headers"], body_out


def _timed(op: Callable[[], None], times: list[float]) -> Callable[[], None]:
    def run() -> None:
        start = time.perf_counter()
        op()
        times.append(time.perf_counter() - start)

    return run


def _statements(op: Callable[[], Any]) -> list[str]:
    """The SQL statements one call of ``op`` sends."""
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


def screening_submit(world: dict[str, Any]) -> Figure:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import override_settings

    from carecircle.screening.instruments import get_instrument
    from carecircle.screening.models import Response

    instrument = get_instrument("PHQ9")
    rng = random.Random(SEED)
    # Two campaigns' codes: more than three seconds of submits at any plausible rate.
    codes = [code for n in (1, 2) for _pk, code in _codes(_campaign(world, f"提交 {n}"))]

    def body(code: str) -> bytes:
        answers = _draw(instrument, rng)
        given = {
            "code": code,
            "instrument": instrument.code,
            "answers": [answers[item.id] for item in instrument.items],
            "idempotency_key": uuid.uuid4().hex,
        }
        return json.dumps(given).encode()

    bodies = iter([body(code) for code in codes])
    minimal_body = body("0" * 10)
    with connection.schema_editor() as editor:
        editor.create_model(plain_submission())
    no_throttle = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"screening_submit": None}}
    with override_settings(ROOT_URLCONF="bench.urls", REST_FRAMEWORK=no_throttle):
        handler = WSGIHandler()

        def submit() -> None:
            posted = next(bodies, None)
            if posted is None:
                raise RuntimeError("the submit figure used up its one-time codes")
            status, _h, text = _wsgi(
                handler, "POST", SUBMIT_PATH, body=posted, content_type="application/json"
            )
            assert status.startswith("201"), (status, text[:300])

        def minimal() -> None:
            status, _h, text = _wsgi(
                handler,
                "POST",
                MINIMAL_SUBMIT_PATH,
                body=minimal_body,
                content_type="application/json",
            )
            assert status.startswith("201"), (status, text[:300])

        statements = _statements(submit)
        minimal_statements = _statements(minimal)
        before = Response.objects.filter(submitted_at__isnull=False).count()
        times: dict[str, list[float]] = {"minimal": [], "submit": []}
        minimal_rate, submit_rate = compare_rates(
            _timed(minimal, times["minimal"]), _timed(submit, times["submit"])
        )
    submitted = Response.objects.filter(submitted_at__isnull=False)
    assert submitted.count() - before == len(times["submit"])  # warm-ups included
    levels = list(submitted.values_list("triage", flat=True))
    note(
        f"screening_submit: minimal {minimal_rate:.0f}/s ({_quantiles(times['minimal'])}, "
        f"{len(minimal_statements)} SQL), submit {submit_rate:.0f}/s "
        f"({_quantiles(times['submit'])}, {len(statements)} SQL); levels {_share(levels)}"
    )
    return Figure("screening_submit", submit_rate, "req/s", submit_rate / minimal_rate, ">=0.7")


def screening_start(world: dict[str, Any]) -> Figure:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    participants = _codes(_campaign(world, "开始"))
    with override_settings(ROOT_URLCONF="bench.urls", CARECIRCLE_CODE_ATTEMPTS=10**9):
        handler = WSGIHandler()
        status, headers, page = _wsgi(handler, "GET", START_PATH)
        assert status.startswith("200"), status
        cookie = SimpleCookie()
        for header in headers.get("set-cookie", []):
            cookie.load(header)
        csrf = f"csrftoken={cookie['csrftoken'].value}"
        found = _CSRF.search(page.decode())
        assert found is not None, "the code form must carry its CSRF token"
        token = found.group(1)
        forms = [
            urlencode({"csrfmiddlewaretoken": token, "code": code}).encode()
            for _pk, code in participants
        ]
        paths = [f"/bench/participants/{pk}/" for pk, _code in participants]
        counter = {"start": 0, "read": 0}

        def start() -> None:
            n = counter["start"] = counter["start"] + 1
            status, headers, _b = _wsgi(
                handler,
                "POST",
                START_PATH,
                body=forms[n % len(forms)],
                content_type="application/x-www-form-urlencoded",
                cookie=csrf,
            )
            assert status.startswith("302") and headers["location"] == ["/q/answer/"], status

        def read() -> None:
            n = counter["read"] = counter["read"] + 1
            status, _h, _b = _wsgi(handler, "GET", paths[n % len(paths)])
            assert status.startswith("200"), status

        statements, read_statements = _statements(start), _statements(read)
        times: dict[str, list[float]] = {"read": [], "start": []}
        read_rate, start_rate = compare_rates(
            _timed(read, times["read"]), _timed(start, times["start"])
        )
    note(
        f"screening_start: read by id {read_rate:.0f}/s ({_quantiles(times['read'])}, "
        f"{len(read_statements)} SQL), start {start_rate:.0f}/s "
        f"({_quantiles(times['start'])}, {len(statements)} SQL)"
    )
    return Figure("screening_start", start_rate, "req/s", start_rate / read_rate, ">=0.5")


# --- A whole school over loopback -------------------------------------------------------------


def _database_url() -> str:
    """The throwaway database's URL, for the server's processes."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return parts._replace(path=f"/{name}").geturl()


@contextmanager
def _server(workers: int) -> Iterator[int]:
    """gunicorn serving the project on 127.0.0.1, on the throwaway database; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {**os.environ, "DATABASE_URL": _database_url()}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--workers={workers}",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start (exit {server.returncode})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", START_PATH)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class _Browser:
    """One pupil's phone: its cookies, one request at a time, each one timed by kind."""

    def __init__(self, port: int, times: dict[str, list[float]]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.times = times
        self.requests = 0

    def go(self, method: str, path: str, form: Mapping[str, str] | None = None) -> tuple:
        headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        elapsed = time.perf_counter() - start
        self.requests += 1
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        location = response.getheader("Location", "")
        if method == "GET":
            kind = "page"
        elif path == START_PATH:
            kind = "start"
        else:  # a page's answers; the last page's redirect has no ?page=
            kind = "submit" if location == "/q/answer/" else "save"
        self.times.setdefault(kind, []).append(elapsed)
        return response.status, location, text

    def close(self) -> None:
        self.connection.close()


def _questionnaire(browser: _Browser, code: str, rng: random.Random) -> None:
    """What a pupil does: the code form, the code, every page, the thank-you page."""
    mood = _mood(rng)
    status, _l, text = browser.go("GET", START_PATH)
    found = _CSRF.search(text)
    assert status == 200 and found is not None, status
    token = found.group(1)
    status, path, _t = browser.go("POST", START_PATH, {"csrfmiddlewaretoken": token, "code": code})
    assert status == 302 and path == "/q/answer/", (status, path)
    for _ in range(40):
        status, location, text = browser.go("GET", path)
        if status == 302:
            path = location
            if location == THANKS_PATH:
                status, _l, text = browser.go("GET", THANKS_PATH)
                assert status == 200, status
                return
            continue
        assert status == 200, (status, text[:300])
        while status == 200:  # the page again, with a question left open: answer anew
            choices: dict[str, list[str]] = {}
            for name, value in _RADIO.findall(text):
                choices.setdefault(name, []).append(value)
            form = dict(_HIDDEN.findall(text))
            form.update({name: _pick(tuple(values), rng, mood) for name, values in choices.items()})
            form.update(csrfmiddlewaretoken=token, action="next")
            status, location, text = browser.go("POST", "/q/answer/", form)
        assert status == 302, (status, text[:300])
        path = location
    raise AssertionError(f"no thank-you page after 40 steps for {code}")


def screening_school_3000(world: dict[str, Any]) -> Figure:
    from carecircle.screening.models import Participant

    campaign = _campaign(world, "全校")
    codes: queue.SimpleQueue[str] = queue.SimpleQueue()
    for _pk, code in _codes(campaign)[:SCHOOL_PUPILS]:
        codes.put(code)
    times: dict[str, list[float]] = {}
    failures: list[str] = []
    done = {"requests": 0}
    lock = threading.Lock()

    def client(number: int, port: int) -> None:
        rng = random.Random(SEED + number)
        mine: dict[str, list[float]] = {}
        requests = 0
        while not failures:
            try:
                code = codes.get_nowait()
            except queue.Empty:
                break
            browser = _Browser(port, mine)
            try:
                _questionnaire(browser, code, rng)
            except Exception as exc:  # report the first, stop everyone
                failures.append(f"{code}: {exc.__class__.__name__}: {exc}")
            finally:
                browser.close()
                requests += browser.requests
        with lock:
            done["requests"] += requests
            for kind, values in mine.items():
                times.setdefault(kind, []).extend(values)

    load = os.getloadavg()[0]
    with _server(SCHOOL_WORKERS) as port:
        threads = [
            threading.Thread(target=client, args=(n, port), daemon=True)
            for n in range(SCHOOL_CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} pupils failed; first: {failures[0]}")
    finished = campaign.participants.filter(status=Participant.Status.SUBMITTED).count()
    assert finished == SCHOOL_PUPILS, (finished, SCHOOL_PUPILS)
    each = "; ".join(f"{kind} {_quantiles(values)}" for kind, values in sorted(times.items()))
    note(
        f"screening_school_3000: {SCHOOL_PUPILS} pupils in {seconds:.1f} s, "
        f"{done['requests']} requests ({done['requests'] / seconds:.0f}/s), "
        f"{SCHOOL_WORKERS} gunicorn workers, {SCHOOL_CLIENTS} clients, load {load:.2f} before"
    )
    note(f"screening_school_3000 latencies: {each}")
    return Figure("screening_school_3000", seconds, "s", seconds / SCHOOL_SECONDS, "<=1.0")


# --- Re-scoring stored responses -----------------------------------------------------------


def _fill_responses(world: dict[str, Any], rows: int) -> int:
    """``rows`` submitted responses of the seven instruments, raw; the pk they start after.

    Participants of as many campaigns as the pupils need, each answering all seven;
    every answer set drawn (from a pool of 200 per instrument) and stored encrypted
    with its real score, band and level, as ``response_submit`` leaves it.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from carecircle.people.models import Minor
    from carecircle.screening.instruments import get_instrument, score
    from carecircle.screening.models import Participant, Response
    from carecircle.screening.services import code_digest

    rng = random.Random(SEED)
    pupils = list(Minor.objects.filter(school=world["school"]).values_list("pk", "school_class_id"))
    per_campaign = len(pupils) * len(SCORED)
    campaigns = [
        _campaign(world, f"重新评分 {n}", [(code, 0, 18) for code in SCORED], issue=False)
        for n in range(math.ceil(rows / per_campaign))
    ]
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    fields = {f.column: f for f in Response._meta.concrete_fields}

    def stored(code: str) -> dict[str, Any]:
        instrument = get_instrument(code)
        answers = _draw(instrument, rng)
        result = score(instrument, answers)
        values = {
            "code": code,
            "version": instrument.version,
            "answers": json.dumps(answers, ensure_ascii=False),
            "total": None if result.total is None else Decimal(str(round(result.total, 2))),
            "subscales": dict(result.subscales),
            "band": result.band or "",
            "positive": list(result.positive),
            "critical": result.critical,
            "triage": result.triage.level,
            "triage_reasons": [str(reason) for reason in result.triage.reasons],
        }
        prepared = {k: fields[k].get_db_prep_save(v, connection) for k, v in values.items()}
        prepared["submitted_at"] = prepared["updated_at"] = stamp
        return prepared

    pools = {code: [stored(code) for _ in range(200)] for code in SCORED}
    participant_base, response_base = default_row(Participant), default_row(Response)
    participant_columns, response_columns = list(participant_base), list(response_base)
    code_field = Participant._meta.get_field("code")
    floor = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with transaction.atomic(), connection.cursor() as cursor:
        people = []
        for campaign in campaigns:
            for minor_id, class_id in pupils:
                code = f"{campaign.pk:04d}{minor_id:06d}"
                row = dict(participant_base)
                row.update(
                    campaign_id=campaign.pk,
                    minor_id=minor_id,
                    school_class_id=class_id,
                    code=code_field.get_db_prep_save(code, connection),
                    code_digest=code_digest(f"rescore{code}"),
                    consent=Participant.Consent.NOT_NEEDED,
                    status=Participant.Status.SUBMITTED,
                    started_at=stamp,
                    submitted_at=stamp,
                )
                people.append(tuple(row[c] for c in participant_columns))
        cursor.executemany(insert_sql(Participant, participant_columns), people)
        ids = list(
            Participant.objects.filter(campaign__in=campaigns)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        answered = []
        for participant_id in ids:
            for code in SCORED:
                if len(answered) == rows:
                    break
                row = dict(response_base)
                row.update(rng.choice(pools[code]), participant_id=participant_id)
                answered.append(tuple(row[c] for c in response_columns))
        cursor.executemany(insert_sql(Response, response_columns), answered)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return int(floor)


def screening_score_100k(world: dict[str, Any]) -> Figure:
    from carecircle.screening.instruments import get_instrument, score
    from carecircle.screening.models import Response

    started = time.perf_counter()
    floor = _fill_responses(world, SCORE_ROWS)
    filled = time.perf_counter() - started
    note(f"screening_score_100k: {SCORE_ROWS} responses stored in {filled:.1f} s")
    stored = Response.objects.filter(pk__gt=floor).values_list("code", "answers")

    def read() -> None:
        rows = 0
        for _code, answers in stored.iterator(chunk_size=2000):
            json.loads(answers)
            rows += 1
        assert rows == SCORE_ROWS, rows

    def rescore() -> None:
        rows = valid = 0
        for code, answers in stored.iterator(chunk_size=2000):
            valid += score(get_instrument(code), json.loads(answers)).valid
            rows += 1
        assert rows == valid == SCORE_ROWS, (rows, valid)

    read_seconds, score_seconds = compare_seconds(read, rescore)
    read_rate, score_rate = SCORE_ROWS / read_seconds, SCORE_ROWS / score_seconds
    note(
        f"screening_score_100k: read {read_rate:.0f} rows/s ({read_seconds:.1f} s), "
        f"re-score {score_rate:.0f} rows/s ({score_seconds:.1f} s)"
    )
    return Figure("screening_score_100k", score_rate, "rows/s", score_rate / read_rate, ">=0.2")


FIGURES = {
    "screening_submit": screening_submit,
    "screening_start": screening_start,
    "screening_school_3000": screening_school_3000,
    "screening_score_100k": screening_score_100k,
}


def run(names: list[str]) -> list[Figure]:
    world = _world()
    return [FIGURES[name](world) for name in names]
