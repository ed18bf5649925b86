"""Response Structs shared by the routers (what a client sees of domain objects)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.domain.people import Citizen, Gateway

__all__ = ["CitizenView", "GatewayView", "citizen_view", "gateway_view"]


class CitizenView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    timezone: str
    language: str
    clinic_id: str | None
    has_cpr: bool
    #: for the clinic: the patient closed their account in the app (their records stay)
    account_closed: bool = False


def citizen_view(c: Citizen, *, account_closed: bool = False) -> CitizenView:
    return CitizenView(
        id=c.id,
        name=c.name,
        timezone=c.timezone,
        language=c.language,
        clinic_id=c.clinic_id,
        has_cpr=c.has_cpr,
        account_closed=account_closed,
    )


class GatewayView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool


def gateway_view(g: Gateway) -> GatewayView:
    return GatewayView(
        id=g.id, name=g.name, created_at=g.created_at, revoked_at=g.revoked_at, active=g.active
    )
