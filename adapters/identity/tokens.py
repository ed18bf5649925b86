"""Our own access tokens: short-lived ES256 JWTs signed with the key ring (PyJWT).

Only ES256 is accepted when verifying, so `alg: none` and the HS256-with-the-public-key
trick fail before any key is used; the key is chosen by `kid` from our own ring only.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from adapters.identity.keys import KeyRing
from app.domain.identity import Role
from app.errors import Unauthenticated
from app.ports import AccessClaims

__all__ = ["JwtSigner"]

_REQUIRED = ["exp", "iat", "sub", "aud", "iss", "role", "jti"]
#: verified tokens remembered (about 0.5 KB each); the map is emptied when it fills
_REMEMBERED = 20_000


class JwtSigner:
    """Mints and verifies access tokens for one issuer and audience."""

    def __init__(
        self,
        ring: KeyRing,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        leeway_seconds: int = 30,
    ) -> None:
        self._ring = ring
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._leeway = leeway_seconds
        #: token -> (claims, exp, kid): an ES256 check costs most of an authenticated
        #: request, and a token's signature cannot change. Revocation does not depend on
        #: this: the caller and the session are looked up in the store on every request.
        self._verified: dict[str, tuple[AccessClaims, float, str]] = {}

    def mint(self, *, role: Role, subject: str, session: str | None = None) -> tuple[str, int]:
        """A signed token and its lifetime in seconds; `session` goes in the `sid` claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject,
            "role": role.value,
            "iat": now,
            "exp": now + self._ttl,
            "jti": secrets.token_urlsafe(12),
        }
        if session is not None:
            claims["sid"] = session
        key = self._ring.current
        token = jwt.encode(
            claims, key.private_key, algorithm="ES256", headers={"kid": key.kid, "typ": "at+jwt"}
        )
        return token, self._ttl

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; Unauthenticated with the reason otherwise."""
        known = self._verified.get(token)
        if known is not None:
            found, exp, kid = known
            if time.time() < exp + self._leeway and self._ring.get(kid) is not None:
                return found
            del self._verified[token]
        found, exp = self._verify(token)
        if len(self._verified) >= _REMEMBERED:
            self._verified.clear()
        kid = jwt.get_unverified_header(token)["kid"]
        self._verified[token] = (found, exp, kid)
        return found

    def _verify(self, token: str) -> tuple[AccessClaims, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("the access token is not a JWT", kind="invalid-token") from exc
        kid = header.get("kid")
        key = self._ring.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthenticated("the access token's key is unknown", kind="invalid-token")
        try:
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=["ES256"],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the access token has expired", kind="token-expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated(
                "the access token is for another audience", kind="invalid-token"
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(
                f"the access token is invalid: {exc}", kind="invalid-token"
            ) from exc
        try:
            role = Role(claims["role"])
        except ValueError as exc:
            raise Unauthenticated(
                "the access token has an unknown role", kind="invalid-token"
            ) from exc
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("the access token has no subject", kind="invalid-token")
        session = claims.get("sid")
        if session is not None and (not isinstance(session, str) or not session):
            raise Unauthenticated("the access token's session is malformed", kind="invalid-token")
        return AccessClaims(role=role, subject=subject, session=session), float(claims["exp"])
