"""Reading a roster file: csv in any of the usual encodings or xlsx, then its header row."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from carecircle.people import rosters
from carecircle.people.imports.report import Problem, UnreadableFileError
from carecircle.people.rosters import Column, Layout

HEADER_SEARCH_ROWS = 10
# An xlsx is a zip: refuse one that unpacks to more than this (a zip bomb).
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", data[len(codecs.BOM_UTF8) :])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableFileError(
        _(
            "The file is neither an Excel workbook (.xlsx) nor text in UTF-8 or GB18030/GBK. "
            "Save it from Excel as .xlsx or as “CSV UTF-8”."
        )
    )


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    text = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise UnreadableFileError(
            _("The CSV file is malformed near record %(n)d.") % {"n": reader.line_num}
        ) from exc


def check_zip(data: bytes) -> bool:
    """Refuse a broken zip or a zip bomb; True when a worksheet's cells hold a formula
    or an error value, which only openpyxl reads as written."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
                raise UnreadableFileError(
                    _("The workbook unpacks to more than 1 GB; split it into several files.")
                )
            return any(
                _needs_openpyxl(archive, info)
                for info in members
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            )
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise UnreadableFileError(_("The workbook is damaged and cannot be opened.")) from exc


# In the cells (up to </sheetData>: Excel's data validations after it hold <xm:f>
# lists), a formula is an <f> element and an error value (#N/A …) a cell typed "e",
# any namespace prefix. calamine gives a formula's cached result and an error as ""
# (a silently empty cell); openpyxl gives both as written, so each is refused or
# kept as text with its row and column. Text cannot contain "<": the XML escapes it.
_CELL_NEEDS_OPENPYXL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*\bt=\"e\""
)
_CELLS_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData>")


def _needs_openpyxl(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(info) as member:
        while block := member.read(1 << 20):
            text = tail + block
            end = _CELLS_END.search(text)
            if _CELL_NEEDS_OPENPYXL.search(text, 0, end.start() if end else len(text)):
                return True
            if end:
                return False
            tail = block[-256:]
    return False


def _xlsx_sheets(data: bytes) -> list[Iterator[Sequence[object]]]:
    """Each worksheet's rows from A1, empty cells as None or "".

    python-calamine reads a workbook ten times faster than openpyxl, but gives a
    formula's cached result, not the formula. A workbook with formulas is therefore
    read by openpyxl, which gives the formulas as written, so that each is refused
    with its row and column.
    """
    if check_zip(data):
        return _openpyxl_sheets(data)
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            iter(book.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False))
            for sheet in book.sheets_metadata
            if sheet.typ == SheetTypeEnum.WorkSheet
            and sheet.name not in (rosters.NOTES_SHEET, rosters.OPTIONS_SHEET)
        ]
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFileError(
            _("The workbook cannot be read as .xlsx. Open it in Excel and save it again.")
        ) from exc


def _openpyxl_sheets(data: bytes) -> list[Iterator[Sequence[object]]]:
    from openpyxl import load_workbook

    try:
        # Formulas as written (not their cached results), so that they are refused.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken or foreign zip
        raise UnreadableFileError(
            _("The workbook cannot be read as .xlsx. Open it in Excel and save it again.")
        ) from exc
    sheets = []
    for sheet in book.worksheets:
        if sheet.title in (rosters.NOTES_SHEET, rosters.OPTIONS_SHEET):
            continue
        sheet.reset_dimensions()  # some writers record a wrong size
        sheets.append(_sheet_rows(sheet))
    return sheets


def _sheet_rows(sheet: Any) -> Iterator[Sequence[object]]:
    try:
        yield from sheet.iter_rows(values_only=True)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise UnreadableFileError(
            _("The workbook is damaged and cannot be read to the end.")
        ) from exc


def file_sources(data: bytes) -> list[Iterator[Sequence[object]]]:
    """Row iterators to look for a roster in: each worksheet, or the one CSV table."""
    if data.startswith(XLS_MAGIC):
        raise UnreadableFileError(
            _(
                "This is an old Excel 97-2003 (.xls) file. Open it in Excel and save it "
                "as .xlsx (Excel workbook)."
            )
        )
    if data.startswith(XLSX_MAGIC):
        return _xlsx_sheets(data)
    return [_csv_rows(data)]


# --- Headers and layout ---------------------------------------------------------------


@dataclass
class Header:
    row: int  # the header row's number
    layout: Layout
    columns: dict[int, Column]  # cell index → column
    nameless: set[int]  # cell indexes under an empty header
    problems: list[Problem]


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _detect_layout(cells: list[str], above: list[str], forced: str | None) -> Layout | None:
    if forced:
        return rosters.LAYOUTS.get(forced)
    title = rosters.fold("".join(above))
    for layout in sorted(rosters.LAYOUTS.values(), key=lambda lay: -len(lay.title)):
        if rosters.fold(layout.title) in title:
            return layout
    best, best_score = None, (0, 0, 0)
    for layout in rosters.LAYOUTS.values():
        known = sum(1 for c in cells if c and layout.match(c))
        unknown = sum(
            1
            for c in cells
            if c and not layout.match(c) and rosters.fold(c) not in rosters.IGNORED_HEADERS
        )
        # The tightest fit wins a tie: a short roster is not a partly filled long form.
        score = (known - unknown, known, -len(layout.columns))
        if known >= 3 and score > best_score:
            best, best_score = layout, score
    return best


def _is_header_row(cells: list[str]) -> bool:
    return sum(1 for c in cells if any(lay.match(c) for lay in rosters.LAYOUTS.values())) >= 3


def read_header(rows: Iterator[Sequence[object]], forced: str | None) -> Header | None:
    """Find the header row among the first rows, consuming them."""
    above: list[str] = []
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        row = next(rows, None)
        if row is None:
            break
        cells = [cell_text(v) for v in row]
        if not _is_header_row(cells):
            above.extend(cells)
            continue
        layout = _detect_layout(cells, above, forced)
        return None if layout is None else _map_header(number, cells, layout)
    return None


def _map_header(number: int, cells: list[str], layout: Layout) -> Header:
    header = Header(number, layout, {}, set(), [])
    seen: dict[str, int] = {}
    for index, text in enumerate(cells):
        if not text:
            header.nameless.add(index)
            continue
        column = layout.match(text)
        if column is None:
            if rosters.fold(text) not in rosters.IGNORED_HEADERS:
                header.problems.append(
                    Problem(
                        number,
                        text,
                        _(
                            "This column is not part of the form %(form)s. Rename it to one "
                            "of the form's headers or delete it."
                        )
                        % {"form": layout.title},
                    )
                )
            continue
        if column.key in seen:
            header.problems.append(
                Problem(number, column.header, _("This column appears twice; keep one."))
            )
            continue
        seen[column.key] = index
        if not column.export_only and column.key != "seq":
            header.columns[index] = column
    for column in layout.import_columns:
        if column.required and column.key not in seen:
            header.problems.append(
                Problem(number, column.header, _("This required column is missing."))
            )
    return header
