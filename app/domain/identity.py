"""Who is calling: roles, the principal behind a request, and login assurance rules."""

from __future__ import annotations

from enum import StrEnum

import msgspec

__all__ = ["NSIS_LEVELS", "Principal", "ProxyActor", "Role", "assurance_at_least"]


class Role(StrEnum):
    """The three kinds of caller, each with its own API."""

    CITIZEN = "citizen"
    CLINICIAN = "clinician"
    GATEWAY = "gateway"


class ProxyActor(msgspec.Struct, frozen=True, kw_only=True):
    """The relative behind a request made under a power of attorney."""

    id: str
    name: str
    grant_id: str
    scopes: tuple[str, ...]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated caller, resolved against the store on every request.

    Under a power of attorney the principal is the citizen acted for (so every query is
    scoped to them) and `proxy` names the relative who is really acting.
    """

    role: Role
    subject: str
    #: the row id of the citizen, clinician or gateway
    id: str
    name: str = ""
    #: for a clinician: their clinic; for a citizen: their GP clinic (may be None)
    clinic_id: str | None = None
    #: for a gateway: the citizen it uploads for
    citizen_id: str | None = None
    #: for a clinician: gp, nurse or secretary (only a GP decides on prescriptions)
    staff_role: str | None = None
    #: set when a relative acts for this citizen under a power of attorney
    proxy: ProxyActor | None = None


#: NSIS assurance levels in rising order (Danish national standard for identity).
NSIS_LEVELS = ("low", "substantial", "high")


def assurance_at_least(level: str | None, minimum: str) -> bool:
    """True when an NSIS level (a name or a URI ending in one) reaches the minimum."""
    if not level:
        return False
    name = level.rstrip("/").rsplit("/", 1)[-1].strip().lower()
    if name not in NSIS_LEVELS:
        return False
    return NSIS_LEVELS.index(name) >= NSIS_LEVELS.index(minimum)
