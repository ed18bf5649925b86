"""Photos attached to e-consultation messages: what is allowed, and what we keep.

A photo is judged by its bytes, never by its file name or declared type. What is stored
is a re-encoded copy without any metadata (no GPS position, camera serial or time), so
nothing the citizen did not mean to send reaches the clinic.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "MAX_PHOTOS_PER_MESSAGE",
    "MAX_PHOTO_BYTES",
    "MAX_PHOTO_PIXELS",
    "CleanPhoto",
    "PhotoFormat",
    "StoredMediaType",
]

#: at most 10 MB per photo as uploaded
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: at most 5 photos on one message
MAX_PHOTOS_PER_MESSAGE = 5
#: refuse decompression bombs: a 10 MB file may not claim to be a gigapixel image
MAX_PHOTO_PIXELS = 50_000_000

#: what the uploaded bytes turned out to be
PhotoFormat = Literal["jpeg", "png", "heic"]
#: what we store and serve (HEIC becomes JPEG: browsers at the clinic cannot show HEIC)
StoredMediaType = Literal["image/jpeg", "image/png"]


class CleanPhoto(msgspec.Struct, frozen=True, kw_only=True):
    """A photo after checking and cleaning, ready for the blob store."""

    detected: PhotoFormat
    media_type: StoredMediaType
    data: bytes
    width: int
    height: int
