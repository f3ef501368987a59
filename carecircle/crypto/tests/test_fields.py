from __future__ import annotations

import pytest
from django.db import connection

from carecircle.accounts.models import User
from carecircle.crypto import keys
from carecircle.crypto.fields import lookup_index
from carecircle.people.models import Minor


def test_it_round_trips_unicode_through_aes_and_sm4() -> None:
    for cipher in ("aes-256-gcm", "sm4-gcm"):
        ring = keys.parse_keyring(cipher, f"a1:{keys.generate_key()}", keys.generate_key())
        token = keys.encrypt("湖南省永州市冷水滩区 12号", label="x.Y.z", ring=ring)
        assert keys.decrypt(token, label="x.Y.z", ring=ring) == "湖南省永州市冷水滩区 12号"


def test_it_refuses_a_ciphertext_moved_to_another_field() -> None:
    token = keys.encrypt("13800000000", label="accounts.User.phone")
    with pytest.raises(keys.DecryptionError):
        keys.decrypt(token, label="people.Minor.address")


def test_it_detects_a_flipped_byte() -> None:
    token = keys.encrypt("secret", label="a.B.c")
    prefix, cipher, kid, body = token.split("$")
    tampered = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(keys.DecryptionError):
        keys.decrypt("$".join([prefix, cipher, kid, tampered]), label="a.B.c")


@pytest.mark.django_db
def test_it_never_stores_plaintext(minor_a: Minor) -> None:
    user = User.objects.create_user("phoney", password="x" * 20, phone="13912345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, address FROM people_minor WHERE id = %s", [minor_a.pk])
        id_raw, _address = cursor.fetchone()
        cursor.execute("SELECT phone FROM accounts_user WHERE id = %s", [user.pk])
        (phone_raw,) = cursor.fetchone()
    assert "43110320140501001X" not in id_raw and id_raw.startswith("cc1$")
    assert "13912345678" not in phone_raw
    assert Minor.objects.get(pk=minor_a.pk).id_number == "43110320140501001X"


@pytest.mark.django_db
def test_it_finds_a_child_by_blind_index_only(minor_a: Minor) -> None:
    digest = lookup_index(Minor, "id_number_index", "43110320140501001x")
    assert list(Minor.objects.filter(id_number_index=digest)) == [minor_a]
    assert "43110320140501001X" not in (minor_a.id_number_index or "")
