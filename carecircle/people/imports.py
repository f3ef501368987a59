"""Import of the 两表一册 rosters (xlsx or csv) into the registry, all or nothing.

``import_minors`` reads the file, finds the layout by its headers, checks every
cell, and only if nothing is wrong writes the children, their parents, entrusted
guardian and household in one transaction; a dry run checks without writing.
Every problem names the spreadsheet row (as Excel numbers it; 0 = the file as a
whole) and the column's header, in the user's language; cell values are never
repeated in a problem, so the stored report identifies no child.

Decisions
    - Format by content, not by file name: a zip is xlsx, the old OLE2 .xls is
      refused with advice, anything else is csv text in UTF-8 (with or without
      BOM), UTF-16 with BOM, or GB18030 (which includes GBK); text that none of
      them decodes is refused, never guessed. A wrong guess between two encodings
      that both decode would garble the headers, and unknown headers are refused.
    - Unknown columns are errors (a typo in a header would otherwise drop a column
      silently), except 备注/说明 and the export-only 类别, so that an exported
      roster imports back. Cells beginning with = + - @ are refused (formula
      injection); a phone number may begin with +.
    - Matching: by the ID number's blind index; without an ID number, by name +
      birth date + village. A matched child is updated; empty cells never erase
      what is registered. A row with an ID number matches a record without one of
      the same name, birth date and village (the ID is then added).
    - Each row is in scope if its village is under a prefix where the importer
      edits minors, or its school is one whose pupils the importer edits — the
      rule of ``services._check_area``; a matched record must be editable too.
    - Parents and the entrusted guardian are updated in place (one father, one
      mother, one entrusted guardian per child); household columns create or
      update the child's own household (siblings are joined by hand).
    - Missing classes of a known school are created when the importer keeps that
      school's classes (``can_manage_school``).
    - Speed: rows are checked and written in chunks with bulk queries; one IMPORT
      audit event per file with its counts, not one per row (SECURITY.md §7.7).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import MinorAccess
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.crypto.fields import lookup_index
from carecircle.people import categories, rosters
from carecircle.people.ethnicities import ethnicity_code
from carecircle.people.idnumbers import id_warnings, parse_id_number
from carecircle.people.models import Guardian, Household, ImportBatch, Minor, SchoolClass
from carecircle.people.names import name_keys
from carecircle.people.rosters import Column, Layout
from carecircle.regions.codes import Level, parse_code
from carecircle.regions.models import Division

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
CHUNK = 2000
REFRESH_BATCH = 20_000
HEADER_SEARCH_ROWS = 10
MAX_LISTED_PROBLEMS = 5000
# An xlsx is a zip: refuse one that unpacks to more than this (a zip bomb).
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,24}")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
EARLIEST = date(1900, 1, 1)
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_bytes() -> int:
    return int(getattr(settings, "CARECIRCLE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "CARECIRCLE_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    layout: str
    rows: int
    created: int
    updated: int
    problems: list[Problem]
    dry_run: bool
    batch: ImportBatch | None
    # Not blocking: the ID number disagrees with the birth date or sex entered, etc.
    warnings: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def layout_title(self) -> str:
        found = rosters.LAYOUTS.get(self.layout)
        return found.title if found else ""


class UnreadableFileError(Exception):
    """The file as a whole cannot be read; the message is for the user."""


def too_large_message() -> str:
    return _("The file is larger than %(mb)d MB. Split it into several files.") % {
        "mb": max_bytes() // (1024 * 1024)
    }


# --- Reading files -----------------------------------------------------------------


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


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise UnreadableFileError(_("The workbook is damaged and cannot be opened.")) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFileError(
            _("The workbook unpacks to more than 1 GB; split it into several files.")
        )


def _xlsx_sheets(data: bytes) -> list[Any]:
    from openpyxl import load_workbook

    _check_zip(data)
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
        sheets.append(sheet)
    return sheets


def _sheet_rows(sheet: Any) -> Iterator[Sequence[object]]:
    try:
        yield from sheet.iter_rows(values_only=True)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise UnreadableFileError(
            _("The workbook is damaged and cannot be read to the end.")
        ) from exc


def _file_sources(data: bytes) -> list[Iterator[Sequence[object]]]:
    """Row iterators to look for a roster in: each worksheet, or the one CSV table."""
    if data.startswith(XLS_MAGIC):
        raise UnreadableFileError(
            _(
                "This is an old Excel 97-2003 (.xls) file. Open it in Excel and save it "
                "as .xlsx (Excel workbook)."
            )
        )
    if data.startswith(XLSX_MAGIC):
        return [_sheet_rows(sheet) for sheet in _xlsx_sheets(data)]
    return [_csv_rows(data)]


# --- Headers and layout ---------------------------------------------------------------


@dataclass
class Header:
    row: int  # the header row's number
    layout: Layout
    columns: dict[int, Column]  # cell index → column
    nameless: set[int]  # cell indexes under an empty header
    problems: list[Problem]


def _text(value: object) -> str:
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


def _read_header(rows: Iterator[Sequence[object]], forced: str | None) -> Header | None:
    """Find the header row among the first rows, consuming them."""
    above: list[str] = []
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        row = next(rows, None)
        if row is None:
            break
        cells = [_text(v) for v in row]
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


# --- Cells ---------------------------------------------------------------------------


class CellError(Exception):
    pass


def _plain(value: object) -> str:
    """A cell as text; whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    # The export escapes formula-like text with an apostrophe; read it back as written.
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text


def _no_formula(text: str) -> None:
    if text.startswith(FORMULA_STARTS):
        raise CellError(
            _(
                "The cell begins with =, +, - or @, which a spreadsheet runs as a formula. "
                "Remove the sign or the formula and type the value."
            )
        )


def parse_date(value: object, *, today: date) -> date:
    """A date from an Excel date cell or text such as 2014-05-01, 2014/5/1, 20140501 or
    2014年5月1日; never in the future, never before 1900."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 100000:
            from openpyxl.utils.datetime import from_excel

            converted = from_excel(value)
            day = converted.date() if isinstance(converted, datetime) else converted
        else:
            text = _plain(value)
            _no_formula(text)
            text = re.split(r"[ T]", text, maxsplit=1)[0] if re.match(r"\d{4}-", text) else text
            match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
            if match is None:
                raise CellError(
                    _("Not a date: write it as 2014-05-01, 2014/5/1, 20140501 or 2014年5月1日.")
                )
            try:
                day = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError(_("This date does not exist.")) from None
    if day > today:
        raise CellError(_("This date is in the future."))
    if day < EARLIEST:
        raise CellError(_("This date is before 1900."))
    return day


def _enum_cell(column: Column, value: object) -> object:
    text = _plain(value)
    _no_formula(text)
    if column.enum == "ethnicity":
        code = ethnicity_code(text)
        if code is not None:
            return code
    found = rosters.enum_value(column.enum, text)
    if found is None:
        labels = rosters.enum_labels(column.enum)
        shown = "、".join(labels[:12]) + ("…" if len(labels) > 12 else "")
        raise CellError(
            _("Not a value of this column; use one of: %(labels)s.") % {"labels": shown}
        )
    return found


def _phone(value: object) -> str:
    text = _plain(value)
    if text.startswith(("=", "-", "@")):
        _no_formula(text)
    if not _PHONE.fullmatch(text):
        raise CellError(_("Not a phone number: digits only, for example 13800000000."))
    # Stored as the registry's forms store it: no spaces, dashes or brackets.
    return re.sub(r"[\s()\-]", "", text)


# Model limits for the text a row may carry: refused before the database would.
_MAX_LENGTH = {
    "name": Minor._meta.get_field("name").max_length,
    "father_name": Guardian._meta.get_field("name").max_length,
    "mother_name": Guardian._meta.get_field("name").max_length,
    "entrusted_name": Guardian._meta.get_field("name").max_length,
    "father_work_place": Guardian._meta.get_field("work_place").max_length,
    "mother_work_place": Guardian._meta.get_field("work_place").max_length,
    "village_contact": Household._meta.get_field("village_contact").max_length,
    "class_name": SchoolClass._meta.get_field("name").max_length,
    "school": Organisation._meta.get_field("name").max_length,
}
TEXT_LIMIT = 500  # address, illness: encrypted text, but a cell is not a document


def clean_cell(column: Column, value: object, *, today: date) -> object:
    """The stored value of one non-empty cell, or CellError with the reason."""
    if column.kind == rosters.DATE:
        return parse_date(value, today=today)
    if column.kind == "enum":
        return _enum_cell(column, value)
    if column.kind == rosters.PHONE:
        return _phone(value)
    if column.kind == rosters.ID and isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            _(
                "The ID number was stored as a number, which loses its last digits. Format "
                "the column as text and type the number again."
            )
        )
    text = _plain(value)
    _no_formula(text)
    if column.kind == rosters.CODE and not text.isdigit():
        raise CellError(_("A division code has only digits, for example 431103101200."))
    limit = _MAX_LENGTH.get(column.key) or TEXT_LIMIT
    if len(text) > limit:
        raise CellError(_("Too long: at most %(n)d characters.") % {"n": limit})
    return text


# --- Rows ---------------------------------------------------------------------------

MINOR_KEYS = (
    "name",
    "sex",
    "birth_date",
    "id_number",
    "ethnicity",
    "hukou_type",
    "hukou_code",
    "area_code",
    "address",
    "resident_since",
    "schooling",
    "boarding",
    "health",
    "illness",
    "disability_type",
    "disability_grade",
    "guardianship_concern",
)
GUARDIAN_KEYS = {
    "father": (
        ("name", "father_name"),
        ("state", "father_state"),
        ("state_since", "father_state_since"),
        ("work_place", "father_work_place"),
        ("cross_county", "father_cross_county"),
        ("phone", "father_phone"),
    ),
    "mother": (
        ("name", "mother_name"),
        ("state", "mother_state"),
        ("state_since", "mother_state_since"),
        ("work_place", "mother_work_place"),
        ("cross_county", "mother_cross_county"),
        ("phone", "mother_phone"),
    ),
    "entrusted": (
        ("name", "entrusted_name"),
        ("relation", "entrusted_relation"),
        ("phone", "entrusted_phone"),
        ("entrustment_signed_on", "entrustment_signed_on"),
    ),
}
HOUSEHOLD_KEYS = (
    ("main_income", "income"),
    ("assistance", "assistance"),
    ("village_contact", "village_contact"),
    ("village_contact_phone", "village_contact_phone"),
)


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # column key → cleaned value, non-empty cells only
    digest: str | None = None
    match: Minor | None = None
    school: Organisation | None = None
    school_class: SchoolClass | None = None

    @property
    def triple(self) -> tuple[str, date, str]:
        return (self.values["name"], self.values["birth_date"], self.values["area_code"])


@dataclass
class Scope:
    """Where the importer may register and change children (``services._check_area``)."""

    system: bool
    areas: list[str]
    schools: set[int]

    @classmethod
    def of(cls, actor: Any) -> Scope:
        if actor is None:
            return cls(True, [], set())
        areas = perms.minor_prefixes(actor, MinorAccess.JURISDICTION, edit=True)
        schools = set(perms.minor_schools(actor, edit=True))
        if not areas and not schools:
            raise PermissionDenied(_("You cannot register children."))
        return cls(False, areas, schools)

    def allows(self, area_code: str, school_id: int | None) -> bool:
        return self.system or perms.covers(self.areas, area_code) or school_id in self.schools


def can_import(user: Any) -> bool:
    """Roles that edit minors (in a jurisdiction or a school) import rosters."""
    return bool(
        perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)
        or perms.minor_schools(user, edit=True)
    )


class _Importer:
    """Checks rows chunk by chunk and, while nothing is wrong and ``write`` is set,
    writes each chunk; the caller's transaction makes the whole file one unit."""

    def __init__(self, *, actor: Any, header: Header, write: bool, today: date) -> None:
        self.actor = actor
        self.scope = Scope.of(actor)
        self.header = header
        self.layout = header.layout
        self.write = write
        self.today = today
        self.problems: list[Problem] = list(header.problems)
        self.problem_count = len(self.problems)
        self.warnings: list[Problem] = []
        self.rows = self.created = self.updated = self.unchanged = 0
        self.seen_ids: dict[str, int] = {}
        self.seen_triples: dict[tuple[str, date, str], tuple[int, str | None]] = {}
        self.divisions: dict[str, bool] = {}
        self.schools: dict[str, list[Organisation]] = {}
        self.classes: dict[tuple[int, int, str], SchoolClass | None] = {}
        self.nameless_reported: set[int] = set()
        self.to_refresh: list[int] = []

    # -- problems

    def problem(self, row: int, column: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(Problem(row, column, message))

    def refresh(self, ids: list[int], *, final: bool = False) -> None:
        """Re-derive categories of written children in batches: one IN list stays under
        SQLite's variable limit, and each batch is one audit event, not one per child."""
        self.to_refresh.extend(ids)
        if self.to_refresh and (final or len(self.to_refresh) >= REFRESH_BATCH):
            categories.categories_refresh_many(
                Minor.objects.filter(pk__in=self.to_refresh), actor=self.actor
            )
            self.to_refresh = []

    def warn(self, row: int, column: str, message: str) -> None:
        if len(self.warnings) < MAX_LISTED_PROBLEMS:
            self.warnings.append(Problem(row, column, message))

    def header_of(self, key: str) -> str:
        return self.layout.column(key).header

    @property
    def writing(self) -> bool:
        return self.write and self.problem_count == 0

    # -- driving

    def run(self, rows: Iterable[tuple[int, Sequence[object]]]) -> None:
        chunk: list[Row] = []
        limit = max_rows()
        for number, cells in rows:
            row = self.read_row(number, cells)
            if row is None:
                continue
            self.rows += 1
            if self.rows > limit:
                self.problem(
                    0,
                    "",
                    _("The file has more than %(n)d rows of children; split it.") % {"n": limit},
                )
                return
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self.process(chunk)
                chunk = []
        if chunk:
            self.process(chunk)
        if self.writing:
            self.refresh([], final=True)
        if self.rows == 0:
            self.problem(0, "", _("The file has no rows of children under the header."))

    def read_row(self, number: int, cells: Sequence[object]) -> Row | None:
        values: dict[str, Any] = {}
        raw: dict[str, object] = {}
        empty = True
        for index, value in enumerate(cells):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            column = self.header.columns.get(index)
            if column is None:
                if index in self.header.nameless and index not in self.nameless_reported:
                    self.nameless_reported.add(index)
                    self.problem(
                        number,
                        _("column %(n)d") % {"n": index + 1},
                        _("This column holds data but has no header."),
                    )
                continue
            empty = False
            raw[column.key] = value
        if empty:
            return None
        ok = True
        for key, value in raw.items():
            column = self.layout.column(key)
            try:
                values[key] = clean_cell(column, value, today=self.today)
            except CellError as exc:
                self.problem(number, column.header, str(exc))
                ok = False
        row = Row(number, values)
        ok = self.check_identity(row, raw) and ok
        ok = self.check_guardians(row) and ok
        return row if ok else Row(number, {})

    def check_identity(self, row: Row, raw: dict[str, object]) -> bool:
        values, ok = row.values, True
        if "name" not in values and "name" not in raw:
            self.problem(row.number, self.header_of("name"), _("The name is required."))
            ok = False
        if "id_number" in values:
            try:
                parsed = parse_id_number(values["id_number"], today=self.today)
            except ValidationError as exc:
                self.problem(row.number, self.header_of("id_number"), " ".join(exc.messages))
                ok = False
            else:
                values["id_number"] = parsed.value
                row.digest = lookup_index(Minor, "id_number_index", parsed.value)
                for warning in id_warnings(
                    parsed, birth_date=values.get("birth_date"), sex=values.get("sex")
                ):
                    self.warn(row.number, self.header_of("id_number"), warning)
                values.setdefault("birth_date", parsed.birth_date)
                values.setdefault("sex", parsed.sex)
        elif "id_number" not in raw:
            for key in ("birth_date", "sex"):
                if key not in values and key not in raw:
                    self.problem(
                        row.number,
                        self.header_of(key),
                        _("Required when the ID number is not given."),
                    )
                    ok = False
        if "area_code" in values:
            try:
                code, _prefix, level = parse_code(values["area_code"])
            except ValidationError as exc:
                self.problem(row.number, self.header_of("area_code"), " ".join(exc.messages))
                ok = False
            else:
                if level != Level.VILLAGE:
                    self.problem(
                        row.number,
                        self.header_of("area_code"),
                        _("Give the 12-digit code of the village or community."),
                    )
                    ok = False
                values["area_code"] = code
        elif "area_code" not in raw:
            self.problem(
                row.number,
                self.header_of("area_code"),
                _("The residence division code is required."),
            )
            ok = False
        if "hukou_code" in values:
            try:
                _code, prefix, level = parse_code(values["hukou_code"])
            except ValidationError as exc:
                self.problem(row.number, self.header_of("hukou_code"), " ".join(exc.messages))
                ok = False
            else:
                if level in (Level.PROVINCE, Level.CITY):
                    self.problem(
                        row.number,
                        self.header_of("hukou_code"),
                        _("Give at least the county: 6 digits or more."),
                    )
                    ok = False
                values["hukou_code"] = prefix
        born = values.get("birth_date")
        if isinstance(born, date) and _age(born, self.today) >= 18:
            self.warn(row.number, self.header_of("birth_date"), _("The child is 18 or older."))
        if ("grade" in values or "class_name" in values) and "school" not in values:
            self.problem(
                row.number,
                self.header_of("school"),
                _("Give the school together with the grade and class."),
            )
            ok = False
        elif ("grade" in values) != ("class_name" in values):
            missing = "class_name" if "grade" in values else "grade"
            self.problem(
                row.number, self.header_of(missing), _("Give the grade and the class together.")
            )
            ok = False
        return ok

    def check_guardians(self, row: Row) -> bool:
        ok = True
        given = {
            k for k in row.values if k.startswith("entrusted_") or k == "entrustment_signed_on"
        }
        if given and "entrusted_name" not in row.values:
            self.problem(
                row.number,
                self.header_of("entrusted_name"),
                _("Give the entrusted guardian's name with the other entrusted-guardian cells."),
            )
            ok = False
        if "entrusted_name" in row.values and "entrusted_relation" not in row.values:
            self.problem(
                row.number,
                self.header_of("entrusted_relation"),
                _("Give the entrusted guardian's relation to the child."),
            )
            ok = False
        return ok

    # -- one chunk

    def process(self, chunk: list[Row]) -> None:
        rows = [row for row in chunk if row.values]
        self.check_places(rows)
        self.check_duplicates_in_file(rows)
        self.find_matches(rows)
        if self.problem_count == 0:
            writer = _Writer(self)
            writer.plan(rows)
            if self.write:
                writer.flush()

    def check_places(self, rows: list[Row]) -> None:
        codes = {r.values["area_code"] for r in rows if "area_code" in r.values}
        unknown = [c for c in codes if c not in self.divisions]
        for start in range(0, len(unknown), 500):
            part = unknown[start : start + 500]
            known = set(Division.objects.filter(code__in=part).values_list("code", flat=True))
            self.divisions.update({c: c in known for c in part})
        names = {r.values["school"] for r in rows if "school" in r.values} - set(self.schools)
        if names:
            for name in names:
                self.schools[name] = []
            for school in Organisation.objects.filter(
                kind=Organisation.Kind.SCHOOL, name__in=names
            ).select_related("division"):
                self.schools[school.name].append(school)
        for row in rows:
            if not row.values:
                continue
            area = row.values.get("area_code")
            if area is not None and not self.divisions.get(area, False):
                self.problem(
                    row.number,
                    self.header_of("area_code"),
                    _("No village or community has this code in the division list."),
                )
                row.values = {}
                continue
            if "school" in row.values and not self.resolve_school(row):
                row.values = {}
                continue
            school_id = row.school.pk if row.school else None
            if area is not None and not self.scope.allows(area, school_id):
                self.problem(
                    row.number,
                    self.header_of("area_code"),
                    _("This village is outside your scope: you cannot register children there."),
                )
                row.values = {}

    def resolve_school(self, row: Row) -> bool:
        found = [s for s in self.schools.get(row.values["school"], []) if s.is_active]
        if len(found) > 1:
            mine = [s for s in found if s.pk in self.scope.schools]
            nearby = [
                s for s in found if row.values.get("area_code", "").startswith(s.division_id[:6])
            ]
            found = mine or nearby or found
        if len(found) != 1:
            self.problem(
                row.number,
                self.header_of("school"),
                _("No school of this name is registered.")
                if not found
                else _("Several schools have this name; ask the administrator to tell them apart."),
            )
            return False
        row.school = found[0]
        if "grade" in row.values:
            return self.resolve_class(row)
        return True

    def resolve_class(self, row: Row) -> bool:
        if row.school is None:
            return False
        key = (row.school.pk, row.values["grade"], row.values["class_name"])
        if key not in self.classes:
            self.classes[key] = SchoolClass.objects.filter(
                school=row.school, grade=key[1], name=key[2]
            ).first()
        found = self.classes[key]
        if found is not None:
            row.school_class = found
            return True
        if self.actor is not None and not perms.can_manage_school(self.actor, row.school):
            self.problem(
                row.number,
                self.header_of("class_name"),
                _("This class is not registered at the school, and you cannot add classes there."),
            )
            return False
        if self.writing:
            from carecircle.people.services import school_class_save

            self.classes[key] = row.school_class = school_class_save(
                actor=self.actor, school=row.school, grade=key[1], name=key[2]
            )
        return True

    def check_duplicates_in_file(self, rows: list[Row]) -> None:
        for row in rows:
            if not row.values:
                continue
            if row.digest is not None:
                first = self.seen_ids.get(row.digest)
                if first is not None:
                    self.problem(
                        row.number,
                        self.header_of("id_number"),
                        _("Row %(row)d already has this ID number.") % {"row": first},
                    )
                    row.values = {}
                    continue
                self.seen_ids[row.digest] = row.number
            seen = self.seen_triples.get(row.triple)
            if seen is not None and (seen[1] is None or row.digest is None):
                self.problem(
                    row.number,
                    self.header_of("name"),
                    _("Row %(row)d has the same child: same name, birth date and village.")
                    % {"row": seen[0]},
                )
                row.values = {}
                continue
            self.seen_triples.setdefault(row.triple, (row.number, row.digest))

    def find_matches(self, rows: list[Row]) -> None:
        live = Minor.objects.exclude(status=Minor.Status.MERGED)
        rows = [r for r in rows if r.values]
        digests = [r.digest for r in rows if r.digest]
        by_digest = {m.id_number_index: m for m in live.filter(id_number_index__in=digests)}
        for row in rows:
            if row.digest:
                row.match = by_digest.get(row.digest)
        rest = [r for r in rows if r.match is None]
        by_triple: dict[tuple[str, date, str], list[Minor]] = {}
        if rest:
            candidates = live.filter(
                area_code__in={r.values["area_code"] for r in rest},
                name__in={r.values["name"] for r in rest},
                birth_date__in={r.values["birth_date"] for r in rest},
            )
            for minor in candidates:
                by_triple.setdefault((minor.name, minor.birth_date, minor.area_code), []).append(
                    minor
                )
        for row in rest:
            found = by_triple.get(row.triple, [])
            if row.digest:
                found = [m for m in found if not m.id_number_index]
            if len(found) > 1:
                self.problem(
                    row.number,
                    self.header_of("name"),
                    _(
                        "Several registered children have this name, birth date and village; "
                        "merge the duplicates first, or give the ID number."
                    ),
                )
                row.values = {}
            elif found:
                row.match = found[0]
        for row in rows:
            if (
                row.values
                and row.match is not None
                and not self.scope.allows(row.match.area_code, row.match.school_id)
            ):
                self.problem(
                    row.number,
                    self.header_of("id_number") if row.digest else self.header_of("name"),
                    _(
                        "This child is already registered outside your scope; ask the "
                        "district centre to move the record."
                    ),
                )
                row.values = {}


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class _Writer:
    """Plans one checked chunk (counting creations and updates), then writes it with
    bulk queries; a dry run plans only."""

    def __init__(self, importer: _Importer) -> None:
        self.importer = importer
        self.now = timezone.now()
        self.new_minors: list[Minor] = []
        self.changed_minors: list[Minor] = []
        self.minor_fields: set[str] = set()
        self.new_guardians: list[tuple[Minor, Guardian]] = []
        self.changed_guardians: list[Guardian] = []
        self.guardian_fields: set[str] = set()
        self.new_households: list[tuple[Minor, Household]] = []
        self.changed_households: list[Household] = []
        self.household_fields: set[str] = set()
        self.touched: list[Minor] = []

    def plan(self, rows: list[Row]) -> None:
        rows = [r for r in rows if r.values]
        guardians = self.existing_guardians([r.match.pk for r in rows if r.match is not None])
        households = Household.objects.in_bulk(
            [r.match.household_id for r in rows if r.match and r.match.household_id]
        )
        for row in rows:
            minor = row.match or Minor(status=Minor.Status.ACTIVE)
            changed = self.apply_minor(minor, row)
            touched = self.plan_guardians(minor, row, guardians.get(minor.pk or 0, {}))
            data = {attr: row.values[key] for attr, key in HOUSEHOLD_KEYS if key in row.values}
            if data:
                household = households.get(minor.household_id or 0)
                if household is None:
                    household = Household(
                        area_code=minor.area_code, address=minor.address or "", **data
                    )
                    self.new_households.append((minor, household))
                    changed.append("household")
                elif diff := _apply(household, data):
                    household.updated_at = self.now
                    self.changed_households.append(household)
                    self.household_fields.update(diff)
                    touched = True
            if minor.pk is None:
                self.new_minors.append(minor)
                self.importer.created += 1
            elif touched or changed:
                if changed:
                    self.changed_minors.append(minor)
                    self.minor_fields.update(changed)
                self.touched.append(minor)
                self.importer.updated += 1
            else:
                self.importer.unchanged += 1

    def plan_guardians(self, minor: Minor, row: Row, current: dict[str, Guardian]) -> bool:
        touched = False
        for role, keys in GUARDIAN_KEYS.items():
            data = {attr: row.values[key] for attr, key in keys if key in row.values}
            if not data:
                continue
            guardian = current.get(role)
            if guardian is None:
                guardian = _new_guardian(role)
                _apply(guardian, data)
                self.new_guardians.append((minor, guardian))
                touched = True
            elif diff := _apply(guardian, data):
                guardian.updated_at = self.now
                self.changed_guardians.append(guardian)
                self.guardian_fields.update(diff)
                touched = True
        return touched

    def flush(self) -> None:
        if self.new_households:
            Household.objects.bulk_create([h for _m, h in self.new_households])
            for minor, household in self.new_households:
                minor.household = household
        Minor.objects.bulk_create(self.new_minors, batch_size=500)
        if self.changed_minors:
            for minor in self.changed_minors:
                minor.updated_at = self.now
                # bulk_update skips pre_save: the blind index is computed here.
                minor.id_number_index = lookup_index(  # type: ignore[assignment]
                    Minor, "id_number_index", minor.id_number or ""
                )
            fields = self.minor_fields | {"updated_at", "name_pinyin", "name_initials"}
            fields.add("id_number_index")
            Minor.objects.bulk_update(self.changed_minors, sorted(fields), batch_size=500)
        for minor, guardian in self.new_guardians:
            guardian.minor = minor
        Guardian.objects.bulk_create([g for _m, g in self.new_guardians], batch_size=500)
        if self.changed_guardians:
            Guardian.objects.bulk_update(
                self.changed_guardians,
                sorted(self.guardian_fields | {"updated_at"}),
                batch_size=500,
            )
        if self.changed_households:
            Household.objects.bulk_update(
                self.changed_households,
                sorted(self.household_fields | {"updated_at"}),
                batch_size=500,
            )
        self.importer.refresh([m.pk for m in self.new_minors] + [m.pk for m in self.touched])

    def apply_minor(self, minor: Minor, row: Row) -> list[str]:
        data = {key: row.values[key] for key in MINOR_KEYS if key in row.values}
        if row.school is not None:
            data["school"] = row.school
            if not minor.schooling:
                data.setdefault("schooling", Minor.Schooling.IN_SCHOOL)
        if row.school_class is not None:
            data["school_class"] = row.school_class
        changed = _apply(minor, data)
        if "name" in changed:
            minor.name_pinyin, minor.name_initials = name_keys(minor.name)
        return changed

    def existing_guardians(self, minor_ids: list[int]) -> dict[int, dict[str, Guardian]]:
        found: dict[int, dict[str, Guardian]] = {}
        if not minor_ids:
            return found
        for guardian in Guardian.objects.filter(minor_id__in=minor_ids).order_by("pk"):
            slots = found.setdefault(guardian.minor_id, {})
            if guardian.is_entrusted:
                slots.setdefault("entrusted", guardian)
            elif guardian.relation in Guardian.PARENTS:
                slots[guardian.relation] = guardian
        return found


def _new_guardian(role: str) -> Guardian:
    if role == "entrusted":
        return Guardian(is_entrusted=True)
    return Guardian(relation=role)


def _apply(instance: Any, data: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


# --- The entry point ---------------------------------------------------------------------


class _RollbackError(Exception):
    pass


def _records(
    sources: list[Iterator[Sequence[object]]], forced: str | None
) -> tuple[Header | None, Iterator[tuple[int, Sequence[object]]]]:
    for rows in sources:
        header = _read_header(rows, forced)
        if header is not None:
            numbered = ((header.row + offset, cells) for offset, cells in enumerate(rows, start=1))
            return header, numbered
    return None, iter(())


def import_minors(
    *,
    actor: Any,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    layout: str | None = None,
) -> ImportReport:
    """Check a roster and, unless ``dry_run`` or anything is wrong, import it whole.

    ``actor`` None is the system (the benchmark, a migration). Raises PermissionDenied
    when the actor edits no children anywhere; every other problem is in the report.
    """
    Scope.of(actor)  # refuse before reading a byte of the file
    today = timezone.localdate()
    sha = hashlib.sha256(data).hexdigest()
    if layout is not None and layout not in rosters.LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    importer: _Importer | None = None
    problems: list[Problem] = []
    try:
        if not data:
            raise UnreadableFileError(_("The file is empty."))
        if len(data) > max_bytes():
            raise UnreadableFileError(too_large_message())
        header, rows = _records(_file_sources(data), layout)
        if header is None:
            raise UnreadableFileError(
                _(
                    "No header row of a 两表一册 form was found in the first %(n)d rows. "
                    "Start from the downloadable template."
                )
                % {"n": HEADER_SEARCH_ROWS}
            )
        importer = _Importer(actor=actor, header=header, write=not dry_run, today=today)
        if dry_run:
            importer.run(rows)
        else:
            try:
                with transaction.atomic():
                    importer.run(rows)
                    if importer.problem_count:
                        raise _RollbackError
                    report = _finish(actor, importer, filename, sha, dry_run, [])
                    return report
            except _RollbackError:
                pass
            except (DatabaseError, ValidationError):
                importer.problem(
                    0,
                    "",
                    _(
                        "The database refused the import, perhaps because of a simultaneous "
                        "change. Nothing was saved; try again."
                    ),
                )
    except UnreadableFileError as exc:
        problems.append(Problem(0, "", str(exc)))
    return _finish(actor, importer, filename, sha, dry_run, problems)


def _finish(
    actor: Any,
    importer: _Importer | None,
    filename: str,
    sha: str,
    dry_run: bool,
    problems: list[Problem],
) -> ImportReport:
    """Record the batch and its audit event (in the caller's transaction, if any)."""
    if importer is not None:
        problems = importer.problems + problems
        hidden = importer.problem_count - len(importer.problems)
        if hidden > 0:
            problems.append(
                Problem(
                    0,
                    "",
                    _("%(n)d more problems are not listed; correct the ones above first.")
                    % {"n": hidden},
                )
            )
    clean = not problems
    report = ImportReport(
        layout=importer.layout.key if importer else "",
        rows=importer.rows if importer else 0,
        created=importer.created if importer and clean else 0,
        updated=importer.updated if importer and clean else 0,
        problems=problems,
        dry_run=dry_run,
        batch=None,
        warnings=importer.warnings if importer else [],
        unchanged=importer.unchanged if importer and clean else 0,
    )
    if not clean:
        status = ImportBatch.Status.REJECTED
    elif dry_run:
        status = ImportBatch.Status.CHECKED
    else:
        status = ImportBatch.Status.APPLIED
    with transaction.atomic():
        report.batch = ImportBatch.objects.create(
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            filename=filename[:200],
            sha256=sha,
            layout=report.layout,
            status=status,
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            problems=[p.as_dict() for p in problems],
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            object_type="people.importbatch",
            object_id=report.batch.pk,
            details={
                "layout": report.layout,
                "status": status,
                "dry_run": dry_run,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "problems": len(problems),
                "warnings": len(report.warnings),
            },
            username="system" if actor is None else "",
        )
    return report
