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
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from carecircle.crypto.keys import decrypt_bytes, encrypt_bytes
from carecircle.tips.models import Tip, TipAttachment

ORIGINAL_LABEL = "tips.attachment.original"
CLEANED_LABEL = "tips.attachment.cleaned"


@dataclass(frozen=True)
class CleanFile:
    kind: str  # TipAttachment.Kind
    content_type: str  # of the cleaned copy
    original: bytes
    cleaned: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.original).hexdigest()


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
