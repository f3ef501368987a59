"""Writes to the division tree: loading the official code table."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from carecircle.regions.codes import PREFIX_LENGTHS, Level, parse_code
from carecircle.regions.models import Division


@transaction.atomic
def divisions_load(*, rows: Iterable[tuple[str, str, str]]) -> int:
    """Create or update divisions from (code, name, urban_rural) rows, parents first.

    Every row is validated before anything is written, so a bad row changes nothing.
    """
    parsed: list[tuple[str, str, Level, str, str]] = []
    errors: list[str] = []
    for number, (raw_code, name, urban_rural) in enumerate(rows, start=1):
        try:
            code, prefix, level = parse_code(raw_code)
        except ValidationError as exc:
            errors.append(f"{number}: {' '.join(exc.messages)}")
            continue
        if not name.strip():
            errors.append(f"{number}: {raw_code} has no name")
            continue
        parsed.append((code, prefix, level, name.strip(), urban_rural.strip()))
    if errors:
        raise ValidationError(errors)
    parsed.sort(key=lambda row: (len(row[1]), row[1]))
    known = {d.prefix: d for d in Division.objects.all()}
    lengths = list(PREFIX_LENGTHS.values())
    for code, prefix, level, name, urban_rural in parsed:
        parent = None
        position = lengths.index(len(prefix))
        if position:
            parent = known.get(prefix[: lengths[position - 1]])
            if parent is None:
                raise ValidationError(f"{code} {name}: parent division is missing")
        division, _created = Division.objects.update_or_create(
            code=code,
            defaults={
                "prefix": prefix,
                "name": name,
                "level": level,
                "parent": parent,
                "urban_rural": urban_rural,
            },
        )
        known[prefix] = division
    return len(parsed)
