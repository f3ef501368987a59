"""Printable code sheets: one card per pupil of a class, with the code and a QR code.

The QR code holds the questionnaire's absolute address with the code in the
fragment, ``https://host/q/#ABCDEFGHJK``: a browser never sends the fragment to a
server, so the code stays out of access logs, proxies and Referer headers, while the
questionnaire page still reads it from ``location.hash``. No URL of these pages (path
or query) ever carries a code.

The SVG is drawn here with the vendored ``qrcode`` library and put inline in the
page: nothing is fetched from anywhere, and the sheet prints the same offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from carecircle.screening.models import Participant

GROUP = 5


def grouped(code: str, size: int = GROUP) -> str:
    """``ABCDEFGHJK`` as ``ABCDE-FGHJK``: easier to read out and to type."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def questionnaire_url(request: HttpRequest) -> str:
    """The absolute address a QR code opens, without the code."""
    return request.build_absolute_uri(reverse("questionnaire:start"))


def qr_svg(text: str) -> SafeString:
    """``text`` as an inline ``<svg>`` (no XML declaration, sized by the page's CSS)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    # Our own output from a fixed template of elements, no user text in it but the
    # address, which the QR encoder turned into path data.
    return mark_safe(svg.replace("<svg ", '<svg aria-hidden="true" ', 1))  # noqa: S308


@dataclass(frozen=True)
class Card:
    name: str
    class_label: str
    code: str  # grouped for reading
    qr: SafeString
    awaiting_consent: bool


def cards(participants: Iterable[Participant], *, base_url: str) -> list[Card]:
    """One card per participant; ``base_url`` is ``questionnaire_url(request)``."""
    return [
        Card(
            name=p.minor.name,
            class_label=str(p.school_class) if p.school_class else "",
            code=grouped(p.code),
            qr=qr_svg(f"{base_url}#{p.code}"),
            awaiting_consent=p.consent == Participant.Consent.PENDING,
        )
        for p in participants
    ]
