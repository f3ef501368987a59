from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.crypto.fields import BlindIndexField, EncryptedTextField
from carecircle.people import idnumbers
from carecircle.regions.codes import validate_division_code


def normalize_id_number(value: str) -> str:
    return idnumbers.normalize(value)


class Minor(models.Model):
    """A child in the registry. The registry issue extends this with families and categories."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("minor status", "Active")
        MOVED_AWAY = "moved_away", _("Moved away")
        AGED_OUT = "aged_out", _("Aged out")
        DECEASED = "deceased", _("Deceased")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=64)
    # Search keys derived from the name by the services (people.names.name_keys).
    name_pinyin = models.CharField(
        _("name in pinyin"), max_length=128, blank=True, default="", editable=False, db_index=True
    )
    name_initials = models.CharField(
        _("name initials"), max_length=32, blank=True, default="", editable=False, db_index=True
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("resident ID number"), blank=True)
    id_number_index = BlindIndexField(
        source="id_number", normalize="carecircle.people.models.normalize_id_number"
    )
    # The 12-digit village/community code of residence; every scope filter is a
    # prefix match on this indexed column.
    area_code = models.CharField(
        _("residence division code"),
        max_length=12,
        db_index=True,
        validators=[validate_division_code],
    )
    address = EncryptedTextField(_("address"), blank=True)
    school = models.ForeignKey(
        Organisation,
        verbose_name=_("school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupils",
        limit_choices_to={"kind": Organisation.Kind.SCHOOL},
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Values the audit log may repeat: nothing that identifies the child.
    AUDIT_VALUE_FIELDS = ("status", "area_code", "school")

    class Meta:
        verbose_name = _("minor")
        verbose_name_plural = _("minors")
        ordering = ["area_code", "name"]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def masked_id_number(self) -> str:
        return idnumbers.mask_id_number(self.id_number or "")


class EmergencyAccess(models.Model):
    """Break the glass: a time-limited, audited grant to one out-of-scope child."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="emergency_accesses",
    )
    minor = models.ForeignKey(
        Minor, verbose_name=_("minor"), on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.minor} ({self.granted_at:%Y-%m-%d %H:%M})"

    def is_active(self) -> bool:
        return self.expires_at > timezone.now()
