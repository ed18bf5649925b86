"""Our access tokens: what verifies, and every way a forged or stale one is refused."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.identity.keys import KeyRing, SigningKey, generate_key
from adapters.identity.tokens import JwtSigner
from app.domain.identity import Role
from app.errors import Unauthenticated
from app.ports import AccessClaims

ISS, AUD = "https://minlaege.test", "minlaege-api"


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load(tmp_path / "keys", create=True)


@pytest.fixture
def signer(ring: KeyRing) -> JwtSigner:
    return JwtSigner(ring, issuer=ISS, audience=AUD, ttl_seconds=600)


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "anna",
        "role": "citizen",
        "iat": now,
        "exp": now + 600,
        "jti": "x",
    }
    base.update(over)
    return base


def test_minted_token_verifies_to_role_and_subject(signer: JwtSigner) -> None:
    token, ttl = signer.mint(role=Role.CLINICIAN, subject="dr-k")
    assert ttl == 600
    assert signer.verify(token) == AccessClaims(role=Role.CLINICIAN, subject="dr-k")
    assert jwt.get_unverified_header(token)["alg"] == "ES256"


def test_token_signed_by_another_key_with_our_kid_is_refused(
    ring: KeyRing, signer: JwtSigner
) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(_claims(), other, algorithm="ES256", headers={"kid": ring.current.kid})
    with pytest.raises(Unauthenticated, match="invalid"):
        signer.verify(forged)


def test_alg_none_is_refused(ring: KeyRing, signer: JwtSigner) -> None:
    forged = jwt.encode(_claims(), None, algorithm="none", headers={"kid": ring.current.kid})
    with pytest.raises(Unauthenticated):
        signer.verify(forged)


def test_hs256_with_the_public_key_as_secret_is_refused(ring: KeyRing, signer: JwtSigner) -> None:
    pem = ring.current.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "kid": ring.current.kid}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac

    sig = base64.urlsafe_b64encode(
        hmac.new(pem, header + b"." + payload, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(Unauthenticated):
        signer.verify((header + b"." + payload + b"." + sig).decode())


def test_tampered_payload_is_refused(signer: JwtSigner) -> None:
    token, _ = signer.mint(role=Role.CITIZEN, subject="anna")
    head, _, rest = token.partition(".")
    _, _, sig = rest.partition(".")
    evil = base64.urlsafe_b64encode(json.dumps(_claims(sub="bent")).encode()).rstrip(b"=")
    with pytest.raises(Unauthenticated):
        signer.verify(f"{head}.{evil.decode()}.{sig}")


def test_expired_token_is_refused_as_expired(ring: KeyRing, signer: JwtSigner) -> None:
    now = int(time.time())
    old = jwt.encode(
        _claims(iat=now - 4000, exp=now - 3600),
        ring.current.private_key,
        algorithm="ES256",
        headers={"kid": ring.current.kid},
    )
    with pytest.raises(Unauthenticated) as info:
        signer.verify(old)
    assert info.value.kind == "token-expired"


@pytest.mark.parametrize(
    ("field", "value"),
    [("aud", "someone-else"), ("iss", "https://evil.example"), ("role", "admin")],
)
def test_wrong_audience_issuer_or_role_is_refused(
    ring: KeyRing, signer: JwtSigner, field: str, value: str
) -> None:
    token = jwt.encode(
        _claims(**{field: value}),
        ring.current.private_key,
        algorithm="ES256",
        headers={"kid": ring.current.kid},
    )
    with pytest.raises(Unauthenticated):
        signer.verify(token)


def test_missing_claim_is_refused(ring: KeyRing, signer: JwtSigner) -> None:
    claims = _claims()
    del claims["exp"]
    token = jwt.encode(
        claims, ring.current.private_key, algorithm="ES256", headers={"kid": ring.current.kid}
    )
    with pytest.raises(Unauthenticated):
        signer.verify(token)


def test_unknown_kid_and_garbage_are_refused(signer: JwtSigner) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(Unauthenticated, match="key is unknown"):
        signer.verify(jwt.encode(_claims(), other, algorithm="ES256", headers={"kid": "nope"}))
    with pytest.raises(Unauthenticated, match="not a JWT"):
        signer.verify("not-a-token")


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = KeyRing.load(keys, create=True)
    old_token, _ = JwtSigner(first, issuer=ISS, audience=AUD, ttl_seconds=60).mint(
        role=Role.CITIZEN, subject="anna"
    )
    newest: SigningKey = generate_key(keys)
    rotated = KeyRing.load(keys, create=False)
    assert rotated.current.kid == newest.kid
    assert {k["kid"] for k in rotated.jwks()["keys"]} == {first.current.kid, newest.kid}
    signer = JwtSigner(rotated, issuer=ISS, audience=AUD, ttl_seconds=60)
    assert signer.verify(old_token) == AccessClaims(role=Role.CITIZEN, subject="anna")
    new_token, _ = signer.mint(role=Role.CITIZEN, subject="anna")
    assert jwt.get_unverified_header(new_token)["kid"] == newest.kid


def test_jwks_has_no_private_parts(ring: KeyRing) -> None:
    (key,) = ring.jwks()["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
    assert "d" not in key


def test_production_refuses_to_invent_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no signing keys"):
        KeyRing.load(tmp_path / "empty", create=False)


def test_a_session_rides_in_the_sid_claim_and_comes_back(signer: JwtSigner) -> None:
    token, _ = signer.mint(role=Role.CITIZEN, subject="anna", session="fam-1")
    assert jwt.decode(token, options={"verify_signature": False})["sid"] == "fam-1"
    for _ in range(2):  # verified, then remembered
        assert signer.verify(token) == AccessClaims(
            role=Role.CITIZEN, subject="anna", session="fam-1"
        )
