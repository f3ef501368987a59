"""Visit photos: only real images of a bounded size, EXIF gone, kept where no URL reaches."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image, UnidentifiedImageError

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.crypto.keys import decrypt_bytes
from carecircle.visits.models import Visit, VisitPhoto
from carecircle.visits.permissions import photos_visible_to
from carecircle.visits.photos import PHOTO_LABEL, photo_add, photo_read
from carecircle.visits.tests.factories import MinorFactory, visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_folder(tmp_path: Path, settings: Any, english: None) -> Path:
    settings.CARECIRCLE_VISIT_PHOTO_DIR = str(tmp_path / "photos")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "photos"


@pytest.fixture
def seen(district: Any, personas: dict[str, User]) -> Visit:
    from django.utils import timezone

    return visit(
        timezone.localdate(), MinorFactory.create(name="吴"), recorded_by=personas["child_director"]
    )


def jpeg_with_exif(width: int = 40, height: int = 30) -> io.BytesIO:
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    exif[0x8825] = {1: "N", 2: (28.0, 12.0, 0.0), 3: "E", 4: (111.0, 36.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    out.seek(0)
    assert Image.open(io.BytesIO(out.getvalue())).getexif()
    return out


def test_a_photo_is_stored_upright_without_exif_outside_media(
    seen: Visit, personas: dict[str, User], _private_folder: Path
) -> None:
    photo = photo_add(actor=personas["child_director"], visit=seen, upload=jpeg_with_exif())
    path = Path(photo.image.path)
    assert path.is_relative_to(_private_folder)
    raw = path.read_bytes()
    with pytest.raises(UnidentifiedImageError):  # encrypted at rest
        Image.open(io.BytesIO(raw))
    stored = Image.open(io.BytesIO(decrypt_bytes(raw, label=PHOTO_LABEL)))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert stored.size == (30, 40) == (photo.width, photo.height)  # turned upright
    assert photo.size == len(decrypt_bytes(raw, label=PHOTO_LABEL))
    assert photo.content_type == "image/jpeg"
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        photo.image.url  # noqa: B018  (no public URL)


def test_a_png_becomes_a_jpeg(seen: Visit, personas: dict[str, User]) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG")
    out.seek(0)
    photo = photo_add(actor=personas["child_director"], visit=seen, upload=out)
    assert (
        Image.open(io.BytesIO(photo_read(actor=personas["child_director"], photo=photo))).format
        == "JPEG"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a photo", "This file is not a photo: send a JPEG, PNG or WebP image."),
        (b"", "The photo is empty."),
        (b"GIF89a" + b"\x00" * 20, "This file is not a photo: send a JPEG, PNG or WebP image."),
    ],
)
def test_what_is_not_a_photo_is_refused(
    seen: Visit, personas: dict[str, User], content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        photo_add(actor=personas["child_director"], visit=seen, upload=io.BytesIO(content))
    assert caught.value.message_dict == {"photo": [message]}
    assert not VisitPhoto.objects.exists()


def test_a_gif_is_refused_even_when_pillow_reads_it(seen: Visit, personas: dict[str, User]) -> None:
    out = io.BytesIO()
    Image.new("RGB", (5, 5)).save(out, format="GIF")
    out.seek(0)
    with pytest.raises(ValidationError):
        photo_add(actor=personas["child_director"], visit=seen, upload=out)


def test_an_oversize_photo_is_refused(
    seen: Visit, personas: dict[str, User], settings: Any
) -> None:
    settings.CARECIRCLE_VISIT_PHOTO_MAX_BYTES = 1024 * 1024
    big = io.BytesIO(b"\xff\xd8" + b"0" * (1024 * 1024 + 10))
    with pytest.raises(ValidationError) as caught:
        photo_add(actor=personas["child_director"], visit=seen, upload=big)
    assert caught.value.message_dict == {"photo": ["The photo is larger than 1 MB."]}


def test_a_visit_keeps_a_bounded_number_of_photos(
    seen: Visit, personas: dict[str, User], settings: Any
) -> None:
    settings.CARECIRCLE_VISIT_PHOTO_MAX_PER_VISIT = 2
    for _n in range(2):
        photo_add(actor=personas["child_director"], visit=seen, upload=jpeg_with_exif())
    with pytest.raises(ValidationError):
        photo_add(actor=personas["child_director"], visit=seen, upload=jpeg_with_exif())


def test_only_recorders_over_the_visits_village_add_photos(
    seen: Visit, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    for outsider in (other_personas["child_director"], personas["counselor"]):
        with pytest.raises(PermissionDenied):
            photo_add(actor=outsider, visit=seen, upload=jpeg_with_exif())
    assert photo_add(actor=personas["child_supervisor"], visit=seen, upload=jpeg_with_exif())


def test_a_photo_is_read_in_scope_with_an_audit_entry(
    seen: Visit, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    photo = photo_add(actor=personas["child_director"], visit=seen, upload=jpeg_with_exif())
    assert not photos_visible_to(other_personas["child_director"]).exists()
    reader = personas["counselor"]
    found = photos_visible_to(reader).get()
    data = photo_read(actor=reader, photo=found)
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, object_type="visits.photo")
    assert (event.actor_id, event.object_id) == (reader.pk, str(photo.pk))
