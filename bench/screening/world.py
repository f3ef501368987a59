"""The screening benchmarks' school, campaigns and answers, and their small helpers."""

from __future__ import annotations

import math
import os
import random
import statistics
from datetime import date, timedelta
from typing import Any

SCHOOL_PUPILS = int(os.environ.get("BENCH_SCHOOL_PUPILS", "3000"))
PUPILS = max(3000, SCHOOL_PUPILS)  # the submit and start figures' codes come from them too
CLASS_SIZE = 50
TOWNSHIP, VILLAGE = "431103101", "431103101200"
INSTRUMENTS = [("PHQ9", 13, 18), ("GAD7", 12, 18)]
STATUTORY = "教育部办公厅《关于加强学生心理健康管理工作的通知》（教思政厅函〔2021〕10号）"
SEED = 4


def build_world(pupils: int = PUPILS) -> dict[str, Any]:
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
    # Red results notify the centre too.
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
    rows: list[Minor] = []
    per_grade = math.ceil(pupils / 3 / CLASS_SIZE)
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
                rows.append(
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
    Minor.objects.bulk_create(rows[:pupils], batch_size=1000)
    return {"school": school, "teacher": teacher}


def campaign(
    built: dict[str, Any], name: str, instruments: Any = None, *, issue: bool = True
) -> Any:
    """An open campaign of the whole school, with every pupil's code issued (``issue``)."""
    from django.utils import timezone

    from carecircle.screening.models import Campaign
    from carecircle.screening.services import campaign_create, participants_issue

    now = timezone.now()
    opened = campaign_create(
        actor=built["teacher"],
        school=built["school"],
        name=name,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis=STATUTORY,
        instruments=instruments or INSTRUMENTS,
    )
    if issue:
        participants_issue(actor=built["teacher"], campaign=opened)
    return opened


def codes(opened: Any) -> list[tuple[int, str]]:
    """(participant pk, one-time code) of the campaign's pupils, in class order."""
    return list(opened.participants.order_by("pk").values_list("pk", "code"))


def mood(rng: random.Random) -> float:
    """How likely a pupil is to give each higher answer than the one below it: most
    pupils are well, one in ten has some symptoms, one in twenty many."""
    return rng.choices((0.06, 0.4, 1.0), weights=(85, 10, 5))[0]


def pick(values: tuple[Any, ...], rng: random.Random, feeling: float) -> Any:
    """An answer of a pupil in mood ``feeling``: each rated value ``feeling`` times as
    likely as the one below it; "yes" (or "refused") rather than "no" as the mood says."""
    if "N" in values:
        weights = [{"N": 1.0, "Y": feeling / 2}.get(v, feeling / 10) for v in values]
    else:
        weights = [feeling**n for n in range(len(values))]
    return rng.choices(values, weights=weights)[0]


def draw(instrument: Any, rng: random.Random) -> dict[str, Any]:
    """A valid set of answers by item id, as a pupil might give them (skipped items blank)."""
    from carecircle.screening.instruments import hidden_items, score

    feeling = mood(rng)
    for _ in range(100):
        answers = {item.id: pick(item.option_set.values, rng, feeling) for item in instrument.items}
        answers.update(dict.fromkeys(hidden_items(instrument, answers)))
        if score(instrument, answers).valid:
            return answers
    raise AssertionError(f"no valid answers drawn for {instrument.code}")


def shares(levels: list[str]) -> str:
    """Each triage level's share, for the notes."""
    counts = {level: levels.count(level) for level in sorted(set(levels))}
    return ", ".join(
        f"{level or 'none'} {100 * n / len(levels):.1f} %" for level, n in counts.items()
    )


def quantiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {cuts[49] * 1e3:.1f} ms, p99 {cuts[98] * 1e3:.1f} ms"
