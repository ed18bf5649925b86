"""Verified access tokens are remembered, and revocation still holds on the next request."""

from __future__ import annotations

from tests.conftest import Api


async def test_a_revoked_gateway_is_refused_on_its_next_request(api: Api) -> None:
    headers = api.gateway
    assert (await api.client.get("/v1/gateway/me", headers=headers)).status_code == 200
    assert (await api.client.get("/v1/gateway/me", headers=headers)).status_code == 200
    async with api.runtime.store.transaction() as uow:
        assert await uow.gateways.revoke(
            api.demo.citizens[0].id, api.demo.gateway_id, api.clock.now()
        )
    refused = await api.client.get("/v1/gateway/me", headers=headers)
    assert refused.status_code == 401  # the token's signature was remembered, not the caller


async def test_a_token_of_a_key_no_longer_in_the_ring_is_refused(api: Api) -> None:
    headers = api.anna
    assert (await api.client.get("/v1/me", headers=headers)).status_code == 200
    ring = api.runtime.ring
    kid = ring.current.kid
    removed = ring._keys.pop(kid)  # type: ignore[attr-defined]
    try:
        assert (await api.client.get("/v1/me", headers=headers)).status_code == 401
    finally:
        ring._keys[kid] = removed  # type: ignore[attr-defined]
