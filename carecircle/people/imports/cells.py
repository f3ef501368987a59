"""One cell of a roster: its stored value, or the reason it is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation
from carecircle.people import rosters
from carecircle.people.ethnicities import ethnicity_code
from carecircle.people.models import Guardian, Household, Minor, SchoolClass
from carecircle.people.rosters import Column

FORMULA_STARTS = ("=", "+", "-", "@")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,24}")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
EARLIEST = date(1900, 1, 1)


class CellError(Exception):
    pass


@dataclass(frozen=True)
class RefusedCell:
    """A remembered CellError: its message, raised afresh for each cell."""

    message: str


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
