"""bulk_insert and InstanceMaker store and build exactly what save() and Model() would."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecircle.crypto.bulk import InstanceMaker, bulk_insert, variable_limit
from carecircle.crypto.fields import lookup_index
from carecircle.people.models import Guardian, Household, Minor

pytestmark = pytest.mark.django_db

ID = "43110320140501001X"


def _minor(**extra: Any) -> Minor:
    fields: dict[str, Any] = {
        "name": "张小明",
        "sex": "M",
        "birth_date": date(2014, 5, 1),
        "area_code": "431103101200",
        "address": "湖南省永州市冷水滩区 1号",
        "id_number": ID,
    }
    fields.update(extra)
    return Minor(**fields)


def _raw(model: type[Any], pk: int, column: str) -> Any:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        name = connection.ops.quote_name(column)
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_it_stores_what_save_stores(district: dict[str, Any]) -> None:
    saved = _minor(name="李四", id_number="431103201303020022")
    saved.save()
    inserted = _minor()
    bulk_insert([inserted])
    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    loaded = Minor.objects.get(pk=inserted.pk)
    assert (loaded.name, loaded.birth_date, loaded.id_number, loaded.address) == (
        "张小明",
        date(2014, 5, 1),
        ID,
        "湖南省永州市冷水滩区 1号",
    )
    # Encrypted at rest, with the blind index save() would compute.
    assert ID not in _raw(Minor, inserted.pk, "id_number")
    assert loaded.id_number_index == lookup_index(Minor, "id_number_index", ID)
    assert (
        Minor.objects.filter(id_number_index=lookup_index(Minor, "id_number_index", ID)).get()
        == loaded
    )
    # auto_now and auto_now_add stamps, one time for the whole statement.
    assert loaded.created_at is not None and loaded.created_at == loaded.updated_at


def test_it_sets_every_key_beyond_one_statements_variable_limit(district: dict[str, Any]) -> None:
    columns = len([f for f in Guardian._meta.concrete_fields if not f.primary_key])
    minor = _minor()
    minor.save()
    count = variable_limit() // columns * 2 + 7  # three statements, the last one short
    guardians = [Guardian(minor=minor, relation="other", name=f"监护人{i}") for i in range(count)]
    bulk_insert(guardians)
    keys = [g.pk for g in guardians]
    assert len(set(keys)) == count
    # Each instance got its own row's key, in order.
    by_key = dict(Guardian.objects.filter(pk__in=keys).values_list("pk", "name"))
    assert [by_key[g.pk] for g in guardians] == [g.name for g in guardians]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="keys from a sequence")
def test_postgresql_draws_the_keys_then_sends_one_prepared_row_statement(
    district: dict[str, Any],
) -> None:
    minor = _minor()
    minor.save()
    guardians = [Guardian(minor=minor, relation="other", name=f"监护人{i}") for i in range(30)]
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(guardians)
    draw, insert = [q["sql"] for q in queries.captured_queries]
    assert draw.startswith("SELECT nextval(pg_get_serial_sequence(")
    # One row's placeholders, whatever the number of rows: psycopg converts it once.
    assert insert.startswith('30 times: INSERT INTO "people_guardian" ("id", ')
    assert insert.count("%s") == len(Guardian._meta.concrete_fields)
    keys = [g.pk for g in guardians]
    assert keys == sorted(set(keys))
    by_key = dict(Guardian.objects.filter(pk__in=keys).values_list("pk", "name"))
    assert [by_key[g.pk] for g in guardians] == [g.name for g in guardians]
    # The sequence moved past them: the next save() takes a new key.
    later = Guardian.objects.create(minor=minor, relation="other", name="后来")
    assert later.pk > keys[-1]


def test_it_takes_the_key_of_a_related_object_saved_after_assignment(
    district: dict[str, Any],
) -> None:
    household = Household(area_code="431103101200", address="1号")
    minor = _minor(household=household)  # assigned while unsaved: household_id is None
    bulk_insert([household])
    bulk_insert([minor])
    assert Minor.objects.get(pk=minor.pk).household_id == household.pk


def test_it_refuses_unsaved_related_objects_mixed_models_and_saved_rows(
    district: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match="unsaved"):
        bulk_insert([_minor(household=Household(area_code="431103101200"))])
    with pytest.raises(TypeError):
        bulk_insert([_minor(), Household(area_code="431103101200")])
    assert not Minor.objects.exists()
    saved = _minor()
    saved.save()
    with pytest.raises(TypeError, match="new instances"):
        bulk_insert([saved])
    assert Minor.objects.count() == 1


def test_an_empty_list_is_nothing_to_do(district: dict[str, Any]) -> None:
    bulk_insert([])
    assert not Minor.objects.exists()


def test_instance_maker_builds_what_the_model_builds() -> None:
    make = InstanceMaker(Guardian)
    household = Household(area_code="431103101200")
    values: dict[str, Any] = {"relation": "mother", "name": "李小花", "phone": "13800000000"}
    made, built = make(**values), Guardian(**values)
    for field in Guardian._meta.concrete_fields:
        assert getattr(made, field.attname) == getattr(built, field.attname), field.name
    assert made._state.adding
    minor = InstanceMaker(Minor)(name="张三", household=household)
    assert minor.household is household


def test_instance_maker_refuses_a_field_the_model_lacks() -> None:
    with pytest.raises(TypeError, match="no field 'nickname'"):
        InstanceMaker(Guardian)(nickname="x")
