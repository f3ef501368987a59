"""encrypt_bytes / decrypt_bytes: a file's contents sealed like a field, bound to its label."""

from __future__ import annotations

import pytest

from carecircle.crypto.keys import DecryptionError, decrypt_bytes, encrypt_bytes

# A photo's bytes may hold the header's separator, the prefix and NUL anywhere.
DATA = b"\xff\xd8\xff$cc1$a$\x00 photo \xff\xd9" * 50


def test_contents_round_trip_and_are_not_readable() -> None:
    sealed = encrypt_bytes(DATA, label="visits.visitphoto.image")
    assert DATA not in sealed and b"photo" not in sealed
    assert decrypt_bytes(sealed, label="visits.visitphoto.image") == DATA
    # A fresh nonce each time: two copies of one photo do not match.
    assert encrypt_bytes(DATA, label="visits.visitphoto.image") != sealed


def test_another_label_a_changed_byte_or_plain_bytes_are_refused() -> None:
    sealed = encrypt_bytes(DATA, label="visits.visitphoto.image")
    with pytest.raises(DecryptionError):
        decrypt_bytes(sealed, label="people.minor.address")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(DecryptionError):
        decrypt_bytes(tampered, label="visits.visitphoto.image")
    for plain in (DATA, b"", b"cc1$a$nokey$" + b"\x00" * 40):
        with pytest.raises(DecryptionError):
            decrypt_bytes(plain, label="visits.visitphoto.image")
