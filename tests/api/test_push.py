"""Push on both engines: phones registered over the API, the outbox relayed to them
through the real APNs adapter over HTTP/2 to a local stand-in for Apple."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.push.apns import ApnsSender
from adapters.push.fcm import FcmSender, ServiceAccount
from app.domain.notices import notice
from app.domain.push import PushResult
from app.ports import PushSender
from app.services.notify import tell
from app.services.push import relay_due
from app.settings import Settings
from mobile_api.asgi import create_app
from mobile_api.runtime import Runtime
from tests.api.test_booking_api import book, free_slots
from tests.api.test_proxy_api import for_anna, grant
from tests.conftest import Api
from tests.push_servers import FakeApns, FakeFcm, fake_apns, fake_fcm, pem_of, trusting

PHONE = "ab" * 32
TABLET = "cd" * 32


@pytest.fixture
async def apple(tmp_path: Path) -> AsyncIterator[FakeApns]:
    async with fake_apns(tmp_path) as server:
        yield server


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ANDROID = "fcm_" + "z" * 150


@pytest.fixture
async def google(tmp_path: Path) -> AsyncIterator[FakeFcm]:
    async with fake_fcm(tmp_path / "google", RSA_KEY.public_key()) as server:
        yield server


def _account(google: FakeFcm) -> ServiceAccount:
    return ServiceAccount(
        project_id="minlaege-test",
        client_email="push@minlaege-test.iam.gserviceaccount.com",
        private_key=pem_of(RSA_KEY).decode(),
        token_uri=f"{google.base_url}/token",
    )


@pytest.fixture
async def senders(
    api: Api, apple: FakeApns, google: FakeFcm
) -> AsyncIterator[dict[str, PushSender]]:
    async with httpx.AsyncClient(http2=True, verify=trusting(apple, google)) as client:
        yield {
            "apns": ApnsSender(
                client,
                api.clock,
                key_pem=pem_of(ec.generate_private_key(ec.SECP256R1())),
                key_id="KEY123ABCD",
                team_id="TEAM123456",
                topic="dk.minlaege.app",
                base_url=apple.base_url,
            ),
            "fcm": FcmSender(client, api.clock, _account(google), base_url=google.base_url),
        }


async def register(
    api: Api, headers: dict[str, str], token: str = PHONE, **extra: object
) -> httpx.Response:
    return await api.client.post(
        "/v1/me/push-devices", json={"platform": "apns", "token": token} | extra, headers=headers
    )


async def outcomes(api: Api, citizen_id: str) -> list[tuple[str | None, int, int | None]]:
    """(push_outcome, attempts, delivered_at) of the citizen's outbox rows, oldest first."""
    async with api.runtime.store.read() as uow:
        rows = await uow.connection.fetchall(  # type: ignore[attr-defined]
            "SELECT push_outcome, attempts, delivered_at FROM outbox WHERE citizen_id = ?"
            " ORDER BY seq",
            (citizen_id,),
        )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_a_booking_is_pushed_to_the_citizens_phone_neutrally_by_default(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    r = await register(api, api.anna)
    assert r.status_code == 201, r.text
    assert r.json()["token_end"] == PHONE[-8:] and r.json()["previews"] is False
    slot = (await free_slots(api, api.anna))[0]
    assert (await book(api, api.anna, slot["id"], reason="Ondt i knæet")).status_code == 201

    report = await relay_due(api.runtime.store, api.clock, senders)
    assert (report.sent, report.rows) == (1, 1)
    (seen,) = apple.seen
    assert seen.http_version == "2" and seen.token == PHONE
    notices = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"]
    assert seen.json()["notice_id"] == notices[0]["id"]
    # nothing about the visit on the lock screen, nor in Apple's hands
    assert seen.json()["aps"]["alert"] == {
        "title": "Ny besked fra Min Læge",
        "body": "Åbn appen for at læse den.",
    }
    assert "knæ" not in seen.body.decode()
    assert await outcomes(api, api.demo.citizens[0].id) == [
        ("sent", 1, int(api.clock.now().timestamp() * 1000))
    ]
    # a second pass has nothing to do
    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0
    assert len(apple.seen) == 1


async def test_previews_show_the_title_in_the_citizens_language_never_the_body(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    await register(api, api.anna, previews=True)
    r = await api.client.patch("/v1/me", json={"language": "en"}, headers=api.anna)
    assert r.status_code == 200, r.text
    async with api.runtime.store.transaction() as uow:
        await tell(
            uow,
            api.clock,
            api.demo.citizens[0].id,
            notice("renewal.approved", ref="renewal/1", medication="Metformin 500 mg"),
        )
    await relay_due(api.runtime.store, api.clock, senders)
    (seen,) = apple.seen
    assert seen.json()["aps"]["alert"] == {
        "title": "Prescription renewed",
        "body": "Open the app to read more.",
    }
    assert "Metformin" not in seen.body.decode()


async def test_every_phone_gets_it_iphone_and_android_and_a_dead_token_is_forgotten(
    api: Api, apple: FakeApns, google: FakeFcm, senders: dict[str, PushSender]
) -> None:
    await register(api, api.anna, PHONE)
    await register(api, api.anna, TABLET)
    r = await api.client.post(
        "/v1/me/push-devices", json={"platform": "fcm", "token": ANDROID}, headers=api.anna
    )
    assert r.status_code == 201, r.text
    apple.answer(TABLET, (410, "Unregistered", {}))
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref="r/1"))
    report = await relay_due(api.runtime.store, api.clock, senders)
    assert (report.sent, report.devices_forgotten) == (1, 1)
    assert sorted(s.token for s in apple.seen) == sorted([PHONE, TABLET])
    (android,) = google.seen
    assert android.http_version == "2"
    assert android.json()["message"]["token"] == ANDROID
    assert android.json()["message"]["notification"]["title"] == "Ny besked fra Min Læge"
    left = (await api.client.get("/v1/me/push-devices", headers=api.anna)).json()
    assert sorted(d["token_end"] for d in left) == sorted([PHONE[-8:], ANDROID[-8:]])


async def test_a_failing_push_is_retried_later_with_a_growing_delay_then_given_up(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    await register(api, api.anna)
    apple.answer(PHONE, (503, "ServiceUnavailable", {}))
    anna = api.demo.citizens[0].id
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, anna, notice("consultation.answered", ref="c/1"))
    assert (await relay_due(api.runtime.store, api.clock, senders)).retrying == 1
    assert await outcomes(api, anna) == [(None, 1, None)]
    api.clock.advance(seconds=29)  # the first wait is 30 s
    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0
    api.clock.advance(seconds=1)
    assert (await relay_due(api.runtime.store, api.clock, senders)).retrying == 1
    api.clock.advance(seconds=59)  # then 60 s
    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0
    api.clock.advance(seconds=1)
    assert (await relay_due(api.runtime.store, api.clock, senders)).retrying == 1
    assert await outcomes(api, anna) == [(None, 3, None)]
    assert len(apple.seen) == 3
    for _ in range(7):  # 10 tries in all, within the day a notice is worth pushing
        api.clock.advance(hours=1)
        await relay_due(api.runtime.store, api.clock, senders)
    assert [o[:2] for o in await outcomes(api, anna)] == [("gave-up", 10)]
    assert len(apple.seen) == 10


async def test_retry_after_from_apple_is_respected(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    await register(api, api.anna)
    apple.answer(PHONE, (429, "TooManyRequests", {"retry-after": "600"}), (200, "", {}))
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref="r/1"))
    await relay_due(api.runtime.store, api.clock, senders)
    api.clock.advance(seconds=599)
    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0
    api.clock.advance(seconds=1)
    assert (await relay_due(api.runtime.store, api.clock, senders)).sent == 1


async def test_without_a_phone_or_after_a_day_nothing_is_pushed_and_the_list_keeps_it(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    bent = api.demo.citizens[1].id
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, bent, notice("renewal.rejected", ref="r/1"))
    assert (await relay_due(api.runtime.store, api.clock, senders)).no_device == 1
    await register(api, api.bent)
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, bent, notice("renewal.rejected", ref="r/2"))
    api.clock.advance(hours=24)  # the relay was down for a day
    assert (await relay_due(api.runtime.store, api.clock, senders)).expired == 1
    assert apple.seen == []
    assert [o[0] for o in await outcomes(api, bent)] == ["no-device", "expired"]
    listed = (await api.client.get("/v1/me/notices", headers=api.bent)).json()["items"]
    assert len(listed) == 2


async def test_two_relays_at_once_push_each_notice_once(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    await register(api, api.anna)
    async with api.runtime.store.transaction() as uow:
        for n in range(30):
            await tell(
                uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref=f"{n}")
            )
    first, second = await asyncio.gather(
        relay_due(api.runtime.store, api.clock, senders, limit=20),
        relay_due(api.runtime.store, api.clock, senders, limit=20),
    )
    assert first.sent + second.sent == 30
    ids = [s.json()["notice_id"] for s in apple.seen]
    assert len(ids) == len(set(ids)) == 30


async def test_registering_again_is_one_device_and_a_phone_moves_to_its_new_owner(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    first = (await register(api, api.anna)).json()
    again = (await register(api, api.anna, previews=True)).json()
    assert again["id"] == first["id"] and again["previews"] is True
    assert len((await api.client.get("/v1/me/push-devices", headers=api.anna)).json()) == 1
    # the same phone, now logged in as Bent: Anna's notices must not reach it
    await register(api, api.bent)
    assert (await api.client.get("/v1/me/push-devices", headers=api.anna)).json() == []
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref="r"))
    assert (await relay_due(api.runtime.store, api.clock, senders)).no_device == 1
    assert apple.seen == []


async def test_a_citizen_removes_only_their_own_device(api: Api) -> None:
    annas = (await register(api, api.anna)).json()
    r = await api.client.delete(f"/v1/me/push-devices/{annas['id']}", headers=api.bent)
    assert r.status_code == 404
    r = await api.client.delete(f"/v1/me/push-devices/{annas['id']}", headers=api.anna)
    assert r.status_code == 204
    assert (await api.client.get("/v1/me/push-devices", headers=api.anna)).json() == []
    r = await api.client.delete(f"/v1/me/push-devices/{annas['id']}", headers=api.anna)
    assert r.status_code == 404
    log = (await api.client.get("/v1/me/audit-log", headers=api.anna)).json()["items"]
    actions = [e["action"] for e in log]
    assert "push.device_added" in actions and "push.device_removed" in actions


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ({"platform": "apns", "token": "not-hex"}, 422, "bad-push-token"),
        ({"platform": "apns", "token": "ab" * 20}, 422, "bad-push-token"),
        ({"platform": "fcm", "token": "has spaces, which FCM never gives"}, 422, "bad-push-token"),
        ({"platform": "sms", "token": PHONE}, 400, None),
        ({"platform": "apns"}, 400, None),
        ({"platform": "apns", "token": PHONE, "owner": "bent"}, 400, None),
    ],
)
async def test_bad_registrations_are_refused_and_store_nothing(
    api: Api, body: dict[str, object], status: int, kind: str | None
) -> None:
    r = await api.client.post("/v1/me/push-devices", json=body, headers=api.anna)
    assert r.status_code == status, r.text
    if kind:
        assert r.json()["type"].endswith(kind)
    assert (await api.client.get("/v1/me/push-devices", headers=api.anna)).json() == []


async def test_a_relative_with_a_power_of_attorney_gets_the_notices_it_covers(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    """Bent holds Anna's booking grant: her appointment notices reach his phone too,
    marked as hers; her renewal notices do not; after revoking, nothing does."""
    anna = api.demo.citizens[0].id
    await register(api, api.anna, PHONE)
    await register(api, api.bent, TABLET)  # Bent's own phone, registered as himself
    held = await grant(api, ["booking"])
    slot = (await free_slots(api, api.anna))[0]
    assert (await book(api, for_anna(api), slot["id"])).status_code == 201
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, anna, notice("renewal.rejected", ref="r/1"))
    assert (await relay_due(api.runtime.store, api.clock, senders)).sent == 2
    to_bent = [s.json() for s in apple.seen if s.token == TABLET]
    to_anna = [s.json() for s in apple.seen if s.token == PHONE]
    assert len(to_anna) == 2
    (only,) = to_bent
    assert only["for_citizen"] == anna
    booked = (await api.client.get("/v1/me/notices", headers=api.anna)).json()["items"][-1]
    assert booked["kind"] == "appointment.booked" and only["notice_id"] == booked["id"]
    assert all("for_citizen" not in p for p in to_anna)

    r = await api.client.post(f"/v1/me/proxies/{held['id']}/revoke", headers=api.anna)
    assert r.status_code == 200, r.text
    apple.seen.clear()
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, anna, notice("appointment.booked", ref="a/2"))
    await relay_due(api.runtime.store, api.clock, senders)
    assert [s.token for s in apple.seen] == [PHONE]


async def test_a_relative_under_a_power_of_attorney_cannot_add_a_phone(api: Api) -> None:
    await grant(api, ["booking", "messages", "medications", "wearables", "shares"])
    r = await register(api, for_anna(api))
    assert r.status_code == 403
    assert r.json()["type"].endswith("proxy-scope")
    r = await api.client.get("/v1/me/push-devices", headers=for_anna(api))
    assert r.status_code == 403


async def test_the_served_app_runs_the_relay_when_push_is_configured(
    settings: Settings, api: Api, apple: FakeApns, google: FakeFcm, tmp_path: Path
) -> None:
    """What `minlaege serve` does: settings name the keys, the app's lifespan starts the
    relay loop, and a notice written while it runs reaches both phones."""
    key = tmp_path / "AuthKey_KEY123ABCD.p8"
    key.write_bytes(pem_of(ec.generate_private_key(ec.SECP256R1())))
    account = tmp_path / "service-account.json"
    account.write_bytes(msgspec.json.encode(_account(google)))
    configured = msgspec.structs.replace(
        settings,
        apns_key_file=key,
        apns_key_id="KEY123ABCD",
        apns_team_id="TEAM123456",
        apns_topic="dk.minlaege.app",
        apns_url=apple.base_url,
        fcm_service_account_file=account,
        fcm_url=google.base_url,
        worker_interval_seconds=0.05,
    )
    await register(api, api.anna)
    await api.client.post(
        "/v1/me/push-devices", json={"platform": "fcm", "token": ANDROID}, headers=api.anna
    )
    async with httpx.AsyncClient(http2=True, verify=trusting(apple, google)) as client:
        app = create_app(configured, clock=api.clock, http=client)
        async with app.lifespan():
            runtime: Runtime = app.state.runtime
            assert set(runtime.senders) == {"apns", "fcm"}
            async with api.runtime.store.transaction() as uow:
                await tell(
                    uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref="r")
                )
            for _ in range(200):
                if apple.seen and google.seen:
                    break
                await asyncio.sleep(0.02)
    assert [s.token for s in apple.seen] == [PHONE]
    assert [s.json()["message"]["token"] for s in google.seen] == [ANDROID]
    assert [o[0] for o in await outcomes(api, api.demo.citizens[0].id)] == ["sent"]


def test_half_an_apns_configuration_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="MINLAEGE_APNS_TOPIC"):
        _ = msgspec.structs.replace(settings, apns_key_id="KEY123ABCD").apns_configured


class RelayDied(BaseException):
    """Stands for the relay's process ending mid-send (not an error it could catch)."""


class DyingSender:
    platform = "apns"

    async def send(self, token: str, message: object) -> PushResult:
        raise RelayDied


async def test_a_dead_relays_rows_come_back_when_the_lease_ends(
    api: Api, apple: FakeApns, senders: dict[str, PushSender]
) -> None:
    """ADR 0011: rows are claimed under a 2-minute lease; a relay that dies holding them
    lets go when it ends, and another relay then pushes them, once."""
    await register(api, api.anna)
    async with api.runtime.store.transaction() as uow:
        await tell(uow, api.clock, api.demo.citizens[0].id, notice("renewal.rejected", ref="1"))
    start = api.clock.now()
    with pytest.raises(RelayDied):
        await relay_due(api.runtime.store, api.clock, {"apns": DyingSender()})
    assert await outcomes(api, api.demo.citizens[0].id) == [(None, 0, None)]

    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0  # still leased
    api.clock.set(start + timedelta(minutes=2) - timedelta(milliseconds=1))
    assert (await relay_due(api.runtime.store, api.clock, senders)).rows == 0
    assert apple.seen == []
    api.clock.set(start + timedelta(minutes=2))
    report = await relay_due(api.runtime.store, api.clock, senders)
    assert (report.sent, report.rows) == (1, 1)
    assert len(apple.seen) == 1
    assert await outcomes(api, api.demo.citizens[0].id) == [
        ("sent", 1, int(api.clock.now().timestamp() * 1000))
    ]
