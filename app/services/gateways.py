"""Gateway pairing, credentials and readings.

Pairing: the citizen asks for a short, single-use code and types it into the gateway;
the gateway trades it for its own id and secret (OAuth 2 client credentials), and from
then on asks `/v1/gateway/token` for short-lived access tokens. The secret is stored
only as a hash; revoking the gateway stops both new tokens and the tokens it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

from app.domain.identity import Principal, Role
from app.domain.ids import new_id
from app.domain.metrics import Metric
from app.domain.people import Gateway
from app.domain.plausibility import check
from app.domain.readings import Decoded, GatewayReading, reading_time
from app.domain.samples import Sample, Source, SourceKind
from app.domain.time import to_ms
from app.errors import Invalid, Unauthenticated
from app.ports import Clock, SampleRow, UnitOfWork
from app.services.audit import event_for, record
from app.services.ingest import reroll
from app.services.sample_rows import SourceNumbers, sample_row

__all__ = [
    "PAIRING_MINUTES",
    "Credentials",
    "PairingCode",
    "ReadingOutcome",
    "check_client",
    "pair",
    "start_pairing",
    "store_readings",
]

PAIRING_MINUTES = 10
#: no 0/O, 1/I/L: a code read aloud over the phone to a relative must survive
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_DAY_MS = 86_400_000


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class PairingCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    expires_at: datetime


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """What a gateway keeps after pairing (the secret is shown this once)."""

    gateway_id: str
    client_secret: str
    token_endpoint: str = "/v1/gateway/token"


async def start_pairing(
    uow: UnitOfWork, clock: Clock, citizen: Principal, name: str
) -> PairingCode:
    if not (0 < len(name.strip()) <= 100):
        raise Invalid("a gateway name is 1 to 100 characters")
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    expires = clock.now() + timedelta(minutes=PAIRING_MINUTES)
    await uow.gateway_io.add_pairing(_hash(raw), citizen.id, name.strip(), expires)
    return PairingCode(code=f"{raw[:4]}-{raw[4:]}", expires_at=expires)


async def pair(uow: UnitOfWork, clock: Clock, code: str) -> Credentials:
    """Spend a pairing code; a used, expired or unknown code is refused the same way."""
    found = await uow.gateway_io.use_pairing(_hash(_normal_code(code)), clock.now())
    if found is None:
        raise Unauthenticated(
            "the pairing code is unknown, used or expired; ask the app for a new one",
            kind="invalid-pairing-code",
        )
    citizen_id, name = found
    gateway = Gateway(id=new_id(), citizen_id=citizen_id, name=name, created_at=clock.now())
    await uow.gateways.add(gateway)
    secret = secrets.token_urlsafe(32)
    await uow.gateway_io.set_secret(gateway.id, _hash(secret))
    await record(
        uow,
        clock,
        event_for(
            Principal(role=Role.GATEWAY, subject=gateway.id, id=gateway.id, name=name),
            citizen_id=citizen_id,
            action="gateway.paired",
            resource=f"gateway/{gateway.id}",
        ),
    )
    return Credentials(gateway_id=gateway.id, client_secret=secret)


async def check_client(uow: UnitOfWork, gateway_id: str, secret: str) -> None:
    """Client credentials: the gateway's id and secret, compared in constant time."""
    stored = await uow.gateway_io.secret_hash(gateway_id)
    if stored is None or not hmac.compare_digest(stored, _hash(secret)):
        raise Unauthenticated("unknown gateway or wrong secret", kind="invalid-client")


class ReadingOutcome(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    id: str
    outcome: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    samples: int = 0
    #: the UTC time the samples were stored at
    time: datetime | None = None


async def store_readings(
    uow: UnitOfWork,
    clock: Clock,
    gateway: Principal,
    items: Sequence[tuple[GatewayReading, Decoded | str]],
) -> list[ReadingOutcome]:
    """Store a batch for the gateway's own citizen; one bad reading never sinks the rest."""
    citizen_id = gateway.citizen_id
    if citizen_id is None:
        raise Unauthenticated("not a gateway", kind="invalid-token")
    citizen = await uow.citizens.get(citizen_id)
    zone = citizen.timezone if citizen else "Europe/Copenhagen"
    now_ms = to_ms(clock.now())
    numbers = await SourceNumbers.load(uow, clock, citizen_id)
    touched: dict[Metric, set[int]] = {}
    # Everything is decided in memory against two bulk lookups, then written in two bulk
    # inserts: a batch of a thousand readings costs a handful of statements, not thousands.
    seen_ids = await uow.gateway_io.seen_ids(citizen_id, gateway.id, [r.id for r, _ in items])
    seen_seq = await uow.gateway_io.seen_sequences(
        citizen_id,
        [r.device.key for r, d in items if not isinstance(d, str) and d.sequence is not None],
    )
    out: list[ReadingOutcome] = []
    log_rows: list[tuple[str, str, str, str, str, int | None, int]] = []
    sample_rows: list[SampleRow] = []
    for reading, decoded in items:
        if isinstance(decoded, str):
            out.append(ReadingOutcome(id=reading.id, outcome="rejected", reason=decoded))
            continue
        if reading.received_at.tzinfo is None:
            out.append(
                ReadingOutcome(
                    id=reading.id, outcome="rejected", reason="received_at needs an offset"
                )
            )
            continue
        at = reading_time(reading, decoded, zone).astimezone(UTC)
        at_ms = to_ms(at)
        device = reading.device
        source = Source(
            key=device.key, name=device.label, kind=SourceKind.DEVICE, device=device.model
        )
        samples = [
            Sample(metric=m, start_ms=at_ms, end_ms=at_ms, value=v, source=source)
            for m, v in ([] if decoded.withheld else decoded.values)
        ]
        problem = next((p for p in (check(s, now_ms) for s in samples) if p is not None), None)
        if problem is not None:
            out.append(ReadingOutcome(id=reading.id, outcome="rejected", reason=problem.value))
            continue
        characteristic = reading.characteristic.upper()
        seq_key = (
            None if decoded.sequence is None else (device.key, characteristic, decoded.sequence)
        )
        if reading.id in seen_ids or (seq_key is not None and seq_key in seen_seq):
            out.append(ReadingOutcome(id=reading.id, outcome="duplicate"))
            continue
        seen_ids.add(reading.id)
        if seq_key is not None:
            seen_seq.add(seq_key)
        log_rows.append(
            (
                citizen_id,
                gateway.id,
                reading.id,
                device.key,
                characteristic,
                decoded.sequence,
                to_ms(reading.received_at),
            )
        )
        if samples:
            number = await numbers.of(source)
            sample_rows.extend(sample_row(citizen_id, number, s) for s in samples)
            for s in samples:
                touched.setdefault(s.metric, set()).add(at_ms // _DAY_MS)
        out.append(
            ReadingOutcome(
                id=reading.id,
                outcome="accepted",
                samples=len(samples),
                time=at,
                reason=decoded.withheld,
            )
        )
    await uow.gateway_io.record_readings(log_rows)
    await uow.samples.insert(sample_rows)
    if touched:
        await reroll(uow, citizen_id, touched)
    return out
