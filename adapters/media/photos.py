"""Check an uploaded photo by its content and re-encode it without any metadata.

A photo taken on a phone carries more than pixels: the GPS position of the citizen's home,
the time, the camera's make, model and serial number, sometimes an embedded thumbnail of
an earlier crop. None of that is meant for the clinic. Rather than cut known segments out
of the file (EXIF, XMP, IPTC, ICC, comments, PNG text chunks, MakerNotes, trailing data
after the end marker: a list that is never complete), the picture is decoded to pixels and
a new file is written from those pixels alone. What was not pixels cannot survive that.

The format is judged by the first bytes of the file, never by its name or the declared
content type, and the file must then decode fully as that format. HEIC (what iPhones take)
is decoded with pillow-heif and stored as JPEG, because browsers at the clinic cannot show
HEIC. GIF, WebP, AVIF, PDF and anything else are refused.

Decoding is CPU work (tens of milliseconds for a phone photo): call `clean` off the event
loop, e.g. `await asyncio.to_thread(cleaner.clean, data)`.
"""

from __future__ import annotations

import io
from typing import Final

import pillow_heif
from PIL import Image, ImageOps

from app.domain.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_PIXELS,
    CleanPhoto,
    PhotoFormat,
    StoredMediaType,
)
from app.errors import Invalid

__all__ = [
    "PHOTO_REJECTED",
    "PHOTO_TOO_LARGE",
    "PillowPhotoCleaner",
    "sniff_photo_format",
]

#: kind of `Invalid` for anything that is not a usable JPEG, PNG or HEIC photo
PHOTO_REJECTED: Final = "photo-rejected"
#: kind of `Invalid` for a file over `MAX_PHOTO_BYTES`
PHOTO_TOO_LARGE: Final = "photo-too-large"

_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
#: ISO-BMFF brands that mean "HEIF image coded with HEVC" (ISO/IEC 23008-12, Annex B)
_HEVC_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
)
#: generic HEIF brands: HEVC in practice, but AVIF files carry them too
_GENERIC_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})
#: brands of other codecs in the same container; our libheif decodes HEVC only
_OTHER_CODEC_BRANDS: Final = frozenset({b"avif", b"avis", b"avio"})
#: a real `ftyp` box is 20-40 bytes; a huge one is a crafted file, not a photo
_MAX_FTYP_BYTES: Final = 1024

_STORED_AS: Final[dict[PhotoFormat, StoredMediaType]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "heic": "image/jpeg",
}
_JPEG_QUALITY: Final = 90
#: 16-bit grey to 8-bit by the high byte (Image.convert would clip at 255 instead)
_SIXTEEN_TO_EIGHT_BITS: Final = [value >> 8 for value in range(65536)]

_MB = MAX_PHOTO_BYTES // (1024 * 1024)
_MEGAPIXELS = MAX_PHOTO_PIXELS // 1_000_000
_MSG_EMPTY: Final = (
    "Billedet kan ikke bruges: filen er tom. / The picture cannot be used: the file is empty."
)
_MSG_NOT_A_PHOTO: Final = (
    "Billedet kan ikke bruges: det er hverken JPEG, PNG eller HEIC. / "
    "The picture cannot be used: it is not a JPEG, PNG or HEIC image."
)
_MSG_DAMAGED: Final = (
    "Billedet kan ikke bruges: filen er beskadiget eller ikke et billede. / "
    "The picture cannot be used: the file is damaged or not an image."
)
_MSG_TOO_LARGE: Final = (
    f"Billedet er for stort: højst {_MB} MB. / The picture is too large: at most {_MB} MB."
)
_MSG_TOO_MANY_PIXELS: Final = (
    f"Billedet har for mange pixels: højst {_MEGAPIXELS} megapixel. / "
    f"The picture has too many pixels: at most {_MEGAPIXELS} megapixels."
)


def sniff_photo_format(data: bytes) -> PhotoFormat | None:
    """The format the first bytes announce, or None for anything we do not take.

    Only the signature is read here; `PillowPhotoCleaner.clean` then insists that the whole
    file decodes as that format.
    """
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if _is_heic(data):
        return "heic"
    return None


def _is_heic(data: bytes) -> bool:
    """An ISO-BMFF file whose leading `ftyp` box names a HEVC-coded HEIF brand.

    The box is: size (4 bytes, big-endian), `ftyp`, major brand, minor version, then
    compatible brands of 4 bytes each. Phones put `heic` or `mif1` first; other writers
    list `heic` among the compatible brands only, so both places are read. `mif1` alone
    is taken unless an AVIF brand says the pictures are AV1, which we cannot decode.
    """
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[0:4], "big")
    if not 16 <= size <= min(len(data), _MAX_FTYP_BYTES):
        return False
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, size - 3, 4)}
    if brands & _HEVC_BRANDS:
        return True
    return bool(brands & _GENERIC_HEIF_BRANDS) and not brands & _OTHER_CODEC_BRANDS


class PillowPhotoCleaner:
    """`PhotoCleaner` on Pillow (JPEG, PNG) and pillow-heif (HEIC).

    Every refusal is an `app.errors.Invalid` whose detail a citizen can read (Danish,
    then English): kind `photo-too-large` for more than `MAX_PHOTO_BYTES` bytes, kind
    `photo-rejected` for everything else. No exception from Pillow or libheif gets out,
    except `MemoryError`, which is the server's problem and not the citizen's.
    """

    def clean(self, data: bytes) -> CleanPhoto:
        # Size first: nothing of an oversized upload is parsed.
        if len(data) > MAX_PHOTO_BYTES:
            raise Invalid(_MSG_TOO_LARGE, kind=PHOTO_TOO_LARGE)
        if not data:
            raise Invalid(_MSG_EMPTY, kind=PHOTO_REJECTED)
        detected = sniff_photo_format(data)
        if detected is None:
            raise Invalid(_MSG_NOT_A_PHOTO, kind=PHOTO_REJECTED)
        try:
            pixels = _decode(data, detected)
            out, width, height = _encode(pixels, detected)
        except (Invalid, MemoryError):
            raise
        except Exception as exc:
            # Pillow and libheif raise a zoo of types for a bad file (OSError,
            # SyntaxError, ValueError, EOFError, struct.error, RuntimeError, warnings
            # turned into errors...). For the citizen they all mean the same thing.
            raise Invalid(_MSG_DAMAGED, kind=PHOTO_REJECTED) from exc
        return CleanPhoto(
            detected=detected,
            media_type=_STORED_AS[detected],
            data=out,
            width=width,
            height=height,
        )


def _check_pixels(size: tuple[int, int]) -> None:
    """Refuse a picture that claims more pixels than we are willing to decode.

    Called with the size from the header, before any pixel data is decompressed: a few
    kilobytes of PNG can claim 20000 x 20000 pixels and would need over a gigabyte.
    """
    width, height = size
    if width * height > MAX_PHOTO_PIXELS:
        raise Invalid(_MSG_TOO_MANY_PIXELS, kind=PHOTO_REJECTED)


def _decode(data: bytes, detected: PhotoFormat) -> Image.Image:
    """Read the header, check the pixel count, then decode every pixel.

    JPEG and PNG are opened with only their own Pillow plugin allowed, so a file that
    starts like a PNG can only ever be read as a PNG. HEIC goes to libheif directly
    (pillow-heif's Pillow plugin looks at the major brand only); libheif applies the
    container's rotation and mirroring while decoding.
    """
    if detected == "heic":
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
        _check_pixels(heif.size)  # from the header; nothing is decoded yet
        return heif.to_pillow()

    plugin = "JPEG" if detected == "jpeg" else "PNG"
    try:
        # Pillow checks its own limit (Image.MAX_IMAGE_PIXELS, ~89 Mpx) while opening: a
        # warning above it, an error above twice it. Ours is lower, so it decides; but
        # under `-W error` the warning is an exception, and it must not become a 500.
        image = Image.open(io.BytesIO(data), formats=[plugin])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Invalid(_MSG_TOO_MANY_PIXELS, kind=PHOTO_REJECTED) from exc
    with image:
        _check_pixels(image.size)
        image.load()  # the whole file: a truncated or corrupt one fails here
        # Turn the pixels as the EXIF orientation says (PNG can carry EXIF too), since
        # the tag goes away with the rest of the metadata and the picture must stay
        # upright. Returns a copy, so the pixels outlive the closed file. HEIC needs no
        # such step: its rotation is in the container, and libheif applied it above.
        return ImageOps.exif_transpose(image)


def _encode(image: Image.Image, detected: PhotoFormat) -> tuple[bytes, int, int]:
    """Write a new file holding the pixels and nothing else.

    The pixels are pasted into a fresh `Image.new`, whose `info` is empty, before saving:
    Pillow's writers copy some entries of `info` on their own (the JPEG writer keeps the
    comment, the PNG writer the ICC profile and transparency), so saving the decoded
    image with no arguments would not be enough. The ICC profile is dropped too: it can
    identify the device, and the pixels are shown as sRGB, which phone photos almost
    always are.
    """
    pixels = _png_pixels(image) if detected == "png" else _rgb_pixels(image)
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    buffer = io.BytesIO()
    if detected == "png":
        fresh.save(buffer, format="PNG")
    else:
        fresh.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), fresh.width, fresh.height


def _rgb_pixels(image: Image.Image) -> Image.Image:
    """RGB for the JPEG writer: CMYK, grey and palettes converted, alpha laid on white."""
    if image.mode == "RGB":
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        # HEIC may have alpha; JPEG has none. Dropping the channel would show whatever
        # colour hides under transparent pixels (often black); white is what a viewer shows.
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode.startswith("I"):
        image = _grey_to_8_bits(image)
    return image.convert("RGB")


def _png_pixels(image: Image.Image) -> Image.Image:
    """A mode the PNG writer stores well, keeping transparency.

    L, LA, RGB and RGBA stay as they are. A palette or a tRNS colour key lives in `info`
    (which is dropped), so those become RGBA; 16-bit and 1-bit grey become 8-bit grey;
    anything else becomes RGB, or RGBA if it has an alpha band.
    """
    if "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode.startswith("I"):
        return _grey_to_8_bits(image)
    if image.mode == "1":
        return image.convert("L")
    if "A" in image.getbands():
        return image.convert("RGBA")
    return image.convert("RGB")


def _grey_to_8_bits(image: Image.Image) -> Image.Image:
    return image.convert("I").point(_SIXTEEN_TO_EIGHT_BITS, "L")
