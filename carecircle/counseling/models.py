"""Counseling rooms, their rotas and the appointments booked into them (issue 7 item 4).

A ``Room`` belongs to an organisation: the minors' protection centre, the
comprehensive governance center (where 12 counselors take turns), a school (the
district has 63 school rooms), a hospital or a township social-work station. Counted
as 个 by ``counseling.rooms``.

A ``Shift`` is one counselor on duty in one room from ``starts_at`` to ``ends_at``
(the rota, 值班表). Within a room shifts do not overlap, and a counselor is never on
two overlapping shifts: ``services.shift_add`` checks both under row locks, because
SQLite has no exclusion constraint.

A shift is cut into slots of ``slot_minutes`` from its start. An ``Appointment``
books one slot for one case; the partial unique constraint on (shift, starts_at)
over live appointments is what makes a double booking impossible, whatever two
requests race. The session held in the slot points back to it
(``cases.Session.appointment``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecircle.accounts.models import Organisation


class Room(models.Model):
    class Kind(models.TextChoices):
        CENTER = "center", _("Minors' protection center")
        GOVERNANCE_CENTER = "governance_center", _("Comprehensive governance center")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        STATION = "station", _("Township social-work station")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="counseling_rooms",
    )
    # The organisation's division code, copied so rooms filter by area with an index.
    area_code = models.CharField(_("division"), max_length=12, db_index=True)
    location = models.CharField(_("where it is"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    AUDIT_VALUE_FIELDS = ("name", "kind", "organisation", "area_code", "is_active")

    class Meta:
        verbose_name = _("counseling room")
        verbose_name_plural = _("counseling rooms")
        ordering = ["area_code", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="counseling_room_name")
        ]

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """One counselor on duty in one room for a stretch of time."""

    MIN_SLOT = 15
    MAX_SLOT = 180

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="shifts"
    )
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counselor"),
        on_delete=models.PROTECT,
        related_name="counseling_shifts",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("put on the rota by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rota shift")
        verbose_name_plural = _("rota shifts")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=15) & Q(slot_minutes__lte=180),
                name="shift_slot_length",
            ),
        ]
        indexes = [
            models.Index(fields=["room", "starts_at"], name="shift_room_start"),
            models.Index(fields=["counselor", "starts_at"], name="shift_counselor_start"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id} {self.counselor_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", pgettext_lazy("appointment state", "Booked")
        HELD = "held", pgettext_lazy("appointment state", "Held")
        CANCELLED = "cancelled", pgettext_lazy("appointment state", "Cancelled")
        NO_SHOW = "no_show", pgettext_lazy("appointment state", "Did not come")

    shift = models.ForeignKey(
        Shift, verbose_name=_("rota shift"), on_delete=models.PROTECT, related_name="appointments"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    LIVE = ("booked", "held")

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        constraints = [
            # One live appointment per slot: the database refuses a double booking.
            models.UniqueConstraint(
                fields=["shift", "starts_at"],
                condition=Q(status__in=("booked", "held")),
                name="appointment_one_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after"
            ),
        ]
        indexes = [
            models.Index(fields=["case", "starts_at"], name="appointment_case"),
            models.Index(fields=["shift", "status"], name="appointment_shift"),
        ]

    def __str__(self) -> str:
        return f"{self.shift_id} {self.starts_at:%Y-%m-%d %H:%M}"
