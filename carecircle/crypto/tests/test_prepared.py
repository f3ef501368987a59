"""Prepared reads, insert_row and update_row give what the ORM gives, statement for statement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from carecircle.crypto.fields import lookup_index
from carecircle.crypto.prepared import Prepared, attnames, insert_row, instance, update_row
from carecircle.people.models import Minor

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


BY_AREA = Prepared(
    lambda area, since: (
        Minor.objects.filter(area_code=area, pk__gte=since)
        .order_by("pk")
        .values_list("pk", "name", "birth_date", "created_at")
    ),
    area=str,
    since=int,
)


def test_a_prepared_read_returns_what_the_orm_returns(district: dict[str, Any]) -> None:
    first, second = _minor(), _minor(name="李四", id_number="431103201303020022")
    first.save()
    second.save()
    _minor(area_code="431103102200", id_number="431103201001010015").save()
    expected = list(
        Minor.objects.filter(area_code="431103101200", pk__gte=first.pk)
        .order_by("pk")
        .values_list("pk", "name", "birth_date", "created_at")
    )
    rows = BY_AREA.rows(area="431103101200", since=first.pk)
    assert (
        rows
        == expected
        == [
            (first.pk, "张小明", date(2014, 5, 1), first.created_at),
            (second.pk, "李四", date(2014, 5, 1), second.created_at),
        ]
    )
    assert isinstance(rows[0][3], datetime)  # converted, also where SQLite stores text
    assert BY_AREA.rows(area="431103101200", since=second.pk + 1) == []
    # Compiled once: the second call sends one statement and builds no query.
    with CaptureQueriesContext(connection) as sent:
        BY_AREA.rows(area="431103102200", since=1)
    assert len(sent) == 1


def test_a_prepared_read_refuses_values_of_the_wrong_type() -> None:
    with pytest.raises(TypeError):
        BY_AREA.rows(area="431103101200", since="1")
    with pytest.raises(TypeError):
        BY_AREA.rows(area="431103101200", since=True)
    with pytest.raises(TypeError):
        Prepared(lambda when: Minor.objects.filter(birth_date=when), when=date)


def test_a_value_the_query_does_not_use_as_given_is_an_error() -> None:
    # The value reaches the SQL transformed (upper-cased): it cannot be bound later.
    shouted = Prepared(
        lambda name: Minor.objects.filter(sex=name.upper()).values_list("pk"), name=str
    )
    with pytest.raises(ValueError, match="name"):
        shouted.rows(name="m")


def test_rows_become_instances_with_decrypted_fields(district: dict[str, Any]) -> None:
    saved = _minor()
    saved.save()
    every = Prepared(lambda pk: Minor.objects.filter(pk=pk).values_list(*attnames(Minor)), pk=int)
    loaded = instance(Minor, every.rows(pk=saved.pk)[0])
    assert (loaded.pk, loaded.id_number, loaded.address) == (saved.pk, ID, saved.address)
    assert not loaded._state.adding


def test_insert_row_stores_what_save_stores(district: dict[str, Any]) -> None:
    inserted = _minor()
    insert_row(inserted)
    assert inserted.pk is not None and not inserted._state.adding
    loaded = Minor.objects.get(pk=inserted.pk)
    assert (loaded.name, loaded.birth_date, loaded.id_number) == ("张小明", date(2014, 5, 1), ID)
    # auto_now stamps set, the blind index computed, the ID number encrypted at rest.
    assert loaded.created_at == inserted.created_at is not None
    assert loaded.id_number_index == lookup_index(Minor, "id_number_index", ID)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_minor WHERE id = %s", [inserted.pk])
        assert ID not in cursor.fetchone()[0]
    with pytest.raises(ValueError, match="key already"):
        insert_row(inserted)


def test_insert_row_takes_a_given_key_or_leaves_the_key_unread(district: dict[str, Any]) -> None:
    assigned = _minor()
    insert_row(assigned)
    given = _minor(name="李四", id_number="431103201303020022")
    given.pk = assigned.pk + 1000
    insert_row(given, key="given")
    unread = _minor(name="王五", id_number="431103201001010015")
    insert_row(unread, key="unread")
    assert unread.pk is None and not unread._state.adding
    assert Minor.objects.get(pk=assigned.pk + 1000).name == "李四"
    assert Minor.objects.filter(name="王五").exists()
    with pytest.raises(ValueError, match="no key given"):
        insert_row(_minor(), key="given")
    with pytest.raises(ValueError, match="key already"):
        insert_row(given, key="unread")


def test_a_sent_read_is_read_later_with_the_same_rows(district: dict[str, Any]) -> None:
    minor = _minor()
    minor.save()
    later = BY_AREA.send(area="431103101200", since=minor.pk)
    rows = later()
    assert rows == BY_AREA.rows(area="431103101200", since=minor.pk)
    assert [row[1] for row in rows] == ["张小明"]


def test_update_row_writes_the_fields_and_stamps_updated_at(district: dict[str, Any]) -> None:
    minor = _minor()
    minor.save()
    before = minor.updated_at
    minor.name, minor.address = "张晓明", "新地址"
    with transaction.atomic():
        update_row(minor, ["name", "address", "updated_at"])
    loaded = Minor.objects.get(pk=minor.pk)
    assert (loaded.name, loaded.address) == ("张晓明", "新地址")
    assert loaded.updated_at > before
    assert loaded.id_number == ID  # untouched
    gone = Minor(pk=minor.pk + 1000, name="x")
    with pytest.raises(ObjectDoesNotExist):
        update_row(gone, ["name"])
    with pytest.raises(ValueError):
        update_row(minor, ["guardians"])
