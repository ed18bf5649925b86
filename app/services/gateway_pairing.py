"""Gateway pairing and credentials.

The citizen asks for a short, single-use code and types it into the gateway; the
gateway trades it for its own id and secret (OAuth 2 client credentials), and from then
on asks `/v1/gateway/token` for short-lived access tokens. The secret is stored only as
a hash; revoking the gateway stops both new tokens and the tokens it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import msgspec

from app.domain.identity import Principal, Role
from app.domain.ids import new_id
from app.domain.people import Gateway
from app.errors import Invalid, Unauthenticated
from app.ports import Clock, UnitOfWork
from app.services.audit import event_for, record

__all__ = ["PAIRING_MINUTES", "Credentials", "PairingCode", "check_client", "pair", "start_pairing"]

PAIRING_MINUTES = 10
#: no 0/O, 1/I/L: a code read aloud over the phone to a relative must survive
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


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
