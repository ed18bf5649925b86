"""GET /v1/me/notices as docs/api.md promises it: newest first, paged with `limit` and
`next_cursor`, texts in the citizen's language beside both languages, and a relative's
list narrowed to the areas granted before the page is cut."""

from __future__ import annotations

from typing import Any

from app.domain.notices import NoticeKind, notice
from app.services.notify import tell
from tests.api.test_proxy_api import for_anna, grant
from tests.conftest import Api

URL = "/v1/me/notices"


async def _tell(api: Api, kinds_and_refs: list[tuple[NoticeKind, str]]) -> None:
    """Notices for Anna, one a minute apart, in the order given (the last is newest)."""
    for kind, ref in kinds_and_refs:
        api.clock.advance(seconds=60)
        async with api.runtime.store.transaction() as uow:
            await tell(
                uow,
                api.clock,
                api.demo.citizens[0].id,
                notice(kind, ref=ref, medication="Metformin", reason="Snak med mig", when="x"),
            )


async def _page(api: Api, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = await api.client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_pages_run_newest_first_and_end_without_a_cursor(api: Api) -> None:
    await _tell(api, [("renewal.rejected", f"renewals/{n}") for n in range(5)])
    refs: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await _page(api, api.anna, **params)
        pages += 1
        assert len(page["items"]) == (2 if pages < 3 else 1)
        refs += [n["ref"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert refs == [f"renewals/{n}" for n in (4, 3, 2, 1, 0)]


async def test_a_page_that_ends_exactly_at_the_last_notice_has_no_cursor(api: Api) -> None:
    await _tell(api, [("renewal.rejected", f"renewals/{n}") for n in range(4)])
    first = await _page(api, api.anna, limit=2)
    assert first["next_cursor"] is not None
    second = await _page(api, api.anna, limit=2, cursor=first["next_cursor"])
    assert [n["ref"] for n in second["items"]] == ["renewals/1", "renewals/0"]
    assert second["next_cursor"] is None
    whole = await _page(api, api.anna, limit=4)
    assert len(whole["items"]) == 4 and whole["next_cursor"] is None


async def test_limit_is_1_to_100_and_50_by_default(api: Api) -> None:
    await _tell(api, [("renewal.rejected", f"renewals/{n}") for n in range(51)])
    assert len((await _page(api, api.anna))["items"]) == 50
    for bad in (0, 101):
        r = await api.client.get(URL, params={"limit": bad}, headers=api.anna)
        assert (r.status_code, r.json()["type"]) == (400, "https://minlaege.dk/problems/validation")


async def test_texts_follow_the_citizens_language_and_carry_both(api: Api) -> None:
    await _tell(api, [("renewal.rejected", "renewals/1")])
    (da,) = (await _page(api, api.anna))["items"]
    assert (da["title"], da["title_da"]) == ("Recept ikke fornyet", "Recept ikke fornyet")
    assert (
        da["body"] == da["body_da"] == "Lægen har ikke fornyet Metformin. Begrundelse: Snak med mig"
    )
    assert da["title_en"] == "Prescription not renewed"
    r = await api.client.patch("/v1/me", json={"language": "en"}, headers=api.anna)
    assert r.status_code == 200, r.text
    (en,) = (await _page(api, api.anna))["items"]
    assert (en["title"], en["body"]) == (
        "Prescription not renewed",
        "Your doctor did not renew Metformin. Reason: Snak med mig",
    )
    assert (en["title_da"], en["body_da"]) == (da["title_da"], da["body_da"])


async def test_a_relative_sees_only_the_granted_areas(api: Api) -> None:
    await _tell(api, [("appointment.booked", "appointments/1"), ("renewal.rejected", "renewals/1")])
    await grant(api, ["booking"])
    page = await _page(api, for_anna(api))
    assert [n["ref"] for n in page["items"]] == ["appointments/1"]


async def test_a_relatives_page_is_cut_after_the_areas_are_applied(api: Api) -> None:
    await _tell(
        api,
        [("appointment.booked", f"appointments/{n}") for n in range(3)]
        + [("renewal.rejected", f"renewals/{n}") for n in range(3)],
    )
    await grant(api, ["booking"])
    page = await _page(api, for_anna(api), limit=2)
    assert [n["ref"] for n in page["items"]] == ["appointments/2", "appointments/1"]
    rest = await _page(api, for_anna(api), limit=2, cursor=page["next_cursor"])
    assert [n["ref"] for n in rest["items"]] == ["appointments/0"]
    assert rest["next_cursor"] is None
