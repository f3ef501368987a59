"""Field encryption at rest: the keyring, the ciphers and the blind index.

Ciphertext format (ASCII, fits a text column)::

    cc1$<cipher>$<key id>$<base64(nonce || ciphertext || tag)>

- ``cipher`` is ``a`` for AES-256-GCM or ``s`` for SM4-GCM, so a database can hold
  both while a deployment switches algorithm (crypto agility, ASVS 11.2.2).
- ``key id`` names the data key; every configured key decrypts and the first one
  encrypts, so keys rotate by adding a new first key and running ``rotate_keys``.
- The associated data is the field's label (``people.Minor.id_number``): a
  ciphertext copied into another column fails authentication instead of
  decrypting there.

The blind index is HMAC (SHA-256, or SM3 under SM4) of a normalised value under a
separate key, so exact lookups work without storing plaintext and without
letting the data key double as an index key.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "cc1"
CIPHERS = {"aes-256-gcm": "a", "sm4-gcm": "s"}
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be authenticated: tampered, truncated or unknown key."""


@dataclass(frozen=True)
class Keyring:
    cipher: str  # "a" or "s"
    active_id: str
    keys: dict[str, bytes]
    index_key: bytes


def _decode_key(text: str, what: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64.") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{what} must decode to 32 bytes, not {len(key)}.")
    return key


def parse_keyring(cipher_name: str, data_keys: str, index_key: str) -> Keyring:
    if cipher_name not in CIPHERS:
        raise ImproperlyConfigured(
            f"CARECIRCLE_CIPHER must be one of {', '.join(CIPHERS)}, not {cipher_name!r}."
        )
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in data_keys.split(","):
        item = item.strip()
        if not item:
            continue
        if ":" not in item:
            raise ImproperlyConfigured("CARECIRCLE_DATA_KEYS entries must look like id:base64key.")
        key_id, encoded = item.split(":", 1)
        if not key_id.isalnum() or len(key_id) > 16:
            raise ImproperlyConfigured(f"Key id {key_id!r} must be 1-16 letters or digits.")
        if key_id in keys:
            raise ImproperlyConfigured(f"Key id {key_id!r} appears twice in CARECIRCLE_DATA_KEYS.")
        keys[key_id] = _decode_key(encoded, f"Data key {key_id!r}")
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("CARECIRCLE_DATA_KEYS holds no key.")
    return Keyring(
        cipher=CIPHERS[cipher_name],
        active_id=order[0],
        keys=keys,
        index_key=_decode_key(index_key, "CARECIRCLE_BLIND_INDEX_KEY"),
    )


@cache
def keyring() -> Keyring:
    return parse_keyring(
        settings.CARECIRCLE_CIPHER,
        settings.CARECIRCLE_DATA_KEYS,
        settings.CARECIRCLE_BLIND_INDEX_KEY,
    )


def _sm4_key(master: bytes) -> bytes:
    # SM4 takes 128-bit keys; derive one with an SM3-based HKDF rather than truncating.
    return HKDF(algorithm=hashes.SM3(), length=16, salt=None, info=b"carecircle sm4-gcm").derive(
        master
    )


def _encrypt_raw(cipher: str, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    if cipher == "a":
        return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def _decrypt_raw(cipher: str, key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("ciphertext too short")
    nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        if cipher == "a":
            return AESGCM(key).decrypt(nonce, body, aad)
        decryptor = Cipher(
            algorithms.SM4(_sm4_key(key)), modes.GCM(nonce, body[-TAG_BYTES:])
        ).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(body[:-TAG_BYTES]) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("authentication tag mismatch") from exc


def encrypt(plaintext: str, *, label: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    blob = _encrypt_raw(
        ring.cipher, ring.keys[ring.active_id], plaintext.encode("utf-8"), label.encode()
    )
    return f"{PREFIX}${ring.cipher}${ring.active_id}${base64.b64encode(blob).decode('ascii')}"


def parse_token(token: str) -> tuple[str, str, bytes]:
    parts = token.split("$")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] not in CIPHERS.values():
        raise DecryptionError("not a CareCircle ciphertext")
    try:
        blob = base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("ciphertext is not base64") from exc
    return parts[1], parts[2], blob


def decrypt(token: str, *, label: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    cipher, key_id, blob = parse_token(token)
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(f"unknown key id {key_id!r}")
    return _decrypt_raw(cipher, key, blob, label.encode()).decode("utf-8")


def encrypt_bytes(plaintext: bytes, *, label: str, ring: Keyring | None = None) -> bytes:
    """``encrypt`` for a file's contents: the same header (prefix, cipher, key id) in
    ASCII, then the raw nonce, ciphertext and tag; no base64 doubling a photo's size."""
    ring = ring or keyring()
    blob = _encrypt_raw(ring.cipher, ring.keys[ring.active_id], plaintext, label.encode())
    return f"{PREFIX}${ring.cipher}${ring.active_id}$".encode("ascii") + blob


def decrypt_bytes(data: bytes, *, label: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    parts = data.split(b"$", 3)  # the blob itself may hold "$"
    if (
        len(parts) != 4
        or parts[0] != PREFIX.encode()
        or parts[1].decode("ascii", "replace") not in CIPHERS.values()
    ):
        raise DecryptionError("not a CareCircle encrypted file")
    key = ring.keys.get(parts[2].decode("ascii", "replace"))
    if key is None:
        raise DecryptionError(f"unknown key id {parts[2]!r}")
    return _decrypt_raw(parts[1].decode("ascii"), key, parts[3], label.encode())


def blind_index(value: str, *, label: str, ring: Keyring | None = None) -> str:
    """Keyed hash for exact lookup; the label keeps equal values in two fields unlinkable."""
    ring = ring or keyring()
    algorithm: hashes.HashAlgorithm = hashes.SM3() if ring.cipher == "s" else hashes.SHA256()
    mac = crypto_hmac.HMAC(ring.index_key, algorithm)
    mac.update(label.encode() + b"\x00" + value.encode("utf-8"))
    return mac.finalize().hex()


def self_test(ring: Keyring | None = None) -> None:
    """Fail closed at start-up if the configured cipher is missing from this OpenSSL build."""
    ring = ring or keyring()
    probe = "自检 self-test"
    token = encrypt(probe, label="crypto.selftest", ring=ring)
    if decrypt(token, label="crypto.selftest", ring=ring) != probe:
        raise ImproperlyConfigured("Encryption self-test returned a different value.")
    blind_index(probe, label="crypto.selftest", ring=ring)


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")
