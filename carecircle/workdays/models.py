"""The working-day calendar: statutory holidays and make-up workdays (调休).

China's calendar is not "Monday to Friday": each year the State Council publishes
the public holidays and the weekend days worked in exchange (a Sunday before the
Spring Festival becomes a workday). Time limits counted in working days (12345
tickets, recognition steps, DOMAIN.md §9.3) read this table; a day not in it is a
workday from Monday to Friday and a rest day on a weekend.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpecialDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Make-up workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("special day")
        verbose_name_plural = _("special days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
