"""Writing and verifying the audit log.

``audit_record`` joins the caller's transaction: if the audited action rolls back,
so does its entry, and if the entry cannot be written the action fails with it
(fail closed, SECURITY.md AL-1).

Appends are serialised on the chain head's one row, which each audited transaction
holds until it commits. On PostgreSQL the database links the event into the chain
in the statement that inserts it (``audit_append``, migration 0007), so the head is
held only from the first append to the commit. On SQLite the event is chained here;
a transaction there holds the database's write lock from its first write anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from carecircle.audit import context
from carecircle.audit.models import GENESIS, AuditChainHead, AuditEvent, chain_hash
from carecircle.crypto.bulk import mark_saved
from carecircle.crypto.prepared import Prepared, insert_row
from carecircle.db.pipeline import deferred, in_pipeline
from carecircle.db.statements import prepared_cursor

HEAD = 1  # the chain head's one row
# Locking the tip serialises appends, so the chain has no forks.
_HEAD = Prepared(
    lambda: AuditChainHead.objects.select_for_update().filter(pk=HEAD).values_list("seq", "hash")
)


class _HeldTip:
    """The chain's tip in a ``chain_held`` block: read from the lock sent when the
    block began, then carried from one append to the next."""

    def __init__(self, pending: Callable[[], list[Any]]) -> None:
        self.pending: Callable[[], list[Any]] | None = pending
        self.seq, self.hash = 0, GENESIS

    def read(self) -> tuple[int, str]:
        if self.pending is not None:
            found, self.pending = self.pending(), None
            self.seq, self.hash = found[0] if found else _created_head()
        return self.seq, self.hash


_held: ContextVar[_HeldTip | None] = ContextVar("audit_chain_held", default=None)


@contextmanager
def chain_held(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Lock the chain head once for the block's appends, inside a transaction
    (SQLite; on PostgreSQL the database chains each append, and this does nothing).

    Each ``audit_record`` otherwise locks and reads the head itself: a statement
    per event. Here the lock is sent at once and its answer read with the
    caller's next read; the appends carry the tip on.

    Lock the rows the transaction needs before the block: every audited
    transaction takes its rows' locks and then the head's, so none waits for the
    other in the opposite order. No savepoint may roll an append back inside the
    block: the tip carried on would then be one the chain does not have.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("chain_held needs a transaction")
    if connection.vendor == "postgresql":
        yield
        return
    held = _HeldTip(_HEAD.send())
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    held.read()  # a block that appended nothing still reads the lock's answer


def _created_head() -> tuple[int, str]:
    """The tip of a new database's chain, whose head row the first event creates."""
    head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=HEAD)
    return head.seq, head.hash


# Control characters would let a crafted value forge a new line in any text export:
# C0 and C1 controls (NEL U+0085 breaks lines, CSI U+009B starts ANSI sequences), DEL,
# and the Unicode line and paragraph separators.
_CONTROL = {c: " " for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_CONTROL)[:500]
    if isinstance(value, dict):
        return {_clean(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean(str(value))


def _roles(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    from carecircle.accounts.permissions import roles_of

    return ",".join(sorted(roles_of(actor)))


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: object = "",
    minor_id: int | None = None,
    fields: Iterable[str] = (),
    details: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event to the chain inside the current transaction.

    On PostgreSQL inside a pipeline (``carecircle.db.pipeline``) the event returned
    has no key, ``seq`` or hash: reading them would wait for the database's answer.
    """
    ctx = context.current()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        at=timezone.now(),
        actor_id=actor.pk if authenticated else None,
        actor_username=_clean(actor.get_username() if authenticated else username)[:150],
        actor_roles=_roles(actor),
        action=action,
        object_type=_clean(object_type)[:64],
        object_id=_clean(str(object_id))[:64],
        minor_id=minor_id,
        fields=sorted(_clean(list(fields))),
        details=_clean(details or {}),
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        # One statement: atomic by itself, in the caller's transaction or not.
        _appended_by_database(event, connection)
        return event
    # No savepoint: inside the caller's transaction the entry lives or dies with it.
    held = _held.get()
    with transaction.atomic(savepoint=False):
        if held is not None:
            seq, prev_hash = held.read()
        else:
            tip = _HEAD.rows()
            seq, prev_hash = tip[0] if tip else _created_head()
        event.seq, event.prev_hash = seq + 1, prev_hash
        event.hash = event.compute_hash()
        # Every audited request appends: the statement is compiled once, not per
        # event. The insert's trigger moves the head (migration 0005). In a held
        # chain nothing waits for the event's key (it stays None): its seq names it.
        insert_row(event, key="assigned" if held is None else "unread")
        if held is not None:
            held.seq, held.hash = event.seq, event.hash
    return event


_APPEND = (
    "SELECT * FROM audit_append(%s::timestamptz, %s::bigint, %s::varchar, %s::varchar, "
    "%s::varchar, %s::varchar, %s::varchar, %s::bigint, %s::jsonb, %s::jsonb, "
    "%s::varchar, %s::inet, %s::text)"
)


def _appended_by_database(event: AuditEvent, connection: Any) -> None:
    """Append ``event`` through ``audit_append`` (migration 0007), which chains it."""
    content = event.content_json()
    params = [
        event.at,
        event.actor_id,
        event.actor_username,
        event.actor_roles,
        event.action,
        event.object_type,
        event.object_id,
        event.minor_id,
        json.dumps(event.fields, ensure_ascii=False),
        json.dumps(event.details, ensure_ascii=False),
        event.request_id,
        event.ip,
        content,
    ]
    if not deferred(connection, _APPEND, params):
        with prepared_cursor(connection) as cursor:
            cursor.execute(_APPEND, params)
            if not in_pipeline(connection):
                event.pk, event.seq, event.prev_hash, event.hash = cursor.fetchone()
    mark_saved(event, connection.alias)


def label_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def record_change(
    *,
    actor: Any,
    instance: models.Model,
    action: str,
    changed: Iterable[str] = (),
    minor_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Audit a create/update/delete: every changed field's name, and the values of the
    fields the model lists in ``AUDIT_VALUE_FIELDS`` (none if it lists none).

    An allowlist, because the auditor must not read child data through the log: a
    child's name or birth date is as identifying as the encrypted ID number.
    """
    from carecircle.crypto.fields import BlindIndexField, EncryptedTextField

    changed = list(changed)
    allowed = set(getattr(type(instance), "AUDIT_VALUE_FIELDS", ()))
    values: dict[str, Any] = {}
    for name in changed:
        if name not in allowed:
            continue
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:  # a pseudo-field such as "second_factor": name only
            continue
        if isinstance(field, EncryptedTextField | BlindIndexField):
            continue
        value = getattr(instance, getattr(field, "attname", name), None)
        values[name] = value if isinstance(value, bool | int | float | type(None)) else str(value)
    payload = {"values": values} | (details or {})
    return audit_record(
        actor=actor,
        action=action,
        object_type=label_of(instance),
        object_id=instance.pk,
        minor_id=minor_id,
        fields=changed,
        details=payload,
    )


def note_denial(*, actor: Any, object_type: str, object_id: object = "", reason: str) -> None:
    """Record a refused access. Inside a request it is written after the response,
    outside the view's transaction, so that rolling the view back cannot erase it."""
    entry = {
        "object_type": object_type,
        "object_id": str(object_id)[:64],
        "reason": reason,
    }
    ctx = context.current()
    if ctx is not None:
        ctx.denials.append(entry)
        return
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DENIED,
        object_type=object_type,
        object_id=object_id,
        details={"reason": reason},
    )


@dataclass
class ChainReport:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the chain in order; report every altered, inserted or missing row."""
    problems: list[str] = []
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            checked += 1
            if event.seq != expected_seq:
                problems.append(f"#{expected_seq}..#{event.seq - 1}: missing (deleted)")
            if event.prev_hash != expected_prev:
                problems.append(f"#{event.seq}: does not follow the previous entry")
            if chain_hash(event.prev_hash, event.canonical()) != event.hash:
                problems.append(f"#{event.seq}: content altered")
            expected_prev = event.hash
            expected_seq = event.seq + 1
            last_seq = event.seq
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != expected_prev:
        problems.append(
            f"chain ends at #{last_seq}, but the head records #{head_seq}: tail removed"
        )
    return ChainReport(checked=checked, problems=problems)
