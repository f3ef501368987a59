from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from carecircle.regions.codes import Level, prefix_term, validate_division_code


class DivisionQuerySet(models.QuerySet["Division"]):
    def within(self, prefix: str) -> DivisionQuerySet:
        """The division with this prefix and everything under it."""
        return self.filter(prefix_term("prefix", prefix))


class Division(models.Model):
    """One administrative division, named by its 12-digit statistical code."""

    class UrbanRural(models.TextChoices):
        MAIN_URBAN = "111", _("Main urban area")
        URBAN_FRINGE = "112", _("Urban-rural fringe")
        TOWN_CENTRE = "121", _("Town centre")
        TOWN_FRINGE = "122", _("Town-rural fringe")
        SPECIAL = "123", _("Special area")
        TOWNSHIP_CENTRE = "210", _("Township centre")
        VILLAGE = "220", _("Village")

    code = models.CharField(
        _("division code"), max_length=12, primary_key=True, validators=[validate_division_code]
    )
    prefix = models.CharField(_("significant prefix"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    urban_rural = models.CharField(
        _("urban-rural classification"), max_length=3, choices=UrbanRural.choices, blank=True
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Abolished or merged divisions stay for history.")
    )

    objects = DivisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rural(self) -> bool:
        return self.urban_rural.startswith("2")

    def ancestors(self) -> list[Division]:
        """From the province down to this division's parent (one query)."""
        prefixes = [self.prefix[:n] for n in (2, 4, 6, 9) if n < len(self.prefix)]
        return list(Division.objects.filter(prefix__in=prefixes).order_by("prefix"))

    def path_name(self) -> str:
        return " / ".join([d.name for d in self.ancestors()] + [self.name])
