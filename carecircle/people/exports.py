"""Export of the 两表一册 rosters to xlsx, scoped to the user and audited.

Rows are the children the user sees (``minors_visible_to``) narrowed by the list
page's filters; a form's layout adds its own category (留守 / 困境) when the user
chose none. The ID number is written in full only for children the user may
change — the same rule as revealing it on screen — and masked otherwise
(SECURITY.md AZ-3). Every text cell that a spreadsheet could run as a formula
(= + - @, tab, carriage return) is prefixed with an apostrophe (DP-6). One EXPORT
audit event records the layout, the filters and the count, never the data; it is
written before a byte is returned, so a failed audit means no file (AL-1).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people import rosters
from carecircle.people.ethnicities import ETHNIC_GROUPS
from carecircle.people.filters import MinorFilterForm, open_category_q
from carecircle.people.idnumbers import mask_id_number
from carecircle.people.models import CategoryMembership, Guardian, Minor
from carecircle.people.permissions import minor_scope_q, minors_visible_to
from carecircle.people.rosters import Column, Layout

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
_ETHNICITY = dict(ETHNIC_GROUPS)


def escape(value: str) -> str:
    """Text a spreadsheet shows as written: a leading apostrophe before a formula sign."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_queryset(user: Any, layout: Layout, form: MinorFilterForm) -> QuerySet[Minor]:
    """The rows of an export: visible, filtered, each flagged ``editable``."""
    minors = form.apply(minors_visible_to(user))
    if layout.category and not form.cleaned_data.get("category"):
        minors = minors.filter(open_category_q(layout.category))
    edit = minor_scope_q(user, edit=True)
    editable = (
        Case(When(edit, then=Value(True)), default=Value(False), output_field=BooleanField())
        if edit is not None
        else Value(False, output_field=BooleanField())
    )
    today = timezone.localdate()
    open_categories = CategoryMembership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today), valid_from__lte=today
    ).order_by("category")
    return (
        minors.annotate(editable=editable)
        .select_related("school", "school_class", "household")
        .prefetch_related(
            Prefetch("guardians", queryset=Guardian.objects.order_by("pk")),
            Prefetch("categories", queryset=open_categories, to_attr="open_categories"),
        )
        .order_by("area_code", "name", "pk")
    )


def _guardians(minor: Minor) -> dict[str, Guardian]:
    slots: dict[str, Guardian] = {}
    for guardian in minor.guardians.all():
        if guardian.is_entrusted:
            slots.setdefault("entrusted", guardian)
        elif guardian.relation in Guardian.PARENTS:
            slots.setdefault(guardian.relation, guardian)
    return slots


_GUARDIAN_ATTR = {
    "name": "name",
    "state": "state",
    "state_since": "state_since",
    "work_place": "work_place",
    "cross_county": "cross_county",
    "phone": "phone",
    "relation": "relation",
}


def cell_value(column: Column, minor: Any, guardians: dict[str, Guardian]) -> object:
    """The roster value of ``column`` for ``minor`` (None for an empty cell)."""
    key = column.key
    household = minor.household
    if key == "id_number":
        number = minor.id_number or ""
        return number if minor.editable else mask_id_number(number)
    if key == "ethnicity":
        return _ETHNICITY.get(minor.ethnicity, "")
    if key == "school":
        return minor.school.name if minor.school else ""
    if key == "grade":
        return rosters.enum_label("grade", minor.school_class.grade) if minor.school_class else ""
    if key == "class_name":
        return minor.school_class.name if minor.school_class else ""
    if key == "categories":
        keys = {m.category for m in minor.open_categories}
        return "、".join(rosters.CATEGORY_LABELS.get(k, k) for k in sorted(keys))
    if key in ("income", "assistance", "village_contact", "village_contact_phone"):
        attr = "main_income" if key == "income" else key
        value = getattr(household, attr) if household else ""
    elif key.startswith(("father_", "mother_", "entrusted_")) or key == "entrustment_signed_on":
        role, _sep, attr = key.partition("_")
        if key == "entrustment_signed_on":
            role, attr = "entrusted", "entrustment_signed_on"
        guardian = guardians.get(role)
        value = getattr(guardian, _GUARDIAN_ATTR.get(attr, attr)) if guardian else None
    else:
        value = getattr(minor, key)
    if column.enum:
        return rosters.enum_label(column.enum, value) if value not in (None, "") else ""
    return value


def _rows(layout: Layout, minors: QuerySet[Minor]) -> Iterator[list[object]]:
    columns = layout.columns
    for number, minor in enumerate(minors.iterator(chunk_size=CHUNK), start=1):
        guardians = _guardians(minor)
        row: list[object] = []
        for column in columns:
            value = number if column.key == "seq" else cell_value(column, minor, guardians)
            row.append(value)
        yield row


def build_workbook(layout: Layout, minors: QuerySet[Minor]) -> tuple[bytes, int]:
    """The roster as xlsx bytes, written row by row (openpyxl write-only mode)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(layout.sheet)
    for index, column in enumerate(layout.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"C{rosters.HEADER_ROW + 1}"
    title = WriteOnlyCell(sheet, value=layout.title)
    title.font = rosters.TITLE_FONT
    sheet.append([title])
    sheet.append([f"导出日期：{timezone.localdate().isoformat()}"])
    headers = []
    for column in layout.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill = rosters.HEADER_FONT, rosters.HEADER_FILL
        cell.border, cell.alignment = rosters.HEADER_BORDER, rosters.HEADER_ALIGNMENT
        headers.append(cell)
    sheet.append(headers)
    count = 0
    for values in _rows(layout, minors):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet)
            if isinstance(value, date):
                cell.value = value
                cell.number_format = rosters.DATE_FORMAT
            elif isinstance(value, bool):
                cell.value = "是" if value else "否"
            elif isinstance(value, int):
                cell.value = value
            elif value is not None:
                # Set as a string: openpyxl would take a leading "=" as a formula.
                cell.value = escape(str(value))
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def _filters(form: MinorFilterForm) -> dict[str, Any]:
    """The filters as audited: which search, not what was searched (it may be a name)."""
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") and k != "q"}
    if form.cleaned_data.get("q"):
        data["search"] = True
    return data


@transaction.atomic
def minors_export(*, actor: Any, layout: Layout, form: MinorFilterForm) -> tuple[bytes, int]:
    """Build the roster of ``layout`` for ``actor`` and audit it; (xlsx bytes, row count)."""
    data, count = build_workbook(layout, export_queryset(actor, layout, form))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="people.minor",
        details={"layout": layout.key, "count": count, "filters": _filters(form)},
    )
    return data, count


def export_filename(layout: Layout) -> str:
    return f"{layout.title}-{timezone.localdate():%Y%m%d}.xlsx"
