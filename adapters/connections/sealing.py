"""Vendor tokens sealed at rest: AES-256-GCM under a key derived from the data key.

The same data key as the CPR vault, another HKDF purpose, so neither key opens the
other's secrets and a database without the key shows no token.
"""

from __future__ import annotations

import base64
import os

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.domain.connections import Tokens

__all__ = ["AesGcmTokenSealer"]

_decode = msgspec.json.Decoder(Tokens).decode


class AesGcmTokenSealer:
    """`TokenSealer` with AES-256-GCM; a random nonce per seal."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) < 32:
            raise ValueError("the data key must be at least 32 bytes")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"minlaege vendor tokens v1"
        ).derive(data_key)
        self._aead = AESGCM(key)

    def _seal(self, raw: bytes) -> str:
        nonce = os.urandom(12)
        return "v1." + base64.urlsafe_b64encode(
            nonce + self._aead.encrypt(nonce, raw, b"vendor-tokens")
        ).decode("ascii")

    def _open(self, sealed: str) -> bytes:
        version, _, body = sealed.partition(".")
        if version != "v1":
            raise ValueError("unknown sealed token version")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], b"vendor-tokens")

    def seal_tokens(self, tokens: Tokens) -> str:
        return self._seal(msgspec.json.encode(tokens))

    def open_tokens(self, sealed: str) -> Tokens:
        return _decode(self._open(sealed))

    def seal_text(self, text: str) -> str:
        return self._seal(text.encode())

    def open_text(self, sealed: str) -> str:
        return self._open(sealed).decode()
