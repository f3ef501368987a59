"""The screening report as xlsx: the same tables as the page, one sheet per instrument.

Suppressed cells are written as the page shows them ("<5", "—"), never as numbers;
shares are numbers with a percent format. Every text cell a spreadsheet could run as
a formula (campaign, school and class names are typed by people) is prefixed with an
apostrophe, as in ``people.exports`` (DP-6). One EXPORT audit event records the
school, the part and whether counts were suppressed; it is written before a byte is
returned, so a failed audit means no file (AL-1).
"""

from __future__ import annotations

import io
import re
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.exports import escape
from carecircle.screening.reports import (
    SHOWN,
    SMALL,
    Category,
    Cell,
    InstrumentReport,
    SchoolReport,
)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
PERCENT = "0.0%"
WITHHELD_MARK = "—"
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _write(sheet: Worksheet, row: int, column: int, value: object, *, bold: bool = False) -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        # Set as a string: openpyxl would take a leading "=" as a formula.
        cell.value = escape(value)
        cell.data_type = "s"
    else:
        cell.value = value  # type: ignore[assignment]
    if bold:
        cell.font = BOLD


def _count(report: SchoolReport, cell: Cell) -> object:
    if cell.state == SHOWN:
        return cell.value
    return f"<{report.min_cell}" if cell.state == SMALL else WITHHELD_MARK


def _share(sheet: Worksheet, row: int, column: int, cell: Cell) -> None:
    if cell.share is not None:
        target = sheet.cell(row=row, column=column, value=cell.share)
        target.number_format = PERCENT


def _distribution(
    sheet: Worksheet,
    row: int,
    report: SchoolReport,
    heading: str,
    cells: tuple[tuple[Category, Cell], ...],
    total: Cell,
) -> int:
    """A category / pupils / share table from ``row``; returns the next free row."""
    for column, title in enumerate((heading, _("Pupils"), _("Share")), start=1):
        _write(sheet, row, column, title, bold=True)
    for category, cell in cells:
        row += 1
        _write(sheet, row, 1, category.label)
        _write(sheet, row, 2, _count(report, cell))
        _share(sheet, row, 3, cell)
    row += 1
    _write(sheet, row, 1, _("Total"), bold=True)
    _write(sheet, row, 2, _count(report, total), bold=True)
    return row + 2


def _trend(
    sheet: Worksheet,
    row: int,
    report: SchoolReport,
    instrument: InstrumentReport,
    heading: str,
    dim: str,
) -> int:
    """Rounds as rows, each category's count and share as two columns."""
    categories = instrument.bands if dim == "bands" else instrument.triage
    _write(sheet, row, 1, heading, bold=True)
    row += 1
    titles = [_("Round"), _("Opened on"), _("Pupils")]
    for category in categories:
        titles += [category.label, _("Share")]
    for column, title in enumerate(titles, start=1):
        _write(sheet, row, column, title, bold=True)
    for one in instrument.rounds:
        row += 1
        distribution = one.bands if dim == "bands" else one.triage
        if distribution is None:  # bands are asked for only when there are some
            continue
        _write(sheet, row, 1, one.name)
        _write(sheet, row, 2, timezone.localtime(one.opens_at).date().isoformat())
        _write(sheet, row, 3, _count(report, distribution.total))
        for index, (_category, cell) in enumerate(distribution.cells):
            _write(sheet, row, 4 + 2 * index, _count(report, cell))
            _share(sheet, row, 5 + 2 * index, cell)
    return row + 2


def _sheet_title(code: str, used: set[str]) -> str:
    base = _SHEET_UNSAFE.sub("_", code)[:28] or "sheet"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base}-{n}"
    used.add(title.lower())
    return title


def _heading(sheet: Worksheet, report: SchoolReport, title: str) -> int:
    _write(sheet, 1, 1, title)
    sheet.cell(row=1, column=1).font = TITLE
    _write(sheet, 2, 1, f"{report.school.name} · {report.part.label}")
    _write(
        sheet,
        3,
        1,
        _("Exported on %(date)s") % {"date": timezone.localdate().isoformat()},
    )
    row = 4
    if report.suppressed:
        _write(sheet, row, 1, suppression_note(report.min_cell))
        row += 1
    return row + 1


def suppression_note(min_cell: int) -> str:
    return _(
        "Counts under %(n)d are shown as <%(n)d. A count shown as — is withheld so that "
        "a small count cannot be worked out from the others."
    ) % {"n": min_cell}


def build_workbook(report: SchoolReport) -> bytes:
    book = Workbook()
    first = cast(Worksheet, book.active)  # a new workbook has one sheet
    used: set[str] = set()
    if not report.instruments:
        first.title = _sheet_title(_("Report"), used)
        row = _heading(first, report, _("Screening report"))
        _write(first, row, 1, _("No questionnaire has been submitted here yet."))
    for index, instrument in enumerate(report.instruments):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = _sheet_title(instrument.code, used)
        sheet.column_dimensions["A"].width = 28
        row = _heading(sheet, report, instrument.name)
        latest = instrument.latest
        when = timezone.localtime(latest.opens_at).date().isoformat()
        _write(
            sheet,
            row,
            1,
            _("Latest round: %(name)s (%(date)s)") % {"name": latest.name, "date": when},
            bold=True,
        )
        row += 1
        if latest.bands is not None:
            row = _distribution(
                sheet, row, report, _("Band"), latest.bands.cells, latest.bands.total
            )
        row = _distribution(
            sheet, row, report, _("Triage level"), latest.triage.cells, latest.triage.total
        )
        if instrument.bands:
            row = _trend(sheet, row, report, instrument, _("Bands across rounds"), "bands")
        _trend(sheet, row, report, instrument, _("Triage levels across rounds"), "triage")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def report_export(*, actor: Any, report: SchoolReport) -> bytes:
    """The report as xlsx bytes, audited as an export with its filters."""
    data = build_workbook(report)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        object_type="screening.report",
        object_id=report.school.pk,
        details={
            "filters": {"school": report.school.pk, "part": report.part.key},
            "suppressed": report.suppressed,
            "instruments": [i.code for i in report.instruments],
        },
    )
    return data


def export_filename(report: SchoolReport) -> str:
    part = f"-{report.part.label}" if report.part.key else ""
    return f"{report.school.name}{part}-{timezone.localdate():%Y%m%d}.xlsx"
