"""One-time links to the clinic's inbox page, on both engines: made with the clinician's
token, opened once without one within ten minutes, listing only the caller's own items,
each look audited in its patient's log; and the bearer-token page beside them."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.sharing_data import days_back, send, share

LINKS = "/v1/clinician/inbox/links"
PROBLEMS = "https://minlaege.dk/problems/"
BP = ["blood_pressure_systolic", "blood_pressure_diastolic"]
HREF = re.compile(r'href="(/v1/summary-links/[^"]+)"')


async def make_link(api: Api, headers: dict[str, str], **body: object) -> str:
    r = await api.client.post(LINKS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    expires = datetime.fromisoformat(r.json()["expires_at"])
    assert expires == api.clock.now() + timedelta(minutes=10)
    url: str = r.json()["url"]
    assert url.startswith("/v1/inbox-links/") and len(url) > 50
    return url


async def anna_missing_bp(api: Api) -> None:
    """Anna shares blood pressure before measuring any: two blue "missing data" items."""
    await share(api, api.anna, metrics=BP)


async def bent_high_bp(api: Api) -> None:
    """Bent measures a raised blood pressure and shares it: one yellow item."""
    days = days_back(14)
    await send(api, api.bent, "blood_pressure_systolic", days, 150)
    await send(api, api.bent, "blood_pressure_diastolic", days, 88)
    await share(api, api.bent, metrics=BP)


async def carl_very_high_bp(api: Api) -> None:
    """Carl, a third patient, measures a very high blood pressure: one red item."""
    carl = await api.patient("carl")
    days = days_back(14)
    await send(api, carl, "blood_pressure_systolic", days, 185)
    await send(api, carl, "blood_pressure_diastolic", days, 112)
    await share(api, carl, metrics=BP)


async def inbox_reads(api: Api, who: dict[str, str]) -> list[dict[str, Any]]:
    r = await api.client.get("/v1/me/audit-log?limit=200", headers=who)
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["action"] == "inbox.read"]


async def test_a_link_opens_the_inbox_page_once_without_a_token(api: Api) -> None:
    await anna_missing_bp(api)
    await bent_high_bp(api)
    await carl_very_high_bp(api)
    url = await make_link(api, api.gp)
    page = await api.client.get(url)  # no Authorization header
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert 'lang="da"' in html and "<script" not in html.lower()
    assert "Indbakke" in html and "4 åbne punkter" in html
    # red, then yellow, then blue, each with a text label beside its colour
    order = [html.index(f'data-severity="{s}"') for s in ("red", "yellow", "blue")]
    assert order == sorted(order)
    assert html.index("Carl") < html.index("Bent Nielsen") < html.index("Anna Jensen")
    for label in ("Rød", "Gul", "Blå", "Kræver kontakt", "Skal vurderes", "Til orientering"):
        assert label in html, label
    assert "Meget højt hjemmeblodtryk" in html and "Forhøjet hjemmeblodtryk" in html
    assert "Gennemsnit 150/88 mmHg (grænse 135/85)" in html
    assert "Mangler data" in html and "Måling" in html
    assert "åbnet i dag kl. 10.00" in html  # the test clock: 09:00 UTC, 10:00 in Copenhagen

    again = await api.client.get(url)
    assert again.status_code == 404
    assert again.json()["type"] == PROBLEMS + "link-used-or-expired"


async def test_a_link_expires_after_ten_minutes(api: Api) -> None:
    await anna_missing_bp(api)
    late, in_time = await make_link(api, api.gp), await make_link(api, api.gp)
    api.clock.advance(minutes=9, seconds=59)
    assert (await api.client.get(in_time)).status_code == 200
    api.clock.advance(seconds=1)
    r = await api.client.get(late)
    assert r.status_code == 404 and r.json()["type"] == PROBLEMS + "link-used-or-expired"


async def test_two_openings_at_once_show_the_page_once(api: Api) -> None:
    url = await make_link(api, api.gp)
    both = await asyncio.gather(api.client.get(url), api.client.get(url))
    assert sorted(r.status_code for r in both) == [200, 404]


async def test_made_up_links_are_404(api: Api) -> None:
    for token in ("x", "A" * 43, "%2e%2e"):
        r = await api.client.get(f"/v1/inbox-links/{token}")
        assert r.status_code == 404


async def test_only_clinicians_make_links(api: Api) -> None:
    r = await api.client.post(LINKS, json={})
    assert r.status_code == 401
    for who in (api.anna, api.gateway):
        r = await api.client.post(LINKS, json={}, headers=who)
        assert r.status_code == 403, r.text
    r = await api.client.get("/v1/clinician/inbox.html")
    assert r.status_code == 401
    r = await api.client.get("/v1/clinician/inbox.html", headers=api.anna)
    assert r.status_code == 403


async def test_the_body_is_optional_and_checked(api: Api) -> None:
    r = await api.client.post(LINKS, headers=api.gp)  # no body: Danish, open items
    assert r.status_code == 201, r.text
    page = await api.client.get(r.json()["url"])
    assert page.status_code == 200 and 'lang="da"' in page.text
    for body in ({"language": "fr"}, {"status": "closed"}, {"lang": "en"}):
        r = await api.client.post(LINKS, json=body, headers=api.gp)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["type"] == PROBLEMS + "validation", (body, r.text)


async def test_an_empty_inbox_says_so_in_danish_and_english(api: Api) -> None:
    page = await api.client.get(await make_link(api, api.gp))
    assert "Indbakken er tom" in page.text and "0 åbne punkter" in page.text
    page = await api.client.get(await make_link(api, api.gp, language="en"))
    assert 'lang="en"' in page.text and "The inbox is empty" in page.text


async def test_another_clinics_gp_sees_only_their_own_items(api: Api) -> None:
    await anna_missing_bp(api)
    clinic_id, other_gp = await api.other_clinic()
    olga = await api.patient("olga", clinic_id=clinic_id)
    await share(api, olga, metrics=["spo2"])

    theirs = (await api.client.get(await make_link(api, other_gp))).text
    assert "Olga" in theirs and "Anna Jensen" not in theirs
    assert "Anden Klinik" in theirs and "1 åbent punkt" in theirs
    ours = (await api.client.get(await make_link(api, api.gp))).text
    assert "Anna Jensen" in ours and "Olga" not in ours
    # Anna's log has the demo GP's looks only
    actors = {e["actor"]["name"] for e in await inbox_reads(api, api.anna)}
    assert actors == {"Dr. Karen Hansen"}


async def test_opening_is_audited_in_each_shown_citizens_log(api: Api) -> None:
    await anna_missing_bp(api)
    await bent_high_bp(api)
    assert await inbox_reads(api, api.anna) == [] and await inbox_reads(api, api.bent) == []
    url = await make_link(api, api.gp)
    # making the link is not a look at anyone's data
    assert await inbox_reads(api, api.anna) == []
    assert (await api.client.get(url)).status_code == 200
    anna, bent = await inbox_reads(api, api.anna), await inbox_reads(api, api.bent)
    assert len(anna) == 2 and len(bent) == 1  # one entry per item shown
    for entry in anna + bent:
        assert entry["actor"]["name"] == "Dr. Karen Hansen"
        assert entry["resource"].startswith("inbox/")
    assert len({e["resource"] for e in anna}) == 2  # each of Anna's items
    async with api.runtime.store.read() as uow:
        (stored,) = await uow.audit.page(
            api.demo.citizens[1].id, before_seq=None, limit=1, action="inbox.read"
        )
    assert stored.detail == {"code": "bp_mean_high", "severity": "yellow"}
    # a used link shows nothing and logs nothing more
    assert (await api.client.get(url)).status_code == 404
    assert len(await inbox_reads(api, api.anna)) == 2


async def test_measurement_items_link_once_to_each_patients_summary(api: Api) -> None:
    await anna_missing_bp(api)
    await bent_high_bp(api)
    html = (await api.client.get(await make_link(api, api.gp))).text
    hrefs = HREF.findall(html)
    # Anna's two items share one link; Bent has his own
    assert len(hrefs) == 3 and len(set(hrefs)) == 2
    assert "Se hjemmemålinger" in html and "virker én gang inden for 10 minutter" in html
    bent_url = HREF.findall(html[html.index("Bent Nielsen") :])[0]
    summary = await api.client.get(bent_url)
    assert summary.status_code == 200, summary.text
    assert "Bent Nielsen" in summary.text and "Forhøjet hjemmeblodtryk" in summary.text
    assert (await api.client.get(bent_url)).status_code == 404


async def test_status_all_shows_resolved_items_in_english(api: Api) -> None:
    await bent_high_bp(api)
    (item,) = (await api.client.get("/v1/clinician/inbox", headers=api.gp)).json()["items"]
    r = await api.client.post(
        f"/v1/clinician/inbox/{item['id']}/resolve",
        json={"note": "Ringer <i>i morgen</i>", "action": "call"},
        headers=api.gp,
    )
    assert r.status_code == 200, r.text
    api.clock.advance(days=3)
    open_only = (await api.client.get(await make_link(api, api.gp, language="en"))).text
    assert "The inbox is empty" in open_only
    every = (await api.client.get(await make_link(api, api.gp, language="en", status="all"))).text
    assert "Raised home blood pressure" in every and "opened 3 days ago" in every
    assert "Resolved 20 Nov 2026 by Dr. Karen Hansen" in every and "Action: call" in every
    assert "Ringer &lt;i&gt;i morgen&lt;/i&gt;" in every  # escaped, never markup
    assert 'data-status="resolved"' in every


async def test_the_bearer_page_is_the_same_page(api: Api) -> None:
    await bent_high_bp(api)
    r = await api.client.get("/v1/clinician/inbox.html", headers=api.gp)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    assert r.headers["x-robots-tag"] == "noindex"
    assert "Bent Nielsen" in r.text and "<script" not in r.text.lower()
    r = await api.client.get("/v1/clinician/inbox.html?lang=en&status=all", headers=api.gp)
    assert r.status_code == 200 and 'lang="en"' in r.text and "1 item" in r.text
    assert len(await inbox_reads(api, api.bent)) == 2
