"""Vendor tokens sealed at rest: AES-256-GCM under a key derived from the data key.

The same data key as the CPR vault, another HKDF purpose, so neither key opens the
other's secrets and a database without the key shows no token.
"""

from __future__ import annotations

import msgspec

from adapters.identity.sealed_box import SealedBox
from app.domain.connections import Tokens

__all__ = ["AesGcmTokenSealer"]

_decode = msgspec.json.Decoder(Tokens).decode


class AesGcmTokenSealer:
    """`TokenSealer` with AES-256-GCM; a random nonce per seal."""

    def __init__(self, data_key: bytes) -> None:
        self._box = SealedBox(
            data_key,
            purpose=b"minlaege vendor tokens v1",
            associated=b"vendor-tokens",
            what="token",
        )

    def seal_tokens(self, tokens: Tokens) -> str:
        return self._box.seal(msgspec.json.encode(tokens))

    def open_tokens(self, sealed: str) -> Tokens:
        return _decode(self._box.open(sealed))

    def seal_text(self, text: str) -> str:
        return self._box.seal(text.encode())

    def open_text(self, sealed: str) -> str:
        return self._box.open(sealed).decode()
