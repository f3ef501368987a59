from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from carecircle.audit import context
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the audit log and the sign-in lockout.

    Without a proxy it is the connection's address. Behind CARECIRCLE_PROXY_HOPS
    trusted proxies, it is the X-Forwarded-For entry that the nearest of them wrote
    (counting from the right); entries further left were sent by the client and
    could be forged, so they are never believed.
    """
    hops = settings.CARECIRCLE_PROXY_HOPS
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Give every request an id, and write refused accesses to the audit log.

    Denials are flushed after the response, in their own transaction, so that a
    view which raised (and rolled back its work) still leaves its denial on record.
    A 403 or 401 without an explicit note is recorded too (SECURITY.md AL-2).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.AuditContext(request_id=secrets.token_hex(8), ip=client_ip(request))
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        token = context.begin(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.end(token)
        denials = list(ctx.denials)
        if not denials and response.status_code in (401, 403):
            denials.append(
                {"object_type": "http", "object_id": "", "reason": f"{response.status_code}"}
            )
        if denials:
            self._flush(request, ctx, denials)
        response["X-Request-ID"] = ctx.request_id
        return response

    def _flush(
        self, request: HttpRequest, ctx: context.AuditContext, denials: list[dict[str, str]]
    ) -> None:
        actor = getattr(request, "user", None)
        token = context.begin(context.AuditContext(request_id=ctx.request_id, ip=ctx.ip))
        try:
            with transaction.atomic():
                for entry in denials:
                    audit_record(
                        actor=actor,
                        action=AuditEvent.Action.DENIED,
                        object_type=entry["object_type"],
                        object_id=entry["object_id"],
                        details={
                            "reason": entry["reason"],
                            "path": request.path[:200],
                            "method": request.method,
                        },
                    )
        finally:
            context.end(token)
