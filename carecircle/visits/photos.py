"""Photos taken on a visit: checked, stripped of EXIF, stored privately, read with an audit.

An upload is refused unless it is a JPEG, PNG or WebP image (decided by Pillow from
the bytes, never from the file name or the browser's content type) of at most
``CARECIRCLE_VISIT_PHOTO_MAX_BYTES`` (8 MB) and ``MAX_PIXELS`` pixels (a small file
that decodes to a huge image is a decompression bomb). It is then turned upright by
its EXIF orientation, reduced to ``MAX_SIDE`` pixels on its longer side and
re-encoded as a JPEG without any metadata: a phone's EXIF block carries the GPS
position of the child's home, the time and the phone's serial number. The file is
kept encrypted with the data key, as the notes are (SECURITY.md DP-1: a photo of a
child's home is as sensitive as the address): a copy of the folder shows nothing.

At most ``CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT`` (6) photos per visit.
"""

from __future__ import annotations

import io
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.crypto.keys import decrypt_bytes, encrypt_bytes
from carecircle.visits.models import Visit, VisitPhoto
from carecircle.visits.permissions import can_change_visit

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PIXELS = 50_000_000
MAX_SIDE = 2560
JPEG_QUALITY = 85
PHOTO_LABEL = "visits.visitphoto.image"  # the AEAD's associated data: a photo file, not a field


def _max_bytes() -> int:
    return int(getattr(settings, "CARECIRCLE_VISIT_PHOTO_MAX_BYTES", 8 * 1024 * 1024))


def _max_per_visit() -> int:
    return int(getattr(settings, "CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT", 6))


def _invalid(message: str) -> ValidationError:
    return ValidationError({"photo": [message]})


def clean_image(upload: IO[bytes]) -> tuple[bytes, int, int]:
    """The upload as a metadata-free JPEG: (bytes, width, height); ValidationError if refused."""
    limit = _max_bytes()
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise _invalid(
            _("The photo is larger than %(mb)d MB.") % {"mb": max(1, limit // (1024 * 1024))}
        )
    if not raw:
        raise _invalid(_("The photo is empty."))
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            width, height = probe.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise _invalid(_("This file is not a photo: send a JPEG, PNG or WebP image.")) from None
    if kind not in ACCEPTED_FORMATS:
        raise _invalid(_("This file is not a photo: send a JPEG, PNG or WebP image."))
    if width * height > MAX_PIXELS:
        raise _invalid(_("The photo has too many pixels."))
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            # A new image from the pixels only: no exif=, no icc_profile=, no comment.
            upright.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            size = upright.size
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _invalid(_("The photo could not be read; take it again.")) from None
    return out.getvalue(), size[0], size[1]


@transaction.atomic
def photo_add(*, actor: Any, visit: Visit, upload: IO[bytes]) -> VisitPhoto:
    """Keep a photo of ``visit``, cleaned; the recorder or a recorder over its division."""
    if not can_change_visit(actor, visit):
        raise PermissionDenied(_("You cannot add photos to this visit."))
    # Locked: two uploads at once cannot both pass the count.
    Visit.objects.select_for_update().filter(pk=visit.pk).values_list("pk").get()
    if VisitPhoto.objects.filter(visit=visit).count() >= _max_per_visit():
        raise _invalid(_("A visit keeps at most %(n)d photos.") % {"n": _max_per_visit()})
    data, width, height = clean_image(upload)
    photo = VisitPhoto(
        visit=visit,
        content_type="image/jpeg",
        size=len(data),
        width=width,
        height=height,
        uploaded_by=actor,
    )
    photo.image.save(
        "photo.jpg.enc", ContentFile(encrypt_bytes(data, label=PHOTO_LABEL)), save=False
    )
    # The file is written before the row: if the row cannot be written, remove it.
    name = photo.image.name or ""
    try:
        photo.save()
        for minor_id in visit.seen.values_list("minor_id", flat=True):
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                object_type="visits.photo",
                object_id=photo.pk,
                minor_id=minor_id,
                details={"visit": visit.pk, "size": photo.size},
            )
    except Exception:
        photo.image.storage.delete(name)
        raise
    return photo


@transaction.atomic
def photo_read(*, actor: Any, photo: VisitPhoto) -> bytes:
    """The photo's bytes for one showing, audited per child seen. The caller fetched
    ``photo`` through ``permissions.photos_visible_to``."""
    for minor_id in photo.visit.seen.values_list("minor_id", flat=True):
        audit_record(
            actor=actor,
            action=AuditEvent.Action.VIEW,
            object_type="visits.photo",
            object_id=photo.pk,
            minor_id=minor_id,
            details={"visit": photo.visit_id},
        )
    with photo.image.open("rb") as handle:
        return decrypt_bytes(handle.read(), label=PHOTO_LABEL)
