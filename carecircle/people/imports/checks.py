"""Checking a roster chunk by chunk: cells, identity, places, duplicates, matches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.crypto.bulk import rows_per_statement
from carecircle.crypto.fields import lookup_index
from carecircle.db.statistics import GrowingTables
from carecircle.people import categories, rosters
from carecircle.people.idnumbers import id_warnings, parse_id_number
from carecircle.people.imports.cells import CellError, RefusedCell, clean_cell
from carecircle.people.imports.files import Header
from carecircle.people.imports.report import MAX_LISTED_PROBLEMS, Problem, max_rows
from carecircle.people.imports.rows import Row, Scope
from carecircle.people.imports.writer import Writer
from carecircle.people.models import CategoryMembership, Guardian, Household, Minor, SchoolClass
from carecircle.people.rosters import Column
from carecircle.people.rules import age_on
from carecircle.regions.codes import Level, parse_code
from carecircle.regions.models import Division

CHUNK = 2000
REFRESH_BATCH = 20_000

# Cells whose values repeat down a roster, and whose cleaning is remembered per value.
_REPEATING_KINDS = frozenset({"enum", rosters.DATE, rosters.CODE})
_REPEATING = frozenset({"school", "class_name"})


class Importer:
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
        self.classes: dict[tuple[int, int, str], SchoolClass] = {}
        self.classes_of: set[int] = set()  # schools whose classes are in self.classes
        self.nameless_reported: set[int] = set()
        self.cleaned: dict[tuple[str, type, object], object] = {}
        self.to_refresh: list[int] = []
        self.statistics = GrowingTables(Minor, Household, Guardian, CategoryMembership)

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
                values[key] = self.clean(column, value)
            except CellError as exc:
                self.problem(number, column.header, str(exc))
                ok = False
        row = Row(number, values)
        ok = self.check_identity(row, raw) and ok
        ok = self.check_guardians(row) and ok
        return row if ok else Row(number, {})

    def clean(self, column: Column, value: object) -> object:
        """``clean_cell``, remembered for the columns whose values repeat down a roster
        (choices, dates, codes, schools): a 100,000-row file has a few thousand."""
        if column.key not in _REPEATING and column.kind not in _REPEATING_KINDS:
            return clean_cell(column, value, today=self.today)
        # The type too: True == 1 == 1.0, but a boolean cell is no date serial.
        key = (column.key, type(value), value)
        try:
            found = self.cleaned[key]
        except KeyError:
            try:
                found = clean_cell(column, value, today=self.today)
            except CellError as exc:
                found = RefusedCell(str(exc))
            self.cleaned[key] = found
        except TypeError:  # an unhashable cell value
            return clean_cell(column, value, today=self.today)
        if isinstance(found, RefusedCell):
            raise CellError(found.message)
        return found

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
        if isinstance(born, date) and age_on(born, self.today) >= 18:
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
            writer = Writer(self)
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
        if row.school.pk not in self.classes_of:
            # A roster lists a school's pupils class after class: one query per school.
            self.classes_of.add(row.school.pk)
            for school_class in SchoolClass.objects.filter(school=row.school):
                self.classes.setdefault(
                    (row.school.pk, school_class.grade, school_class.name), school_class
                )
        found = self.classes.get(key)
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
        for minor in live.filter(pk__in=_ids_by_triple({r.triple for r in rest})):
            by_triple.setdefault((minor.name, minor.birth_date, minor.area_code), []).append(minor)
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


def _ids_by_triple(triples: set[tuple[str, date, str]]) -> list[int]:
    """Keys of the children with any of these (name, birth date, village) triples.

    A join against a VALUES list, so that each triple is one probe of the index
    ``minor_dedupe``: the ORM's three ``__in`` lists made the databases probe (or
    scan) the product of the lists, which grew with the size of the registry.
    VALUES columns are called column1… on both SQLite and PostgreSQL.
    """
    table = connection.ops.quote_name(Minor._meta.db_table)
    ids: list[int] = []
    ordered = sorted(triples)
    step = rows_per_statement(3)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            values = ", ".join(["(%s, %s, %s)"] * len(part))
            # The table name comes from the model; every value is a bound parameter.
            cursor.execute(
                f"SELECT m.id FROM (VALUES {values}) AS t JOIN {table} AS m "  # noqa: S608
                "ON m.area_code = t.column1 AND m.name = t.column2 AND m.birth_date = t.column3",
                [
                    param
                    for name, born, area in part
                    for param in (area, name, connection.ops.adapt_datefield_value(born))
                ],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
