"""One-time links to the GP summary page, on both engines: made with the clinician's
token, opened once without one, within ten minutes, checked and audited on opening."""

from __future__ import annotations

import asyncio

from tests.conftest import Api
from tests.sharing_data import days_back, send, share


async def shared_anna(api: Api) -> str:
    """Anna sends a month of blood pressure and shares it with her clinic; her id."""
    days = days_back(30)
    await send(api, api.anna, "blood_pressure_systolic", days, 150)
    await send(api, api.anna, "blood_pressure_diastolic", days, 92)
    await share(api, api.anna, metrics=["blood_pressure_systolic", "blood_pressure_diastolic"])
    return api.demo.citizens[0].id


async def link(api: Api, citizen_id: str, headers: dict[str, str], **body: object) -> str:
    r = await api.client.post(
        f"/v1/clinician/citizens/{citizen_id}/summary/links", json=body, headers=headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"] == "2026-11-20T09:10:00Z"  # ten minutes
    url: str = r.json()["url"]
    assert url.startswith("/v1/summary-links/") and len(url) > 50
    return url


async def summary_reads(api: Api) -> list[dict]:
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    return [e for e in log if e["action"] == "summary.read"]


async def test_a_link_opens_the_page_once_without_a_token_and_the_read_is_audited(
    api: Api,
) -> None:
    anna = await shared_anna(api)
    url = await link(api, anna, api.gp, lang="en")
    before = len(await summary_reads(api))
    page = await api.client.get(url)  # no Authorization header
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"] == "noindex"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "Anna Jensen" in page.text and "<script" not in page.text
    assert 'lang="en"' in page.text
    reads = await summary_reads(api)
    assert len(reads) == before + 1
    assert reads[0]["actor"]["name"] == "Dr. Karen Hansen"
    assert reads[0]["resource"] == "summary.html"

    again = await api.client.get(url)
    assert again.status_code == 404
    assert again.json()["type"].endswith("/link-used-or-expired")
    assert len(await summary_reads(api)) == before + 1


async def test_a_link_expires_after_ten_minutes(api: Api) -> None:
    anna = await shared_anna(api)
    late, in_time = await link(api, anna, api.gp), await link(api, anna, api.gp)
    api.clock.advance(minutes=9, seconds=59)
    assert (await api.client.get(in_time)).status_code == 200
    api.clock.advance(seconds=1)
    r = await api.client.get(late)
    assert r.status_code == 404 and r.json()["type"].endswith("/link-used-or-expired")


async def test_two_openings_at_once_show_the_page_once(api: Api) -> None:
    url = await link(api, await shared_anna(api), api.gp)
    both = await asyncio.gather(api.client.get(url), api.client.get(url))
    statuses = sorted(r.status_code for r in both)
    assert statuses == [200, 404]


async def test_no_link_without_a_share_nor_for_another_clinic(api: Api) -> None:
    anna = api.demo.citizens[0].id
    r = await api.client.post(
        f"/v1/clinician/citizens/{anna}/summary/links", json={}, headers=api.gp
    )
    assert r.status_code == 404 and r.json()["type"].endswith("/not-shared")
    await shared_anna(api)
    _, other_gp = await api.other_clinic()
    r = await api.client.post(
        f"/v1/clinician/citizens/{anna}/summary/links", json={}, headers=other_gp
    )
    assert r.status_code == 404
    for body, status, kind, detail in (
        ({"lang": "fr"}, 400, "validation", "Validation failed"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, 422, "invalid", "'to' is before 'from'"),
        ({"from": "2025-01-01", "to": "2026-11-01"}, 422, "invalid", "at most 366 days"),
        ({"days": 3}, 400, "validation", "Validation failed"),
    ):
        r = await api.client.post(
            f"/v1/clinician/citizens/{anna}/summary/links", json=body, headers=api.gp
        )
        assert r.status_code == status, (body, r.text)
        assert r.json()["type"] == "https://minlaege.dk/problems/" + kind, (body, r.text)
        assert detail in r.json()["detail"], (body, r.text)


async def test_a_share_revoked_after_the_link_was_made_stops_the_page(api: Api) -> None:
    anna = await shared_anna(api)
    url = await link(api, anna, api.gp)
    (given,) = (await api.client.get("/v1/me/shares", headers=api.anna)).json()
    r = await api.client.post(f"/v1/me/shares/{given['id']}/revoke", headers=api.anna)
    assert r.status_code == 200, r.text
    page = await api.client.get(url)
    assert page.status_code == 404 and page.json()["type"].endswith("/not-shared")


async def test_made_up_links_are_404(api: Api) -> None:
    for token in ("x", "A" * 43, "%2e%2e"):
        r = await api.client.get(f"/v1/summary-links/{token}")
        assert r.status_code == 404
