"""DELETE /v1/me: everyone the citizen let in is refused afterwards (a route matrix), the
clinic still reads what it must keep, a new login starts empty, and a closure that fails
halfway changes nothing (issue 14, ADR 0023)."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

import app.services.closure as closure_service
from app.domain.identity import Principal, Role
from app.domain.imports import ImportJob
from app.domain.metrics import Metric
from app.domain.samples import Sample, Source, SourceKind
from app.domain.time import to_ms
from app.errors import NotFound, Unauthenticated
from app.services.audit import verify_all
from app.services.closure import close_account
from app.services.sync import apply_sync
from tests.api.test_booking_api import MONDAY, book, free_slots
from tests.api.test_consultations_api import start_json
from tests.api.test_erasure_api import MAY, _days, _sync
from tests.api.test_gateway_api import BP, _pair, _token, reading
from tests.api.test_login import _login, provider, settings
from tests.api.test_proxy_api import for_anna, grant
from tests.api.test_push import register
from tests.api.test_route_matrix import routes
from tests.api.test_summary_links import shared_anna
from tests.conftest import Api
from tests.oidc_provider import LoopbackProvider

__all__ = ["provider", "settings"]  # the login fixtures: a real national-login round trip

ANNA_CPR = "010150-1234"
UPLOAD = "uploads/erase-test"


async def _count(api: Api, sql: str, *params: object) -> int:
    async with api.runtime.store.read() as uow:
        row = await uow.connection.fetchone(sql, params)  # type: ignore[attr-defined]
    return int(row[0])


class World(msgspec.Struct, kw_only=True):
    """What Anna had before closing: the ways in, and what the clinic must keep."""

    session: dict[str, Any]
    gateway: dict[str, str]
    thread_id: str
    appointment_id: str


async def _anna_logs_in(api: Api, provider: LoopbackProvider) -> httpx.Response:
    """Anna through the national login (the loopback provider), her CPR number included."""
    return await _login(
        api,
        provider.id_token(
            sub=api.demo.citizens[0].subject,
            cpr=None,
            name="Anna Jensen",
            **{"https://data.gov.dk/model/core/eid/cprNumber": ANNA_CPR},
        ),
    )


async def _anna_everywhere(api: Api, provider: LoopbackProvider) -> World:
    login = await _anna_logs_in(api, provider)
    assert login.status_code == 200, login.text
    await _sync(api, MAY)
    await shared_anna(api)  # a month of high blood pressure, shared: the inbox has it
    await grant(api, ["wearables"])  # Bent may act for Anna
    held = await api.client.post(  # and Anna for Bent
        "/v1/me/proxies",
        json={"cpr": ANNA_CPR, "name": "Anna Jensen", "scopes": ["wearables"]},
        headers=api.bent,
    )
    assert held.status_code == 201, held.text
    gateway = await _token(api, await _pair(api))
    up = await api.client.post(
        "/v1/gateway/readings", json={"readings": [reading("g1", BP)]}, headers=gateway
    )
    assert up.status_code == 200
    assert (await register(api, api.anna)).status_code == 201
    thread = await start_json(api, api.anna)
    assert thread.status_code == 201, thread.text
    slot = (await free_slots(api, api.anna))[0]
    booked = await book(api, api.anna, slot["id"])
    assert booked.status_code == 201, booked.text
    # an upload waiting in the blob store, as an import leaves it
    await api.runtime.blobs.put(UPLOAD, b"<HealthData/>")
    async with api.runtime.store.transaction() as uow:
        now = api.clock.now()
        await uow.imports.add(
            ImportJob(
                id="erase-import",
                citizen_id=api.demo.citizens[0].id,
                format="apple-health",
                status="failed",
                blob=UPLOAD,
                created_at=now,
                updated_at=now,
            )
        )
    return World(
        session=login.json(),
        gateway=gateway,
        thread_id=thread.json()["consultation"]["id"],
        appointment_id=booked.json()["id"],
    )


async def test_closing_refuses_everyone_and_keeps_the_clinics_records(
    api: Api, provider: LoopbackProvider
) -> None:
    anna_id = api.demo.citizens[0].id
    world = await _anna_everywhere(api, provider)
    summary = f"/v1/clinician/citizens/{anna_id}/summary"
    assert (await api.client.get(summary, headers=api.gp)).status_code == 200

    samples = await _count(api, "SELECT COUNT(*) FROM samples WHERE citizen_id = ?", anna_id)
    inbox = "SELECT COUNT(*) FROM inbox_items WHERE citizen_id = ? AND kind = 'measurement'"
    assert await _count(api, inbox, anna_id) > 0
    r = await api.client.delete("/v1/me", headers=api.anna)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["kind"] for s in body["kept"]] == [
        "consultations",
        "appointments",
        "medications-and-renewals",
        "questionnaire-answers",
        "audit-log",
        "identity",
    ]
    assert "wearable-data" in [s["kind"] for s in body["deleted"]]
    assert all(s["da"] and s["en"] for s in body["deleted"] + body["kept"])

    # -- the route matrix: every citizen route, for Anna and for Bent acting for her ----
    anna_routes = [(m, p) for m, p, owner in routes(api) if owner == "anna"]
    assert len(anna_routes) > 40
    for method, path in anna_routes:
        mine = await api.client.request(method, path, headers=api.anna, json={})
        assert mine.status_code == 401, (method, path, mine.status_code)
        assert mine.json()["type"].endswith("/unknown-subject")
        proxy = await api.client.request(method, path, headers=for_anna(api), json={})
        assert proxy.status_code == 403, (method, path, proxy.status_code)
    # Anna's login session (and the one she could refresh) is over
    refreshed = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": world.session["refresh_token"]}
    )
    assert refreshed.status_code == 401
    # both her gateways: the demo one and the one paired above
    for gateway in (api.gateway, world.gateway):
        for method, path, owner in routes(api):
            if owner == "gateway":
                g = await api.client.request(method, path, headers=gateway, json={})
                assert g.status_code == 401, (method, path, g.status_code)
    # the GP's reads of shared data: no share any more
    for path in (
        summary,
        f"{summary}.fhir",
        f"/v1/clinician/citizens/{anna_id}/daily?metric=steps&from=2024-05-01&to=2024-05-03",
    ):
        gp = await api.client.get(path, headers=api.gp)
        assert gp.status_code == 404, (path, gp.status_code)
    # Anna no longer holds Bent's power of attorney either
    async with api.runtime.store.read() as uow:
        given = await uow.proxies.given(api.demo.citizens[1].id)
    assert [g.revoked_at is not None for g in given] == [True]

    # -- what the clinic keeps ---------------------------------------------------------
    thread = await api.client.get(f"/v1/clinician/consultations/{world.thread_id}", headers=api.gp)
    assert (
        thread.status_code == 200 and thread.json()["messages"][0]["body"] == "Jeg får hovedpine."
    )
    day = (await api.client.get(f"/v1/clinician/appointments?day={MONDAY}", headers=api.gp)).json()
    assert world.appointment_id in [d["appointment"]["id"] for d in day]
    meds = await api.client.get(f"/v1/clinician/citizens/{anna_id}/medications", headers=api.gp)
    assert meds.status_code == 200 and meds.json()
    # and the audit log, whole, with the closure in it (kinds and counts, no values)
    async with api.runtime.store.read() as uow:
        chain = await uow.audit.chain(anna_id)
    closing = [e for e in chain if e.action == "account.close"]
    assert len(closing) == 1 and closing[0].actor_id == anna_id
    assert closing[0].detail["samples"] == str(samples)
    assert closing[0].detail["shares"] == "1" and closing[0].detail["proxies_held"] == "1"
    # the clinic's reads after the closure are logged on the kept chain too
    assert chain[-1].action == "medications.read"
    assert (await verify_all(api.runtime.store, citizen_id=anna_id)).ok
    # the clinic sees that the account is closed, and cannot send it questionnaires
    patient = await api.client.get(f"/v1/clinician/citizens/{anna_id}", headers=api.gp)
    assert patient.status_code == 200 and patient.json()["account_closed"] is True
    assigned = await api.client.post(
        f"/v1/clinician/citizens/{anna_id}/questionnaires", json={"key": "bp"}, headers=api.gp
    )
    assert assigned.status_code == 409, assigned.text
    assert assigned.json()["type"].endswith("/account-closed")

    # -- nothing of Anna's own is left -----------------------------------------------
    for table in (
        "samples",
        "daily",
        "sources",
        "gateway_readings",
        "push_devices",
        "imports",
        "outbox",
        "summary_links",
        "blob_trash",
    ):
        assert (
            await _count(api, f"SELECT COUNT(*) FROM {table} WHERE citizen_id = ?", anna_id) == 0
        ), table
    assert await _count(api, inbox, anna_id) == 0
    with pytest.raises(NotFound):
        await api.runtime.blobs.get(UPLOAD)

    # -- a new login with the same person starts a new, empty account -----------------
    again = await _anna_logs_in(api, provider)
    assert again.status_code == 200
    fresh = {"Authorization": f"Bearer {again.json()['access_token']}"}
    me = (await api.client.get("/v1/me", headers=fresh)).json()
    assert me["id"] != anna_id and me["clinic_id"] is None
    assert (await api.client.get("/v1/me/sources", headers=fresh)).json() == []
    # the login subject names the new account now, never the closed one
    assert (await api.client.get("/v1/me", headers=api.anna)).json()["id"] == me["id"]


async def test_a_closure_that_fails_halfway_changes_nothing(
    api: Api, provider: LoopbackProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna_id = api.demo.citizens[0].id
    world = await _anna_everywhere(api, provider)
    before = {
        t: await _count(api, f"SELECT COUNT(*) FROM {t} WHERE citizen_id = ?", anna_id)
        for t in ("samples", "daily", "sources", "push_devices", "imports", "outbox")
    }

    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(closure_service, "record", broken)
    async with api.runtime.store.read() as uow:
        me = await uow.citizens.get(anna_id)
    assert me is not None
    principal = Principal(role=Role.CITIZEN, subject=me.subject, id=me.id, name=me.name)
    with pytest.raises(RuntimeError):
        await close_account(api.runtime.store, api.clock, principal)
    after = {
        t: await _count(api, f"SELECT COUNT(*) FROM {t} WHERE citizen_id = ?", anna_id)
        for t in before
    }
    assert after == before and all(before.values())
    assert (await api.client.get("/v1/me", headers=api.anna)).status_code == 200
    assert (await api.client.get("/v1/gateway/me", headers=world.gateway)).status_code == 200
    summary = f"/v1/clinician/citizens/{anna_id}/summary"
    assert (await api.client.get(summary, headers=api.gp)).status_code == 200
    assert await _days(api, "steps", "2024-05-02", "2024-05-03") == {
        "2024-05-02": 1500.0,
        "2024-05-03": 500.0,
    }
    assert await api.runtime.blobs.get(UPLOAD) == b"<HealthData/>"
    assert await _count(api, "SELECT COUNT(*) FROM blob_trash WHERE citizen_id = ?", anna_id) == 0
    refreshed = await api.client.post(
        "/v1/auth/refresh", json={"refresh_token": world.session["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_a_batch_written_after_the_closure_stores_nothing(api: Api) -> None:
    """A sync authenticated just before the closure and written after it is refused."""
    anna_id = api.demo.citizens[0].id
    assert (await api.client.delete("/v1/me", headers=api.anna)).status_code == 200
    watch = Source(key="apple:w", name="Watch", kind=SourceKind.WATCH)
    at = to_ms(api.clock.now()) - 3_600_000
    step = Sample(metric=Metric.STEPS, start_ms=at, end_ms=at + 60_000, value=10.0, source=watch)
    with pytest.raises(Unauthenticated):
        async with api.runtime.store.transaction() as uow:
            await apply_sync(
                uow, api.clock, citizen_id=anna_id, items=[("A-UUID", step)], deleted=[]
            )
    assert await _count(api, "SELECT COUNT(*) FROM samples WHERE citizen_id = ?", anna_id) == 0
    assert await _count(api, "SELECT COUNT(*) FROM sources WHERE citizen_id = ?", anna_id) == 0
