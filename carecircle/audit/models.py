from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log.

    Rows are never updated or deleted: database triggers refuse it, and
    ``audit_verify`` detects any row changed or removed behind the triggers' back.
    Values of sensitive fields are never written here, only field names.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        MERGE = "merge", _("Merged duplicates")
        REVEAL = "reveal", _("Revealed a masked value")
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        OTP_FAILED = "otp_failed", _("Second factor failed")
        OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
        DENIED = "denied", _("Access denied")
        BREAK_GLASS = "break_glass", _("Emergency access")
        GRANT = "grant", _("Role granted")
        REVOKE = "revoke", _("Role revoked")
        TOKEN = "token", _("API token issued")
        SYSTEM = "system", _("System event")

    seq = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        # No cascade or SET_NULL: the log must never be rewritten by a user change.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # ``audit_actor_at`` serves lookups by actor: one index less for each event.
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_roles = models.CharField(_("roles at the time"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Looked up through ``audit_minor_at``, whose first column it is.
    minor_id = models.BigIntegerField(_("minor"), null=True, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            # Events without an actor (a pupil's questionnaire, system jobs) are never
            # looked up by actor: leaving them out spares each one an index page.
            models.Index(
                fields=["actor", "at"],
                name="audit_actor_at",
                condition=models.Q(actor__isnull=False),
            ),
            models.Index(fields=["minor_id", "at"], name="audit_minor_at"),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.seq} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"
        )

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.canonical())

    def canonical(self) -> dict[str, Any]:
        """What the hash covers: the event's content and its place in the chain."""
        return {**self.content(), "seq": self.seq}

    def content_json(self) -> str:
        """The canonical JSON of the event's content, without ``seq``.

        ``seq`` sorts after every other key, so the JSON ``chain_hash`` hashes is
        this with ``,"seq":N`` before the closing brace: PostgreSQL completes and
        hashes it when it appends the event (``audit_append``, migration 0007).
        """
        return canonical_json(self.content())

    def content(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_username": self.actor_username,
            "actor_roles": self.actor_roles,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "minor_id": self.minor_id,
            "fields": self.fields,
            "details": self.details,
            "request_id": self.request_id,
            "ip": self.ip,
        }


def canonical_json(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}|{canonical_json(body)}".encode()).hexdigest()


class AuditChainHead(models.Model):
    """The chain's tip. Locking this one row serialises appends, so the chain has no forks."""

    seq = models.BigIntegerField(_("sequence"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
