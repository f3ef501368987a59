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

from carecircle.people.imports.cells import CellError, clean_cell, parse_date
from carecircle.people.imports.files import decode_text
from carecircle.people.imports.report import (
    ImportReport,
    Problem,
    UnreadableFileError,
    max_bytes,
    max_rows,
    too_large_message,
)
from carecircle.people.imports.rows import can_import
from carecircle.people.imports.run import import_minors

__all__ = [
    "CellError",
    "ImportReport",
    "Problem",
    "UnreadableFileError",
    "can_import",
    "clean_cell",
    "decode_text",
    "import_minors",
    "max_bytes",
    "max_rows",
    "parse_date",
    "too_large_message",
]
