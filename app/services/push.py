"""Push: the citizen registers phones; the relay pushes each outbox notice to them.

The outbox row is written with the change (`notify.tell`); the relay runs apart from
the request that made it, so a slow or failing push service never slows a booking or
loses a notice. The relay claims due rows under a lease, sends outside any
transaction, and then settles each row: sent, no device, too old, given up, or to be
tried again later with a growing delay. The app's notice list shows every row
whatever the push did, so a lost push is never a lost message.

A relative holding a live power of attorney gets the notices of the areas it covers
on their own phones too (a daughter who books her father's visits gets his reminder),
marked with whose they are; revoking or expiry stops that at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta

import msgspec

from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.notices import scope_of
from app.domain.people import Citizen, Language
from app.domain.push import (
    MAX_ATTEMPTS,
    DueNotice,
    Platform,
    PushDevice,
    PushResult,
    push_message,
    push_ttl,
    retry_delay,
    valid_token,
)
from app.errors import Invalid, NotFound
from app.ports import Clock, PushSender, Store, UnitOfWork
from app.services.audit import event_for, record

__all__ = [
    "RELAY_BATCH",
    "RelayReport",
    "forget_device",
    "register_device",
    "relay_due",
]

#: rows one relay pass claims at most
RELAY_BATCH = 100
#: how long a claimed row stays with the relay that claimed it
_LEASE = timedelta(minutes=2)


async def register_device(
    uow: UnitOfWork,
    clock: Clock,
    citizen: Principal,
    platform: Platform,
    token: str,
    *,
    previews: bool,
) -> PushDevice:
    """Add the caller's phone (or update it: registering again is harmless)."""
    if not valid_token(platform, token):
        raise Invalid(
            "an APNs token is 64 to 200 hex digits"
            if platform == "apns"
            else "an FCM token is 20 to 4096 letters, digits, '_', '-' or ':'",
            kind="bad-push-token",
        )
    device = await uow.push_devices.put(
        PushDevice(
            id=new_id(),
            citizen_id=citizen.id,
            platform=platform,
            token=token,
            previews=previews,
            created_at=clock.now(),
        )
    )
    await record(
        uow,
        clock,
        event_for(citizen, citizen_id=citizen.id, action="push.device_added", resource=device.id),
    )
    return device


async def forget_device(uow: UnitOfWork, clock: Clock, citizen: Principal, device_id: str) -> None:
    if not await uow.push_devices.remove(citizen.id, device_id):
        raise NotFound("no such device")
    await record(
        uow,
        clock,
        event_for(citizen, citizen_id=citizen.id, action="push.device_removed", resource=device_id),
    )


class RelayReport(msgspec.Struct, kw_only=True):
    """What one pass of the relay did, per outcome (rows), and devices forgotten."""

    sent: int = 0
    no_device: int = 0
    expired: int = 0
    gave_up: int = 0
    retrying: int = 0
    devices_forgotten: int = 0

    @property
    def rows(self) -> int:
        return self.sent + self.no_device + self.expired + self.gave_up + self.retrying


async def relay_due(
    store: Store, clock: Clock, senders: Mapping[str, PushSender], *, limit: int = RELAY_BATCH
) -> RelayReport:
    """Push up to `limit` due notices once; what happened to them."""
    now = clock.now()
    async with store.transaction() as uow:
        due = await uow.outbox.claim_due(now, now + _LEASE, limit)
    report = RelayReport()
    if not due:
        return report
    async with store.read() as uow:
        targets = {
            cid: await _targets(uow, cid, senders, now) for cid in {d.citizen_id for d in due}
        }
    outcomes = await asyncio.gather(*(_push(d, targets[d.citizen_id], senders, now) for d in due))
    async with store.transaction() as uow:
        for item, results in zip(due, outcomes, strict=True):
            await _settle(uow, clock, item, results, report)
    return report


class _Target(msgspec.Struct, frozen=True, kw_only=True):
    """A phone a citizen's notices may go to, and on what terms."""

    device: PushDevice
    #: the phone owner's language
    language: Language
    #: None for the citizen's own phones; for a relative's, the citizen and the scopes
    #: of the power of attorney (only notices in those areas go to it)
    for_citizen: str | None = None
    scopes: frozenset[str] | None = None

    def takes(self, kind: str) -> bool:
        return self.scopes is None or scope_of(kind) in self.scopes


async def _targets(
    uow: UnitOfWork, citizen_id: str, senders: Mapping[str, PushSender], now: datetime
) -> list[_Target]:
    """The citizen's phones, and those of relatives holding a live power of attorney."""
    out: list[_Target] = []
    citizen = await uow.citizens.get(citizen_id)
    out += [
        _Target(device=d, language=_language(citizen))
        for d in await uow.push_devices.for_citizen(citizen_id)
        if d.platform in senders
    ]
    for grant in await uow.proxies.given(citizen_id):
        if not grant.active(now):
            continue
        holder = await uow.citizens.by_cpr_hash(grant.proxy_cpr_hash)
        if holder is None or holder.id == citizen_id:
            continue
        out += [
            _Target(
                device=d,
                language=_language(holder),
                for_citizen=citizen_id,
                scopes=frozenset(grant.scopes),
            )
            for d in await uow.push_devices.for_citizen(holder.id)
            if d.platform in senders
        ]
    return out


def _language(citizen: Citizen | None) -> Language:
    return "en" if citizen is not None and citizen.language == "en" else "da"


async def _push(
    item: DueNotice, targets: list[_Target], senders: Mapping[str, PushSender], now: datetime
) -> list[tuple[PushDevice, PushResult]]:
    """Send one notice to each phone that takes it, all at once."""
    chosen = [t for t in targets if t.takes(item.notice.kind)]
    if not chosen or item.created_at + push_ttl(item.notice.kind) <= now:
        return []

    async def one(target: _Target) -> tuple[PushDevice, PushResult]:
        device = target.device
        message = push_message(
            item.id,
            item.notice,
            item.created_at,
            target.language,
            previews=device.previews,
            for_citizen=target.for_citizen,
        )
        try:
            return device, await senders[device.platform].send(device.token, message)
        except Exception as exc:  # an adapter bug must not stall the other notices
            return device, PushResult(outcome="retry", detail=f"{type(exc).__name__}: {exc}")

    return list(await asyncio.gather(*(one(t) for t in chosen)))


async def _settle(
    uow: UnitOfWork,
    clock: Clock,
    item: DueNotice,
    results: list[tuple[PushDevice, PushResult]],
    report: RelayReport,
) -> None:
    now = clock.now()
    attempts = item.attempts + 1
    if not results and item.created_at + push_ttl(item.notice.kind) <= now:  # too old: not tried
        report.expired += 1
        await uow.outbox.settle(item.seq, now, "expired", item.attempts)
        return
    for device, result in results:
        if result.outcome == "gone":
            await uow.push_devices.forget_token(device.platform, device.token)
            report.devices_forgotten += 1
    retry = [r for _, r in results if r.outcome == "retry"]
    if retry and attempts < MAX_ATTEMPTS:
        asked = max((r.retry_after or 0 for r in retry), default=0)
        # Devices that got it already get it again on the retry; the notice id is the
        # collapse id, so the phone shows it once.
        await uow.outbox.retry_at(
            item.seq, attempts, now + timedelta(seconds=retry_delay(attempts, asked))
        )
        report.retrying += 1
        return
    if retry:
        report.gave_up += 1
        await uow.outbox.settle(item.seq, now, "gave-up", attempts)
    elif any(r.outcome == "sent" for _, r in results):
        report.sent += 1
        await uow.outbox.settle(item.seq, now, "sent", attempts)
    else:
        report.no_device += 1
        await uow.outbox.settle(item.seq, now, "no-device", attempts)
