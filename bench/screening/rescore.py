"""screening_score_100k: re-scoring stored responses with the engine, against reading them."""

from __future__ import annotations

import json
import math
import os
import random
import time
from decimal import Decimal
from typing import Any

from bench.harness import Figure, compare_seconds, default_row, insert_sql, note
from bench.screening.world import SEED, campaign, draw

SCORE_ROWS = int(os.environ.get("BENCH_SCORE_ROWS", "100000"))
SCORED = ("PHQ9", "PHQA", "GAD7", "PSC17", "ASQ", "SCARED", "K6")


def _fill_responses(built: dict[str, Any], rows: int) -> int:
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
    pupils = list(Minor.objects.filter(school=built["school"]).values_list("pk", "school_class_id"))
    per_campaign = len(pupils) * len(SCORED)
    campaigns = [
        campaign(built, f"重新评分 {n}", [(code, 0, 18) for code in SCORED], issue=False)
        for n in range(math.ceil(rows / per_campaign))
    ]
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    fields = {f.column: f for f in Response._meta.concrete_fields}

    def stored(code: str) -> dict[str, Any]:
        instrument = get_instrument(code)
        answers = draw(instrument, rng)
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
        people: list[tuple[Any, ...]] = []
        for opened in campaigns:
            for minor_id, class_id in pupils:
                code = f"{opened.pk:04d}{minor_id:06d}"
                row = dict(participant_base)
                row.update(
                    campaign_id=opened.pk,
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
        answered: list[tuple[Any, ...]] = []
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


def screening_score_100k(built: dict[str, Any]) -> Figure:
    from carecircle.screening.instruments import get_instrument, score
    from carecircle.screening.models import Response

    started = time.perf_counter()
    floor = _fill_responses(built, SCORE_ROWS)
    filled = time.perf_counter() - started
    note(f"screening_score_100k: {SCORE_ROWS} responses stored in {filled:.1f} s")
    # In key order: the model's default ordering would join three tables to sort.
    stored = Response.objects.filter(pk__gt=floor).order_by("pk").values_list("code", "answers")

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
