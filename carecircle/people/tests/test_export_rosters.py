"""Roster export: scope, masking, formula escaping (read back from the file), audit."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people import rosters
from carecircle.people.imports import import_minors
from carecircle.people.models import Category, CategoryMembership, Guardian, Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = "people:export"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    # Codes are single-use: a second export in the same 30 s would be refused.
    device.last_t = -1
    device.save()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def export(client: Client, user: User, **params: str) -> Any:
    data = {"layout": "roster", "status": "", "otp_token": code_for(user), **params}
    return client.post(reverse(URL), data)


def rows_of(content: bytes) -> tuple[list[str], list[dict[str, Any]], Any]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    headers = list(values[rosters.HEADER_ROW - 1])
    body = [dict(zip(headers, row, strict=False)) for row in values[rosters.HEADER_ROW :]]
    return headers, body, sheet


def test_it_exports_the_children_in_scope_with_full_ids_for_editors(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    response = export(client_for(user), user)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    headers, body, sheet = rows_of(response.content)
    assert sheet["A1"].value == rosters.LAYOUTS["roster"].title
    assert headers == [c.header for c in rosters.LAYOUTS["roster"].columns]
    assert [row["姓名"] for row in body] == ["张小明"]  # not minor B, in another village
    assert body[0]["公民身份号码"] == minor_a.id_number
    assert body[0]["序号"] == 1
    assert body[0]["出生日期"].date() == date(2014, 5, 1)


def test_ids_are_masked_for_children_the_user_cannot_change(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    from carecircle.people.exports import build_workbook, export_queryset
    from carecircle.people.filters import MinorFilterForm

    # A reader's view of the same rows: the counselor sees minor A but edits nobody.
    form = MinorFilterForm({})
    assert form.is_valid()
    layout = rosters.LAYOUTS["roster"]
    content, count = build_workbook(layout, export_queryset(personas["counselor"], layout, form))
    _headers, body, _sheet = rows_of(content)
    assert count == 1
    assert body[0]["公民身份号码"] == "4311**********001X"


def test_it_escapes_every_cell_that_could_run_as_a_formula(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    minor_a.address = '=HYPERLINK("http://evil","x")'
    minor_a.save()
    Guardian.objects.create(minor=minor_a, relation="father", name="+cmd", phone="-1")
    Guardian.objects.create(minor=minor_a, relation="mother", name="@SUM(1)", phone="\t13800")
    user = personas["child_director"]
    _headers, body, sheet = rows_of(export(client_for(user), user).content)
    row = body[0]
    assert row["现居住地址"] == '\'=HYPERLINK("http://evil","x")'
    assert (row["父亲姓名"], row["父亲联系电话"]) == ("'+cmd", "'-1")
    assert (row["母亲姓名"], row["母亲联系电话"]) == ("'@SUM(1)", "'\t13800")
    for cells in sheet.iter_rows(min_row=rosters.HEADER_ROW + 1):
        for cell in cells:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_it_writes_enumerations_as_the_form_labels_and_the_open_categories(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    minor_a.ethnicity = "12"
    minor_a.save()
    Guardian.objects.create(minor=minor_a, relation="father", state="working_away")
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.ORPHAN,
        source="manual",
        reason="r",
        valid_from=date(2020, 1, 1),
    )
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.MIGRANT,
        source="manual",
        reason="r",
        valid_from=date(2020, 1, 1),
        valid_to=date(2021, 1, 1),
    )
    user = personas["child_director"]
    _headers, body, _sheet = rows_of(export(client_for(user), user).content)
    assert (body[0]["性别"], body[0]["民族"], body[0]["父亲状况"]) == ("男", "侗族", "外出务工")
    assert body[0]["类别"] == "孤儿"  # Chinese, whatever the page language; closed ones left out


def test_the_filters_of_the_list_apply(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    user = personas["district_admin"]
    client = client_for(user)
    _h, body, _s = rows_of(export(client, user).content)
    assert {r["姓名"] for r in body} == {"张小明", "李小红"}
    user_code = export(client, user, area="431103102200")
    _h, body, _s = rows_of(user_code.content)
    assert [r["姓名"] for r in body] == ["李小红"]


def test_a_form_layout_exports_its_own_category_unless_another_is_chosen(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    _h, body, _s = rows_of(export(client_for(user), user, layout="left_behind").content)
    assert body == []
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.RURAL_LEFT_BEHIND,
        source="manual",
        reason="r",
        valid_from=date(2020, 1, 1),
    )
    _h, body, _s = rows_of(export(client_for(user), user, layout="left_behind").content)
    assert [r["姓名"] for r in body] == ["张小明"]


def test_the_export_is_audited_with_count_and_filters_not_data(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    export(client_for(user), user, q="张小明")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == user
    assert event.details["count"] == 1
    assert event.details["layout"] == "roster"
    assert event.details["filters"]["search"] is True
    assert "张小明" not in str(event.details)


def test_an_exported_roster_imports_back_unchanged(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    user = personas["child_director"]
    minor = Minor.objects.create(
        name="王小军",
        sex="M",
        birth_date=date(2015, 7, 9),
        area_code="431103101200",
        id_number="431103201507090014",
    )
    Guardian.objects.create(minor=minor, relation="father", name="王大", state="dead")
    content = export(client_for(user), user, layout="roster").content
    report = import_minors(actor=user, data=content, filename="export.xlsx")
    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_it_needs_the_authenticator_code(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    response = client_for(user).post(reverse(URL), {"layout": "roster", "otp_token": "000000"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_form_page_keeps_the_list_filters(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).get(
        reverse(URL), {"category": "orphan", "layout": "in_difficulty"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="orphan" selected>' in page


def test_it_refuses_anonymous_and_roles_that_do_not_keep_the_registry(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    assert Client().get(reverse(URL)).status_code == 302
    for role in ("counselor", "volunteer", "auditor", "analyst", "sysadmin"):
        user = personas[role]
        assert export(client_for(user), user).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_export_command_writes_the_file(
    personas: dict[str, User], minor_a: Minor, tmp_path: Any
) -> None:
    from django.core.management import call_command

    out = tmp_path / "roster.xlsx"
    call_command(
        "export_minors", "--as", "child_director_a", "--out", str(out), stdout=io.StringIO()
    )
    _h, body, _s = rows_of(out.read_bytes())
    assert [r["姓名"] for r in body] == ["张小明"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
