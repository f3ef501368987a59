"""Resident ID numbers (公民身份号码) per GB 11643-1999; see DOMAIN.md §7.4 and §9.5.

Pure functions, no models: the registry form, the importer and the blind index
all normalise and check a number the same way. The area prefix is not checked
against the division list: a number keeps the county code of its issue, which
may since have been retired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (Σ aᵢwᵢ) mod 11
_ASCII_DIGITS = frozenset("0123456789")
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class IdNumber:
    value: str  # the normalised 18-character number
    birth_date: date
    sex: str  # "M" or "F", as ``Minor.Sex``
    area_prefix: str  # the 6-digit county code at issue
    upgraded_from_15: bool


def check_character(first17: str) -> str:
    """The MOD 11-2 check character of 17 ASCII digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _upgrade(legacy: str) -> str:
    """A 15-digit number of GB 11643-1989 → its 18-character form (born in the 1900s)."""
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + check_character(first17)


def normalize(raw: str) -> str:
    """Spaces removed, x upper-cased, a 15-digit number upgraded; never raises.

    The blind index uses this, so every spelling of one number finds the same child.
    """
    value = "".join(raw.split()).upper()
    if len(value) == 15 and set(value) <= _ASCII_DIGITS:
        return _upgrade(value)
    return value


def _is_full_width(char: str) -> bool:
    return "\uff10" <= char <= "\uff5a"


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Check ``raw`` and read the birth date and sex out of it, or raise ValidationError."""
    compact = "".join(raw.split())
    if any(_is_full_width(c) for c in compact):
        raise ValidationError(
            _("Type the ID number with half-width digits, not full-width ones (such as １２３)."),
            code="full_width",
        )
    if len(compact) not in (15, 18):
        raise ValidationError(
            _("A resident ID number has 18 characters (old numbers: 15 digits); this has %(n)d.")
            % {"n": len(compact)},
            code="length",
        )
    upgraded = len(compact) == 15
    body, last = compact[:-1], compact[-1].upper()
    if not (
        set(body) <= _ASCII_DIGITS and (last in _ASCII_DIGITS or (last == "X" and not upgraded))
    ):
        raise ValidationError(
            _("An ID number has only digits, except that the last character may be X."),
            code="characters",
        )
    value = normalize(compact)
    born = _birth_date(value[6:14])
    if born > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is in the future.")
            % {"date": born.isoformat()},
            code="future_date",
        )
    if value[17] != check_character(value[:17]):
        raise ValidationError(
            _("The ID number's check character is wrong: look for a mistyped digit."),
            code="check_character",
        )
    return IdNumber(
        value=value,
        birth_date=born,
        sex="M" if int(value[16]) % 2 else "F",
        area_prefix=value[:6],
        upgraded_from_15=upgraded,
    )


def _birth_date(digits: str) -> date:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number (%(digits)s) is not a real date.")
            % {"digits": digits},
            code="invalid_date",
        ) from None
    if born < EARLIEST:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is before 1900.")
            % {"date": born.isoformat()},
            code="before_1900",
        )
    return born


def id_warnings(
    parsed: IdNumber, *, birth_date: date | None = None, sex: str | None = None
) -> list[str]:
    """Where the entered birth date or sex disagree with the ID number (a warning, not an error)."""
    warnings = []
    if birth_date is not None and birth_date != parsed.birth_date:
        warnings.append(
            _(
                "The birth date entered (%(entered)s) differs from the one in the ID number "
                "(%(from_id)s)."
            )
            % {"entered": birth_date.isoformat(), "from_id": parsed.birth_date.isoformat()}
        )
    if sex and sex != parsed.sex:
        warnings.append(
            _("The sex entered differs from the one in the ID number (%(from_id)s).")
            % {"from_id": _("Male") if parsed.sex == "M" else _("Female")}
        )
    return warnings


def mask_id_number(value: str) -> str:
    """The first and last four characters, the rest starred: 4311**********1234."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
