"""Screening reports: distributions per school, grade and class, small cells, who sees
what, and the xlsx export."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook

from carecircle.accounts.models import Organisation, User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign
from carecircle.screening.reports import (
    NO_CLASS,
    SHOWN,
    SMALL,
    WITHHELD,
    Cell,
    SchoolReport,
    school_report,
    suppress,
)
from carecircle.screening.services import campaign_create, participants_issue, response_submit
from carecircle.testing.fixtures import AREA_A, _create_minor, make_user, verified_client

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]

TZ = ZoneInfo("Asia/Shanghai")
SPRING = datetime(2026, 3, 2, 8, tzinfo=TZ)
AUTUMN = datetime(2026, 9, 7, 8, tzinfo=TZ)
PHQ9 = {
    "green": [0, 1, 0, 1, 0, 1, 0, 0, 0],  # 3: minimal
    "yellow": [2, 2, 1, 1, 1, 1, 1, 1, 0],  # 10: moderate
    "red": [3, 3, 3, 3, 2, 2, 2, 2, 0],  # 20: severe
}
NAMES = "子丑寅卯辰巳午未申酉戌亥甲乙丙丁戊己庚辛壬癸"
FULL_ROLES = ("school_psych_teacher", "counselor", "center_staff")
REFUSED_ROLES = (
    "district_admin",
    "social_worker",
    "child_director",
    "child_supervisor",
    "analyst",
    "auditor",
    "sysadmin",
    "volunteer",
)


def _campaign(
    actor: User, school: Organisation, opens: datetime, name: str, *codes: str
) -> Campaign:
    made = campaign_create(
        actor=actor,
        school=school,
        name=name,
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《未成年人保护法》第三十条",
        instruments=[(code, 10, 18) for code in codes or ("PHQ9",)],
    )
    participants_issue(actor=actor, campaign=made)
    return made


def _submit(round_: Campaign, minors: list[Minor], level: str) -> None:
    answers = {f"q{n}": value for n, value in enumerate(PHQ9[level], start=1)}
    with freeze_time(round_.opens_at + timedelta(hours=1)):
        for minor in minors:
            participant = round_.participants.get(minor=minor)
            response_submit(participant=participant, code="PHQ9", answers=answers)


@pytest.fixture
def school(district: dict[str, Any], personas: dict[str, User]) -> dict[str, Any]:
    """School A. Spring: 8年级1班 six pupils (one red), 2班 five green, 9年级1班 five
    (four yellow, one green), one pupil without a class (green). Autumn: 8-1 six green,
    8-2 five green, 9-1 five yellow; the pupil without a class is not screened."""
    school = district["orgs"]["school_A"]
    classes = {
        key: SchoolClass.objects.create(school=school, grade=grade, name=name)
        for key, grade, name in (("8-1", 8, "1班"), ("8-2", 8, "2班"), ("9-1", 9, "1班"))
    }
    sizes = {"8-1": 6, "8-2": 5, "9-1": 5}
    names = iter(f"钟{c}" for c in NAMES)

    def pupil(school_class: SchoolClass | None) -> Minor:
        return _create_minor(
            name=next(names),
            sex="M",
            birth_date=date(2012, 1, 1),
            area_code=AREA_A,
            school=school,
            school_class=school_class,
        )

    pupils = {key: [pupil(classes[key]) for _ in range(n)] for key, n in sizes.items()}
    pupils["none"] = [pupil(None)]
    counselor = personas["counselor"]
    spring = _campaign(counselor, school, SPRING, "春季筛查")
    _submit(spring, pupils["8-1"][:1], "red")
    _submit(spring, pupils["8-1"][1:] + pupils["8-2"] + pupils["none"], "green")
    _submit(spring, pupils["9-1"][:4], "yellow")
    _submit(spring, pupils["9-1"][4:], "green")
    autumn = _campaign(counselor, school, AUTUMN, "秋季筛查")
    _submit(autumn, pupils["8-1"] + pupils["8-2"], "green")
    _submit(autumn, pupils["9-1"], "yellow")
    everyone = [m.name for group in pupils.values() for m in group]
    return {"school": school, "classes": classes, "names": everyone, "spring": spring}


def counts(cells: Any) -> dict[str, int | str | None]:
    """A distribution's cells by category key: the count, or "<" / "—" when hidden."""
    out: dict[str, int | str | None] = {}
    for category, cell in cells:
        out[category.key] = _show(cell)
    return out


def _show(cell: Cell) -> int | str | None:
    return {SHOWN: cell.value, SMALL: "<", WITHHELD: "—"}[cell.state]


def _url(school: Organisation, name: str = "school-detail") -> str:
    return reverse(f"screening-reports:{name}", args=[school.pk])


# --- The counts --------------------------------------------------------------------------


def test_it_counts_bands_and_triage_levels_of_the_latest_round_and_across_rounds(
    school: dict[str, Any],
) -> None:
    report = school_report(school["school"], suppressed=False)
    assert report is not None
    (phq9,) = report.instruments
    assert phq9.code == "PHQ9"
    assert [r.name for r in phq9.rounds] == ["春季筛查", "秋季筛查"]
    spring, autumn = phq9.rounds
    assert spring.bands is not None and autumn.bands is not None
    assert counts(spring.triage.cells) == {"red_critical": 0, "red": 1, "yellow": 4, "green": 12}
    assert spring.triage.total.value == 17
    assert counts(spring.bands.cells) == {
        "minimal": 12,
        "mild": 0,
        "moderate": 4,
        "moderately_severe": 0,
        "severe": 1,
    }
    assert phq9.latest == autumn
    assert counts(autumn.triage.cells)["yellow"] == 5 and autumn.triage.total.value == 16
    shares = {c.key: cell.percent for c, cell in autumn.triage.cells}
    assert shares == {"red_critical": "0.0%", "red": "0.0%", "yellow": "31.2%", "green": "68.8%"}


def test_a_grade_and_a_class_have_their_own_rounds(school: dict[str, Any]) -> None:
    grade = school_report(school["school"], part="grade-9", suppressed=False)
    assert grade is not None
    assert [counts(r.triage.cells)["yellow"] for r in grade.instruments[0].rounds] == [4, 5]
    klass = school["classes"]["8-1"]
    one = school_report(school["school"], part=f"class-{klass.pk}", suppressed=False)
    assert one is not None
    assert [r.triage.total.value for r in one.instruments[0].rounds] == [6, 6]
    # The pupil without a class was screened in spring only: one round.
    alone = school_report(school["school"], part=f"class-{NO_CLASS}", suppressed=False)
    assert alone is not None and len(alone.instruments[0].rounds) == 1
    assert [p.key for p in one.parts] == [
        "",
        "grade-8",
        f"class-{school['classes']['8-1'].pk}",
        f"class-{school['classes']['8-2'].pk}",
        "grade-9",
        f"class-{school['classes']['9-1'].pk}",
        f"class-{NO_CLASS}",
    ]
    assert school_report(school["school"], part="grade-7", suppressed=False) is None


def test_an_instrument_without_bands_has_only_triage_levels(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    other = district["orgs"]["school_B"]
    minor = _create_minor(
        name="钟乾", sex="F", birth_date=date(2012, 1, 1), area_code=AREA_A, school=other
    )
    asq = _campaign(personas["counselor"], other, SPRING, "ASQ", "ASQ")
    with freeze_time(SPRING + timedelta(hours=1)):
        participant = asq.participants.get(minor=minor)
        answers = {f"q{n}": "N" for n in range(1, 5)}
        response_submit(participant=participant, code="ASQ", answers=answers)
    report = school_report(other, suppressed=False)
    assert report is not None
    (instrument,) = report.instruments
    assert instrument.bands == () and instrument.latest.bands is None
    assert counts(instrument.latest.triage.cells)["green"] == 1


# --- Small cells -------------------------------------------------------------------------


def _table(**row: int) -> tuple[dict[Any, int], list[list[Any]]]:
    """One distribution: a total and its parts, as ``suppress`` takes them."""
    values = {("total",): sum(row.values())} | {(k,): v for k, v in row.items()}
    return values, [[("total",)] + [(k,) for k in row]]


@pytest.mark.parametrize(
    ("row", "hidden"),
    [
        ({"a": 5, "b": 5}, {}),  # 5 is shown
        ({"a": 4, "b": 5}, {("a",): SMALL, ("b",): WITHHELD}),  # 4 is not, nor its complement
        ({"a": 0, "b": 7}, {}),  # a zero singles no child out
        ({"a": 4, "b": 0}, {("a",): SMALL, ("total",): SMALL}),  # the total is 4 as well
        ({"a": 3, "b": 4, "c": 5}, {("a",): SMALL, ("b",): SMALL}),  # two hidden: enough
        ({"a": 2, "b": 8, "c": 10}, {("a",): SMALL, ("b",): WITHHELD}),  # the smallest other
    ],
)
def test_counts_under_five_are_hidden_and_so_is_their_complement(
    row: dict[str, int], hidden: dict[Any, str]
) -> None:
    values, sums = _table(**row)
    assert suppress(values, sums, 5) == hidden


def test_a_withheld_cell_may_call_for_another_in_a_second_sum() -> None:
    # Two classes of a grade: class x has 2 red; class y's red (9) is withheld in the
    # grade sum, so y's own row now has a single hidden cell: y's green goes too.
    values = {
        ("g", "red"): 11,
        ("x", "red"): 2,
        ("y", "red"): 9,
        ("x", "green"): 20,
        ("y", "green"): 30,
        ("x", "total"): 22,
        ("y", "total"): 39,
    }
    sums = [
        [("g", "red"), ("x", "red"), ("y", "red")],
        [("x", "total"), ("x", "red"), ("x", "green")],
        [("y", "total"), ("y", "red"), ("y", "green")],
    ]
    hidden = suppress(values, sums, 5)
    assert hidden[("x", "red")] == SMALL
    assert hidden[("y", "red")] == WITHHELD
    assert hidden[("x", "green")] == WITHHELD and hidden[("y", "green")] == WITHHELD
    assert ("g", "red") not in hidden


def test_the_administrator_sees_small_cells_as_under_five(school: dict[str, Any]) -> None:
    report = school_report(school["school"], suppressed=True)
    assert report is not None and report.suppressed
    spring, autumn = report.instruments[0].rounds
    assert counts(spring.triage.cells) == {
        "red_critical": 0,
        "red": "<",
        "yellow": "<",
        "green": 12,
    }
    assert spring.triage.total.value == 17
    assert {c.key: cell.share for c, cell in spring.triage.cells}["red"] is None
    # Autumn's smallest count is 5: nothing to hide.
    assert counts(autumn.triage.cells) == {"red_critical": 0, "red": 0, "yellow": 5, "green": 11}
    # Grade 9 in spring: four yellow, one green; its total would give them away.
    grade = school_report(school["school"], part="grade-9", suppressed=True)
    assert grade is not None
    first = grade.instruments[0].rounds[0]
    assert counts(first.triage.cells) == {"red_critical": 0, "red": 0, "yellow": "<", "green": "<"}
    assert first.triage.total.state == WITHHELD and first.triage.total.value is None


def _cell_states(report: SchoolReport) -> dict[tuple[int, str, str], int | str | None]:
    states: dict[tuple[int, str, str], int | str | None] = {}
    for one in report.instruments[0].rounds:
        states[(one.campaign_id, "total", "")] = _show(one.triage.total)
        for dim, distribution in (("triage", one.triage), ("band", one.bands)):
            assert distribution is not None
            for category, cell in distribution.cells:
                states[(one.campaign_id, dim, category.key)] = _show(cell)
    return states


def test_no_page_gives_away_a_hidden_cell_by_subtraction(school: dict[str, Any]) -> None:
    """Every sum the pages show — a distribution and its total, the school over its
    grades, a grade over its classes — has no hidden term or at least two."""
    first = school_report(school["school"], suppressed=True)
    assert first is not None
    pages = {}
    for part in first.parts:
        page = school_report(school["school"], part=part.key, suppressed=True)
        assert page is not None
        pages[part.key] = _cell_states(page)
    children: dict[str, list[str]] = defaultdict(list)
    for part in first.parts:
        if part.key.startswith("grade-") or part.key == f"class-{NO_CLASS}":
            children[""].append(part.key)
        elif part.key.startswith("class-"):
            children[f"grade-{part.grade}"].append(part.key)
    hidden = {"<", "—"}
    checked = 0
    for parent, kids in children.items():
        for key, value in pages[parent].items():
            terms = [value] + [pages[kid].get(key, 0) for kid in kids]
            assert sum(t in hidden for t in terms) != 1, (parent, key, terms)
            checked += 1
    for key_of_part, cells in pages.items():
        for campaign_id in {k[0] for k in cells}:
            for dim in ("triage", "band"):
                terms = [cells[(campaign_id, "total", "")]] + [
                    v for k, v in cells.items() if k[0] == campaign_id and k[1] == dim
                ]
                assert sum(t in hidden for t in terms) != 1, (key_of_part, dim, terms)
                checked += 1
    assert checked > 50
    assert any("<" in cells.values() for cells in pages.values())


# --- Who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize("role", FULL_ROLES)
def test_the_psychology_teacher_and_the_centre_see_the_counts(
    school: dict[str, Any], personas: dict[str, User], role: str
) -> None:
    response = verified_client(personas[role]).get(_url(school["school"]))
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.suppressed
    assert counts(report.instruments[0].rounds[0].triage.cells)["red"] == 1
    listed = verified_client(personas[role]).get(reverse("screening-reports:school-list"))
    assert listed.status_code == 200 and _url(school["school"]) in listed.content.decode()


def test_the_school_administrator_sees_the_report_with_small_cells_suppressed(
    school: dict[str, Any], personas: dict[str, User]
) -> None:
    client = verified_client(personas["school_admin"])
    response = client.get(_url(school["school"]))
    assert response.status_code == 200
    assert response.context["report"].suppressed
    body = response.content.decode()
    assert "&lt;5" in body and response.context["note"]
    # The chart draws no hidden share.
    ((_instrument, _chart_id, chart),) = response.context["sections"]
    red = next(s for s in chart["series"] if s["key"] == "red")
    assert red["data"] == [None, 0.0]
    listed = client.get(reverse("screening-reports:school-list"))
    assert listed.status_code == 200 and _url(school["school"]) in listed.content.decode()


def test_no_page_names_a_pupil(school: dict[str, Any], personas: dict[str, User]) -> None:
    for role in ("school_psych_teacher", "school_admin"):
        client = verified_client(personas[role])
        report = client.get(_url(school["school"])).context["report"]
        for part in report.parts:
            body = client.get(_url(school["school"]), {"part": part.key}).content.decode()
            assert not [name for name in school["names"] if name in body], (role, part.key)


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_are_refused(
    school: dict[str, Any], personas: dict[str, User], role: str
) -> None:
    client = verified_client(personas[role])
    for url in (
        reverse("screening-reports:school-list"),
        _url(school["school"]),
        _url(school["school"], "school-export"),
    ):
        assert client.get(url).status_code == 403, url


def test_a_signed_in_user_without_a_role_is_refused(school: dict[str, Any]) -> None:
    client = verified_client(make_user("nobody"))
    assert client.get(_url(school["school"])).status_code == 403


@pytest.mark.parametrize(
    "role", ["school_psych_teacher", "school_admin", "counselor", "center_staff"]
)
def test_another_countys_or_schools_staff_get_not_found(
    school: dict[str, Any], other_personas: dict[str, User], role: str
) -> None:
    # School B's teacher and administrator, and 零陵区's centre.
    client = verified_client(other_personas[role])
    assert client.get(_url(school["school"])).status_code == 404
    assert client.get(_url(school["school"], "school-export")).status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_type="screening.report"
    ).exists()


def test_the_schools_own_staff_cannot_read_another_school(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    other = district["orgs"]["school_B"]
    for role in ("school_psych_teacher", "school_admin"):
        assert verified_client(personas[role]).get(_url(other)).status_code == 404
    assert verified_client(personas["counselor"]).get(_url(other)).status_code == 200
    hospital = district["orgs"]["hospital_A"]
    assert verified_client(personas["counselor"]).get(_url(hospital)).status_code == 404


def test_a_part_the_school_does_not_have_is_not_found(
    school: dict[str, Any], district: dict[str, Any], personas: dict[str, User]
) -> None:
    client = verified_client(personas["school_psych_teacher"])
    elsewhere = SchoolClass.objects.create(school=district["orgs"]["school_B"], grade=8, name="9班")
    for part in ("grade-7", f"class-{elsewhere.pk}", "class-x", "nonsense"):
        assert client.get(_url(school["school"]), {"part": part}).status_code == 404, part


def test_anonymous_visitors_are_sent_to_sign_in(school: dict[str, Any]) -> None:
    client = Client()
    for url in (
        reverse("screening-reports:school-list"),
        _url(school["school"]),
        _url(school["school"], "school-export"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_wrong_methods_are_refused(school: dict[str, Any], personas: dict[str, User]) -> None:
    client = verified_client(personas["school_psych_teacher"])
    assert client.post(reverse("screening-reports:school-list")).status_code == 405
    assert client.post(_url(school["school"])).status_code == 405
    assert client.post(_url(school["school"], "school-export")).status_code == 405
    assert client.head(_url(school["school"], "school-export")).status_code == 405
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- The export ----------------------------------------------------------------------------


def _rows(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _row(rows: list[tuple[Any, ...]], first: str) -> tuple[Any, ...]:
    return next(r for r in rows if r[0] == first)


def test_the_export_has_the_same_tables_and_is_audited_with_its_filters(
    school: dict[str, Any], personas: dict[str, User]
) -> None:
    client = verified_client(personas["school_psych_teacher"])
    response = client.get(_url(school["school"], "school-export"), {"part": "grade-9"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheets = _rows(response.content)
    rows = sheets["PHQ9"]
    spring = _row(rows, "春季筛查")
    # Round, opened on, pupils, then each category's count and share.
    assert spring[1:3] == ("2026-03-02", 5)
    cells = [value for value in rows for value in value if value is not None]
    assert not [name for name in school["names"] if name in map(str, cells)]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.object_type == "screening.report"
    assert event.details["filters"] == {"school": school["school"].pk, "part": "grade-9"}
    assert event.details["suppressed"] is False


def test_the_administrators_export_is_suppressed_like_the_page(
    school: dict[str, Any], personas: dict[str, User]
) -> None:
    client = verified_client(personas["school_admin"])
    response = client.get(_url(school["school"], "school-export"), {"part": "grade-9"})
    assert response.status_code == 200
    rows = _rows(response.content)["PHQ9"]
    spring = _row(rows, "春季筛查")
    assert spring[2] == "—"  # the grade's total would give the small cells away
    assert "<5" in spring and not [v for v in spring[3:] if isinstance(v, float)]
    autumn = _row(rows, "秋季筛查")
    assert autumn[2] == 5
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.details["suppressed"] is True


def test_the_export_escapes_text_a_spreadsheet_would_run(
    school: dict[str, Any], personas: dict[str, User]
) -> None:
    Campaign.objects.filter(pk=school["spring"].pk).update(name='=HYPERLINK("http://x","y")')
    Organisation.objects.filter(pk=school["school"].pk).update(name="+cmd|' /C calc'!A0")
    client = verified_client(personas["counselor"])
    response = client.get(_url(school["school"], "school-export"))
    book = load_workbook(io.BytesIO(response.content))
    values = [c.value for row in book["PHQ9"].iter_rows() for c in row if c.value is not None]
    texts = [v for v in values if isinstance(v, str)]
    assert '\'=HYPERLINK("http://x","y")' in texts
    assert any(t.startswith("'+cmd") for t in texts)
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    formulas = [c for row in book["PHQ9"].iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
