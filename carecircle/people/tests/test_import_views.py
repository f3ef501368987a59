"""The import page, the template download, the API endpoint and the command."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from carecircle.accounts.models import User
from carecircle.people import rosters
from carecircle.people.models import ImportBatch, Minor
from carecircle.people.tests.test_import_minors import AREA_B, ID_2, child, csv_bytes, xlsx

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def upload(data: bytes, name: str = "roster.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


# --- The page ------------------------------------------------------------------------


def test_it_checks_first_then_imports_the_same_file_on_confirmation(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    data = xlsx([child()])
    response = client.post(reverse("people:import"), {"file": upload(data)})
    assert response.status_code == 200
    assert "No problems found" in response.content.decode()
    assert not Minor.objects.exists()
    batch = ImportBatch.objects.get(status=ImportBatch.Status.CHECKED)
    response = client.post(reverse("people:import"), {"file": upload(data), "batch": batch.pk})
    assert response.status_code == 200
    assert Minor.objects.count() == 1
    assert ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).count() == 1


def test_the_confirmation_must_carry_the_checked_file(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    client.post(reverse("people:import"), {"file": upload(xlsx([child()]))})
    batch = ImportBatch.objects.get()
    other = xlsx([child(现居住地址="别处")])
    response = client.post(reverse("people:import"), {"file": upload(other), "batch": batch.pk})
    assert response.status_code == 400
    assert "not the file that was checked" in response.content.decode()
    assert not Minor.objects.exists()


def test_someone_elses_check_cannot_be_confirmed(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    data = xlsx([child()])
    client_for(personas["child_director"]).post(reverse("people:import"), {"file": upload(data)})
    batch = ImportBatch.objects.get()
    response = client_for(personas["district_admin"]).post(
        reverse("people:import"), {"file": upload(data), "batch": batch.pk}
    )
    assert response.status_code == 400
    assert not Minor.objects.exists()


def test_it_lists_every_problem_by_row_and_column(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    rows = [child(性别="X"), child(姓名="李小红", 公民身份号码=ID_2, 现居住地区划代码=AREA_B)]
    response = client.post(reverse("people:import"), {"file": upload(xlsx(rows))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "<td>4</td><td>性别</td>" in page
    assert "<td>5</td><td>现居住地区划代码</td>" in page
    assert "outside your scope" in page
    assert not Minor.objects.exists()


def test_the_page_speaks_chinese_by_default(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    with translation.override("zh-hans"):
        response = client_for(personas["child_director"]).get(reverse("people:import"))
    assert "农村留守儿童信息登记表" in response.content.decode()


@override_settings(CARECIRCLE_IMPORT_MAX_BYTES=2000)
def test_it_refuses_an_upload_over_the_limit_before_reading_it(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    big = upload(csv_bytes([child()]) + b"#" * 200_000)
    response = client.post(reverse("people:import"), {"file": big})
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ImportBatch.objects.exists()


@override_settings(CARECIRCLE_IMPORT_MAX_BYTES=2000)
def test_the_upload_handler_stops_storing_at_the_limit(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    # Declared length within the margin: refused by the handler while reading.
    client = client_for(personas["child_director"])
    response = client.post(reverse("people:import"), {"file": upload(b"a" * 5000, "a.csv")})
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_it_refuses_anonymous_and_roles_that_do_not_edit_children(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    url = reverse("people:import")
    assert Client().get(url).status_code == 302
    assert Client().post(url, {"file": upload(xlsx([child()]))}).status_code == 302
    for role in ("counselor", "volunteer", "auditor", "sysadmin", "school_psych_teacher"):
        client = client_for(personas[role])
        assert client.get(url).status_code == 403
        assert client.post(url, {"file": upload(xlsx([child()]))}).status_code == 403
    assert not Minor.objects.exists() and not ImportBatch.objects.exists()


def test_it_refuses_other_methods(personas: dict[str, User], client_for: ClientFor) -> None:
    assert client_for(personas["child_director"]).put(reverse("people:import")).status_code == 405


def test_the_page_checks_csrf_on_upload(personas: dict[str, User]) -> None:
    from carecircle.testing.fixtures import verified_client

    client = verified_client(personas["child_director"])
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("people:import"), {"file": upload(xlsx([child()]))})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


# --- The template ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(rosters.LAYOUTS))
def test_it_serves_each_template_with_headers_dropdowns_and_instructions(
    personas: dict[str, User], client_for: ClientFor, layout: str
) -> None:
    client = client_for(personas["child_director"])
    response = client.get(reverse("people:import-template"), {"layout": layout})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    spec = rosters.LAYOUTS[layout]
    assert sheet["A1"].value == spec.title
    headers = [c.value for c in sheet[rosters.HEADER_ROW]]
    assert headers == [rosters.header_text(c) for c in spec.import_columns]
    assert sheet.freeze_panes == "C4"
    assert sheet.data_validations.dataValidation, "enumerations have dropdowns"
    assert rosters.NOTES_SHEET in book.sheetnames
    assert book[rosters.OPTIONS_SHEET].sheet_state == "hidden"
    id_column = headers.index("*公民身份号码") + 1
    assert sheet.column_dimensions[get_column_letter(id_column)].number_format == "@"


def test_an_empty_template_imports_as_an_empty_file(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    template = client.get(reverse("people:import-template"), {"layout": "left_behind"}).content
    response = client.post(reverse("people:import"), {"file": upload(template)})
    assert response.status_code == 400
    assert "no rows of children" in response.content.decode()


def test_a_filled_template_imports(personas: dict[str, User], client_for: ClientFor) -> None:
    from carecircle.people.imports import import_minors

    client = client_for(personas["child_director"])
    template = client.get(reverse("people:import-template"), {"layout": "in_difficulty"}).content
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[rosters.HEADER_ROW]]
    values = {
        "*姓名": "张小明",
        "*公民身份号码": "43110320140501001X",
        "残疾类别": "肢体残疾",
        "残疾等级": "二级",
        "*现居住地区划代码": "431103101200",
        "社会救助": "低保",
    }
    for header, value in values.items():
        sheet.cell(row=4, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_minors(actor=personas["child_director"], data=buffer.getvalue(), filename="t")
    assert report.ok and report.layout == "in_difficulty"
    minor = Minor.objects.get()
    assert (minor.disability_type, minor.disability_grade) == ("physical", 2)
    assert minor.household is not None and minor.household.assistance == "dibao"


def test_the_template_is_refused_to_other_roles_and_unknown_layouts(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    url = reverse("people:import-template")
    assert client_for(personas["volunteer"]).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert client_for(personas["child_director"]).get(url, {"layout": "x"}).status_code == 404


# --- The API ----------------------------------------------------------------------------


def test_the_api_checks_then_imports(personas: dict[str, User], client_for: ClientFor) -> None:
    client = client_for(personas["child_director"])
    url = reverse("api:minor-import")
    data = xlsx([child()])
    response = client.post(url, {"file": upload(data), "dry_run": "true"})
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["created"], body["problems"]) == (True, 1, [])
    assert not Minor.objects.exists()
    response = client.post(url, {"file": upload(data)})
    assert response.status_code == 201
    assert response.json()["created"] == 1
    response = client.post(url, {"file": upload(data)})
    assert response.status_code == 200
    assert response.json()["unchanged"] == 1
    assert Minor.objects.count() == 1


def test_the_api_answers_400_with_problems_by_row_and_column(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    response = client.post(reverse("api:minor-import"), {"file": upload(xlsx([child(性别="?")]))})
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"row": 4, "column": "性别", "message": "Not a value of this column; use one of: 男、女."}
    ]
    assert not Minor.objects.exists()


@override_settings(CARECIRCLE_IMPORT_MAX_BYTES=2000)
def test_the_api_refuses_an_upload_over_the_limit(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    response = client.post(reverse("api:minor-import"), {"file": upload(b"x" * 200_000)})
    assert response.status_code == 413
    assert not ImportBatch.objects.exists()


def test_the_api_refuses_anonymous_other_roles_and_get(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    url = reverse("api:minor-import")
    assert Client().post(url, {"file": upload(xlsx([child()]))}).status_code == 401
    assert client_for(personas["volunteer"]).post(url, {"file": upload(b"x")}).status_code == 403
    assert client_for(personas["child_director"]).get(url).status_code == 405
    assert not Minor.objects.exists()


def test_the_api_is_in_the_schema(personas: dict[str, User], client_for: ClientFor) -> None:
    schema = client_for(personas["child_director"]).get(reverse("api:schema")).content.decode()
    assert "/api/v1/minors/import/" in schema
    assert "multipart/form-data" in schema


# --- The command -------------------------------------------------------------------------


def test_the_command_imports_and_exits_zero(district: dict[str, Any], tmp_path: Any) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([child()], "gbk"))
    out = io.StringIO()
    call_command("import_minors", str(path), stdout=out)
    assert "1 added" in out.getvalue()
    assert Minor.objects.count() == 1


def test_the_command_dry_run_writes_nothing(district: dict[str, Any], tmp_path: Any) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([child()]))
    out = io.StringIO()
    call_command("import_minors", str(path), "--dry-run", stdout=out)
    assert "nothing written" in out.getvalue()
    assert not Minor.objects.exists()


def test_the_command_prints_problems_and_exits_non_zero(
    district: dict[str, Any], tmp_path: Any
) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([child(), child(公民身份号码="431103201405010011")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_minors", str(path), stderr=err)
    assert "row 5 · 公民身份号码" in err.getvalue()
    assert not Minor.objects.exists()


def test_the_command_exit_status_is_1_on_problems(district: dict[str, Any], tmp_path: Any) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([child(性别="?")]))
    with pytest.raises(CommandError) as raised:
        call_command("import_minors", str(path), stderr=io.StringIO())
    assert raised.value.returncode == 1  # manage.py exits with it


def test_the_command_imports_within_a_users_scope(personas: dict[str, User], tmp_path: Any) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx([child(现居住地区划代码=AREA_B)]))
    with pytest.raises(CommandError):
        call_command("import_minors", str(path), "--as", "child_director_a", stderr=io.StringIO())
    with pytest.raises(CommandError, match="cannot register"):
        call_command("import_minors", str(path), "--as", "volunteer_a")
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_minors", str(path), "--as", "nobody")
    assert not Minor.objects.exists()
