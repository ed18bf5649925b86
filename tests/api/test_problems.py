"""Every error is RFC 9457 problem+json: 401, 403, 404, 405, 400, 413, 415."""

from __future__ import annotations

import pytest

from tests.conftest import Api


async def test_unknown_route_is_problem_404(api: Api) -> None:
    r = await api.client.get("/v1/nowhere", headers=api.anna)
    assert r.status_code == 404
    assert r.json()["type"] == "https://minlaege.dk/problems/not-found"
    assert r.json()["instance"] == "/v1/nowhere"


async def test_missing_token_is_401_with_challenge(api: Api) -> None:
    r = await api.client.get("/v1/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_method_is_405(api: Api) -> None:
    # (DELETE /v1/me closes the account since issue 14: PUT is the method it lacks)
    r = await api.client.put("/v1/me", json={}, headers=api.anna)
    assert r.status_code == 405


async def test_malformed_json_is_400_and_changes_nothing(api: Api) -> None:
    r = await api.client.patch(
        "/v1/me", content=b'{"name": ', headers={**api.anna, "content-type": "application/json"}
    )
    assert r.status_code == 400
    me = (await api.client.get("/v1/me", headers=api.anna)).json()
    assert me["name"] == "Anna Jensen"


async def test_unknown_field_and_bad_enum_name_the_field(api: Api) -> None:
    r = await api.client.patch("/v1/me", json={"language": "fr"}, headers=api.anna)
    assert r.status_code == 400
    assert r.json()["errors"][0]["key"] == "language"
    r = await api.client.patch("/v1/me", json={"cpr": "0101501234"}, headers=api.anna)
    assert r.status_code == 400


async def test_domain_rule_is_422(api: Api) -> None:
    r = await api.client.patch("/v1/me", json={"timezone": "Mars/Olympus"}, headers=api.anna)
    assert r.status_code == 422
    assert "Mars/Olympus" in r.json()["detail"]


async def test_body_over_limit_is_413(api: Api) -> None:
    big = b'{"name": "' + b"a" * (api.runtime.settings.max_json_body + 10) + b'"}'
    r = await api.client.patch(
        "/v1/me", content=big, headers={**api.anna, "content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["type"].endswith("/too-large")


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "multipart/form-data"])
async def test_wrong_content_type_is_415(api: Api, media: str) -> None:
    r = await api.client.patch(
        "/v1/me", content=b'{"name": "X"}', headers={**api.anna, "content-type": media}
    )
    assert r.status_code == 415
    assert media in r.json()["detail"]


async def test_titles_follow_accept_language(api: Api) -> None:
    da = await api.client.get("/v1/me")
    en = await api.client.get("/v1/me", headers={"accept-language": "en-GB,en;q=0.9"})
    assert da.json()["title"] == "Du er ikke logget ind"
    assert en.json()["title"] == "Not logged in"
    assert da.json()["type"] == en.json()["type"]


async def test_bad_cursor_is_a_clear_error(api: Api) -> None:
    r = await api.client.get("/v1/me/audit-log?cursor=%%%", headers=api.anna)
    assert r.status_code == 422
    r = await api.client.get("/v1/me/audit-log?limit=0", headers=api.anna)
    assert r.status_code == 400
