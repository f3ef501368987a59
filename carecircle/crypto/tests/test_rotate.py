from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from carecircle.accounts.models import User
from carecircle.crypto import keys
from carecircle.crypto.fields import lookup_index
from carecircle.people.models import Minor

K1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
K2 = "Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA="
INDEX_1 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
INDEX_2 = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
ID_NUMBER = "43110320140501001X"


@pytest.fixture
def use_keys() -> Iterator[Callable[..., None]]:
    """Switch the keyring mid-test; the cached keyring is rebuilt and restored afterwards."""
    overrides: list[override_settings] = []

    def apply(**values: Any) -> None:
        override = override_settings(**values)
        override.enable()
        overrides.append(override)
        keys.keyring.cache_clear()

    keys.keyring.cache_clear()
    apply(
        CARECIRCLE_CIPHER="aes-256-gcm",
        CARECIRCLE_DATA_KEYS=f"k1:{K1}",
        CARECIRCLE_BLIND_INDEX_KEY=INDEX_1,
    )
    yield apply
    for override in reversed(overrides):
        override.disable()
    keys.keyring.cache_clear()


@pytest.fixture
def rows(use_keys: Callable[..., None], district: dict[str, Any]) -> list[Minor]:
    minors = [
        Minor.objects.create(
            name=f"孩子{n}",
            sex="F",
            birth_date=date(2015, 1, 1),
            area_code="431103101200",
            id_number=f"4311032015010100{n}{n}",
            address=f"冷水滩区梅湾路{n}号",
        )
        for n in range(7)
    ]
    minors[0].id_number = ID_NUMBER
    minors[0].save()
    User.objects.create_user("phone1", password="x" * 20, phone="13900000001")
    User.objects.create_user("phone2", password="x" * 20, phone="13900000002")
    return minors


def raw_tokens() -> list[str]:
    """Every non-empty encrypted value as stored in the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, address FROM people_minor")
        values = [v for row in cursor.fetchall() for v in row]
        cursor.execute("SELECT phone FROM accounts_user")
        values += [row[0] for row in cursor.fetchall()]
    return [v for v in values if v]


def raw_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_index FROM people_minor ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def rotate() -> str:
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "3", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_re_encrypts_every_row_under_the_new_first_key(
    rows: list[Minor], use_keys: Callable[..., None]
) -> None:
    before = raw_tokens()
    assert len(before) == 7 * 2 + 2
    assert all(t.startswith("cc1$a$k1$") for t in before)

    use_keys(CARECIRCLE_DATA_KEYS=f"k2:{K2},k1:{K1}")
    output = rotate()

    after = raw_tokens()
    assert len(after) == len(before)
    assert all(t.startswith("cc1$a$k2$") for t in after), after
    assert "people.Minor: 7 rows re-encrypted" in output
    assert Minor.objects.get(pk=rows[0].pk).id_number == ID_NUMBER
    assert sorted(Minor.objects.values_list("address", flat=True)) == sorted(
        f"冷水滩区梅湾路{n}号" for n in range(7)
    )
    assert User.objects.get(username="phone2").phone == "13900000002"


@pytest.mark.django_db
def test_it_leaves_nothing_readable_by_the_old_key_alone(
    rows: list[Minor], use_keys: Callable[..., None]
) -> None:
    use_keys(CARECIRCLE_DATA_KEYS=f"k2:{K2},k1:{K1}")
    rotate()
    old_only = keys.parse_keyring("aes-256-gcm", f"k1:{K1}", INDEX_1)
    for token in raw_tokens():
        with pytest.raises(keys.DecryptionError):
            keys.decrypt(token, label="people.Minor.id_number", ring=old_only)

    # Retiring k1 from the settings is now safe: every row still reads.
    use_keys(CARECIRCLE_DATA_KEYS=f"k2:{K2}")
    assert Minor.objects.get(pk=rows[0].pk).id_number == ID_NUMBER
    # ...and a deployment that lost k2 cannot read anything.
    use_keys(CARECIRCLE_DATA_KEYS=f"k1:{K1}")
    with pytest.raises(keys.DecryptionError):
        Minor.objects.get(pk=rows[0].pk)


@pytest.mark.django_db
def test_it_switches_cipher_to_sm4_and_keeps_the_blind_index_working(
    rows: list[Minor], use_keys: Callable[..., None]
) -> None:
    use_keys(CARECIRCLE_CIPHER="sm4-gcm")
    rotate()

    assert all(t.startswith("cc1$s$k1$") for t in raw_tokens())
    assert Minor.objects.get(pk=rows[3].pk).address == "冷水滩区梅湾路3号"
    digest = lookup_index(Minor, "id_number_index", ID_NUMBER.lower())
    assert list(Minor.objects.filter(id_number_index=digest)) == [rows[0]]
    # The blind index under SM4 is an SM3 HMAC: the stored digests changed.
    use_keys(CARECIRCLE_CIPHER="aes-256-gcm")
    aes_digest = lookup_index(Minor, "id_number_index", ID_NUMBER)
    assert aes_digest != digest
    assert not Minor.objects.filter(id_number_index=aes_digest).exists()


@pytest.mark.django_db
def test_it_recomputes_blind_indexes_under_a_new_index_key(
    rows: list[Minor], use_keys: Callable[..., None]
) -> None:
    old = raw_indexes()
    use_keys(CARECIRCLE_BLIND_INDEX_KEY=INDEX_2)
    stale = lookup_index(Minor, "id_number_index", ID_NUMBER)
    assert not Minor.objects.filter(id_number_index=stale).exists()

    rotate()

    new = raw_indexes()
    assert all(new) and not set(new) & set(old)
    assert list(Minor.objects.filter(id_number_index=stale)) == [rows[0]]


@pytest.mark.django_db
def test_it_is_safe_to_run_twice(rows: list[Minor], use_keys: Callable[..., None]) -> None:
    use_keys(CARECIRCLE_DATA_KEYS=f"k2:{K2},k1:{K1}")
    rotate()
    first = raw_tokens()
    rotate()
    second = raw_tokens()
    assert all(t.startswith("cc1$a$k2$") for t in second)
    # Fresh nonces on every write: a re-run re-encrypts rather than copying.
    assert set(first).isdisjoint(second)
    assert Minor.objects.get(pk=rows[0].pk).id_number == ID_NUMBER


def test_the_keyring_fixture_restores_the_test_keys() -> None:
    assert keys.keyring().active_id == settings.CARECIRCLE_DATA_KEYS.split(":")[0]
