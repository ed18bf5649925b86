"""Verify ID tokens from the national login broker (OpenID Connect).

The phone runs the authorization code flow with PKCE and sends us the ID token. We fetch
the provider's discovery document and JWKS with httpx (cached; a token with an unknown
`kid` triggers one refetch, which is how provider key rotation reaches us), check the
signature with joserfc and the claims with authlib's OIDC `CodeIDToken` rules (issuer,
audience, expiry, nonce, azp), and require NSIS assurance of at least "substantial".
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import msgspec
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.domain.identity import assurance_at_least
from app.errors import Unauthenticated
from app.ports import IdTokenClaims

__all__ = ["ASSURANCE_CLAIMS", "CPR_CLAIMS", "OidcVerifier"]

#: where Danish brokers put the NSIS level; `acr` carries it as a URI in some profiles
ASSURANCE_CLAIMS = ("https://data.gov.dk/concept/core/nsis/loa", "loa", "acr")
CPR_CLAIMS = (
    "https://data.gov.dk/model/core/eid/cprNumber",
    "dk:gov:saml:attribute:CprNumberIdentifier",
    "cpr",
)
_ALGORITHMS = ["RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "ES512"]


class _Discovery(msgspec.Struct):
    issuer: str
    jwks_uri: str


def _str_claim(claims: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class OidcVerifier:
    """`IdTokenVerifier` for one provider and one client id."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        *,
        http: httpx.AsyncClient,
        cache_seconds: int = 3600,
        minimum_assurance: str = "substantial",
        leeway_seconds: int = 60,
    ) -> None:
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._http = http
        self._cache_seconds = cache_seconds
        self._minimum = minimum_assurance
        self._leeway = leeway_seconds
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def _get_json(self, url: str) -> bytes:
        try:
            response = await self._http.get(url, timeout=10.0)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise Unauthenticated(
                "the login provider could not be reached", kind="login-provider-unavailable"
            ) from exc
        return response.content

    async def _key_set(self, *, refresh: bool) -> KeySet:
        fresh = time.monotonic() - self._keys_at < self._cache_seconds
        if self._keys is not None and fresh and not refresh:
            return self._keys
        raw = await self._get_json(f"{self._issuer}/.well-known/openid-configuration")
        try:
            discovery = msgspec.json.decode(raw, type=_Discovery)
        except msgspec.ValidationError as exc:
            raise Unauthenticated(
                "the login provider's discovery document is invalid",
                kind="login-provider-unavailable",
            ) from exc
        if discovery.issuer.rstrip("/") != self._issuer:
            raise Unauthenticated(
                "the login provider names another issuer", kind="login-provider-unavailable"
            )
        jwks = msgspec.json.decode(await self._get_json(discovery.jwks_uri))
        self._keys = KeySet.import_key_set(jwks)
        self._keys_at = time.monotonic()
        return self._keys

    def _decode(self, id_token: str, keys: KeySet) -> jwt.Token:
        return jwt.decode(id_token, keys, algorithms=_ALGORITHMS)

    async def verify(self, id_token: str, *, nonce: str) -> IdTokenClaims:
        if not nonce:
            raise Unauthenticated("a nonce is required", kind="invalid-id-token")
        keys = await self._key_set(refresh=False)
        try:
            try:
                token = self._decode(id_token, keys)
            except InvalidKeyIdError:
                # An unknown kid: the provider may have rotated its keys since we cached them.
                token = self._decode(id_token, await self._key_set(refresh=True))
        except (JoseError, ValueError) as exc:
            raise Unauthenticated(
                f"the ID token could not be verified: {exc}", kind="invalid-id-token"
            ) from exc
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self._issuer},
                "aud": {"essential": True, "value": self._client_id},
                "nonce": {"essential": True},
            },
            params={"nonce": nonce, "client_id": self._client_id},
        )
        try:
            claims.validate(leeway=self._leeway)
        except ExpiredTokenError as exc:
            raise Unauthenticated("the ID token has expired", kind="invalid-id-token") from exc
        except JoseError as exc:
            raise Unauthenticated(
                f"the ID token was refused: {exc.description or exc.error}",
                kind="invalid-id-token",
            ) from exc
        assurance = _str_claim(claims, ASSURANCE_CLAIMS)
        if not assurance_at_least(assurance, self._minimum):
            raise Unauthenticated(
                f"the login's assurance level is below NSIS {self._minimum}",
                kind="insufficient-assurance",
            )
        name = _str_claim(claims, ("name",)) or " ".join(
            p for p in (claims.get("given_name"), claims.get("family_name")) if isinstance(p, str)
        )
        return IdTokenClaims(
            subject=str(claims["sub"]),
            name=name,
            cpr=_str_claim(claims, CPR_CLAIMS),
            assurance=assurance or "",
        )
