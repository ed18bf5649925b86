"""Closing a citizen's account (contracts §10, ADR 0023): all access revoked at once, what
the citizen brought deleted, what the clinic must keep by law kept, and the answer says
which is which in words a citizen reads (Danish first, English too).

Everything in the database happens in one transaction. Upload blobs are noted in the
blob trash in that transaction and deleted after it commits (and by the worker until they
are gone), so a failure anywhere leaves the account exactly as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec

from app.domain.identity import Principal
from app.errors import Forbidden, NotFound
from app.ports import Clock, Store
from app.ports.erasure import ClosureCounts
from app.services.audit import event_for, record

__all__ = ["ClosureItem", "ClosureReport", "close_account"]


class ClosureItem(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of data, and what happened to it and why."""

    kind: str
    da: str
    en: str


class ClosureReport(msgspec.Struct, frozen=True, kw_only=True):
    deleted: list[ClosureItem]
    kept: list[ClosureItem]
    closed_at: datetime


DELETED: tuple[ClosureItem, ...] = (
    ClosureItem(
        kind="wearable-data",
        da="Dine målinger fra ure, telefoner, apps og hjemmemålere, deres kilder og"
        " dagsoversigter er slettet, fordi det er data, du selv har bragt ind.",
        en="Your measurements from watches, phones, apps and home devices, their sources"
        " and daily summaries are deleted, because they are data you brought yourself.",
    ),
    ClosureItem(
        kind="imports-and-sync",
        da="Filer, du har uploadet, dine downloads af dine data, og det, appen huskede om"
        " synkronisering med Apple Sundhed og Health Connect, er slettet, fordi de kun var"
        " til dig.",
        en="Files you uploaded, your downloads of your data, and what the app kept to sync"
        " with Apple Health and Health Connect, are deleted, because they were for you"
        " alone.",
    ),
    ClosureItem(
        kind="cloud-connections",
        da="Forbindelserne til Withings og Polar er slettet, med deres adgangsnøgler.",
        en="The links to Withings and Polar are deleted, with their access keys.",
    ),
    ClosureItem(
        kind="shares",
        da="Dine delinger med lægen er tilbagekaldt: klinikken kan ikke længere se dine"
        " målinger, og åbne fund fra dem er fjernet fra klinikkens indbakke.",
        en="Your shares with the GP are revoked: the clinic can no longer see your"
        " measurements, and open findings from them are removed from the clinic's inbox.",
    ),
    ClosureItem(
        kind="powers-of-attorney",
        da="Fuldmagter, du har givet, og fuldmagter, du har haft fra andre, er"
        " tilbagekaldt, fordi ingen skal kunne handle på en lukket konto.",
        en="Powers of attorney you gave, and those you held from others, are revoked,"
        " because no one should act through a closed account.",
    ),
    ClosureItem(
        kind="devices-and-sessions",
        da="Dine gateways er tilbagekaldt, dine telefoner får ikke flere beskeder, og alle"
        " dine logins er afsluttet.",
        en="Your gateways are revoked, your phones get no more notices, and all your"
        " logins are ended.",
    ),
    ClosureItem(
        kind="plans-and-drafts",
        da="Spørgeskemaer, du ikke havde svaret på, medicintider, påmindelser, din"
        " registrering af indtaget medicin, pakningsstørrelser og ventelisteplads er"
        " slettet, fordi de kun var til dig.",
        en="Questionnaires you had not answered, medicine times, reminders, your record of"
        " medicine taken, pack sizes and your waitlist place are deleted, because they"
        " were for you alone.",
    ),
    ClosureItem(
        kind="notices",
        da="Beskeder til dig i appen er slettet.",
        en="Notices to you in the app are deleted.",
    ),
)

KEPT: tuple[ClosureItem, ...] = (
    ClosureItem(
        kind="consultations",
        da="Beskeder og billeder, du har sendt til lægen, og lægens svar gemmes, fordi"
        " lægen har pligt til at føre journal.",
        en="Messages and pictures you sent to the GP, and the GP's answers, are kept,"
        " because the GP must keep medical records.",
    ),
    ClosureItem(
        kind="appointments",
        da="Dine aftaler hos klinikken gemmes af samme grund.",
        en="Your appointments with the clinic are kept for the same reason.",
    ),
    ClosureItem(
        kind="medications-and-renewals",
        da="Din medicinliste fra klinikken og dine receptfornyelser gemmes af samme grund.",
        en="Your medication list from the clinic and your prescription renewals are kept"
        " for the same reason.",
    ),
    ClosureItem(
        kind="questionnaire-answers",
        da="Svar, du har sendt til klinikken, og det klinikken har gjort ved dem, gemmes af"
        " samme grund; det samme gælder dine vaccinationer (uden flere påmindelser).",
        en="Answers you sent to the clinic, and what the clinic did with them, are kept for"
        " the same reason; so are your vaccinations (with no more reminders).",
    ),
    ClosureItem(
        kind="audit-log",
        da="Loggen over, hvem der har set og ændret dine data, gemmes i sin"
        " opbevaringsperiode, så adgangen altid kan efterprøves.",
        en="The log of who viewed and changed your data is kept for its retention period,"
        " so every access can still be checked.",
    ),
    ClosureItem(
        kind="identity",
        da="Dit navn og dit CPR-nummer (krypteret) bliver hos klinikken sammen med det,"
        " der gemmes, så journalen hører til den rigtige person. Dit login er frigivet:"
        " logger du ind igen, får du en ny, tom konto.",
        en="Your name and your CPR number (encrypted) stay with the clinic alongside what"
        " is kept, so the records belong to the right person. Your login is released:"
        " if you log in again, you get a new, empty account.",
    ),
)

#: the vendor's notifications are turned off before the tokens go (best effort)
Unsubscribe = Callable[[str], Awaitable[None]]


def _detail(n: ClosureCounts) -> dict[str, str]:
    """The audit entry's detail: how many of each kind, never a value."""
    return {k: str(v) for k, v in msgspec.structs.asdict(n).items() if v}


async def close_account(
    store: Store,
    clock: Clock,
    principal: Principal,
    *,
    unsubscribe: Unsubscribe | None = None,
) -> tuple[ClosureReport, list[str]]:
    """Close the caller's account; the report, and the blob keys to delete now that the
    transaction has committed (they are in the blob trash until they are gone).

    A relative acting under a power of attorney may not close an account (ADR 0023).
    """
    if principal.proxy is not None:
        raise Forbidden("a power of attorney does not cover closing the account", kind="forbidden")
    citizen_id = principal.id
    if unsubscribe is not None:
        await unsubscribe(citizen_id)
    now = clock.now()
    async with store.transaction() as uow:
        if await uow.citizens.get(citizen_id) is None:
            raise NotFound("no such citizen")
        await uow.gateway_io.lock_citizen(citizen_id)
        if await uow.erasure.is_closed(citizen_id):
            blobs: list[str] = []
        else:
            counts, blobs = await uow.erasure.close(citizen_id, now)
            await uow.erasure.trash_blobs(citizen_id, blobs, now)
            await record(
                uow,
                clock,
                event_for(
                    principal,
                    citizen_id=citizen_id,
                    action="account.close",
                    resource="account",
                    detail=_detail(counts),
                ),
            )
    return ClosureReport(deleted=list(DELETED), kept=list(KEPT), closed_at=now), blobs
