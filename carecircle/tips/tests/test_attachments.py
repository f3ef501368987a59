"""Attachments decided from their bytes, and copies without metadata (SECURITY.md AN-4)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import ExifTags, Image

from carecircle.tips import attachments
from carecircle.tips.attachments import clean_upload, clean_uploads, strip_boxes

# --- Fixtures built here -----------------------------------------------------------------


def jpeg_with_gps(orientation: int = 1) -> bytes:
    image = Image.new("RGB", (60, 40), (10, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ProbeCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (26.0, 24.0, 51.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (111.0, 36.0, 48.0),
    }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(brand: bytes = b"isom", *, extra_top: bytes = b"") -> bytes:
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    gps = box(b"\xa9xyz", struct.pack(">HH", 12, 0) + b"+26.4142+111.6133/")
    camera = box(b"\xa9mak", struct.pack(">HH", 8, 0) + b"ProbeCam")
    udta = box(b"udta", gps + camera)
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"hdlr", b"\x00" * 20 + b"mdta"))
    trak = box(b"trak", box(b"tkhd", b"\x00" * 84) + box(b"udta", camera))
    moov = box(b"moov", box(b"mvhd", b"\x00" * 100) + trak + udta + meta)
    mdat = box(b"mdat", b"\x01\x02\x03\x04" * 64)
    return ftyp + moov + extra_top + mdat


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with a tiny body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Images --------------------------------------------------------------------------------


def test_a_photo_loses_its_exif_and_gps_and_the_original_is_kept(english):
    raw = jpeg_with_gps()
    assert b"ProbeCam" in raw
    clean = clean_upload(io.BytesIO(raw), "photo.jpg")
    assert clean.kind == "image" and clean.content_type == "image/jpeg"
    assert clean.original == raw
    assert clean.sha256 == hashlib.sha256(raw).hexdigest()
    with Image.open(io.BytesIO(clean.cleaned)) as copy:
        assert copy.format == "JPEG"
        assert dict(copy.getexif()) == {}
        assert "exif" not in copy.info
    assert b"ProbeCam" not in clean.cleaned and b"Exif" not in clean.cleaned


def test_a_photo_is_turned_upright_by_its_orientation():
    clean = clean_upload(io.BytesIO(jpeg_with_gps(orientation=6)), "p.jpg")
    with Image.open(io.BytesIO(clean.cleaned)) as copy:
        assert copy.size == (40, 60)


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "GIF"])
def test_png_webp_and_gif_become_jpeg_copies(kind):
    out = io.BytesIO()
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    if kind == "GIF":
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    else:
        frames[0].save(out, format=kind)
    clean = clean_upload(io.BytesIO(out.getvalue()), f"x.{kind.lower()}")
    with Image.open(io.BytesIO(clean.cleaned)) as copy:
        assert copy.format == "JPEG" and copy.size == (20, 20)


def test_a_png_bomb_header_is_refused(english):
    with pytest.raises(ValidationError) as refused:
        clean_upload(io.BytesIO(png_header(100_000, 100_000)), "bomb.png")
    assert "too many pixels" in messages(refused.value)
    with pytest.raises(ValidationError) as refused:
        clean_upload(io.BytesIO(png_header(8_000, 8_000)), "big.png")
    assert "too many pixels" in messages(refused.value)


def test_a_broken_image_is_refused(english):
    raw = jpeg_with_gps()[:300]
    with pytest.raises(ValidationError) as refused:
        clean_upload(io.BytesIO(raw), "cut.jpg")
    assert "could not be read" in messages(refused.value) or "Only images" in messages(
        refused.value
    )


# --- Videos ---------------------------------------------------------------------------------


def test_an_mp4_loses_its_gps_and_camera_boxes_in_place(english):
    raw = mp4()
    assert b"\xa9xyz" in raw
    clean = clean_upload(io.BytesIO(raw), "clip.mp4")
    assert clean.kind == "video" and clean.content_type == "video/mp4"
    assert clean.original == raw and clean.sha256 == hashlib.sha256(raw).hexdigest()
    assert len(clean.cleaned) == len(raw)
    for gone in (b"\xa9xyz", b"+26.4142", b"ProbeCam", b"udta", b"meta", b"mdta"):
        assert gone not in clean.cleaned
    assert clean.cleaned.count(b"free") == 3  # moov/udta, moov/meta, moov/trak/udta
    # The media data and every other box stay where they were.
    assert clean.cleaned.index(b"mdat") == raw.index(b"mdat")
    assert clean.cleaned.endswith(b"\x01\x02\x03\x04" * 64)
    assert clean.cleaned[: raw.index(b"moov")] == raw[: raw.index(b"moov")]


def test_a_mov_and_a_top_level_xmp_box_are_handled():
    xmp = box(b"uuid", bytes.fromhex("be7acfcb97a942e89c71999491e3afac") + b"<x:xmpmeta GPS/>")
    clean = clean_upload(io.BytesIO(mp4(b"qt  ", extra_top=xmp)), "clip.mov")
    assert clean.content_type == "video/quicktime"
    assert b"xmpmeta" not in clean.cleaned and b"uuid" not in clean.cleaned


def test_a_video_with_a_broken_box_is_refused(english):
    raw = bytearray(mp4())
    at = raw.index(b"moov") - 4
    raw[at : at + 4] = struct.pack(">I", 10**6)
    with pytest.raises(ValidationError) as refused:
        clean_upload(io.BytesIO(bytes(raw)), "bad.mp4")
    assert "video could not be read" in messages(refused.value)


def test_strip_boxes_reads_64_bit_sizes():
    big = struct.pack(">I", 1) + b"udta" + struct.pack(">Q", 16 + 4) + b"GPS!"
    raw = box(b"ftyp", b"isom\x00\x00\x00\x00") + big
    assert (
        strip_boxes(raw)
        == box(b"ftyp", b"isom\x00\x00\x00\x00") + big[:4] + b"free" + (big[8:16]) + b"\x00" * 4
    )


def test_a_webm_is_kept_as_it_is():
    raw = b"\x1a\x45\xdf\xa3" + b"\x42\x82\x84webm" + b"\x00" * 100
    clean = clean_upload(io.BytesIO(raw), "clip.webm")
    assert (clean.kind, clean.content_type) == ("video", "video/webm")
    assert clean.cleaned == clean.original == raw


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,  # a Windows program named .jpg
        b"PK\x03\x04" + b"\x00" * 200,  # a zip
        b"<!doctype html><script>alert(1)</script>",
        b"%PDF-1.7\n" + b"\x00" * 100,
        box(b"ftyp", b"3gp5\x00\x00\x00\x00" + b"3gp5") + box(b"mdat", b"x"),  # unknown brand
        b"",
    ],
)
def test_anything_else_is_refused_whatever_its_name(raw, english):
    with pytest.raises(ValidationError) as refused:
        clean_upload(io.BytesIO(raw), "photo.jpg")
    assert messages(refused.value) == "Only images or short videos can be uploaded."


def test_an_oversize_file_is_refused_after_reading_at_most_the_limit(settings, english):
    settings.CARECIRCLE_TIP_IMAGE_MAX_BYTES = 1000
    stream = CountingStream(b"\xff\xd8\xff" + b"\x00" * 100_000)
    with pytest.raises(ValidationError) as refused:
        clean_upload(stream, "big.jpg")
    assert "big.jpg is too large: at most 1 MB." in messages(refused.value)
    assert stream.taken == 1001


def test_a_video_has_its_own_limit(settings):
    settings.CARECIRCLE_TIP_IMAGE_MAX_BYTES = 100
    settings.CARECIRCLE_TIP_VIDEO_MAX_BYTES = 10_000
    assert clean_upload(io.BytesIO(mp4()), "clip.mp4").kind == "video"
    settings.CARECIRCLE_TIP_VIDEO_MAX_BYTES = 200
    with pytest.raises(ValidationError):
        clean_upload(io.BytesIO(mp4()), "clip.mp4")


def test_too_many_files_are_refused(settings, english):
    settings.CARECIRCLE_TIP_MAX_FILES = 5
    files = [io.BytesIO(jpeg_with_gps()) for _ in range(6)]
    with pytest.raises(ValidationError) as refused:
        clean_uploads(files)
    assert messages(refused.value) == "At most 5 files can be sent at once."
    assert len(clean_uploads(files[:5])) == 5


def test_one_bad_file_among_good_ones_refuses_the_lot(english):
    good = io.BytesIO(jpeg_with_gps())
    bad = io.BytesIO(b"MZ" + b"\x00" * 50)
    with pytest.raises(ValidationError) as refused:
        clean_uploads([good, bad])
    assert messages(refused.value) == "Only images or short videos can be uploaded."
    assert attachments.max_files() == 5
