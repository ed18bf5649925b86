"""The authorization matrix: each role reaches its own API and its own data only."""

from __future__ import annotations

import pytest

from tests.conftest import Api

CITIZEN_PATHS = ["/v1/me", "/v1/me/audit-log", "/v1/me/gateways"]
CLINICIAN_PATHS = ["/v1/clinician/me"]
GATEWAY_PATHS = ["/v1/gateway/me"]


@pytest.mark.parametrize("path", CITIZEN_PATHS + CLINICIAN_PATHS + GATEWAY_PATHS)
async def test_no_token_or_garbage_token_is_401(api: Api, path: str) -> None:
    assert (await api.client.get(path)).status_code == 401
    bad = {"Authorization": "Bearer not.a.token"}
    assert (await api.client.get(path, headers=bad)).status_code == 401
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert (await api.client.get(path, headers=basic)).status_code == 401


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("anna", "/v1/me", 200),
        ("gp", "/v1/me", 403),
        ("gateway", "/v1/me", 403),
        ("anna", "/v1/clinician/me", 403),
        ("gp", "/v1/clinician/me", 200),
        ("gateway", "/v1/clinician/me", 403),
        ("anna", "/v1/gateway/me", 403),
        ("gp", "/v1/gateway/me", 403),
        ("gateway", "/v1/gateway/me", 200),
    ],
)
async def test_each_role_reaches_only_its_own_api(
    api: Api, who: str, path: str, status: int
) -> None:
    headers = getattr(api, who)
    assert (await api.client.get(path, headers=headers)).status_code == status


async def test_token_for_a_subject_we_do_not_know_is_401(api: Api) -> None:
    from app.domain.identity import Role

    for role in Role:
        r = await api.client.get("/v1/me", headers=api.token(role, "who-is-this"))
        assert r.status_code == 401


async def test_citizen_sees_own_gateway_but_another_citizens_is_404(api: Api) -> None:
    gid = api.demo.gateway_id
    mine = await api.client.get(f"/v1/me/gateways/{gid}", headers=api.anna)
    assert mine.status_code == 200 and mine.json()["active"] is True
    theirs = await api.client.get(f"/v1/me/gateways/{gid}", headers=api.bent)
    missing = await api.client.get("/v1/me/gateways/no-such-id", headers=api.bent)
    assert theirs.status_code == 404 and missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"]  # nothing tells them apart
    revoke = await api.client.post(f"/v1/me/gateways/{gid}/revoke", headers=api.bent)
    assert revoke.status_code == 404
    assert (await api.client.get("/v1/me/gateways", headers=api.bent)).json() == []


async def test_revoked_gateway_is_refused_at_once(api: Api) -> None:
    gateway = api.gateway  # token minted before revocation, still unexpired
    assert (await api.client.get("/v1/gateway/me", headers=gateway)).status_code == 200
    r = await api.client.post(f"/v1/me/gateways/{api.demo.gateway_id}/revoke", headers=api.anna)
    assert r.status_code == 200 and r.json()["active"] is False
    refused = await api.client.get("/v1/gateway/me", headers=gateway)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("/gateway-revoked")


async def test_clinician_reads_own_clinics_patient_and_it_is_audited(api: Api) -> None:
    anna_id = api.demo.citizens[0].id
    r = await api.client.get(f"/v1/clinician/citizens/{anna_id}", headers=api.gp)
    assert r.status_code == 200 and r.json()["name"] == "Anna Jensen"
    assert "0101501234" not in r.text and "010150" not in r.text
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    read = [e for e in log if e["action"] == "profile.read"]
    assert len(read) == 1
    assert read[0]["actor"]["id"] == api.demo.clinician.id
    assert read[0]["actor"]["clinic_id"] == api.demo.clinic_id
    assert read[0]["text"] == "Dr. Karen Hansen (behandler) så dine stamoplysninger"


async def test_clinician_outside_the_citizens_clinic_gets_404(api: Api) -> None:
    outsider = await api.citizen("no-clinic-person")
    me = (await api.client.get("/v1/me", headers=outsider)).json()
    assert me["clinic_id"] is None
    r = await api.client.get(f"/v1/clinician/citizens/{me['id']}", headers=api.gp)
    assert r.status_code == 404
    unknown = await api.client.get("/v1/clinician/citizens/nobody", headers=api.gp)
    assert unknown.status_code == 404
    log = (await api.client.get("/v1/me/audit-log", headers=outsider)).json()["items"]
    assert [e["action"] for e in log] == []  # a refused look leaves no trace of data read


async def test_clinician_of_another_clinic_gets_404(api: Api) -> None:
    from app.domain.people import Clinic, Clinician

    async with api.runtime.store.transaction() as uow:
        await uow.clinics.add(Clinic(id="other", name="Anden klinik", created_at=api.clock.now()))
        await uow.clinicians.add(
            Clinician(
                id="dr-x",
                subject="dr-x",
                clinic_id="other",
                name="Dr X",
                created_at=api.clock.now(),
            )
        )
    from app.domain.identity import Role

    r = await api.client.get(
        f"/v1/clinician/citizens/{api.demo.citizens[0].id}",
        headers=api.token(Role.CLINICIAN, "dr-x"),
    )
    assert r.status_code == 404
