"""Writing a checked chunk: children, parents, entrusted guardians and households."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from carecircle.crypto.bulk import InstanceMaker, bulk_insert
from carecircle.crypto.fields import lookup_index
from carecircle.people.imports.rows import GUARDIAN_KEYS, HOUSEHOLD_KEYS, MINOR_KEYS, Row
from carecircle.people.models import Guardian, Household, Minor
from carecircle.people.names import name_keys

if TYPE_CHECKING:
    from carecircle.people.imports.checks import Importer


class Writer:
    """Plans one checked chunk (counting creations and updates), then writes it with
    bulk queries; a dry run plans only."""

    def __init__(self, importer: Importer) -> None:
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
            minor = row.match or _new_minor(status=Minor.Status.ACTIVE)
            changed = self.apply_minor(minor, row)
            touched = self.plan_guardians(minor, row, guardians.get(minor.pk or 0, {}))
            data = {attr: row.values[key] for attr, key in HOUSEHOLD_KEYS if key in row.values}
            if data:
                household = households.get(minor.household_id or 0)
                if household is None:
                    household = _new_household(
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
            bulk_insert([h for _m, h in self.new_households])
            for minor, household in self.new_households:
                minor.household = household
        bulk_insert(self.new_minors)
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
        bulk_insert([g for _m, g in self.new_guardians])
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
        # Before the refresh reads these children back: its plans need their count.
        self.importer.statistics.grew(len(self.new_minors) + len(self.changed_minors))
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


_new_minor = InstanceMaker(Minor)
_new_household = InstanceMaker(Household)
_new_guardian_instance = InstanceMaker(Guardian)


def _new_guardian(role: str) -> Guardian:
    if role == "entrusted":
        return _new_guardian_instance(is_entrusted=True)
    return _new_guardian_instance(relation=role)


def _apply(instance: Any, data: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
