from __future__ import annotations

import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.roles import ROLE_SPECS, Role, ScopeKind, spec
from carecircle.crypto.fields import EncryptedTextField
from carecircle.regions.models import Division


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PROTECTION_CENTER = "protection_center", _("Minors' protection center")
        SOCIAL_WORK_STATION = "social_work_station", _("Social-work station")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        COURT = "court", _("Court")
        PROCURATORATE = "procuratorate", _("Procuratorate")
        POLICE = "police", _("Public security bureau")
        JUSTICE_BUREAU = "justice_bureau", _("Justice bureau")
        PETITION_OFFICE = "petition_office", _("Petition office")
        GOVERNANCE_CENTER = "governance_center", _("Comprehensive governance center")
        CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs bureau")
        EDUCATION_BUREAU = "education_bureau", _("Education bureau")
        NGO = "ngo", _("Social organisation (NGO)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    division = models.ForeignKey(
        Division,
        verbose_name=_("division"),
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text=_("Where the organisation sits; its staff's data stays within it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    AUDIT_VALUE_FIELDS = ("name", "kind", "division", "is_active")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["division_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="organisation_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Roles and scopes live in ``RoleAssignment``."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = EncryptedTextField(_("phone number"), blank=True)
    # Bumped whenever the account is deactivated or a role or scope changes; it is
    # part of the session hash and stamped on API tokens, so every old session and
    # token dies on its next request (ASVS 7.4.2, 8.3.2).
    auth_epoch = models.PositiveIntegerField(_("authorisation epoch"), default=0, editable=False)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # The division prefix of the administrator who created the account: which
    # administrators may see it while it holds no role.
    home_prefix = models.CharField(
        _("home division prefix"), max_length=12, blank=True, db_index=True, editable=False
    )

    # Staff identities are not secret to the auditor; the phone number stays out.
    AUDIT_VALUE_FIELDS = ("username", "full_name", "email", "is_active")

    objects = UserManager()  # type: ignore[misc]  # django-stubs declares it a ClassVar

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_session_auth_hash(self) -> str:
        return self._epoch_hash(None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_hash(fallback_secret)

    def _epoch_hash(self, secret: str | bytes | None) -> str:
        return salted_hmac(
            "carecircle.accounts.User.session",
            f"{self.password}:{self.auth_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        return self.filter(revoked_at__isnull=True)

    def active_on(self, moment: object) -> RoleAssignmentQuerySet:
        return self.filter(granted_at__lte=moment).exclude(revoked_at__lte=moment)


class RoleAssignment(models.Model):
    """A role held by a user within one scope. Revoked, never deleted, for history."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    division = models.ForeignKey(
        Division,
        verbose_name=_("division scope"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation scope"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    # The prefix of the covered divisions, denormalised so that scoped counts and
    # "who works here" stay one indexed filter.
    scope_prefix = models.CharField(_("scope prefix"), max_length=12, db_index=True, editable=False)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        indexes = [models.Index(fields=["role", "scope_prefix"], name="assignment_role_scope")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(division__isnull=False, organisation__isnull=True)
                    | models.Q(division__isnull=True, organisation__isnull=False)
                ),
                name="assignment_one_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=list(ROLE_SPECS)), name="assignment_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.scope_label}"

    @property
    def scope_kind(self) -> ScopeKind:
        return spec(self.role).scope

    @property
    def scope_label(self) -> str:
        if self.organisation_id:
            return str(self.organisation)
        return str(self.division)

    def covers(self, code: str) -> bool:
        return code.startswith(self.scope_prefix)


class ApiToken(models.Model):
    """An integration credential. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64, blank=True)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    epoch = models.PositiveIntegerField(_("authorisation epoch"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_for(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def is_usable(self) -> bool:
        return (
            self.revoked_at is None and self.user.is_active and self.epoch == self.user.auth_epoch
        )
