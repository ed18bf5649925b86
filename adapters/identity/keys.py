"""Signing keys on disk: ES256 (P-256) private keys, one PEM file per key id.

Rotation is adding a key: the newest signs, all are published in the JWKS and accepted
when verifying, so tokens minted before a rotation stay valid until they expire. A
retired key is deleted once the longest token lifetime has passed.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

__all__ = ["KeyRing", "SigningKey", "generate_key"]


class SigningKey(msgspec.Struct, frozen=True):
    """One private key and its id (the `kid` header of tokens it signs)."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "ES256"})
        return jwk


def generate_key(keys_dir: Path, *, now: datetime | None = None) -> SigningKey:
    """Write a new P-256 key; its id sorts after every older one."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")
    kid = f"{stamp}-{secrets.token_hex(4)}"
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = keys_dir / f"{kid}.pem"
    path.write_bytes(pem)
    path.chmod(0o600)
    return SigningKey(kid, key)


class KeyRing:
    """All keys we sign with or accept; the newest one signs."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = {k.kid: k for k in keys}
        self.current = max(keys, key=lambda k: k.kid)

    @classmethod
    def load(cls, keys_dir: Path, *, create: bool) -> KeyRing:
        """Read every `*.pem` in the folder; make a first key when allowed and none exists."""
        keys: list[SigningKey] = []
        if keys_dir.is_dir():
            for path in sorted(keys_dir.glob("*.pem")):
                loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
                if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                    raise ValueError(f"{path.name} is not an EC private key")
                keys.append(SigningKey(path.stem, loaded))
        if not keys:
            if not create:
                raise ValueError(f"no signing keys in {keys_dir} (run `minlaege keys rotate`)")
            keys.append(generate_key(keys_dir))
        return cls(keys)

    def get(self, kid: str) -> SigningKey | None:
        return self._keys.get(kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public half of every key, as a JWK Set."""
        return {"keys": [k.public_jwk for k in sorted(self._keys.values(), key=lambda k: k.kid)]}
