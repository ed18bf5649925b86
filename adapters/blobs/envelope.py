"""Our own encryption at rest for objects in a shared store: an AES-GCM envelope, streamed.

An object store run by someone else (a cloud provider, a storage team) should hold
nothing it can read. Every object gets a fresh 256-bit data key, wrapped with the key
encryption key from the settings (AES-GCM, the object's key name as associated data, so
an object copied under another name does not open). The bytes follow in segments of
64 KiB, each sealed with the data key under a nonce made of its number and a flag for
the last one (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár): a
segment moved, dropped, repeated or cut off, or a missing tail, fails to open. Neither
side ever holds more than a segment and the store's part buffer.

Layout: `MLB1` · nonce (12) · wrapped data key (48) · segments (≤ 64 KiB + 16 each).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SEGMENT", "EnvelopeError", "Sealer", "blob_kek"]

MAGIC: Final = b"MLB1"
SEGMENT: Final = 64 * 1024
_TAG: Final = 16
_HEADER: Final = len(MAGIC) + 12 + 32 + _TAG


class EnvelopeError(Exception):
    """An object that does not open with our key: altered, cut short or not ours."""


def blob_kek(configured: bytes | None, data_key: bytes) -> bytes:
    """The key encryption key: the configured one, else derived from the data key (HKDF)."""
    if configured is not None:
        if len(configured) < 32:
            raise ValueError("MINLAEGE_BLOB_KEY must be at least 32 bytes (base64)")
        return configured[:32]
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"minlaege blob envelope v1"
    ).derive(data_key)


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class Sealer:
    """Seals and opens object streams with one key encryption key."""

    def __init__(self, kek: bytes) -> None:
        self._kek = AESGCM(kek)

    async def seal(self, name: str, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The sealed form of `chunks`, yielded as the plaintext arrives."""
        dek = AESGCM.generate_key(bit_length=256)
        wrap_nonce = os.urandom(12)
        yield MAGIC + wrap_nonce + self._kek.encrypt(wrap_nonce, dek, name.encode())
        aead = AESGCM(dek)
        counter = 0
        pending = bytearray()
        async for chunk in chunks:
            pending += chunk
            while len(pending) > SEGMENT:
                yield aead.encrypt(_nonce(counter, False), bytes(pending[:SEGMENT]), None)
                del pending[:SEGMENT]
                counter += 1
        yield aead.encrypt(_nonce(counter, True), bytes(pending), None)

    async def open(self, name: str, sealed: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """The plaintext of a sealed stream; `EnvelopeError` if anything does not check."""
        buf = bytearray()
        aead: AESGCM | None = None
        counter = 0
        async for chunk in sealed:
            buf += chunk
            if aead is None:
                if len(buf) < _HEADER:
                    continue
                aead = AESGCM(self._unwrap(name, bytes(buf[:_HEADER])))
                del buf[:_HEADER]
            while len(buf) > SEGMENT + _TAG:
                yield _open(aead, counter, False, bytes(buf[: SEGMENT + _TAG]))
                del buf[: SEGMENT + _TAG]
                counter += 1
        if aead is None:
            raise EnvelopeError("the object is shorter than its header")
        yield _open(aead, counter, True, bytes(buf))

    def _unwrap(self, name: str, header: bytes) -> bytes:
        if header[: len(MAGIC)] != MAGIC:
            raise EnvelopeError("the object is not sealed by us (unknown header)")
        nonce = header[len(MAGIC) : len(MAGIC) + 12]
        try:
            return self._kek.decrypt(nonce, header[len(MAGIC) + 12 :], name.encode())
        except InvalidTag as exc:
            raise EnvelopeError("the object's key does not open: another key or name") from exc


def _open(aead: AESGCM, counter: int, last: bool, segment: bytes) -> bytes:
    try:
        return aead.decrypt(_nonce(counter, last), segment, None)
    except InvalidTag as exc:
        raise EnvelopeError(f"segment {counter} is altered, moved or cut short") from exc
