"""The 12-digit statistical division code (统计用区划代码) and its levels.

province 2 digits · city 4 · county 6 · township 9 · village 12. A division's
*prefix* is its significant digits (湖南 "43", 冷水滩区 "431103"), so "everything
under this division" is one indexed ``startswith`` filter on a 12-digit code.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    VILLAGE = "village", _("Village / community")


PREFIX_LENGTHS = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_BY_LENGTH = {length: level for level, length in PREFIX_LENGTHS.items()}
# ASCII only: \d would also accept full-width (４３) and other Unicode digits.
_DIGITS = re.compile(r"[0-9]+")


def significant_prefix(code: str) -> str:
    """'431103000000' → '431103'; a prefix given as such is returned unchanged."""
    code = code.strip()
    if len(code) != 12:
        return code
    for length in (2, 4, 6, 9):
        if code[length:] == "0" * (12 - length):
            return code[:length]
    return code


def parse_code(raw: str) -> tuple[str, str, Level]:
    """Validate a division code; return (12-digit code, prefix, level).

    Accepts the full 12 digits or a significant prefix of 2, 4, 6, 9 or 12 digits.
    """
    code = (raw or "").strip()
    if not code or not _DIGITS.fullmatch(code):
        raise ValidationError(
            _("A division code has only digits, for example 431103 or 431103001201."),
            code="division_not_digits",
        )
    prefix = significant_prefix(code) if len(code) == 12 else code
    if len(prefix) not in LEVEL_BY_LENGTH:
        raise ValidationError(
            _("A division code has 2, 4, 6, 9 or 12 digits; %(code)s has %(n)d."),
            code="division_length",
            params={"code": code, "n": len(code)},
        )
    level = LEVEL_BY_LENGTH[len(prefix)]
    segments = [prefix[:2], prefix[2:4], prefix[4:6], prefix[6:9], prefix[9:12]]
    if int(segments[0]) < 11:
        raise ValidationError(
            _("%(code)s does not start with a province code (11 to 82)."),
            code="division_province",
            params={"code": code},
        )
    # Every segment below the level must be non-zero, or the code names no division.
    for segment in segments[1 : list(PREFIX_LENGTHS).index(level) + 1]:
        if segment and int(segment) == 0:
            raise ValidationError(
                _("%(code)s has an all-zero segment and names no division."),
                code="division_zero_segment",
                params={"code": code},
            )
    return prefix.ljust(12, "0"), prefix, level


def validate_division_code(value: str) -> None:
    parse_code(value)


def township_kind(prefix: str) -> str:
    """GB/T 10114: 001-099 street, 100-199 town, 200-399 township, 400-599 state units."""
    segment = int(prefix[6:9])
    if segment < 100:
        return "street"
    if segment < 200:
        return "town"
    if segment < 400:
        return "township"
    return "state_unit"


def _successor(prefix: str) -> str | None:
    """The smallest digit string greater than every string that starts with ``prefix``."""
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def prefix_term(field: str, prefix: str) -> Q:
    """``field`` starts with the digit string ``prefix``, written as a range.

    ``startswith`` compiles to LIKE, which SQLite cannot serve from an ordinary index
    (it scanned the whole minors table); a range on the same column is an index
    range scan on SQLite and PostgreSQL alike. Codes are ASCII digits, whose order
    is the same under every collation.

    A whole 12-digit code is an equality: every coded column is at most 12 digits
    long, and SQLite's planner, offered a range on ``area_code`` next to a range on
    another indexed column (an age band's ``birth_date``), may pick the wrong index;
    an equality it always prefers.
    """
    if not prefix:
        return Q()
    if not prefix.isdigit() or not prefix.isascii():
        return Q(**{f"{field}__startswith": prefix})
    if len(prefix) == 12:
        return Q(**{field: prefix})
    term = Q(**{f"{field}__gte": prefix})
    upper = _successor(prefix)
    return term & Q(**{f"{field}__lt": upper}) if upper else term
