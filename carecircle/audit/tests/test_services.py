from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecircle.accounts.models import User
from carecircle.audit.models import GENESIS, AuditChainHead, AuditEvent
from carecircle.audit.services import (
    _clean,
    audit_record,
    audit_verify,
    chain_held,
    note_denial,
)
from carecircle.people.models import Minor
from carecircle.people.services import minor_create

ADDRESS = "冷水滩区梅湾路12号3栋"
ID_NUMBER = "431103201601010025"
# What a terminal or a line-oriented log reader treats as a new line or a control
# sequence: C0 and C1 controls (ESC, CSI), DEL, and the Unicode line separators.
FORGING = [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + ["\u2028", "\u2029"]
hostile_char = st.one_of(st.sampled_from(FORGING), st.characters(codec="utf-8"))
hostile_text = st.text(alphabet=hostile_char, max_size=40)


def assert_one_clean_line(value: str) -> None:
    assert not any(c in value for c in FORGING), repr(value)
    assert len(value.splitlines()) <= 1


@settings(max_examples=60, database=None)
@given(st.text(alphabet=hostile_char, max_size=600))
def test_it_never_lets_a_string_forge_a_new_log_line(value: str) -> None:
    cleaned = _clean(value)
    assert_one_clean_line(cleaned)
    # Each forging character becomes one space; everything else, Chinese included, stays.
    assert cleaned == "".join(" " if c in FORGING else c for c in value)[:500]


@settings(max_examples=30, database=None)
@given(st.dictionaries(hostile_text, st.lists(hostile_text, max_size=3), max_size=3))
def test_it_cleans_nested_details_keys_and_values(details: dict[str, list[str]]) -> None:
    cleaned = _clean({"outer": details})
    for key, values in cleaned["outer"].items():
        assert_one_clean_line(key)
        for value in values:
            assert_one_clean_line(value)


def test_it_keeps_json_scalars_and_stringifies_the_rest() -> None:
    assert _clean({"n": 3, "f": 1.5, "b": True, "none": None}) == {
        "n": 3,
        "f": 1.5,
        "b": True,
        "none": None,
    }
    assert _clean(date(2026, 1, 2)) == "2026-01-02"
    assert _clean(("a\nb",)) == ["a b"]


@pytest.mark.django_db
@settings(
    max_examples=15,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(username=hostile_text, object_id=hostile_text, reason=hostile_text)
def test_it_stores_hostile_input_as_one_clean_line(
    username: str, object_id: str, reason: str
) -> None:
    event = audit_record(
        actor=None,
        action=AuditEvent.Action.LOGIN_FAILED,
        object_type="accounts.user",
        object_id=object_id,
        username=username,
        details={"reason": reason, reason[:20]: "key"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert_one_clean_line(stored.actor_username)
    assert_one_clean_line(stored.object_id)
    for key, value in stored.details.items():
        assert_one_clean_line(key)
        assert_one_clean_line(value)
    assert stored.hash == stored.compute_hash()


@pytest.mark.django_db
def test_it_chains_each_event_to_the_one_before(personas: dict[str, User]) -> None:
    head = AuditChainHead.objects.get(pk=1)
    start_seq, start_hash = head.seq, head.hash
    first = audit_record(actor=personas["child_director"], action=AuditEvent.Action.LOGIN)
    second = audit_record(actor=None, action=AuditEvent.Action.SYSTEM, username="system")
    assert first.seq == start_seq + 1 and first.prev_hash == start_hash
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert first.actor_username == "child_director_a"
    assert first.actor_roles == "child_director"
    assert second.actor_id is None and second.actor_username == "system"
    head.refresh_from_db()
    assert (head.seq, head.hash) == (second.seq, second.hash)
    report = audit_verify()
    assert report.ok and report.checked == second.seq


@pytest.mark.django_db
def test_it_verifies_an_empty_log() -> None:
    assert AuditChainHead.objects.get(pk=1).hash == GENESIS
    assert audit_verify().ok


@pytest.mark.django_db
def test_it_records_a_create_with_field_names_but_no_sensitive_values(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    minor = minor_create(
        actor=personas["child_director"],
        name="王小华",
        sex="M",
        birth_date=date(2016, 1, 1),
        area_code="431103101200",
        id_number=ID_NUMBER.lower(),
        address=ADDRESS,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, minor_id=minor.pk)
    assert event.actor == personas["child_director"]
    assert event.object_type == "people.minor" and event.object_id == str(minor.pk)
    assert {"id_number", "address", "name", "area_code"} <= set(event.fields)
    assert "id_number" not in event.details["values"]
    assert "address" not in event.details["values"]
    assert event.details["values"]["area_code"] == "431103101200"
    # Nothing that identifies the child reaches the auditor through the log.
    assert "name" not in event.details["values"]
    assert "birth_date" not in event.details["values"]
    dumped = json.dumps(event.canonical(), ensure_ascii=False)
    for secret in (ID_NUMBER, ID_NUMBER.lower(), ADDRESS, "梅湾路", "王小华", "2016-01-01"):
        assert secret not in dumped
    assert Minor.objects.get(pk=minor.pk).id_number == ID_NUMBER


@pytest.mark.django_db
def test_it_records_nothing_when_a_create_is_refused(
    other_personas: dict[str, User], district: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        minor_create(
            actor=other_personas["child_director"],
            name="王小华",
            sex="M",
            birth_date=date(2016, 1, 1),
            area_code="431103101200",
        )
    assert AuditEvent.objects.count() == before
    assert not Minor.objects.exists()


@pytest.mark.django_db
def test_it_writes_a_denial_at_once_outside_a_request(personas: dict[str, User]) -> None:
    note_denial(
        actor=personas["auditor"], object_type="people.minor", object_id=7, reason="out of scope"
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.DENIED)
    assert (event.actor_id, event.object_id) == (personas["auditor"].pk, "7")
    assert event.details == {"reason": "out of scope"}


@pytest.mark.django_db
def test_a_held_chain_locks_the_head_once_and_chains_every_append() -> None:
    audit_record(actor=None, action=AuditEvent.Action.VIEW, object_type="t", username="before")
    with CaptureQueriesContext(connection) as sent, transaction.atomic(), chain_held():
        first = audit_record(actor=None, action=AuditEvent.Action.CREATE, username="one")
        second = audit_record(actor=None, action=AuditEvent.Action.CREATE, username="two")
    heads = [q for q in sent.captured_queries if "audit_auditchainhead" in q["sql"]]
    assert len(heads) == 1
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    # Nothing waited for the events' keys; their seq names them.
    assert first.pk is None and AuditEvent.objects.get(seq=second.seq).hash == second.hash
    assert AuditChainHead.objects.get().seq == second.seq
    assert audit_verify().ok


@pytest.mark.usefixtures("flushable_audit_log")  # outside the test's own transaction
def test_a_held_chain_needs_a_transaction() -> None:
    with pytest.raises(TransactionManagementError), chain_held():
        pass


@pytest.mark.django_db
def test_a_held_chain_starts_a_new_databases_chain() -> None:
    AuditChainHead.objects.all().delete()
    assert not AuditEvent.objects.exists()
    with transaction.atomic(), chain_held():
        event = audit_record(actor=None, action=AuditEvent.Action.CREATE, username="first")
    assert (event.seq, event.prev_hash) == (1, GENESIS)
    assert audit_verify().ok
