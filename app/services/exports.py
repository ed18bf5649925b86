"""The citizen's own data export ("download my data", issue 14, ADR 0022).

Asking for an export queues a job; any worker on any node claims it under a lease (the
pattern of the import jobs, ADR 0019), writes its progress to the row, builds the zip
and stores it in the blob store. The citizen polls the row and then downloads the zip
with their own token while the link lasts; afterwards a worker deletes the zip. Asking,
downloading and (for the record) the expiry are written to the citizen's audit log.

This module holds the use cases and the reading of what goes into the zip; the zip and
the FHIR shapes are formats, written by `adapters.exports`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from app.domain.dosing import Dose
from app.domain.exports import ExportJob
from app.domain.identity import Principal
from app.domain.ids import new_id
from app.domain.summary import SharedResponse
from app.errors import Conflict, Gone, NotFound
from app.ports import Clock, Store, UnitOfWork
from app.ports.exports import SampleKey, StoredSample
from app.services.audit import event_for, record
from app.services.imports import Leasing
from app.services.summary import shared_responses

__all__ = [
    "SAMPLE_PAGE",
    "ExportContents",
    "ExportView",
    "Photo",
    "claim_next",
    "contents",
    "create_export",
    "expire_links",
    "export_view",
    "fail",
    "finish",
    "get_export",
    "open_download",
    "release",
    "sample_pages",
]

#: samples read per query: large enough that round trips do not dominate, small enough
#: that a page (and its JSON) is a few megabytes at most
SAMPLE_PAGE = 5000
#: far enough back and ahead to hold every dose anyone recorded
_EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


class ExportView(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What `POST /v1/me/exports` and `GET /v1/me/exports/{id}` answer (contracts §10)."""

    export_id: str
    #: queued | running | done | failed | expired
    status: str
    #: 0–1; 1 when done
    progress: float
    #: the download (the citizen's own token), only while `status` is done
    href: str | None = None
    created_at: datetime
    #: when the download link stops working (once done)
    expires_at: datetime | None = None
    #: the zip's size in bytes (once done)
    size: int | None = None
    #: why it failed (status failed)
    error: str | None = None


def export_view(job: ExportJob, now: datetime) -> ExportView:
    """The export as polled; past its expiry it reads `expired` even before the worker
    has deleted the zip, so the view never offers a link that answers 410."""
    status = job.status
    if status == "done" and job.expires_at is not None and job.expires_at <= now:
        status = "expired"
    done = status == "done"
    return ExportView(
        export_id=job.id,
        status=status,
        progress=1.0 if done else round(job.progress, 4) if status == "running" else 0.0,
        href=f"/v1/me/exports/{job.id}/download" if done else None,
        created_at=job.created_at,
        expires_at=job.expires_at if status in ("done", "expired") else None,
        size=job.size if done else None,
        error=job.error_detail if status == "failed" else None,
    )


async def create_export(uow: UnitOfWork, clock: Clock, principal: Principal) -> ExportJob:
    """Queue an export of the caller's data, and log that it was asked for.

    While one is queued or running, asking again answers that one: an export costs a
    worker seconds of CPU, and a second would hold the same data.
    """
    running = await uow.exports.unfinished(principal.id)
    if running is not None:
        return running
    now = clock.now()
    job = ExportJob(
        id=new_id(), citizen_id=principal.id, status="queued", created_at=now, updated_at=now
    )
    await uow.exports.add(job)
    await record(
        uow,
        clock,
        event_for(
            principal, citizen_id=principal.id, action="export.create", resource=f"export/{job.id}"
        ),
    )
    return job


async def get_export(uow: UnitOfWork, citizen_id: str, export_id: str) -> ExportJob:
    job = await uow.exports.get(citizen_id, export_id)
    if job is None:
        raise NotFound("no such export")
    return job


async def open_download(
    uow: UnitOfWork, clock: Clock, principal: Principal, export_id: str
) -> ExportJob:
    """The caller's finished export, its download logged; 410 once the link expired."""
    job = await get_export(uow, principal.id, export_id)
    now = clock.now()
    expired = job.status == "expired" or (
        job.status == "done" and job.expires_at is not None and job.expires_at <= now
    )
    if expired:
        raise Gone(
            "the download link has expired and the file is deleted; ask for a new export",
            kind="export-expired",
        )
    if job.status != "done" or job.blob is None:
        raise Conflict(
            f"the export is {job.status}; download it when its status is done",
            kind="export-not-ready",
        )
    await record(
        uow,
        clock,
        event_for(
            principal,
            citizen_id=principal.id,
            action="export.download",
            resource=f"export/{job.id}",
        ),
    )
    return job


# -- the job: claim, renew, end -----------------------------------------------------------


async def claim_next(store: Store, clock: Clock, leasing: Leasing) -> ExportJob | None:
    now = clock.now()
    async with store.transaction() as uow:
        return await uow.exports.claim(leasing.owner, now, now + leasing.lease)


async def release(store: Store, clock: Clock, job: ExportJob, leasing: Leasing) -> bool:
    async with store.transaction() as uow:
        return await uow.exports.release(job.id, leasing.owner, clock.now())


async def finish(
    store: Store,
    clock: Clock,
    job: ExportJob,
    leasing: Leasing,
    *,
    blob: str,
    size: int,
    link_days: int,
) -> bool:
    """Done with its zip, while this worker still holds the lease; False if it does not."""
    now = clock.now()
    async with store.transaction() as uow:
        return await uow.exports.finish(
            job.id,
            leasing.owner,
            now,
            blob=blob,
            size=size,
            expires_at=now + timedelta(days=link_days),
        )


async def fail(store: Store, clock: Clock, job: ExportJob, leasing: Leasing, detail: str) -> bool:
    async with store.transaction() as uow:
        return await uow.exports.fail(job.id, leasing.owner, clock.now(), detail)


async def expire_links(uow: UnitOfWork, now: datetime, limit: int) -> int:
    """Exports whose link ran out: marked expired, their zips put in the blob trash (the
    worker deletes them, retrying one that fails without holding up the rest)."""
    due = await uow.exports.expired(now, limit)
    for job in due:
        await uow.exports.mark_expired(job.id, now)
        if job.blob is not None:
            await uow.erasure.trash_blobs(job.citizen_id, [job.blob], now)
    return len(due)


# -- what goes into the zip ---------------------------------------------------------------


class Photo(msgspec.Struct, frozen=True, kw_only=True):
    """A consultation photo: where it goes in the zip and where its bytes are."""

    path: str
    blob_key: str


class ExportContents(msgspec.Struct, kw_only=True):
    """Everything but the samples, read in one snapshot; JSON-ready values."""

    citizen_id: str
    name: str
    timezone: str
    generated_at: datetime
    #: file name in the zip -> its JSON document
    documents: dict[str, Any]
    photos: list[Photo]
    #: the sources of the citizen's samples, by source number
    sources: dict[int, dict[str, Any]]
    #: answered questionnaires
    responses: list[SharedResponse]
    #: doses taken or skipped, with the medication's name
    doses: list[tuple[Dose, str]]
    metrics: list[str]
    sample_count: int


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _without(item: Any, *fields: str) -> dict[str, Any]:
    out: dict[str, Any] = _plain(item)
    for f in fields:
        out.pop(f, None)
    return out


_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}


async def contents(uow: UnitOfWork, citizen_id: str, now: datetime) -> ExportContents:
    """Read what the zip holds besides the samples: the citizen's own records only.

    Internal keys stay out: CPR hashes (of a relative under a power of attorney, too),
    blob keys, idempotency keys. The profile says whether a CPR number is on file,
    never the number.
    """
    citizen = await uow.citizens.get(citizen_id)
    if citizen is None:
        raise NotFound("no such citizen")
    clinic = await uow.clinics.get(citizen.clinic_id) if citizen.clinic_id else None
    profile = {
        "id": citizen.id,
        "name": citizen.name,
        "timezone": citizen.timezone,
        "language": citizen.language,
        "cpr_on_file": citizen.has_cpr,
        "created_at": _plain(citizen.created_at),
        "clinic": None if clinic is None else {"id": clinic.id, "name": clinic.name},
    }
    cpr_hash = await uow.citizens.cpr_hash(citizen_id)
    held = await uow.proxies.held(cpr_hash, now) if cpr_hash else []
    threads = []
    photos: list[Photo] = []
    for consultation in await uow.consultations.for_citizen(citizen_id):
        messages = []
        for m in await uow.consultations.messages(citizen_id, consultation.id):
            message = _without(m, "photos")
            message["photos"] = []
            for p in m.photos:
                path = f"consultations/photos/{p.id}.{_EXT.get(p.media_type, 'bin')}"
                photos.append(Photo(path=path, blob_key=p.blob_key))
                message["photos"].append(
                    {"id": p.id, "file": path, "media_type": p.media_type, "size": p.size}
                    | {"width": p.width, "height": p.height}
                )
            messages.append(message)
        threads.append({**_plain(consultation), "messages": messages})
    medications = await uow.medications.for_citizen(citizen_id)
    names = {m.id: m.name for m in medications}
    notices = await _all_notices(uow, citizen_id)
    responses = await shared_responses(uow, citizen)
    doses = [
        (d, names.get(d.medication_id, d.medication_id))
        for d in await uow.doses.between(citizen_id, *_EVER)
    ]
    sources = {
        s.source_no: {"key": s.key, "name": s.name, "kind": s.kind, "device": s.device}
        for s in await uow.sources.for_citizen(citizen_id)
    }
    documents: dict[str, Any] = {
        "profile.json": profile,
        "shares.json": [_plain(s) for s in await uow.shares.for_citizen(citizen_id)],
        "proxies.json": {
            "given": [_without(g, "proxy_cpr_hash") for g in await uow.proxies.given(citizen_id)],
            "held": [_without(g, "proxy_cpr_hash") for g in held],
        },
        "appointments.json": [_plain(a) for a in await uow.appointments.for_citizen(citizen_id)],
        "medications.json": [_plain(m) for m in medications],
        "renewals.json": [_plain(r) for r in await uow.renewals.for_citizen(citizen_id)],
        "medicine-schedules.json": [
            _plain(d) for d in await uow.dose_schedules.for_citizen(citizen_id)
        ],
        "vaccinations.json": [_plain(v) for v in await uow.vaccinations.for_citizen(citizen_id)],
        "gateways.json": [_plain(g) for g in await uow.gateways.for_citizen(citizen_id)],
        "consultations.json": threads,
        "notices.json": notices,
        "sources.json": [{"source_no": no, **s} for no, s in sorted(sources.items())],
        "audit-log.json": [_plain(e) for e in await uow.audit.chain(citizen_id)],
    }
    counts = await uow.exports.sample_counts(citizen_id)
    return ExportContents(
        citizen_id=citizen_id,
        name=citizen.name,
        timezone=citizen.timezone,
        generated_at=now,
        documents=documents,
        photos=photos,
        sources=sources,
        responses=responses,
        doses=doses,
        metrics=list(counts),
        sample_count=sum(counts.values()),
    )


async def _all_notices(uow: UnitOfWork, citizen_id: str) -> list[Any]:
    out: list[Any] = []
    before: int | None = None
    while True:
        page = await uow.outbox.for_citizen(citizen_id, before_seq=before, limit=500)
        out += [_without(n, "citizen_id") for n in page]
        if len(page) < 500:
            return out
        before = page[-1].seq


async def sample_pages(
    store: Store, citizen_id: str, metric: str, *, page: int = SAMPLE_PAGE
) -> AsyncIterator[Sequence[StoredSample]]:
    """A metric's samples in key order, a page per read transaction (keyset paging), so
    memory holds one page however many samples there are."""
    after: SampleKey | None = None
    while True:
        async with store.read() as uow:
            rows = await uow.exports.sample_page(citizen_id, metric, after, page)
        if rows:
            yield rows
        if len(rows) < page:
            return
        last = rows[-1]
        after = (last[0], last[1], last[2], last[3], last[4])
