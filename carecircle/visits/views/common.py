"""Small helpers the visits pages share."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext_lazy

from carecircle.accounts import permissions as perms
from carecircle.regions.codes import PREFIX_LENGTHS
from carecircle.regions.models import Division
from carecircle.regions.selectors import division_names
from carecircle.visits.permissions import reading_prefixes

PAGE_SIZE = 50


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """Divisions' names by code or prefix, "township / village" for a village (two
    queries at most, whatever the number of codes)."""
    codes = set(codes)
    villages = {c for c in codes if len(c) == 12}
    names = division_names(villages) if villages else {}
    wider = codes - villages
    if wider:
        names.update(Division.objects.filter(prefix__in=wider).values_list("prefix", "name"))
    return {code: names.get(code) or code for code in codes}


def place_name(code: str) -> str:
    return place_names([code])[code]


class BadAreaError(Exception):
    """The ``area`` parameter is not a division code."""

    message = gettext_lazy("That is not a division code.")


def bad_area() -> HttpResponse:
    return HttpResponseBadRequest(str(BadAreaError.message))


def area_param(request: HttpRequest) -> str:
    """The ``area`` filter of a list: "" for none; ``BadAreaError`` when it is not a division
    code, 404 when it lies outside the user's divisions (no existence oracle)."""
    area = request.GET.get("area", "")
    if not area:
        return ""
    if not (area.isascii() and area.isdigit() and len(area) in PREFIX_LENGTHS.values()):
        raise BadAreaError
    if not perms.covers(reading_prefixes(request.user), area):
        raise Http404
    return area
