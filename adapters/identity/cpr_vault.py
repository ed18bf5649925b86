"""CPR numbers out of clear text: an HMAC to find a person, AES-GCM to show it to their GP.

Two keys are derived (HKDF) from one data key, so the lookup hash cannot be used to
decrypt and a leaked database without the key reveals neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from adapters.identity.sealed_box import SealedBox, derive_key

__all__ = ["AesGcmCprVault", "load_data_key"]


class AesGcmCprVault:
    """`CprVault` with HMAC-SHA256 lookup hashes and AES-256-GCM sealed copies."""

    def __init__(self, data_key: bytes) -> None:
        self._box = SealedBox(
            data_key, purpose=b"minlaege cpr seal v1", associated=b"cpr", what="CPR"
        )
        self._hash_key = derive_key(data_key, b"minlaege cpr lookup v1")

    def lookup_hash(self, cpr: str) -> str:
        return hmac.new(self._hash_key, cpr.encode(), hashlib.sha256).hexdigest()

    def seal(self, cpr: str) -> str:
        return self._box.seal(cpr.encode())

    def open(self, sealed: str) -> str:
        return self._box.open(sealed).decode()


def load_data_key(configured: str | None, keys_dir: Path, *, create: bool) -> bytes:
    """The configured key (base64 or hex), else a per-install file made on first use."""
    if configured:
        try:
            return base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
        except ValueError:
            return bytes.fromhex(configured)
    path = keys_dir / "data.key"
    if path.exists():
        return base64.urlsafe_b64decode(path.read_text().strip())
    if not create:
        raise ValueError("MINLAEGE_DATA_KEY is not set")
    keys_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    path.write_text(base64.urlsafe_b64encode(key).decode())
    path.chmod(0o600)
    return key
