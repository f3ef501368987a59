"""Benchmarks of screening (issue 4, item 10; PERFORMANCE.md G4, G5, G13, G14).

The world (``world.py``): a junior secondary school of 3,000 pupils (grades 7 to 9,
classes of 50, aged 13 to 15), its psychology teacher and a centre counselor over
the district, and campaigns of PHQ-9 and GAD-7 on a documented statutory basis (so
that no code waits for a guardian). Answers are drawn by a pupil's mood (most
pupils well, one in ten with some symptoms, one in twenty with many), so that most
screen green and some yellow, red and red-critical: follow-ups, their
notifications and their audit rows are written as in a real round.

screening_submit (``submit.py``)
    ``POST /api/v1/screening/submissions/`` of one pupil's PHQ-9 (ten answers, a
    fresh one-time code and idempotency key each time): the code looked up by its
    digest, the answers checked, scored and triaged, the response, its audit event
    and any follow-up with its notification written, one durable commit (SQLite
    ``synchronous=FULL``, PostgreSQL ``synchronous_commit=on``: G13). Against a
    minimal DRF view (``bench/urls.py``: a serializer for the same body, a sum of
    the answers, one INSERT into a plain table, its own durable commit),
    PERFORMANCE.md B3's "minimal submit", measured as B3 measured it: gunicorn with
    two sync workers on 127.0.0.1, eight clients on the same cores, runs of
    ``BENCH_SUBMIT_SECONDS`` (10) interleaved, the median of three. The submit
    throttle is off (``bench/settings.py``: one address sends everything).
    ``BENCH_SUBMIT_WORKERS=1`` shows what the second worker adds to each. Goal
    (G4): rate ≥ 0.7 of the baseline's. p50 and p99 of both are noted (G4 also
    wants p99 ≤ 3× the baseline's), with the SQL statements one request sends,
    and both rates against a bare view's (``bench/hello/``), in which G4 restates
    its goal: the submit at ≥ 0.15 of it on PostgreSQL, ≥ 0.27 on SQLite.
screening_start (``inprocess.py``)
    ``POST /q/`` with a one-time code, as a pupil's phone sends it after loading
    the code form (the CSRF cookie and token of one GET): the digest looked up, the
    campaign checked, the signed pupil cookie set (no session row: the cookie holds
    the participant's id), the redirect to the first question.
    Against an anonymous GET of a read-by-id view on the same handler (one
    participant's row by primary key, as JSON). Goal (G5): ≥ 0.5, which no password
    hash per pupil could reach.
screening_school_3000 (``school.py``)
    A whole school starting and submitting through the pupils' pages: each pupil
    loads the code form, enters the code, answers PHQ-9 and GAD-7 page by page
    (five questions a page, as a phone shows them) and reaches the thank-you page:
    twelve requests. The server is gunicorn with ``2 × cores + 1`` sync workers
    (the deployment guide's count) on 127.0.0.1, on the run's throwaway database;
    the load generator is eight client threads of ``http.client`` on the same two
    cores (B3's c=8). The value is the seconds until every pupil has submitted, the
    ratio those seconds / 600 (the issue's ten minutes). Goal ≤ 1.0. Latencies per
    kind of request are noted. ``BENCH_SCHOOL_PUPILS`` lowers the 3,000 for a quick
    try (the name stays); ``BENCH_SCHOOL_CLIENTS`` and ``BENCH_SCHOOL_WORKERS``
    change the concurrency.
screening_score_100k (``rescore.py``)
    Re-scoring 100,000 stored responses with the engine: each row's answers read
    (decrypted), parsed and scored with its instrument, the seven of the issue
    evenly (PHQ-9, PHQ-A, GAD-7, PSC-17, ASQ, SCARED, K6). Against reading the same
    rows the same way without scoring (``values_list`` of code and answers,
    decrypted, ``json.loads``). Goal ≥ 0.2: re-scoring is per-row Python work on
    top of the raw data path, the shape of an import's per-row validation, whose
    goals are 0.25 of raw COPY on PostgreSQL (G1) and 0.15 of a raw executemany on
    SQLite (G2); 0.2 lies between. ``BENCH_SCORE_ROWS`` lowers the 100,000.
"""

from __future__ import annotations

from bench.harness import Figure
from bench.screening.inprocess import screening_start
from bench.screening.rescore import screening_score_100k
from bench.screening.school import screening_school_3000
from bench.screening.submit import plain_submission, screening_submit
from bench.screening.world import build_world

__all__ = ["FIGURES", "plain_submission", "run"]

FIGURES = {
    "screening_submit": screening_submit,
    "screening_start": screening_start,
    "screening_school_3000": screening_school_3000,
    "screening_score_100k": screening_score_100k,
}


def run(names: list[str]) -> list[Figure]:
    built = build_world()
    return [FIGURES[name](built) for name in names]
