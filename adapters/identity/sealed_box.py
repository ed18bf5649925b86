"""Secrets sealed at rest: AES-256-GCM under a key derived (HKDF) from the data key.

One data key, one HKDF purpose per kind of secret (CPR numbers, vendor tokens), so no
derived key opens another kind's secrets. A sealed value is `"v1." + base64url(nonce ‖
ciphertext)`, with a random 12-byte nonce and the kind's associated data.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SealedBox", "derive_key"]


def derive_key(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class SealedBox:
    """Seals and opens one kind of secret."""

    def __init__(self, data_key: bytes, *, purpose: bytes, associated: bytes, what: str) -> None:
        if len(data_key) < 32:
            raise ValueError("the data key must be at least 32 bytes")
        self._aead = AESGCM(derive_key(data_key, purpose))
        self._associated = associated
        self._what = what

    def seal(self, raw: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, raw, self._associated)
        return "v1." + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str) -> bytes:
        version, _, body = sealed.partition(".")
        if version != "v1":
            raise ValueError(f"unknown sealed {self._what} version")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], self._associated)
