"""Home gateways: pairing, client-credentials tokens, reading uploads, revocation."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import Api

BP = "1E8A0058007800E807030F081E003C00010000"  # 138/88 mmHg, pulse 60, 2024-03-15 08:30 local
GLUCOSE = "020500E807030F07000064B011"  # seq 5, 100 mg/dL = 5.5507 mmol/L, 2024-03-15 07:00
HR = "0055"  # 85 bpm, no time
FORM = {"content-type": "application/x-www-form-urlencoded"}
PROBLEMS = "https://minlaege.dk/problems/"
MIB = 1024 * 1024


async def _pair(api: Api, who: dict[str, str] | None = None) -> dict[str, str]:
    code = await api.client.post("/v1/me/gateways", json={"name": "Stuen"}, headers=who or api.anna)
    assert code.status_code == 201
    creds = await api.client.post("/v1/gateway/pair", json={"pairing_code": code.json()["code"]})
    assert creds.status_code == 201
    return creds.json()  # type: ignore[no-any-return]


async def _token(api: Api, creds: dict[str, str]) -> dict[str, str]:
    r = await api.client.post(
        "/v1/gateway/token",
        content=f"grant_type=client_credentials&client_id={creds['gateway_id']}"
        f"&client_secret={creds['client_secret']}",
        headers=FORM,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def reading(rid: str, hexdata: str, uuid: str = "2A35", **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "device": {
            "address": "A4:C1:38:00:00:01",
            "manufacturer": "Omron",
            "model": "M7",
            "serial": "SN1",
        },
        "characteristic": uuid,
        "payload_hex": hexdata,
        "received_at": "2024-03-15T07:31:00Z",
    }
    base.update(over)
    return base


async def test_pairing_code_is_single_use_and_short_lived(api: Api) -> None:
    code = (
        await api.client.post("/v1/me/gateways", json={"name": "Stuen"}, headers=api.anna)
    ).json()
    assert len(code["code"]) == 9 and code["code"][4] == "-"
    first = await api.client.post("/v1/gateway/pair", json={"pairing_code": code["code"].lower()})
    assert first.status_code == 201 and first.json()["client_secret"]
    again = await api.client.post("/v1/gateway/pair", json={"pairing_code": code["code"]})
    assert again.status_code == 401 and again.json()["type"].endswith("/invalid-pairing-code")
    late = (
        await api.client.post("/v1/me/gateways", json={"name": "Køkken"}, headers=api.anna)
    ).json()
    api.clock.advance(minutes=11)
    expired = await api.client.post("/v1/gateway/pair", json={"pairing_code": late["code"]})
    assert expired.status_code == 401
    listed = (await api.client.get("/v1/me/gateways", headers=api.anna)).json()
    assert sorted(g["name"] for g in listed) == ["Stuen", "Stuen (demo)"]
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert any(e["action"] == "gateway.paired" for e in log)


async def test_client_credentials(api: Api) -> None:
    creds = await _pair(api)
    headers = await _token(api, creds)
    me = await api.client.get("/v1/gateway/me", headers=headers)
    assert me.status_code == 200 and me.json()["id"] == creds["gateway_id"]
    basic = base64.b64encode(f"{creds['gateway_id']}:{creds['client_secret']}".encode()).decode()
    r = await api.client.post(
        "/v1/gateway/token",
        content="grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200
    wrong = await api.client.post(
        "/v1/gateway/token",
        content=f"grant_type=client_credentials&client_id={creds['gateway_id']}&client_secret=nope",
        headers=FORM,
    )
    assert wrong.status_code == 401 and wrong.json()["type"].endswith("/invalid-client")
    grant = await api.client.post("/v1/gateway/token", content="grant_type=password", headers=FORM)
    assert grant.status_code == 400
    as_json = await api.client.post("/v1/gateway/token", json={"grant_type": "client_credentials"})
    assert as_json.status_code == 415


async def test_upload_decodes_stores_and_dedupes(api: Api) -> None:
    headers = await _token(api, await _pair(api))
    batch = {
        "readings": [
            reading("r1", BP, device_clock_at="2024-03-15T08:26:00"),  # device clock 5 min behind
            reading("r2", GLUCOSE, uuid="2A18"),
            reading("r3", HR, uuid="2A37"),
            reading("r4", "1E8A00", uuid="2A35"),
            reading("r5", "00", uuid="2A99"),
        ]
    }
    r = await api.client.post("/v1/gateway/readings", json=batch, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["outcome"] for x in body["results"]] == [
        "accepted",
        "accepted",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert body["results"][0]["samples"] == 3
    # 08:30 local (CET, +01:00) on a clock 5 minutes slow → 07:35 UTC
    assert body["results"][0]["time"] == "2024-03-15T07:35:00Z"
    assert body["results"][2]["time"] == "2024-03-15T07:31:00Z"  # no device time: received
    assert "2A35" in body["results"][3]["reason"] and "offset 3" in body["results"][3]["reason"]
    assert body["results"][4]["reason"].startswith("unknown characteristic '2A99'")
    again = (await api.client.post("/v1/gateway/readings", json=batch, headers=headers)).json()
    assert [x["outcome"] for x in again["results"]][:3] == ["duplicate"] * 3
    # the meter resends its memory under a new reading id: same (device, sequence)
    resent = (
        await api.client.post(
            "/v1/gateway/readings",
            json={"readings": [reading("r9", GLUCOSE, uuid="2A18")]},
            headers=headers,
        )
    ).json()
    assert resent["results"][0]["outcome"] == "duplicate"
    q = "/v1/me/daily?metric={}&from=2024-03-15&to=2024-03-15"
    sys_ = (await api.client.get(q.format("blood_pressure_systolic"), headers=api.anna)).json()
    assert sys_["days"] == [
        {"date": "2024-03-15", "count": 1, "min": 138.0, "max": 138.0, "mean": 138.0}
    ]
    glucose = (await api.client.get(q.format("blood_glucose"), headers=api.anna)).json()["days"][0]
    assert glucose["count"] == 1 and glucose["mean"] == pytest.approx(5.551, abs=1e-3)
    hr = (await api.client.get(q.format("heart_rate"), headers=api.anna)).json()["days"][0]
    assert hr["count"] == 2  # the cuff's pulse and the strap's 85
    # nothing reached the other citizen
    assert (await api.client.get(q.format("heart_rate"), headers=api.bent)).json()["days"] == []


async def test_batch_limits_and_shape(api: Api) -> None:
    headers = await _token(api, await _pair(api))
    at_most = {
        "readings": [
            reading(
                f"r{i}", HR, uuid="2A37", received_at=f"2024-03-15T07:{i // 60:02}:{i % 60:02}Z"
            )
            for i in range(1000)
        ]
    }
    r = await api.client.post("/v1/gateway/readings", json=at_most, headers=headers)
    assert r.status_code == 200 and r.json()["accepted"] == 1000
    too_many = {"readings": [reading(f"s{i}", HR, uuid="2A37") for i in range(1001)]}
    r = await api.client.post("/v1/gateway/readings", json=too_many, headers=headers)
    assert (r.status_code, r.json()["type"]) == (400, PROBLEMS + "validation")
    # a gateway cannot name a citizen: unknown fields are refused, nothing stored
    other = {"readings": [reading("x", HR, uuid="2A37")], "citizen_id": api.demo.citizens[1].id}
    r = await api.client.post("/v1/gateway/readings", json=other, headers=headers)
    assert (r.status_code, r.json()["type"]) == (400, PROBLEMS + "validation")
    empty = await api.client.post("/v1/gateway/readings", json={"readings": []}, headers=headers)
    assert (empty.status_code, empty.json()["type"]) == (400, PROBLEMS + "validation")
    q = "/v1/me/daily?metric=heart_rate&from=2024-03-15&to=2024-03-15"
    days = (await api.client.get(q, headers=api.anna)).json()["days"]
    assert days[0]["count"] == 1000  # the accepted batch, nothing from the refused ones


def _padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON followed by spaces up to exactly `size` bytes (still valid JSON)."""
    raw = json.dumps(body).encode()
    assert len(raw) < size
    return raw + b" " * (size - len(raw))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_1_mib_gets_413(api: Api, chunked: bool) -> None:
    """docs/gateway.md: at most 1 MiB (1,048,576 bytes); one byte more is refused whole."""
    headers = {**await _token(api, await _pair(api)), "content-type": "application/json"}

    def content(raw: bytes) -> bytes | AsyncIterator[bytes]:
        if not chunked:
            return raw

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(raw), 65536):
                yield raw[i : i + 65536]

        return chunks()

    fits = _padded({"readings": [reading("fits", HR, uuid="2A37")]}, MIB)
    r = await api.client.post("/v1/gateway/readings", content=content(fits), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    over = _padded({"readings": [reading("over", HR, uuid="2A37")]}, MIB + 1)
    r = await api.client.post("/v1/gateway/readings", content=content(over), headers=headers)
    assert r.status_code == 413, r.text
    assert r.json()["type"] == PROBLEMS + "too-large"
    q = "/v1/me/daily?metric=heart_rate&from=2024-03-15&to=2024-03-15"
    assert (await api.client.get(q, headers=api.anna)).json()["days"][0]["count"] == 1


async def test_revoked_gateway_is_refused_everywhere(api: Api) -> None:
    creds = await _pair(api)
    headers = await _token(api, creds)
    r = await api.client.post(f"/v1/me/gateways/{creds['gateway_id']}/revoke", headers=api.anna)
    assert r.status_code == 200
    upload = await api.client.post(
        "/v1/gateway/readings", json={"readings": [reading("r1", HR, uuid="2A37")]}, headers=headers
    )
    assert upload.status_code == 401
    token = await api.client.post(
        "/v1/gateway/token",
        content=f"grant_type=client_credentials&client_id={creds['gateway_id']}"
        f"&client_secret={creds['client_secret']}",
        headers=FORM,
    )
    assert token.status_code == 401


async def test_roles_cannot_cross(api: Api) -> None:
    headers = await _token(api, await _pair(api))
    assert (
        await api.client.post("/v1/me/gateways", json={"name": "x"}, headers=headers)
    ).status_code == 403
    r = await api.client.post(
        "/v1/gateway/readings",
        json={"readings": [reading("r1", HR, uuid="2A37")]},
        headers=api.anna,
    )
    assert r.status_code == 403
