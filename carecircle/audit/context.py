"""Per-request audit context: request id, client IP and denials to flush after the response."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AuditContext:
    request_id: str = ""
    ip: str | None = None
    denials: list[dict[str, Any]] = field(default_factory=list)


_current: ContextVar[AuditContext | None] = ContextVar("carecircle_audit", default=None)


def current() -> AuditContext | None:
    return _current.get()


def begin(ctx: AuditContext) -> object:
    return _current.set(ctx)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
