"""Who is calling: refresh tokens, the national login, our access tokens, the CPR vault."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec

from app.domain.identity import Role

__all__ = [
    "AccessClaims",
    "CprVault",
    "IdTokenClaims",
    "IdTokenVerifier",
    "RefreshTokenRecord",
    "RefreshTokenRepository",
    "TokenSigner",
]


class RefreshTokenRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A refresh token as stored: only its hash, and the family it rotates within."""

    token_hash: str
    family_id: str
    role: Role
    subject: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


class RefreshTokenRepository(Protocol):
    async def add(self, record: RefreshTokenRecord) -> None: ...
    async def get(self, token_hash: str) -> RefreshTokenRecord | None: ...
    async def mark_used(self, token_hash: str, at: datetime) -> bool: ...
    async def revoke_family(self, family_id: str, at: datetime) -> None: ...
    async def session_ended(self, family_id: str) -> bool: ...


class IdTokenClaims(msgspec.Struct, frozen=True, kw_only=True):
    """What we keep of a verified national-login ID token."""

    subject: str
    name: str = ""
    cpr: str | None = None
    assurance: str


class IdTokenVerifier(Protocol):
    """Checks an ID token from the national login broker (signature, iss, aud, exp, nonce)."""

    async def verify(self, id_token: str, *, nonce: str) -> IdTokenClaims: ...


class AccessClaims(msgspec.Struct, frozen=True, kw_only=True):
    """What a verified access token says: who, in which role, and in which session.

    `session` is the refresh-token family a login started; it is checked on every
    request, so logging out ends the access tokens already handed out too. Gateway
    tokens and the operator's `minlaege token` have none (a gateway is checked by its
    own row).
    """

    role: Role
    subject: str
    session: str | None = None


class TokenSigner(Protocol):
    """Mints and checks our own short-lived access tokens."""

    def mint(self, *, role: Role, subject: str, session: str | None = None) -> tuple[str, int]: ...
    def verify(self, token: str) -> AccessClaims: ...


class CprVault(Protocol):
    """Keeps CPR numbers out of clear text: a keyed hash to find, a sealed copy to show."""

    def lookup_hash(self, cpr: str) -> str: ...
    def seal(self, cpr: str) -> str: ...
    def open(self, sealed: str) -> str: ...
