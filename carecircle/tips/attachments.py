"""Images and short videos sent with a report (issue 6 item 1; SECURITY.md AN-4).

``clean_upload`` decides what a file is from its bytes (never its name or the
browser's content type), refuses what is not an accepted image or video or is too
large, and returns a ``CleanFile``: the original bytes with their SHA-256, and a
copy without metadata. ``store`` writes both, encrypted with the data key, into the
private tips folder (``CARECIRCLE_TIP_FILE_DIR``) inside the caller's transaction;
``read_cleaned`` gives the copy back for one showing (the caller audits it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from carecircle.crypto.keys import decrypt_bytes, encrypt_bytes
from carecircle.tips.models import Tip, TipAttachment

ORIGINAL_LABEL = "tips.attachment.original"
CLEANED_LABEL = "tips.attachment.cleaned"

IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_PIXELS = 50_000_000  # a small file that decodes to more is a decompression bomb
MAX_SIDE = 4096
JPEG_QUALITY = 90
# ISO base media files (MP4, MOV): the brands of the 'ftyp' box accepted.
VIDEO_BRANDS = frozenset({b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V "})
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# Boxes whose children are walked, and the boxes blanked: user data (udta, where a
# phone puts ©xyz, the GPS position, and the camera's make and model), metadata
# (meta: Apple's location and device keys) and vendor boxes (uuid, XMP among them).
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"edts", b"mvex"})
BLANKED = frozenset({b"udta", b"meta", b"uuid"})


@dataclass(frozen=True)
class CleanFile:
    kind: str  # TipAttachment.Kind
    content_type: str  # of the cleaned copy
    original: bytes
    cleaned: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.original).hexdigest()


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def image_max_bytes() -> int:
    return _limit("CARECIRCLE_TIP_IMAGE_MAX_BYTES", 10 * 1024 * 1024)


def video_max_bytes() -> int:
    return _limit("CARECIRCLE_TIP_VIDEO_MAX_BYTES", 30 * 1024 * 1024)


def max_files() -> int:
    return _limit("CARECIRCLE_TIP_MAX_FILES", 5)


def _megabytes(limit: int) -> int:
    return max(1, limit // (1024 * 1024))


def not_accepted() -> ValidationError:
    return ValidationError(_("Only images or short videos can be uploaded."), code="file_type")


def too_large(name: str, limit: int) -> ValidationError:
    return ValidationError(
        _("%(name)s is too large: at most %(mb)d MB.") % {"name": name, "mb": _megabytes(limit)},
        code="file_size",
    )


def too_many() -> ValidationError:
    return ValidationError(
        _("At most %(n)d files can be sent at once.") % {"n": max_files()}, code="file_count"
    )


def _sniff(head: bytes) -> str:
    """The kind ("image" or "video") from the first bytes alone; "" for anything else."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")):
        return TipAttachment.Kind.IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return TipAttachment.Kind.IMAGE
    if head[4:8] == b"ftyp" or head.startswith(EBML_MAGIC):
        return TipAttachment.Kind.VIDEO
    return ""


def clean_upload(upload: IO[bytes], name: str = "") -> CleanFile:
    """The upload checked and with a copy without metadata; ValidationError if refused.

    What a file is comes from its bytes: an .exe renamed .jpg, a zip or a web page
    is refused whatever its name or content type says. At most the size limit of
    its kind plus one byte is read.
    """
    name = name or str(getattr(upload, "name", "") or _("The file"))
    head = upload.read(16)
    kind = _sniff(head)
    if not kind:
        raise not_accepted()
    limit = image_max_bytes() if kind == TipAttachment.Kind.IMAGE else video_max_bytes()
    raw = head + upload.read(limit + 1 - len(head))
    if len(raw) > limit:
        raise too_large(name, limit)
    if kind == TipAttachment.Kind.IMAGE:
        return CleanFile(kind, "image/jpeg", raw, _clean_image(raw))
    if raw.startswith(EBML_MAGIC):
        # WebM keeps its bytes: phones do not write a position into it.
        return CleanFile(kind, "video/webm", raw, raw)
    content_type = _video_type(raw)
    return CleanFile(kind, content_type, raw, strip_boxes(raw))


def clean_uploads(uploads: Sequence[IO[bytes]]) -> list[CleanFile]:
    """Every upload of one submission cleaned; one ValidationError lists what is wrong."""
    if len(uploads) > max_files():
        raise too_many()
    cleaned: list[CleanFile] = []
    problems: list[ValidationError] = []
    for upload in uploads:
        try:
            cleaned.append(clean_upload(upload))
        except ValidationError as error:
            problems.append(error)
    if problems:
        raise ValidationError(problems)
    return cleaned


def _clean_image(raw: bytes) -> bytes:
    """Upright, re-encoded as a JPEG from the pixels alone (no EXIF, no GPS, no
    comment); a GIF gives its first frame."""
    too_big = ValidationError(_("The image has too many pixels."), code="file_pixels")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            found = probe.format
            width, height = probe.size
    except Image.DecompressionBombError:
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise not_accepted() from None
    if found not in IMAGE_FORMATS:
        raise not_accepted()
    if width * height > MAX_PIXELS:
        raise too_big
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.mode != "RGB":
                upright = upright.convert("RGB")
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=JPEG_QUALITY)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            _("The image could not be read; send it again."), code="file_broken"
        ) from None
    return out.getvalue()


def _video_type(raw: bytes) -> str:
    """The content type of an ISO base media file, from its 'ftyp' brands."""
    size = struct.unpack(">I", raw[:4])[0]
    if size < 16 or size > min(len(raw), 4096) or raw[4:8] != b"ftyp":
        raise not_accepted()
    major = raw[8:12]
    brands = {major} | {raw[i : i + 4] for i in range(16, size - 3, 4)}
    if not brands & VIDEO_BRANDS:
        raise not_accepted()
    return "video/quicktime" if major == b"qt  " else "video/mp4"


def _boxes(data: bytearray | bytes, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """The boxes between ``start`` and ``end``: (type, offset, header length, size).
    A size that runs past the end or below the header is a broken file."""
    found = []
    at = start
    while at < end:
        if end - at < 8:
            raise _broken_video()
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1:
            if end - at < 16:
                raise _broken_video()
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
            header = 16
        elif size == 0:
            size = end - at  # to the end of the enclosing space
        if size < header or at + size > end:
            raise _broken_video()
        found.append((kind, at, header, size))
        at += size
    return found


def _broken_video() -> ValidationError:
    return ValidationError(_("The video could not be read; send it again."), code="file_broken")


def strip_boxes(raw: bytes) -> bytes:
    """A copy of an MP4/MOV with its metadata boxes blanked in place: each becomes a
    'free' box of the same size with a zeroed payload, so the chunk offsets into
    'mdat' stay valid and the video still plays."""
    data = bytearray(raw)
    _blank(data, 0, len(data))
    return bytes(data)


def _blank(data: bytearray, start: int, end: int) -> None:
    for kind, at, header, size in _boxes(data, start, end):
        if kind in BLANKED:
            data[at + 4 : at + 8] = b"free"
            data[at + header : at + size] = bytes(size - header)
        elif kind in CONTAINERS:
            _blank(data, at + header, at + size)


def folder() -> Path:
    return Path(
        getattr(settings, "CARECIRCLE_TIP_FILE_DIR", Path(settings.BASE_DIR) / "var" / "tip-files")
    )


def _write(data: bytes, label: str) -> str:
    """Encrypt ``data`` into a new random file; its name relative to the folder."""
    name = f"{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.enc"
    path = folder() / name
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(encrypt_bytes(data, label=label))
    return name


def _remove(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder() / name).unlink()


def store(
    tip: Tip, clean: CleanFile, *, by_reporter: bool, written: list[str] | None = None
) -> TipAttachment:
    """Both files, then the row. The names written are appended to ``written`` so that
    the caller removes them if its transaction fails (``discard``)."""
    original = _write(clean.original, ORIGINAL_LABEL)
    if written is not None:
        written.append(original)
    cleaned = _write(clean.cleaned, CLEANED_LABEL)
    if written is not None:
        written.append(cleaned)
    return TipAttachment.objects.create(
        tip=tip,
        kind=clean.kind,
        content_type=clean.content_type,
        original=original,
        cleaned=cleaned,
        sha256=clean.sha256,
        size=len(clean.original),
        added_by_reporter=by_reporter,
    )


def discard(names: list[str]) -> None:
    for name in names:
        _remove(name)


def read_cleaned(attachment: TipAttachment) -> bytes:
    return decrypt_bytes((folder() / attachment.cleaned).read_bytes(), label=CLEANED_LABEL)


def read_original(attachment: TipAttachment) -> bytes:
    return decrypt_bytes((folder() / attachment.original).read_bytes(), label=ORIGINAL_LABEL)
