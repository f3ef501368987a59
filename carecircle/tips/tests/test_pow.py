"""The proof of work: signed, fresh, hard enough and actually done."""

from __future__ import annotations

import hashlib
import time

from django.core import signing

from carecircle.tips import pow


def test_a_solved_challenge_verifies_once_per_id(settings):
    settings.CARECIRCLE_TIP_POW_BITS = 8
    challenge = pow.new_challenge()
    nonce = pow.solve(challenge, 8)
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    assert pow.leading_zero_bits(digest) >= 8
    proof = pow.verify(challenge, nonce)
    assert proof is not None and proof.bits == 8 and len(proof.id) == 32
    again = pow.verify(challenge, nonce)
    assert again is not None and again.id == proof.id  # the id is the submission key
    assert pow.new_challenge() != challenge


def test_leading_zero_bits_counts_bits_not_bytes():
    assert pow.leading_zero_bits(b"\x00\x00\x80") == 16
    assert pow.leading_zero_bits(b"\x00\x0f") == 12
    assert pow.leading_zero_bits(b"\x01") == 7
    assert pow.leading_zero_bits(b"\x00\x00") == 16


def test_unsolved_forged_or_malformed_proofs_are_refused(settings):
    settings.CARECIRCLE_TIP_POW_BITS = 10
    challenge = pow.new_challenge()
    good = pow.solve(challenge, 10)
    wrong = next(str(n) for n in range(10_000) if pow._work(challenge, str(n)) < 10)
    assert pow.verify(challenge, wrong) is None
    assert pow.verify(challenge, "") is None
    assert pow.verify(challenge, "12a") is None
    assert pow.verify(challenge, "1" * 21) is None
    assert pow.verify("", good) is None
    assert pow.verify(challenge + "x", good) is None
    forged = signing.dumps({"i": "a" * 32, "t": int(time.time()), "b": 10}, salt="other")
    assert pow.verify(forged, pow.solve(forged, 10)) is None


def test_a_challenge_older_than_two_hours_is_refused(settings, monkeypatch):
    settings.CARECIRCLE_TIP_POW_BITS = 4
    challenge = pow.new_challenge()
    nonce = pow.solve(challenge, 4)
    later = time.time() + pow.MAX_AGE + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert pow.verify(challenge, nonce) is None


def test_a_challenge_easier_than_todays_setting_is_refused(settings):
    settings.CARECIRCLE_TIP_POW_BITS = 2
    easy = pow.new_challenge()
    nonce = pow.solve(easy, 2)
    settings.CARECIRCLE_TIP_POW_BITS = 20
    assert pow.verify(easy, nonce) is None


def test_the_default_difficulty_is_16_bits(settings):
    del settings.CARECIRCLE_TIP_POW_BITS
    assert pow.required_bits() == 16
