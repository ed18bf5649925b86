"""National login end to end: a loopback OIDC provider, our tokens, refresh, logout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from app.settings import Settings
from tests.conftest import Api
from tests.oidc_provider import NSIS_LOA, LoopbackProvider, loopback_provider

PROBLEMS = "https://minlaege.dk/problems/"


@pytest.fixture
def provider() -> Iterator[LoopbackProvider]:
    with loopback_provider() as p:
        yield p


@pytest.fixture
def settings(db_url: str, tmp_path: Path, provider: LoopbackProvider) -> Settings:
    return Settings(
        env="test",
        db_url=db_url,
        var_dir=tmp_path,
        keys_dir=tmp_path / "keys",
        oidc_issuer=provider.issuer,
        oidc_client_id="minlaege-app",
    )


async def _login(
    api: Api, token: str, nonce: str = "n-123", role: str = "citizen"
) -> httpx.Response:
    return await api.client.post(
        "/v1/auth/login", json={"id_token": token, "nonce": nonce, "role": role}
    )


async def test_citizen_logs_in_and_the_token_works(api: Api, provider: LoopbackProvider) -> None:
    r = await _login(api, provider.id_token())
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "Bearer" and pair["role"] == "citizen"
    me = await api.client.get("/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    assert me.json()["name"] == "Anna Login" and me.json()["has_cpr"] is True
    assert "/.well-known/openid-configuration" in provider.requests and "/jwks" in provider.requests
    # the CPR number is stored only hashed and sealed
    async with api.runtime.store.read() as uow:
        sealed = await uow.citizens.sealed_cpr(me.json()["id"])
    assert sealed is not None and "0202801234" not in sealed
    assert api.runtime.vault.open(sealed) == "0202801234"


async def test_a_known_cpr_under_a_new_subject_is_the_same_citizen(
    api: Api, provider: LoopbackProvider
) -> None:
    anna = api.demo.citizens[0]
    r = await _login(
        api,
        provider.id_token(
            sub="new-broker-id",
            cpr=None,
            name="Anna Jensen",
            **{"https://data.gov.dk/model/core/eid/cprNumber": "010150-1234"},
        ),
    )
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = (await api.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert me["id"] == anna.id and me["clinic_id"] == api.demo.clinic_id


async def test_discovery_and_keys_are_cached(api: Api, provider: LoopbackProvider) -> None:
    first = await _login(api, provider.id_token())
    second = await _login(api, provider.id_token())
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert first.json()["refresh_token"] != second.json()["refresh_token"]
    assert provider.requests.count("/jwks") == 1
    assert provider.requests.count("/.well-known/openid-configuration") == 1


@pytest.mark.parametrize(
    ("claims", "nonce", "kind"),
    [
        ({"aud": "another-app"}, "n-123", "invalid-id-token"),
        ({"iss": "https://evil.example"}, "n-123", "invalid-id-token"),
        (
            {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900},
            "n-123",
            "invalid-id-token",
        ),
        ({}, "another-nonce", "invalid-id-token"),
        ({"nonce": None}, "n-123", "invalid-id-token"),
        ({NSIS_LOA: "Low"}, "n-123", "insufficient-assurance"),
        ({NSIS_LOA: None}, "n-123", "insufficient-assurance"),
    ],
)
async def test_bad_id_tokens_are_refused(
    api: Api, provider: LoopbackProvider, claims: dict[str, object], nonce: str, kind: str
) -> None:
    r = await _login(api, provider.id_token(**claims), nonce=nonce)
    assert r.status_code == 401
    assert r.json()["type"].endswith("/" + kind)
    async with api.runtime.store.read() as uow:
        assert await uow.citizens.by_subject("mitid-anna") is None


async def test_token_signed_by_a_stranger_is_refused(api: Api, provider: LoopbackProvider) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "broker-1"})
    r = await _login(api, provider.id_token(key=stranger))
    assert r.status_code == 401
    garbage = await _login(api, "eyJhbGciOiJub25lIn0.e30.")
    assert garbage.status_code == 401


async def test_provider_key_rotation_is_picked_up(api: Api, provider: LoopbackProvider) -> None:
    assert (await _login(api, provider.id_token())).status_code == 200
    provider.rotate("broker-2")
    r = await _login(api, provider.id_token())
    assert r.status_code == 200
    assert provider.requests.count("/jwks") == 2


async def test_clinician_must_be_registered(api: Api, provider: LoopbackProvider) -> None:
    r = await _login(api, provider.id_token(sub="unknown-doctor"), role="clinician")
    assert r.status_code == 401
    assert r.json()["type"].endswith("/unknown-subject")
    ok = await _login(api, provider.id_token(sub=api.demo.clinician.subject), role="clinician")
    assert ok.status_code == 200
    token = ok.json()["access_token"]
    me = await api.client.get("/v1/clinician/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["clinic_id"] == api.demo.clinic_id


async def test_gateway_role_cannot_log_in_with_a_person(
    api: Api, provider: LoopbackProvider
) -> None:
    r = await _login(api, provider.id_token(), role="gateway")
    assert r.status_code == 400


async def test_refresh_rotates_and_reuse_ends_the_session(
    api: Api, provider: LoopbackProvider
) -> None:
    first = (await _login(api, provider.id_token())).json()
    second = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    rotated = second.json()["refresh_token"]
    assert rotated != first["refresh_token"]
    reuse = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401 and reuse.json()["type"].endswith("/token-reused")
    # the thief's reuse also killed the rotated token
    after = await api.client.post("/v1/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401


async def test_logout_revokes_the_refresh_token(api: Api, provider: LoopbackProvider) -> None:
    pair = (await _login(api, provider.id_token())).json()
    out = await api.client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    again = await api.client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    unknown = await api.client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert unknown.status_code == 401


async def test_logout_ends_the_sessions_access_tokens_at_once(
    api: Api, provider: LoopbackProvider
) -> None:
    """An access token minted before logout is refused on its next request, not when it
    expires; another session of the same person (another phone) goes on working."""
    pair = (await _login(api, provider.id_token())).json()
    other = (await _login(api, provider.id_token())).json()
    rotated = (
        await api.client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    ).json()

    def bearer(p: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {p['access_token']}"}

    for p in (pair, rotated, other):
        assert (await api.client.get("/v1/me", headers=bearer(p))).status_code == 200
    out = await api.client.post("/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    for p in (pair, rotated):  # both access tokens of the ended session, old and new
        refused = await api.client.get("/v1/me/notices", headers=bearer(p))
        assert (refused.status_code, refused.json()["type"]) == (401, PROBLEMS + "session-ended")
    assert (await api.client.get("/v1/me", headers=bearer(other))).status_code == 200


async def test_a_reused_refresh_token_ends_the_access_tokens_too(
    api: Api, provider: LoopbackProvider
) -> None:
    first = (await _login(api, provider.id_token())).json()
    thief = (
        await api.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    headers = {"Authorization": f"Bearer {thief['access_token']}"}
    assert (await api.client.get("/v1/me", headers=headers)).status_code == 200
    reuse = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401
    refused = await api.client.get("/v1/me", headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (401, PROBLEMS + "session-ended")


async def test_a_clinicians_logout_ends_their_access_token(
    api: Api, provider: LoopbackProvider
) -> None:
    pair = (
        await _login(api, provider.id_token(sub=api.demo.clinician.subject), role="clinician")
    ).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await api.client.get("/v1/clinician/inbox", headers=headers)).status_code == 200
    await api.client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    refused = await api.client.get("/v1/clinician/inbox", headers=headers)
    assert (refused.status_code, refused.json()["type"]) == (401, PROBLEMS + "session-ended")


async def test_login_without_a_configured_provider_is_refused(api: Api) -> None:
    api.runtime.verifier = None
    r = await _login(api, "x.y.z")
    assert r.status_code == 401
    assert r.json()["type"].endswith("/login-not-configured")


async def test_refresh_tokens_expire_after_30_days(api: Api, provider: LoopbackProvider) -> None:
    """ADR 0003: a refresh token lives 30 days; each use gives a new one for 30 more."""
    start = api.clock.now()
    kept = (await _login(api, provider.id_token())).json()
    left = (await _login(api, provider.id_token())).json()
    api.clock.set(start + timedelta(days=30) - timedelta(seconds=1))
    used = await api.client.post("/v1/auth/refresh", json={"refresh_token": kept["refresh_token"]})
    assert used.status_code == 200, used.text
    api.clock.set(start + timedelta(days=30))
    late = await api.client.post("/v1/auth/refresh", json={"refresh_token": left["refresh_token"]})
    assert (late.status_code, late.json()["type"]) == (401, PROBLEMS + "invalid-token")
    # the rotated token counts its 30 days from when it was issued
    api.clock.set(start + timedelta(days=60) - timedelta(seconds=2))
    again = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": used.json()["refresh_token"]}
    )
    assert again.status_code == 200, again.text
    api.clock.advance(days=30)
    gone = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": again.json()["refresh_token"]}
    )
    assert (gone.status_code, gone.json()["type"]) == (401, PROBLEMS + "invalid-token")
