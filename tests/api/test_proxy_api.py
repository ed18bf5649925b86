"""Power of attorney over HTTP on both engines: a relative does exactly what the grant
allows and no more, everything is audited with both identities, revoking works at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.api.test_booking_api import book, free_slots
from tests.conftest import Api

BENT_CPR = "121245-1235"


async def grant(api: Api, scopes: list[str], **extra: object) -> dict:
    r = await api.client.post(
        "/v1/me/proxies",
        json={"cpr": BENT_CPR, "name": "Bent Nielsen", "scopes": scopes} | extra,
        headers=api.anna,
    )
    assert r.status_code == 201, r.text
    return r.json()


def for_anna(api: Api) -> dict[str, str]:
    """Bent's own login, acting for Anna."""
    return api.bent | {"X-Act-For": api.demo.citizens[0].id}


async def test_relative_acts_within_scope_and_both_identities_are_logged(api: Api) -> None:
    await grant(api, ["booking", "medications"])
    held = (await api.client.get("/v1/me/proxies/received", headers=api.bent)).json()
    assert [(h["citizen_name"], h["scopes"]) for h in held] == [
        ("Anna Jensen", ["booking", "medications"])
    ]
    slot = (await free_slots(api, for_anna(api)))[0]
    booked = await book(api, for_anna(api), slot["id"], reason="Kontrol")
    assert booked.status_code == 201, booked.text
    # the booking is Anna's, not Bent's
    annas = (await api.client.get("/v1/me/appointments", headers=api.anna)).json()["upcoming"]
    assert [a["id"] for a in annas] == [booked.json()["id"]]
    bents = (await api.client.get("/v1/me/appointments", headers=api.bent)).json()["upcoming"]
    assert bents == []
    meds = await api.client.get("/v1/me/medications", headers=for_anna(api))
    assert {m["name"] for m in meds.json()} == {"Metformin", "Amlodipin"}

    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    proxy_entries = [e for e in log if e["actor"]["role"] == "proxy"]
    assert proxy_entries, log
    assert all(e["actor"]["name"] == "Bent Nielsen" for e in proxy_entries)
    assert all(e["actor"]["id"] == api.demo.citizens[1].id for e in proxy_entries)
    assert all(e["actor"]["on_behalf_of"] == api.demo.citizens[0].id for e in proxy_entries)
    resources = {e["resource"] for e in proxy_entries}
    assert "POST /v1/me/appointments" in resources and "GET /v1/me/medications" in resources
    assert "fuldmagtshaver" in proxy_entries[0]["text"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/me"),
        ("PATCH", "/v1/me"),
        ("GET", "/v1/me/audit-log"),
        ("GET", "/v1/me/gateways"),
        ("GET", "/v1/me/consultations"),
        ("GET", "/v1/me/shares"),
        ("POST", "/v1/me/shares"),
        ("GET", "/v1/me/daily?metric=steps&from=2026-11-01&to=2026-11-20"),
        ("GET", "/v1/me/proxies"),
        ("POST", "/v1/me/proxies"),
        ("GET", "/v1/me/renewals"),
    ],
)
async def test_anything_outside_the_grant_is_refused_and_logged(
    api: Api, method: str, path: str
) -> None:
    await grant(api, ["booking"])
    r = await api.client.request(method, path, headers=for_anna(api), json={})
    assert r.status_code == 403, r.text
    assert r.json()["type"].endswith("/proxy-scope")
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    assert log[0]["action"] == "proxy.denied"
    assert log[0]["actor"]["role"] == "proxy"


async def test_revoked_or_expired_grants_stop_at_once(api: Api) -> None:
    g = await grant(api, ["booking"], expires_at="2026-12-01T00:00:00Z")
    assert (await api.client.get("/v1/me/appointments", headers=for_anna(api))).status_code == 200
    api.clock.set(datetime.fromisoformat("2026-12-01T00:00:00+00:00"))
    r = await api.client.get("/v1/me/appointments", headers=for_anna(api))
    assert r.status_code == 403 and r.json()["type"].endswith("/no-proxy")
    api.clock.set(datetime.fromisoformat("2026-11-20T10:00:00+00:00"))
    assert (await api.client.get("/v1/me/appointments", headers=for_anna(api))).status_code == 200
    r = await api.client.post(f"/v1/me/proxies/{g['id']}/revoke", headers=api.anna)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await api.client.get("/v1/me/appointments", headers=for_anna(api))).status_code == 403
    assert (await api.client.get("/v1/me/proxies/received", headers=api.bent)).json() == []


async def test_nobody_else_can_act_for_anna(api: Api) -> None:
    await grant(api, ["booking"])
    stranger = await api.citizen("stranger-without-cpr")
    anna_id = api.demo.citizens[0].id
    for headers in (stranger, api.gp):
        r = await api.client.get("/v1/me/appointments", headers=headers | {"X-Act-For": anna_id})
        assert r.status_code == 403, r.text
    # Anna cannot act for Bent: the grant goes one way
    r = await api.client.get(
        "/v1/me/appointments", headers=api.anna | {"X-Act-For": api.demo.citizens[1].id}
    )
    assert r.status_code == 403
    # and a proxy cannot act for someone through someone else
    r = await api.client.get("/v1/me/proxies/received", headers=for_anna(api))
    assert r.status_code == 403


async def test_notices_are_narrowed_to_the_granted_areas(api: Api) -> None:
    slot = (await free_slots(api, api.anna))[0]
    assert (await book(api, api.anna, slot["id"])).status_code == 201
    meds = (await api.client.get("/v1/me/medications", headers=api.anna)).json()
    rid = (
        await api.client.post(
            "/v1/me/renewals", json={"medication_ids": [meds[0]["id"]]}, headers=api.anna
        )
    ).json()[0]["id"]
    await api.client.post(f"/v1/clinician/renewals/{rid}/approve", headers=api.gp)
    await grant(api, ["booking"])
    kinds = [
        n["kind"]
        for n in (await api.client.get("/v1/me/notices", headers=for_anna(api))).json()["items"]
    ]
    assert kinds == ["appointment.booked"]
    own = [
        n["kind"]
        for n in (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"]
    ]
    assert set(own) == {"appointment.booked", "renewal.approved"}


@pytest.mark.parametrize(
    ("body", "status", "kind", "detail"),
    [
        ({"cpr": "123", "name": "X", "scopes": ["booking"]}, 422, "invalid", "ten digits"),
        ({"cpr": BENT_CPR, "name": "", "scopes": ["booking"]}, 422, "invalid", "name"),
        ({"cpr": BENT_CPR, "name": "Bent", "scopes": []}, 422, "invalid", "at least one"),
        (
            {"cpr": BENT_CPR, "name": "Bent", "scopes": ["everything"]},
            400,
            "validation",
            "Validation failed",
        ),
        (
            {"cpr": "010150-1234", "name": "Me", "scopes": ["booking"]},  # Anna herself
            422,
            "invalid",
            "yourself",
        ),
        (
            {
                "cpr": BENT_CPR,
                "name": "Bent",
                "scopes": ["booking"],
                "expires_at": "2020-01-01T00:00:00Z",
            },
            422,
            "invalid",
            "end in the future",
        ),
    ],
)
async def test_grant_input_rules(
    api: Api, body: dict[str, Any], status: int, kind: str, detail: str
) -> None:
    r = await api.client.post("/v1/me/proxies", json=body, headers=api.anna)
    assert r.status_code == status, r.text
    assert r.json()["type"] == "https://minlaege.dk/problems/" + kind
    assert detail in r.json()["detail"]
    assert (await api.client.get("/v1/me/proxies", headers=api.anna)).json() == []
