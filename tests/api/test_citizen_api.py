"""The citizen's own profile and access log over HTTP."""

from __future__ import annotations

from tests.conftest import Api


async def test_profile_update_is_kept(api: Api) -> None:
    r = await api.client.patch(
        "/v1/me", json={"language": "en", "timezone": "Europe/London"}, headers=api.anna
    )
    assert r.status_code == 200
    me = (await api.client.get("/v1/me", headers=api.anna)).json()
    assert (me["language"], me["timezone"], me["name"]) == ("en", "Europe/London", "Anna Jensen")


async def test_audit_log_pages_and_logs_its_own_reads(api: Api) -> None:
    anna_id = api.demo.citizens[0].id
    for _ in range(3):
        await api.client.get(f"/v1/clinician/citizens/{anna_id}", headers=api.gp)
    first = (await api.client.get("/v1/me/audit-log?limit=2", headers=api.anna)).json()
    # 3 clinician reads happened before; the read of the log itself is logged after the page
    assert [e["seq"] for e in first["items"]] == [3, 2]
    assert first["next_cursor"]
    second = (
        await api.client.get(
            f"/v1/me/audit-log?limit=2&cursor={first['next_cursor']}", headers=api.anna
        )
    ).json()
    assert [e["seq"] for e in second["items"]] == [1]
    assert second["next_cursor"] is None
    newest = (await api.client.get("/v1/me/audit-log?limit=3", headers=api.anna)).json()
    assert [e["action"] for e in newest["items"]] == [
        "audit_log.read",
        "audit_log.read",
        "profile.read",
    ]
    assert newest["items"][0]["text"] == "Du så din adgangslog"
    assert newest["items"][0]["text_en"] == "You viewed your access log"


async def test_audit_log_is_only_ever_the_callers_own(api: Api) -> None:
    anna_id = api.demo.citizens[0].id
    await api.client.get(f"/v1/clinician/citizens/{anna_id}", headers=api.gp)
    bent_log = (await api.client.get("/v1/me/audit-log", headers=api.bent)).json()
    assert bent_log["items"] == []


async def test_health_schema_and_jwks_are_public(api: Api) -> None:
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    assert (await api.client.get("/health/ready")).json() == {"status": "ok"}
    schema = (await api.client.get("/schema/openapi.json")).json()
    assert "/v1/me/audit-log" in schema["paths"]
    assert "/v1/auth/login" in schema["paths"]
    assert (await api.client.get("/schema")).status_code == 200
    keys = (await api.client.get("/.well-known/jwks.json")).json()["keys"]
    assert [k["kid"] for k in keys] == [api.runtime.ring.current.kid]


async def test_ready_is_503_problem_when_the_database_is_gone(api: Api) -> None:
    await api.runtime.store.close()
    r = await api.client.get("/health/ready")
    assert r.status_code == 503
    assert r.json()["type"].endswith("/not-ready")
    # reopen so the fixture's close has something to close
    from app.store import open_store

    api.runtime.store = await open_store(api.runtime.settings.db_url)
