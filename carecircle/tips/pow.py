"""Proof of work for the public reporting page (SECURITY.md AN-2), without third parties.

A third-party captcha is unreachable in mainland China (STYLE.md 14), so the page
makes each submission cost the sender's device some work instead (Hashcash, as
GlobaLeaks does). ``new_challenge`` signs a random id, the time and the number of
leading zero bits wanted (``CARECIRCLE_TIP_POW_BITS``, 16 by default: about 65,000
hashes, a second or two on a cheap phone, done while the reporter is typing). The
browser (``static/tips/public.js``) looks for a nonce such that
``sha256(challenge + ":" + nonce)`` starts with that many zero bits; ``verify``
checks the signature, the age (at most ``MAX_AGE``), that the difficulty is not
below today's setting, and the nonce.

The challenge's id becomes the tip's ``submission_key``: a form sent twice (a
double tap, a retry after a lost answer) is one tip, and a solved challenge cannot
be spent on a second report.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from itertools import count

from django.conf import settings
from django.core import signing

SALT = "carecircle.tips.pow"
MAX_AGE = 2 * 60 * 60  # seconds: a reporter may take a while to write
MAX_NONCE_LENGTH = 20
MAX_CHALLENGE_LENGTH = 400


def required_bits() -> int:
    return int(getattr(settings, "CARECIRCLE_TIP_POW_BITS", 16))


@dataclass(frozen=True)
class Proof:
    """A verified proof: the challenge's id, used as the submission key."""

    id: str
    bits: int


def new_challenge() -> str:
    return signing.dumps(
        {"i": secrets.token_hex(16), "t": int(time.time()), "b": required_bits()}, salt=SALT
    )


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def _work(challenge: str, nonce: str) -> int:
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest())


def verify(challenge: str, nonce: str) -> Proof | None:
    """The proof, or None when the challenge is forged, stale, too easy or unsolved."""
    if not challenge or len(challenge) > MAX_CHALLENGE_LENGTH:
        return None
    if not (0 < len(nonce) <= MAX_NONCE_LENGTH and nonce.isascii() and nonce.isdigit()):
        return None
    try:
        data = signing.loads(challenge, salt=SALT, max_age=MAX_AGE)
        ident, issued, bits = str(data["i"]), int(data["t"]), int(data["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if time.time() - issued > MAX_AGE or bits < required_bits() or len(ident) != 32:
        return None
    if _work(challenge, nonce) < bits:
        return None
    return Proof(id=ident, bits=bits)


def solve(challenge: str, bits: int) -> str:
    """The first nonce that does the work, as the browser finds it (for tests and tools)."""
    for n in count():
        if _work(challenge, str(n)) >= bits:
            return str(n)
    raise AssertionError("unreachable")  # pragma: no cover
