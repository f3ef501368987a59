"""Receipt codes for anonymous reporters (SECURITY.md AN-3).

A receipt is 16 random decimal digits (53 bits, from ``secrets``), shown once as
four groups of four. The database keeps only PBKDF2-HMAC-SHA256 of it under a
salt derived from the blind-index key, so that a lookup is one indexed comparison
and a stolen table gives nothing without the key and a brute force of 10^16 slow
hashes. Lookups are throttled per client (``throttle.py``). A receipt never enters
a log, an audit record or a URL.

The rounds (``CARECIRCLE_TIP_RECEIPT_ITERATIONS``, 20,000, about 10 ms) are fewer
than a password needs: a password is guessed from a short list, a receipt only by
searching 10^16 codes, which even with the key costs 2·10^20 hash operations. More
rounds would buy nothing against that and would hand a flood of reports (each one
hashes a new code) CPU time that staff pages need (``bench/tips.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings

from carecircle.crypto.keys import keyring

DIGITS = 16


@dataclass(frozen=True)
class Receipt:
    code: str
    digest: str


def new_receipt() -> Receipt:
    """A new code with its digest. Call it before opening a transaction: the hash is
    slow by design and SQLite holds its write lock for the whole transaction."""
    code = new_code()
    return Receipt(code, digest(code))


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def display(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def clean(text: str) -> str | None:
    """The 16 digits typed, ignoring spaces and dashes; None if it cannot be a code."""
    digits = "".join(ch for ch in str(text) if not ch.isspace() and ch != "-")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def _iterations() -> int:
    return int(getattr(settings, "CARECIRCLE_TIP_RECEIPT_ITERATIONS", 20_000))


def digest(code: str) -> str:
    salt = hmac.new(keyring().index_key, b"tips.receipt", hashlib.sha256).digest()
    return hashlib.pbkdf2_hmac("sha256", code.encode(), salt, _iterations()).hex()
