"""import_minors: formats, encodings, matching, scope, all-or-nothing, audit."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.crypto.fields import lookup_index
from carecircle.people import rosters
from carecircle.people.imports import import_minors
from carecircle.people.models import Guardian, ImportBatch, Minor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


AREA_A, AREA_B = "431103101200", "431103102200"
ID_1 = "43110320140501001X"  # 2014-05-01, male
ID_2 = "431103201303020022"  # 2013-03-02, female


def layout_headers(layout: str = "left_behind") -> list[str]:
    return [c.header for c in rosters.LAYOUTS[layout].import_columns]


def table(rows: list[dict[str, object]], layout: str = "left_behind") -> list[list[object]]:
    headers: list[object] = list(layout_headers(layout))
    return [headers, *[[row.get(str(h), "") for h in headers] for row in rows]]


def xlsx(rows: list[dict[str, object]], layout: str = "left_behind", title: bool = True) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([rosters.LAYOUTS[layout].title])
        ws.append([rosters.REPORTING_LINE])
    for line in table(rows, layout):
        ws.append(line)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: list[dict[str, object]], encoding: str = "utf-8", layout: str = "left_behind"
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table(rows, layout))
    return buffer.getvalue().encode(encoding)


def child(**extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "姓名": "张小明",
        "性别": "男",
        "出生日期": "2014-05-01",
        "公民身份号码": ID_1,
        "现居住地区划代码": AREA_A,
        "民族": "汉族",
    }
    row.update(extra)
    return row


def messages(report: Any) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in report.problems]


def test_it_imports_an_xlsx_roster_with_parents_and_entrusted_guardian(
    district: dict[str, Any],
) -> None:
    row = child(
        父亲姓名="张大山",
        父亲状况="外出务工",
        父亲状况起始日期="2020/3/1",
        父亲务工地点="广东东莞",
        父亲是否跨县务工="是",
        父亲联系电话="13800000001",
        母亲姓名="李小花",
        母亲状况="失联",
        受委托监护人姓名="张老汉",
        与儿童关系="爷爷",
        委托监护确认书签订日期="2021年5月3日",
        家庭主要经济来源="务工",
    )
    report = import_minors(actor=None, data=xlsx([row]), filename="a.xlsx")
    assert report.ok, messages(report)
    assert (report.layout, report.rows, report.created, report.updated) == ("left_behind", 1, 1, 0)
    minor = Minor.objects.get()
    assert minor.id_number == ID_1
    assert minor.id_number_index == lookup_index(Minor, "id_number_index", ID_1)
    assert (minor.name_pinyin, minor.ethnicity) == ("zhangxiaoming", "01")
    father = minor.guardians.get(relation="father")
    assert (father.state, father.state_since, father.cross_county) == (
        "working_away",
        date(2020, 3, 1),
        True,
    )
    assert father.phone == "13800000001"
    assert minor.guardians.get(relation="mother").state == "out_of_contact"
    entrusted = minor.guardians.get(is_entrusted=True)
    assert (entrusted.relation, entrusted.entrustment_signed_on) == (
        "grandfather",
        date(2021, 5, 3),
    )
    assert minor.household is not None and minor.household.main_income == "wages"
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows, batch.created) == ("applied", 1, 1)
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.object_id == str(batch.pk)
    assert event.details["created"] == 1


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b""), ("utf-16", b"")],
)
def test_it_reads_csv_in_every_supported_encoding(
    district: dict[str, Any], encoding: str, prefix: bytes
) -> None:
    data = prefix + csv_bytes([child(父亲姓名="张大山", 父亲状况="外出务工")], encoding)
    report = import_minors(actor=None, data=data, filename="a.csv")
    assert report.ok, messages(report)
    minor = Minor.objects.get()
    assert minor.name == "张小明"
    assert minor.guardians.get(relation="father").name == "张大山"


def test_it_refuses_text_it_cannot_decode_instead_of_guessing(district: dict[str, Any]) -> None:
    report = import_minors(actor=None, data=b"\x81\xff\xfe\x00garbage", filename="a.csv")
    assert not report.ok
    assert report.problems[0].row == 0
    assert "UTF-8" in report.problems[0].message
    assert not Minor.objects.exists()


def test_it_refuses_the_old_xls_format_with_advice(district: dict[str, Any]) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    report = import_minors(actor=None, data=data, filename="a.xls")
    assert ".xlsx" in report.problems[0].message


def test_it_refuses_a_broken_workbook(district: dict[str, Any]) -> None:
    report = import_minors(actor=None, data=b"PK\x03\x04broken", filename="a.xlsx")
    assert not report.ok and report.problems[0].row == 0


def test_it_reports_an_empty_file(district: dict[str, Any]) -> None:
    assert "empty" in import_minors(actor=None, data=b"", filename="a.csv").problems[0].message


def test_it_reports_a_header_without_rows(district: dict[str, Any]) -> None:
    report = import_minors(actor=None, data=xlsx([]), filename="a.xlsx")
    assert [(p.row, p.message) for p in report.problems] == [
        (0, "The file has no rows of children under the header.")
    ]


def test_it_reports_a_file_without_a_known_header(district: dict[str, Any]) -> None:
    data = b"a,b,c\n1,2,3\n"
    report = import_minors(actor=None, data=data, filename="a.csv")
    assert "No header row" in report.problems[0].message


@override_settings(CARECIRCLE_IMPORT_MAX_BYTES=1000)
def test_it_refuses_a_file_over_the_size_limit(district: dict[str, Any]) -> None:
    data = csv_bytes([child(现居住地址="x" * 400), child(姓名="李四", 现居住地址="y" * 400)])
    assert len(data) > 1000
    report = import_minors(actor=None, data=data, filename="big.csv")
    assert (
        report.problems[0].message == "The file is larger than 0 MB. Split it into several files."
    )
    assert not Minor.objects.exists()


def test_the_default_size_limit_is_50_mb() -> None:
    from carecircle.people.imports import max_bytes

    assert max_bytes() == 50 * 1024 * 1024


def test_it_refuses_50_mb_without_reading_the_rows(district: dict[str, Any]) -> None:
    from carecircle.people.imports import max_bytes

    # One byte over the real limit, all zeros: refused on size, before any decoding.
    data = bytes(max_bytes() + 1)
    report = import_minors(actor=None, data=data, filename="big.csv")
    assert "larger than 50 MB" in report.problems[0].message


@override_settings(CARECIRCLE_IMPORT_MAX_ROWS=2)
def test_it_refuses_more_rows_than_the_limit(district: dict[str, Any]) -> None:
    rows = [child(公民身份号码="", 姓名=name, 出生日期="2014-05-01") for name in ("甲", "乙", "丙")]
    report = import_minors(actor=None, data=csv_bytes(rows), filename="a.csv")
    assert "more than 2 rows" in report.problems[-1].message
    assert not Minor.objects.exists()


def test_it_names_missing_and_unknown_columns(district: dict[str, Any]) -> None:
    headers = [h for h in layout_headers() if h != "现居住地区划代码"] + ["爱好"]
    body = [headers, ["张小明" if h == "姓名" else "" for h in headers]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(body)
    report = import_minors(actor=None, data=buffer.getvalue().encode(), filename="a.csv")
    problems = messages(report)
    assert (1, "现居住地区划代码", "This required column is missing.") in problems
    assert any(p[:2] == (1, "爱好") and "not part of the form" in p[2] for p in problems)
    assert not Minor.objects.exists()


def test_it_accepts_alias_headers_and_ignores_remarks_and_the_category_column(
    district: dict[str, Any],
) -> None:
    data = (
        "姓名,性别,出生日期,身份证号,现居住地区划代码,备注,类别\n"
        f"张小明,男,2014-05-01,{ID_1},{AREA_A},转学,农村留守儿童\n"
    ).encode()
    report = import_minors(actor=None, data=data, filename="a.csv")
    assert report.ok, messages(report)
    assert report.layout == "roster"


@pytest.mark.parametrize(
    ("cells", "column", "fragment"),
    [
        ({"公民身份号码": "431103201405010011"}, "公民身份号码", "check character"),
        ({"公民身份号码": "431103201402300016"}, "公民身份号码", "not a real date"),
        ({"公民身份号码": "431103209901010017"}, "公民身份号码", "future"),
        ({"公民身份号码": "", "出生日期": "2014-02-30"}, "出生日期", "does not exist"),
        ({"公民身份号码": "", "出生日期": "2099-01-01"}, "出生日期", "future"),
        ({"公民身份号码": "", "出生日期": "last spring"}, "出生日期", "Not a date"),
        ({"性别": "未知"}, "性别", "use one of: 男、女"),
        ({"父亲状况": "出差"}, "父亲状况", "use one of"),
        ({"现居住地区划代码": "4311031012"}, "现居住地区划代码", "2, 4, 6, 9 or 12 digits"),
        ({"现居住地区划代码": "431103101"}, "现居住地区划代码", "12-digit code"),
        ({"现居住地区划代码": "431103101299"}, "现居住地区划代码", "No village"),
        ({"现居住地区划代码": "石门村"}, "现居住地区划代码", "only digits"),
        ({"姓名": '=HYPERLINK("http://x")'}, "姓名", "formula"),
        ({"现居住地址": "+1+1"}, "现居住地址", "formula"),
        ({"父亲姓名": "-2"}, "父亲姓名", "formula"),
        ({"父亲姓名": "@SUM(A1)"}, "父亲姓名", "formula"),
        ({"父亲联系电话": "=1"}, "父亲联系电话", "formula"),
        ({"父亲联系电话": "call me"}, "父亲联系电话", "phone"),
        ({"姓名": "张" * 65}, "姓名", "at most 64"),
        ({"受委托监护人姓名": "张老汉"}, "与儿童关系", "relation"),
        ({"年级": "三年级"}, "就读学校", "school"),
        ({"就读学校": "不存在的学校"}, "就读学校", "No school"),
    ],
)
def test_it_names_the_row_and_column_of_each_bad_cell(
    district: dict[str, Any], cells: dict[str, object], column: str, fragment: str
) -> None:
    good = child(姓名="李小红", 公民身份号码=ID_2, 出生日期="2013-03-02", 性别="女")
    report = import_minors(actor=None, data=xlsx([good, child(**cells)]), filename="a.xlsx")
    assert not report.ok
    assert [(p.row, p.column) for p in report.problems] == [(5, column)], messages(report)
    assert fragment in report.problems[0].message
    assert not Minor.objects.exists(), "nothing is half-saved"
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_it_accepts_dates_in_every_usual_spelling(district: dict[str, Any]) -> None:
    spellings = ["2014-05-01", "2014/5/1", "20140501", "2014年5月1日", "2014.5.1", date(2014, 5, 1)]
    rows = [
        child(公民身份号码="", 姓名=f"孩子{i}", 出生日期=value) for i, value in enumerate(spellings)
    ]
    report = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert report.ok, messages(report)
    assert set(Minor.objects.values_list("birth_date", flat=True)) == {date(2014, 5, 1)}


def test_it_refuses_an_id_number_excel_turned_into_a_number(district: dict[str, Any]) -> None:
    report = import_minors(
        actor=None, data=xlsx([child(公民身份号码=431103201303020022)]), filename="a.xlsx"
    )
    assert report.problems[0].column == "公民身份号码"
    assert "as text" in report.problems[0].message


def test_it_refuses_a_formula_cell_in_a_workbook(district: dict[str, Any]) -> None:
    report = import_minors(actor=None, data=xlsx([child(现居住地址="=A1&B1")]), filename="a.xlsx")
    assert [(p.row, p.column) for p in report.problems] == [(4, "现居住地址")]


def _rewrite_sheet(data: bytes, change: Any) -> bytes:
    """The workbook with its first worksheet's XML passed through ``change``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            target.writestr(info, body)
    return out.getvalue()


def test_it_refuses_a_formula_saved_with_its_result(district: dict[str, Any]) -> None:
    """Excel stores a formula with its last result; the result must not slip in as data."""
    data = _rewrite_sheet(
        xlsx([child(现居住地址="=A1&B1")]),
        lambda xml: xml.replace(b"<f>A1&amp;B1</f><v />", b"<f>A1&amp;B1</f><v>x</v>"),
    )
    assert b"<v>x</v>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    report = import_minors(actor=None, data=data, filename="a.xlsx")
    assert [(p.row, p.column) for p in report.problems] == [(4, "现居住地址")]


@pytest.mark.parametrize(
    ("xml", "found"),
    [
        (b'<c r="A1"><f>SUM(B1)</f><v>1</v></c>', True),
        (b'<c r="A1"><x:f t="shared" si="0"/><x:v>1</x:v></c>', True),
        (b'<c r="A1" t="inlineStr"><is><t>&lt;f&gt;</t></is></c>', False),
        (b'<c r="A1"><v>1</v></c><foo/>', False),
        (b'<c r="A1" s="2" t="e"><v>#N/A</v></c>', True),
    ],
)
def test_it_finds_formulas_whatever_the_namespace_prefix(xml: bytes, found: bool) -> None:
    from carecircle.people.imports.files import check_zip

    data = _rewrite_sheet(xlsx([child()]), lambda body: body.replace(b"</sheetData>", b"") + xml)
    assert check_zip(data) is found


def test_formulas_after_the_cells_do_not_count() -> None:
    """Excel's dropdowns that point at another sheet write <xm:f> after the cells."""
    from carecircle.people.imports.files import check_zip

    extension = b"<extLst><ext><x14:dataValidations><xm:f>Options!$A$1</xm:f>"
    data = _rewrite_sheet(
        xlsx([child()]), lambda body: body.replace(b"</sheetData>", b"</sheetData>" + extension)
    )
    assert check_zip(data) is False


def test_an_error_cell_is_refused_not_read_as_empty(district: dict[str, Any]) -> None:
    data = _rewrite_sheet(
        xlsx([child(出生日期="2014-05-01")]),
        lambda xml: re.sub(
            rb'<c r="([A-Z]+4)" t="inlineStr"><is><t>2014-05-01</t></is></c>',
            rb'<c r="\1" t="e"><v>#N/A</v></c>',
            xml,
        ),
    )
    assert b"<v>#N/A</v>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    report = import_minors(actor=None, data=data, filename="a.xlsx")
    assert [(p.row, p.column) for p in report.problems] == [(4, "出生日期")]
    assert not Minor.objects.exists()


def test_it_warns_but_imports_when_the_id_number_disagrees_with_birth_date_and_sex(
    district: dict[str, Any],
) -> None:
    report = import_minors(
        actor=None, data=xlsx([child(出生日期="2014-05-02", 性别="女")]), filename="a.xlsx"
    )
    assert report.ok
    assert [(w.row, w.column) for w in report.warnings] == [(4, "公民身份号码")] * 2
    assert Minor.objects.get().birth_date == date(2014, 5, 2)


def test_it_takes_birth_date_and_sex_from_the_id_number_when_left_empty(
    district: dict[str, Any],
) -> None:
    report = import_minors(actor=None, data=xlsx([child(出生日期="", 性别="")]), filename="a.xlsx")
    assert report.ok, messages(report)
    assert (Minor.objects.get().birth_date, Minor.objects.get().sex) == (date(2014, 5, 1), "M")


def test_it_requires_birth_date_and_sex_without_an_id_number(district: dict[str, Any]) -> None:
    report = import_minors(
        actor=None, data=xlsx([child(公民身份号码="", 出生日期="", 性别="")]), filename="a.xlsx"
    )
    assert {p.column for p in report.problems} == {"出生日期", "性别"}


def test_it_finds_duplicated_rows_inside_one_file(district: dict[str, Any]) -> None:
    rows = [
        child(),
        child(姓名="张晓明"),  # same ID number
        child(公民身份号码="", 姓名="王五", 出生日期="2015-01-01"),
        child(公民身份号码="", 姓名="王五", 出生日期="2015-01-01"),  # same name, birth, village
    ]
    report = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert messages(report) == [
        (5, "公民身份号码", "Row 4 already has this ID number."),
        (7, "姓名", "Row 6 has the same child: same name, birth date and village."),
    ]
    assert not Minor.objects.exists()


def test_twins_of_one_name_with_two_id_numbers_are_not_duplicates(
    district: dict[str, Any],
) -> None:
    twin = "431103201405010036"
    rows = [child(), child(公民身份号码=twin)]
    report = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert report.ok, messages(report)
    assert Minor.objects.count() == 2


def test_it_skips_empty_rows_and_numbers_rows_as_excel_does(district: dict[str, Any]) -> None:
    wb = Workbook()
    ws = wb.active
    for line in table([]):
        ws.append(line)
    ws.append([])
    ws.append(["3"])  # only the 序号 filled in
    row = table([child(现居住地区划代码="431103101299")])[1]
    ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    report = import_minors(actor=None, data=buffer.getvalue(), filename="a.xlsx")
    assert [(p.row, p.column) for p in report.problems] == [(4, "现居住地区划代码")]
    assert report.rows == 1


def test_re_importing_the_same_file_updates_instead_of_duplicating(
    district: dict[str, Any],
) -> None:
    rows = [
        child(父亲姓名="张大山", 父亲状况="外出务工"),
        child(公民身份号码="", 姓名="王五", 出生日期="2015-01-01", 性别="男"),
    ]
    first = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert (first.created, first.updated) == (2, 0)
    again = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[0]["父亲状况"] = "在家"
    rows[1]["现居住地址"] = "石门村3组"
    third = import_minors(actor=None, data=xlsx(rows), filename="a.xlsx")
    assert (third.created, third.updated) == (0, 2), messages(third)
    assert Minor.objects.count() == 2
    assert Guardian.objects.filter(relation="father").count() == 1
    assert Guardian.objects.get(relation="father").state == "at_home"
    assert Minor.objects.get(name="王五").address == "石门村3组"


def test_empty_cells_do_not_erase_what_is_registered(minor_a: Minor) -> None:
    minor_a.address = "石门村1组"
    minor_a.save()
    report = import_minors(actor=None, data=xlsx([child()]), filename="a.xlsx")
    assert report.ok and report.updated == 1  # the ethnicity was added
    minor_a.refresh_from_db()
    assert (minor_a.address, minor_a.ethnicity) == ("石门村1组", "01")


def test_a_row_with_an_id_number_completes_a_record_registered_without_one(
    district: dict[str, Any],
) -> None:
    Minor.objects.create(name="张小明", sex="M", birth_date=date(2014, 5, 1), area_code=AREA_A)
    report = import_minors(actor=None, data=xlsx([child()]), filename="a.xlsx")
    assert (report.created, report.updated) == (0, 1), messages(report)
    minor = Minor.objects.get()
    assert minor.id_number == ID_1
    assert Minor.objects.filter(id_number_index=lookup_index(Minor, "id_number_index", ID_1))


def test_a_dry_run_writes_no_child_but_records_the_check(district: dict[str, Any]) -> None:
    report = import_minors(actor=None, data=xlsx([child()]), filename="a.xlsx", dry_run=True)
    assert report.ok and report.dry_run and report.created == 1
    assert not Minor.objects.exists()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.CHECKED
    assert AuditEvent.objects.get(action=AuditEvent.Action.IMPORT).details["dry_run"] is True


def test_the_stored_report_repeats_no_cell_value(district: dict[str, Any]) -> None:
    import_minors(
        actor=None, data=xlsx([child(公民身份号码="431103201405010011")]), filename="a.xlsx"
    )
    stored = str(ImportBatch.objects.get().problems)
    assert "431103201405010011" not in stored and "张小明" not in stored


# --- Scope ---------------------------------------------------------------------------


def test_a_child_director_imports_in_their_village_only(personas: dict[str, User]) -> None:
    director = personas["child_director"]
    rows = [child(), child(姓名="李小红", 公民身份号码=ID_2, 现居住地区划代码=AREA_B, 性别="女")]
    report = import_minors(actor=director, data=xlsx(rows), filename="a.xlsx")
    assert messages(report) == [
        (
            5,
            "现居住地区划代码",
            "This village is outside your scope: you cannot register children there.",
        )
    ]
    assert not Minor.objects.exists()
    report = import_minors(actor=director, data=xlsx(rows[:1]), filename="a.xlsx")
    assert report.ok and Minor.objects.count() == 1
    assert AuditEvent.objects.filter(action="import", actor=director).count() == 2


def test_a_record_registered_outside_the_scope_is_not_taken_over(
    personas: dict[str, User], minor_b: Minor
) -> None:
    # The file claims minor B (registered in village B) now lives in village A.
    row = child(姓名="李小红", 公民身份号码=ID_2, 性别="女")
    report = import_minors(actor=personas["child_director"], data=xlsx([row]), filename="a.xlsx")
    assert [p.column for p in report.problems] == ["公民身份号码"]
    minor_b.refresh_from_db()
    assert minor_b.area_code == AREA_B


def test_a_school_administrator_imports_their_pupils(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    school = district["orgs"]["school_A"]
    row = child(现居住地区划代码=AREA_B, 就读学校=school.name, 年级="三年级", 班级="2班")
    report = import_minors(actor=personas["school_admin"], data=xlsx([row]), filename="a.xlsx")
    assert report.ok, messages(report)
    minor = Minor.objects.get()
    assert (minor.school, minor.schooling) == (school, "in_school")
    assert minor.school_class is not None
    assert (minor.school_class.grade, minor.school_class.name) == (3, "2班")


def test_roles_that_do_not_edit_children_cannot_import(personas: dict[str, User]) -> None:
    from django.core.exceptions import PermissionDenied

    for role in ("volunteer", "auditor", "school_psych_teacher", "counselor"):
        with pytest.raises(PermissionDenied):
            import_minors(actor=personas[role], data=xlsx([child()]), filename="a.xlsx")
    assert not ImportBatch.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_the_planner_learns_how_many_children_an_import_is_writing(
    district: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import is one transaction: autovacuum cannot count its rows, the import
    analyses the tables itself (carecircle.db.statistics)."""
    from carecircle.db import statistics

    monkeypatch.setattr(statistics, "FLOOR", 1)
    rows = [child(), child(姓名="王小红", 性别="女", 出生日期="2013-03-02", 公民身份号码=ID_2)]
    with CaptureQueriesContext(connection) as queries:
        report = import_minors(actor=None, data=csv_bytes(rows), filename="a.csv")
    assert report.ok and report.created == 2
    analyses = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyses == [
        'ANALYZE (SKIP_LOCKED) "people_minor", "people_household", "people_guardian",'
        ' "people_categorymembership"'
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'people_minor'::regclass")
        assert cursor.fetchone()[0] >= 2
