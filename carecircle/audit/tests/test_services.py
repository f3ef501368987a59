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
from carecircle.audit.models import GENESIS, AuditChainHead, AuditEvent, canonical_json
from carecircle.audit.services import (
    _clean,
    audit_record,
    audit_verify,
    chain_held,
    note_denial,
)
from carecircle.people.models import Minor
from carecircle.people.services import minor_create

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="chained by PostgreSQL")
SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="chained in Python")
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


@SQLITE
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


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text
)


@settings(max_examples=60, database=None)
@given(
    seq=st.integers(min_value=1, max_value=2**62),
    details=st.dictionaries(
        hostile_text, st.one_of(json_scalar, st.lists(json_scalar)), max_size=4
    ),
    fields=st.lists(hostile_text, max_size=4),
)
def test_the_canonical_json_is_the_content_with_seq_before_the_closing_brace(
    seq: int, details: dict[str, Any], fields: list[str]
) -> None:
    from django.utils import timezone

    event = AuditEvent(
        seq=seq,
        at=timezone.now(),
        action=AuditEvent.Action.SYSTEM,
        fields=sorted(_clean(fields)),
        details=_clean(details),
        ip="10.0.0.1",
    )
    # What audit_append (migration 0007) builds from content_json, and what it hashes.
    assert canonical_json(event.canonical()) == f'{event.content_json()[:-1]},"seq":{seq}}}'
    assert max(event.canonical()) == "seq"


@POSTGRES
@pytest.mark.django_db
def test_postgresql_chains_each_append_without_the_app_reading_the_head(
    personas: dict[str, User],
) -> None:
    with CaptureQueriesContext(connection) as sent:
        first = audit_record(
            actor=personas["child_director"],
            action=AuditEvent.Action.VIEW,
            object_type="people.minor",
            object_id=7,
            fields=["名字", "birth_date"],
            details={"路径": "/minors/7/", "n": 1.5, "nested": {"b": [1, None], "a": True}},
        )
        second = audit_record(actor=None, action=AuditEvent.Action.SYSTEM, username="系统")
    assert not [q for q in sent.captured_queries if "audit_auditchainhead" in q["sql"]]
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    for event in (first, second):
        stored = AuditEvent.objects.get(pk=event.pk)
        chained = (stored.seq, stored.prev_hash, stored.hash)
        assert chained == (event.seq, event.prev_hash, event.hash)
        assert stored.hash == stored.compute_hash()
    assert AuditChainHead.objects.get().hash == second.hash
    assert audit_verify().ok


@POSTGRES
@pytest.mark.django_db
def test_postgresql_chains_appends_whose_answers_a_pipeline_never_reads() -> None:
    from carecircle.db.pipeline import pipelined

    before = AuditChainHead.objects.get().seq
    with transaction.atomic(), pipelined(), chain_held():
        events = [
            audit_record(actor=None, action=AuditEvent.Action.CREATE, username=name)
            for name in ("one", "two")
        ]
    assert [e.seq for e in events] == [None, None]
    stored = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.actor_username for e in stored] == ["one", "two"]
    assert audit_verify().ok


@POSTGRES
@pytest.mark.django_db
def test_postgresql_refuses_content_that_is_not_a_json_object() -> None:
    from django.db import DatabaseError

    with (
        pytest.raises(DatabaseError, match="non-empty JSON object"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT * FROM audit_append(now(), NULL, '', '', 'system', '', '', NULL, "
            "'[]', '{}', '', NULL, '[]')"
        )


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")  # each thread commits on its own connection
def test_postgresql_appends_from_concurrent_transactions_form_one_chain() -> None:
    import threading

    from django.db import connections

    per_thread, threads = 15, 3
    failures: list[BaseException] = []

    def append(name: str) -> None:
        try:
            for n in range(per_thread):
                with transaction.atomic():
                    audit_record(
                        actor=None, action=AuditEvent.Action.SYSTEM, username=f"{name}-{n}"
                    )
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=append, args=(f"t{i}",)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, per_thread * threads + 1))
    report = audit_verify()
    assert report.ok, report.problems
