"""Tamper evidence: the database refuses changes, and the chain exposes any made behind its back."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from carecircle.audit.models import AuditChainHead, AuditEvent
from carecircle.audit.services import audit_record, audit_verify
from carecircle.testing.fixtures import make_user

pytestmark = pytest.mark.django_db

Tamper = Callable[[int], None]


def drop_triggers() -> None:
    """What an attacker with DDL rights would do first."""
    statements = {
        "sqlite": [
            "DROP TRIGGER audit_event_no_update",
            "DROP TRIGGER audit_event_no_delete",
        ],
        "postgresql": ["DROP TRIGGER audit_event_append_only ON audit_auditevent"],
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def chain(db: Any) -> list[AuditEvent]:
    actors: list[Any] = [make_user("alice"), make_user("bob", verified_device=False), None]
    return [
        audit_record(
            actor=actors[n % 3],
            action=AuditEvent.Action.VIEW if n % 2 else AuditEvent.Action.LOGIN_FAILED,
            object_type="people.minor",
            object_id=n,
            minor_id=n,
            fields=["name"],
            details={"n": n},
            username="visitor" if actors[n % 3] is None else "",
        )
        for n in range(8)
    ]


def verify_command() -> tuple[int, str]:
    err = StringIO()
    try:
        call_command("audit_verify", stdout=StringIO(), stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


def test_it_verifies_an_intact_chain(chain: list[AuditEvent]) -> None:
    report = audit_verify(batch_size=3)
    assert report.ok and report.checked == chain[-1].seq
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_username = 'x'",
        "DELETE FROM audit_auditevent",
        "DELETE FROM audit_auditevent WHERE seq = (SELECT MAX(seq) FROM audit_auditevent)",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(
    chain: list[AuditEvent], statement: str
) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.count() == len(chain)
    assert audit_verify().ok


def test_the_database_refuses_orm_updates_and_deletes(chain: list[AuditEvent]) -> None:
    event = chain[3]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(details={"n": 99})
    event.actor_username = "someone else"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).details == {"n": 3}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_the_database_refuses_truncate(chain: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == len(chain)


def _update(**changes: Any) -> Tamper:
    def tamper(seq: int) -> None:
        assert AuditEvent.objects.filter(seq=seq).update(**changes) == 1

    return tamper


def _delete(seq: int) -> None:
    assert AuditEvent.objects.filter(seq=seq).delete()[0] == 1


def _rehash(seq: int) -> None:
    """Alter a row and recompute its own hash, as a careful attacker would."""
    event = AuditEvent.objects.get(seq=seq)
    event.details = {"n": "forged"}
    event.hash = event.compute_hash()
    event.save(update_fields=["details", "hash"])


TAMPERS: dict[str, Tamper] = {
    "details": _update(details={"n": "forged"}),
    "username": _update(actor_username="someone_else"),
    "actor": _update(actor_id=999999),
    "roles": _update(actor_roles="sysadmin"),
    "action": _update(action=AuditEvent.Action.LOGOUT),
    "minor": _update(minor_id=424242),
    "fields": _update(fields=["name", "id_number"]),
    "time": _update(at=F("at") + timedelta(seconds=1)),
    "ip": _update(ip="10.0.0.1"),
    "hash": _update(hash="f" * 64),
    "prev_hash": _update(prev_hash="e" * 64),
    "rehashed": _rehash,
    "deleted": _delete,
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_it_detects_every_kind_of_tampering_at_every_position(
    chain: list[AuditEvent], kind: str
) -> None:
    drop_triggers()
    seqs = [e.seq for e in chain]
    missed = []
    for seq in seqs:
        with transaction.atomic():
            TAMPERS[kind](seq)
            if audit_verify(batch_size=3).ok:
                missed.append(seq)
            transaction.set_rollback(True)
    assert missed == []
    assert audit_verify().ok  # every tampering above was rolled back


def test_it_detects_a_random_row_altered_or_deleted(chain: list[AuditEvent]) -> None:
    drop_triggers()
    rng = random.Random()  # noqa: S311 - choosing a test row, not a secret
    victim = rng.choice(chain).seq
    with transaction.atomic():
        AuditEvent.objects.filter(seq=victim).update(details={"n": "forged"})
        assert verify_command()[0] == 1, victim
        transaction.set_rollback(True)
    AuditEvent.objects.filter(seq=victim).delete()
    assert verify_command()[0] == 1, victim


def test_the_command_names_an_altered_row(chain: list[AuditEvent]) -> None:
    drop_triggers()
    AuditEvent.objects.filter(seq=chain[2].seq).update(actor_username="mallory")
    status, err = verify_command()
    assert status == 1
    assert f"#{chain[2].seq}: content altered" in err
    assert "BROKEN" in err


def test_the_command_names_a_deleted_middle_row(chain: list[AuditEvent]) -> None:
    drop_triggers()
    AuditEvent.objects.filter(seq=chain[4].seq).delete()
    status, err = verify_command()
    assert status == 1
    assert "missing (deleted)" in err and f"#{chain[4].seq}" in err


def test_the_command_notices_a_deleted_last_row(chain: list[AuditEvent]) -> None:
    drop_triggers()
    AuditEvent.objects.filter(seq=chain[-1].seq).delete()
    status, err = verify_command()
    assert status == 1
    assert "tail removed" in err


def test_the_head_follows_a_row_appended_behind_the_services_back(
    chain: list[AuditEvent],
) -> None:
    # The chain has no secret: whoever may insert may also compute a valid hash and
    # move the head. The insert trigger moves it for every writer, so the head can
    # never lag behind and hide a forged row that does not follow the chain.
    last = chain[-1]
    forged = AuditEvent(
        seq=last.seq + 1,
        at=last.at,
        action=AuditEvent.Action.LOGIN,
        actor_username="mallory",
        prev_hash=chain[2].hash,
    )
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (forged.seq, forged.hash)
    report = audit_verify()
    assert report.problems == [f"#{forged.seq}: does not follow the previous entry"]
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())
    assert exit_info.value.code == 1


def test_it_notices_a_reset_chain_head(chain: list[AuditEvent]) -> None:
    AuditChainHead.objects.filter(pk=1).update(seq=chain[2].seq, hash=chain[2].hash)
    assert not audit_verify().ok
