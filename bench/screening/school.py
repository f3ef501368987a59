"""screening_school_3000: a whole school through the pupils' pages, over loopback.

gunicorn serves the project from a subprocess on the run's throwaway database; the
load generator is a few threads here, each playing one pupil's phone after another
(cookies, the CSRF token, every page's radio buttons) with ``http.client``.
"""

from __future__ import annotations

import http.client
import os
import queue
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench.harness import Figure, note
from bench.screening.world import SCHOOL_PUPILS, SEED, campaign, codes, mood, pick, quantiles

SCHOOL_CLIENTS = int(os.environ.get("BENCH_SCHOOL_CLIENTS", "8"))
SCHOOL_WORKERS = int(os.environ.get("BENCH_SCHOOL_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
SCHOOL_SECONDS = 600  # the ten minutes
START_PATH, ANSWER_PATH, THANKS_PATH = "/q/", "/q/answer/", "/q/thanks/"
ROOT = Path(__file__).resolve().parents[2]
MAX_STEPS = 40  # requests after the code: a pupil who needs more is stuck

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIDDEN = re.compile(r'type="hidden" name="(part|page|ticket)" value="([^"]*)"')
_RADIO = re.compile(r'type="radio" name="([^"]+)" id="[^"]*" value="([^"]*)"')


def _database_url() -> str:
    """The throwaway database's URL, for the server's processes."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return parts._replace(path=f"/{name}").geturl()


@contextmanager
def server(workers: int, settings: str = "config.settings") -> Iterator[int]:
    """gunicorn serving the project on 127.0.0.1, on the throwaway database; its port."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = int(free.getsockname()[1])
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": settings}
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
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                probe.request("GET", START_PATH)
                status = probe.getresponse().status
            except OSError:
                status = 0
            finally:
                probe.close()
            if status == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not serve {START_PATH} (last status {status})")
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

    def go(
        self, method: str, path: str, form: Mapping[str, str] | None = None
    ) -> tuple[int, str, str]:
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
            kind = "submit" if location == ANSWER_PATH else "save"
        self.times.setdefault(kind, []).append(elapsed)
        return response.status, location, text

    def close(self) -> None:
        self.connection.close()


def _questionnaire(browser: _Browser, code: str, rng: random.Random) -> None:
    """What a pupil does: the code form, the code, every page, the thank-you page."""
    feeling = mood(rng)
    status, _l, text = browser.go("GET", START_PATH)
    found = _CSRF.search(text)
    assert status == 200 and found is not None, status
    token = found.group(1)
    status, path, _t = browser.go("POST", START_PATH, {"csrfmiddlewaretoken": token, "code": code})
    assert status == 302 and path == ANSWER_PATH, (status, path)
    for _ in range(MAX_STEPS):
        status, location, text = browser.go("GET", path)
        if status == 302:
            path = location
            if location == THANKS_PATH:
                status, _l, text = browser.go("GET", THANKS_PATH)
                assert status == 200, status
                return
            continue
        assert status == 200, (status, text[:300])
        for _retry in range(MAX_STEPS):  # the page again, a question left open: answer anew
            if status != 200:
                break
            choices: dict[str, list[str]] = {}
            for name, value in _RADIO.findall(text):
                choices.setdefault(name, []).append(value)
            form = dict(_HIDDEN.findall(text))
            for name, values in choices.items():
                form[name] = pick(tuple(values), rng, feeling)
            form.update(csrfmiddlewaretoken=token, action="next")
            status, location, text = browser.go("POST", ANSWER_PATH, form)
        assert status == 302, (status, text[:300])
        path = location
    raise AssertionError(f"no thank-you page after {MAX_STEPS} steps for {code}")


def screening_school_3000(built: dict[str, Any]) -> Figure:
    from carecircle.screening.models import Participant

    opened = campaign(built, "全校")
    waiting: queue.SimpleQueue[str] = queue.SimpleQueue()
    for _pk, code in codes(opened)[:SCHOOL_PUPILS]:
        waiting.put(code)
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
                code = waiting.get_nowait()
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
    with server(SCHOOL_WORKERS) as port:
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
    finished = opened.participants.filter(status=Participant.Status.SUBMITTED).count()
    assert finished == SCHOOL_PUPILS, (finished, SCHOOL_PUPILS)
    each = "; ".join(f"{kind} {quantiles(values)}" for kind, values in sorted(times.items()))
    note(
        f"screening_school_3000: {SCHOOL_PUPILS} pupils in {seconds:.1f} s, "
        f"{done['requests']} requests ({done['requests'] / seconds:.0f}/s), "
        f"{SCHOOL_WORKERS} gunicorn workers, {SCHOOL_CLIENTS} clients, load {load:.2f} before"
    )
    note(f"screening_school_3000 latencies: {each}")
    return Figure("screening_school_3000", seconds, "s", seconds / SCHOOL_SECONDS, "<=1.0")
