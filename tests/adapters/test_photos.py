"""PillowPhotoCleaner: judged by content, metadata gone, upright, and every refusal is Invalid."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from adapters.media.photos import (
    PHOTO_REJECTED,
    PHOTO_TOO_LARGE,
    PillowPhotoCleaner,
    sniff_photo_format,
)
from app.domain.photos import MAX_PHOTO_BYTES, CleanPhoto
from app.errors import Invalid

CLEANER = PillowPhotoCleaner()
RED = (220, 20, 20)
BLUE = (20, 20, 220)
GPS_IFD = 0x8825
ORIENTATION = 0x0112
SECRETS = (b"Apple", b"iPhone 15 Pro", b"2026:03:04", b"secret-comment", b"secret-text")


# --- building the inputs -------------------------------------------------------------------


def _two_tone(mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Top half red, bottom half blue: shows which way the picture was turned."""
    width, height = size
    image = Image.new("RGB", size, BLUE)
    image.paste(Image.new("RGB", (width, height // 2), RED), (0, 0))
    return image.convert(mode)


def _phone_exif(orientation: int = 6) -> Image.Exif:
    """What a phone writes: camera, time, orientation and where the citizen was."""
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15 Pro"  # Model
    exif[0x0132] = "2026:03:04 05:06:07"  # DateTime
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (55.0, 40.0, 36.6)
    gps[3] = "E"
    gps[4] = (12.0, 34.0, 5.1)
    return exif


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _phone_jpeg(orientation: int = 6) -> bytes:
    buffer = io.BytesIO()
    _two_tone().save(
        buffer,
        format="JPEG",
        quality=95,
        exif=_phone_exif(orientation),
        comment=b"secret-comment",
        icc_profile=_srgb_icc(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-text</x:xmpmeta>',
    )
    return buffer.getvalue()


def _png(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _saved(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _heic(image: Image.Image, exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 90}
    if exif is not None:
        options["exif"] = exif.tobytes()
    pillow_heif.from_pillow(image).save(buffer, **options)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header for a huge RGB image, followed by a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# --- reading the outputs -------------------------------------------------------------------


def _jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of the scan."""
    assert data[:2] == b"\xff\xd8"
    markers, offset = [], 2
    while offset < len(data):
        assert data[offset] == 0xFF
        marker = data[offset + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
    return markers


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return chunks


def _assert_no_metadata_jpeg(photo: CleanPhoto) -> Image.Image:
    assert photo.media_type == "image/jpeg"
    markers = _jpeg_markers(photo.data)
    # Only JFIF (APP0), tables, frame and scan: no APP1 (EXIF/XMP), APP2 (ICC), COM.
    assert set(markers) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}, [hex(m) for m in markers]
    assert b"Exif" not in photo.data
    assert b"http://ns.adobe.com/xap" not in photo.data
    assert b"ICC_PROFILE" not in photo.data
    for secret in SECRETS:
        assert secret not in photo.data
    image = Image.open(io.BytesIO(photo.data))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not image.getexif().get_ifd(GPS_IFD)
    for key in ("exif", "xmp", "icc_profile", "comment"):
        assert key not in image.info
    image.load()
    assert image.size == (photo.width, photo.height)
    return image


def _rgb_at(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    pixel = image.getpixel((x, y))
    assert isinstance(pixel, tuple)
    return tuple(int(channel) for channel in pixel)


def _is_red(image: Image.Image, x: int, y: int) -> bool:
    red, _, blue = _rgb_at(image, x, y)[:3]
    return red > 150 and blue < 100


def _is_blue(image: Image.Image, x: int, y: int) -> bool:
    red, _, blue = _rgb_at(image, x, y)[:3]
    return blue > 150 and red < 100


def _refused(data: bytes) -> Invalid:
    with pytest.raises(Invalid) as caught:
        CLEANER.clean(data)
    return caught.value


# --- JPEG ----------------------------------------------------------------------------------


def test_jpeg_loses_every_metadata_and_is_turned_upright() -> None:
    source = _phone_jpeg(orientation=6)
    before = Image.open(io.BytesIO(source))
    assert before.getexif().get_ifd(GPS_IFD), "the test input must carry GPS"
    assert before.getexif()[ORIENTATION] == 6
    assert {"icc_profile", "comment", "xmp"} <= set(before.info)

    photo = CLEANER.clean(source)

    assert photo.detected == "jpeg"
    assert (photo.width, photo.height) == (48, 64)  # 64x48 turned a quarter
    image = _assert_no_metadata_jpeg(photo)
    assert image.mode == "RGB"
    # Orientation 6: the top of the stored pixels is shown on the right.
    assert _is_red(image, 40, 32)
    assert _is_blue(image, 8, 32)


def test_jpeg_without_orientation_keeps_its_size() -> None:
    photo = CLEANER.clean(_phone_jpeg(orientation=1))
    assert (photo.width, photo.height) == (64, 48)
    image = _assert_no_metadata_jpeg(photo)
    assert _is_red(image, 32, 8)
    assert _is_blue(image, 32, 40)


def test_data_hidden_after_the_end_of_a_jpeg_is_dropped() -> None:
    payload = b"PK\x03\x04" + b"secret-text" * 10
    photo = CLEANER.clean(_phone_jpeg() + payload)
    assert b"secret-text" not in photo.data
    assert photo.data.endswith(b"\xff\xd9")


@pytest.mark.parametrize("mode", ["CMYK", "L"])
def test_jpeg_in_other_modes_becomes_rgb(mode: str) -> None:
    photo = CLEANER.clean(_saved(_two_tone(mode), "JPEG"))
    image = _assert_no_metadata_jpeg(photo)
    assert image.mode == "RGB"


# --- PNG -----------------------------------------------------------------------------------


def test_png_loses_text_exif_and_icc_and_keeps_alpha() -> None:
    source_image = _two_tone("RGBA")
    source_image.putpixel((0, 0), (1, 2, 3, 0))
    source_image.putpixel((5, 5), (200, 100, 50, 128))
    info = PngInfo()
    info.add_text("Comment", "secret-text")
    info.add_itxt("Description", "secret-comment", zip=True)
    source = _png(source_image, pnginfo=info, exif=_phone_exif(1), icc_profile=_srgb_icc())
    assert {"Comment", "exif", "icc_profile"} <= set(Image.open(io.BytesIO(source)).info)

    photo = CLEANER.clean(source)

    assert photo.detected == "png"
    assert photo.media_type == "image/png"
    assert (photo.width, photo.height) == (64, 48)
    assert set(_png_chunks(photo.data)) == {b"IHDR", b"IDAT", b"IEND"}
    for secret in SECRETS:
        assert secret not in photo.data
    image = Image.open(io.BytesIO(photo.data))
    assert image.mode == "RGBA"
    assert image.info == {}
    assert len(image.getexif()) == 0
    assert image.tobytes() == source_image.tobytes()  # PNG is lossless: every pixel kept


def test_png_orientation_from_exif_is_applied() -> None:
    photo = CLEANER.clean(_png(_two_tone(), exif=_phone_exif(6)))
    assert (photo.width, photo.height) == (48, 64)
    image = Image.open(io.BytesIO(photo.data))
    assert len(image.getexif()) == 0
    assert _is_red(image, 40, 32)


def test_palette_png_with_transparency_keeps_it_as_rgba() -> None:
    source_image = _two_tone().quantize(colors=2)  # indices 0 and 1, one per half
    source = _png(source_image, transparency=0)
    assert "transparency" in Image.open(io.BytesIO(source)).info

    photo = CLEANER.clean(source)

    image = Image.open(io.BytesIO(photo.data))
    assert image.mode == "RGBA"
    assert set(_png_chunks(photo.data)) == {b"IHDR", b"IDAT", b"IEND"}
    assert set(image.getchannel("A").tobytes()) == {0, 255}


@pytest.mark.parametrize(
    ("mode", "stored"), [("L", "L"), ("LA", "LA"), ("RGB", "RGB"), ("1", "L"), ("P", "RGB")]
)
def test_png_modes_are_kept_sensibly(mode: str, stored: str) -> None:
    photo = CLEANER.clean(_png(_two_tone(mode)))
    assert Image.open(io.BytesIO(photo.data)).mode == stored


def test_sixteen_bit_grey_png_is_scaled_not_clipped() -> None:
    photo = CLEANER.clean(_png(Image.new("I;16", (8, 8), 40000)))
    image = Image.open(io.BytesIO(photo.data))
    assert image.mode == "L"
    assert image.getpixel((0, 0)) == 40000 >> 8


# --- HEIC ----------------------------------------------------------------------------------


def test_heic_becomes_jpeg_without_metadata_and_upright() -> None:
    source = _heic(_two_tone(), exif=_phone_exif(6))
    assert sniff_photo_format(source) == "heic"

    photo = CLEANER.clean(source)

    assert photo.detected == "heic"
    # pillow-heif writes the EXIF orientation into the container (irot), libheif turns
    # the picture while decoding: turned exactly once.
    assert (photo.width, photo.height) == (48, 64)
    image = _assert_no_metadata_jpeg(photo)
    assert _is_red(image, 40, 32)
    assert _is_blue(image, 8, 32)


def test_transparent_heic_is_laid_on_white() -> None:
    photo = CLEANER.clean(_heic(Image.new("RGBA", (64, 48), (0, 0, 0, 0))))
    image = _assert_no_metadata_jpeg(photo)
    assert min(_rgb_at(image, 32, 24)) > 240


def test_heic_named_only_among_the_compatible_brands_is_taken() -> None:
    source = bytearray(_heic(_two_tone()))
    assert source[8:12] == b"heic"
    source[8:12] = b"isom"  # a writer that puts a generic brand first
    assert b"heic" in source[16 : struct.unpack(">I", source[:4])[0]]
    assert sniff_photo_format(bytes(source)) == "heic"
    assert CLEANER.clean(bytes(source)).detected == "heic"


def test_truncated_heic_is_damaged() -> None:
    source = _heic(_two_tone())
    error = _refused(source[: len(source) // 2])
    assert error.kind == PHOTO_REJECTED
    assert "damaged" in error.detail


# --- refusals ------------------------------------------------------------------------------


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 64


OTHER_FILES = {
    "gif": _saved(_two_tone(), "GIF"),
    "webp": _saved(_two_tone(), "WEBP"),
    "avif": _saved(_two_tone(), "AVIF"),
    "bmp": _saved(_two_tone(), "BMP"),
    "tiff": _saved(_two_tone(), "TIFF"),
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "windows-exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100,
    "elf": b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    "text": "Hej doktor, se mit udslæt".encode(),
    "html": b"<html><img src=x onerror=alert(1)></html>",
    "random": random.Random(7).randbytes(4096),
    "mp4-video": _ftyp(b"isom", b"isom", b"iso2", b"mp41"),
    "avif-brand-only": _ftyp(b"avif", b"mif1", b"miaf"),
    "ftyp-too-short": b"\x00\x00\x00\x08ftyp" + b"\x00" * 64,
    "ftyp-longer-than-file": b"\x00\x01\x00\x00ftypheic" + b"\x00" * 64,
}


@pytest.mark.parametrize("name", sorted(OTHER_FILES))
def test_anything_but_jpeg_png_heic_is_refused(name: str) -> None:
    data = OTHER_FILES[name]
    assert sniff_photo_format(data) is None
    error = _refused(data)
    assert error.kind == PHOTO_REJECTED
    assert error.detail.startswith("Billedet kan ikke bruges: det er hverken JPEG, PNG eller HEIC.")
    assert "not a JPEG, PNG or HEIC" in error.detail


def test_empty_file_is_refused() -> None:
    error = _refused(b"")
    assert error.kind == PHOTO_REJECTED
    assert "tom" in error.detail
    assert "empty" in error.detail


def test_content_wins_over_the_name() -> None:
    """A PNG uploaded as `photo.jpg` with `image/jpeg` is a PNG: we never see the name."""
    photo = CLEANER.clean(_png(_two_tone()))
    assert photo.detected == "png"
    assert photo.media_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, id="png-magic-then-garbage"),
        pytest.param(b"\xff\xd8\xff" + b"garbage" * 20, id="jpeg-magic-then-garbage"),
        pytest.param(_phone_jpeg()[: len(_phone_jpeg()) // 2], id="jpeg-cut-in-half"),
        pytest.param(_png(_two_tone())[:-40], id="png-cut-short"),
        pytest.param(_ftyp(b"heic", b"mif1", b"heic"), id="heic-brand-without-image"),
        pytest.param(b"\xff\xd8\xff" + _png(_two_tone())[3:], id="jpeg-magic-on-png-body"),
    ],
)
def test_damaged_or_fake_files_are_refused(data: bytes) -> None:
    error = _refused(data)
    assert error.kind == PHOTO_REJECTED
    assert "beskadiget" in error.detail
    assert "damaged" in error.detail


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(20000, 20000, id="over-twice-pillow-limit"),  # Pillow's own error
        pytest.param(10000, 10000, id="over-pillow-limit"),  # Pillow's warning (an error here)
        pytest.param(8000, 8000, id="over-our-limit-only"),  # 64 Mpx: our check alone
        pytest.param(50_000_001, 1, id="one-pixel-over"),
    ],
)
def test_too_many_pixels_is_refused_from_the_header(width: int, height: int) -> None:
    data = _png_claiming(width, height)
    assert len(data) < 200
    error = _refused(data)
    assert error.kind == PHOTO_REJECTED
    # "too many pixels", not "damaged": refused before any pixel was decompressed
    # (decoding would have found the pixel data far too short).
    assert "for mange pixels" in error.detail
    assert "too many pixels" in error.detail


def test_pillow_bomb_warning_without_warnings_as_errors_is_still_refused() -> None:
    with pytest.warns(Image.DecompressionBombWarning):
        error = _refused(_png_claiming(10000, 10000))
    assert "too many pixels" in error.detail


def test_over_the_byte_limit_is_refused_before_decoding() -> None:
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_PHOTO_BYTES + 1 - 4)
    error = _refused(data)
    assert error.kind == PHOTO_TOO_LARGE
    assert "for stort" in error.detail
    assert "too large" in error.detail


def test_exactly_the_byte_limit_is_judged_by_content() -> None:
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (MAX_PHOTO_BYTES - 4)
    assert _refused(data).kind == PHOTO_REJECTED


# --- nothing but Invalid ever gets out -----------------------------------------------------

MAGICS = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"]
VALID = [_phone_jpeg(), _png(_two_tone("RGBA"), exif=_phone_exif(3)), _heic(_two_tone())]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(magic=st.sampled_from(MAGICS), rest=st.binary(max_size=512))
def test_random_bytes_give_invalid_never_a_library_error(magic: bytes, rest: bytes) -> None:
    try:
        CLEANER.clean(magic + rest)
    except Invalid as error:
        assert error.kind == PHOTO_REJECTED


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(VALID),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.integers(0, 10**6),
)
def test_damaged_photos_give_invalid_or_a_clean_photo(
    source: bytes, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(source)
    for position, value in edits:
        data[position % len(data)] = value
    data = data[: max(1, cut % (len(data) + 1))]
    try:
        photo = CLEANER.clean(bytes(data))
    except Invalid as error:
        assert error.kind == PHOTO_REJECTED
        return
    assert photo.media_type in ("image/jpeg", "image/png")
    assert b"Exif" not in photo.data
