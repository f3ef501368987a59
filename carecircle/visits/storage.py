"""Where visit photos are kept: a folder outside MEDIA_ROOT that no URL serves.

Photos of children and their homes are personal data: they are read only through
the visits app, which checks the reader's scope and audits the read. The folder is
``CARECIRCLE_VISIT_PHOTO_DIR`` (default ``var/visit-photos``), read at each use so
that tests and deployments can move it; files are created 0600 in 0700 folders.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone


class PrivateStorage(FileSystemStorage):
    """A file system storage with no public URL."""

    def __init__(self) -> None:
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.CARECIRCLE_VISIT_PHOTO_DIR)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("visit photos have no public URL; serve them through the visits app")


_STORAGE = PrivateStorage()


def photo_storage() -> PrivateStorage:
    return _STORAGE


def photo_upload_to(instance: Any, filename: str) -> str:
    """A random name under the month: nothing of the original name or the child."""
    return f"{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.jpg.enc"  # encrypted
