"""Sessions: national login in, our tokens out; refresh tokens rotate; logout revokes.

Refresh tokens are opaque random strings stored only as SHA-256 hashes. Each use
rotates it: the old one is marked used and a new one of the same family is issued. A
used token presented again means it was copied, so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import msgspec

from app.domain.identity import Role
from app.domain.ids import new_id
from app.errors import Unauthenticated
from app.ports import (
    Clock,
    CprVault,
    IdTokenVerifier,
    RefreshTokenRecord,
    Store,
    TokenSigner,
    UnitOfWork,
)
from app.services.accounts import ensure_citizen

__all__ = ["AuthContext", "TokenPair", "login", "logout", "open_session", "refresh"]


class AuthContext(msgspec.Struct, frozen=True, kw_only=True):
    """The ports a session use case needs."""

    store: Store
    clock: Clock
    signer: TokenSigner
    vault: CprVault
    verifier: IdTokenVerifier | None
    refresh_seconds: int


class TokenPair(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful login or refresh returns (RFC 6749 §5.1 names)."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    role: Role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(
    ctx: AuthContext, uow: UnitOfWork, role: Role, subject: str, family_id: str
) -> TokenPair:
    access, ttl = ctx.signer.mint(role=role, subject=subject, session=family_id)
    refresh_token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    await uow.refresh_tokens.add(
        RefreshTokenRecord(
            token_hash=_hash(refresh_token),
            family_id=family_id,
            role=role,
            subject=subject,
            issued_at=now,
            expires_at=now + timedelta(seconds=ctx.refresh_seconds),
        )
    )
    return TokenPair(access_token=access, expires_in=ttl, refresh_token=refresh_token, role=role)


async def login(ctx: AuthContext, *, role: Role, id_token: str, nonce: str) -> TokenPair:
    """Exchange a verified national-login ID token for our tokens."""
    if ctx.verifier is None:
        raise Unauthenticated("login is not configured on this server", kind="login-not-configured")
    if role is Role.GATEWAY:
        raise Unauthenticated("gateways do not log in with a person's ID", kind="invalid-id-token")
    claims = await ctx.verifier.verify(id_token, nonce=nonce)
    async with ctx.store.transaction() as uow:
        if role is Role.CITIZEN:
            await ensure_citizen(
                uow, ctx.clock, ctx.vault, subject=claims.subject, name=claims.name, cpr=claims.cpr
            )
        elif await uow.clinicians.by_subject(claims.subject) is None:
            raise Unauthenticated(
                "this person is not registered as a clinician at any clinic", kind="unknown-subject"
            )
        return await open_session(ctx, uow, role, claims.subject)


async def open_session(ctx: AuthContext, uow: UnitOfWork, role: Role, subject: str) -> TokenPair:
    """A new session (refresh-token family) for a caller already known to be who they are."""
    return await _issue(ctx, uow, role, subject, new_id())


async def refresh(ctx: AuthContext, refresh_token: str) -> TokenPair:
    """Rotate a refresh token; reuse of a spent one revokes its whole family."""
    now = ctx.clock.now()
    async with ctx.store.transaction() as uow:
        record = await uow.refresh_tokens.get(_hash(refresh_token))
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            raise Unauthenticated("the refresh token is invalid or expired", kind="invalid-token")
        if not await uow.refresh_tokens.mark_used(record.token_hash, now):
            await uow.refresh_tokens.revoke_family(record.family_id, now)
            reuse = True
        else:
            reuse = False
            pair = await _issue(ctx, uow, record.role, record.subject, record.family_id)
    if reuse:
        # Committed above: the family stays revoked even though this call fails.
        raise Unauthenticated(
            "the refresh token was already used; the session is ended", kind="token-reused"
        )
    return pair


async def logout(ctx: AuthContext, refresh_token: str) -> None:
    """End the session: the refresh token, every one rotated from it, and every access
    token minted in the session stop working (the session is checked on each request)."""
    async with ctx.store.transaction() as uow:
        record = await uow.refresh_tokens.get(_hash(refresh_token))
        if record is not None:
            await uow.refresh_tokens.revoke_family(record.family_id, ctx.clock.now())
