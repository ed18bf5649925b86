"""The Protocols the services need. The store and the adapters implement them.

Services receive these, never a concrete class, so a use case can run against SQLite,
PostgreSQL or a fake without knowing which.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from app.domain.appointments import Appointment
from app.domain.audit import AuditEntry
from app.domain.consultations import Consultation, Message, PhotoRef
from app.domain.medications import Medication, Renewal
from app.domain.notices import Notice, OutboxItem
from app.domain.people import Citizen, Clinic, Clinician, ClinicRules, Gateway
from app.domain.photos import CleanPhoto
from app.domain.proxies import ProxyGrant
from app.domain.push import DueNotice, PushDevice, PushMessage, PushOutcome, PushResult
from app.domain.schedule import Closure, OpeningHours
from app.domain.sharing import Share
from app.domain.slots import Slot
from app.domain.summary_links import SummaryLink
from app.domain.waitlist import WaitlistEntry
from app.ports.connections import ConnectionRepository
from app.ports.erasure import ErasureRepository, RetentionRepository
from app.ports.exports import ExportRepository
from app.ports.healthconnect import HealthConnectRepository
from app.ports.identity import (
    AccessClaims,
    CprVault,
    IdTokenClaims,
    IdTokenVerifier,
    RefreshTokenRecord,
    RefreshTokenRepository,
    TokenSigner,
)
from app.ports.inbox import (
    InboxLinkRepository,
    InboxPageRow,
    InboxRepository,
    QuestionnaireRepository,
)
from app.ports.reminders import (
    DoseRepository,
    DoseScheduleRepository,
    ReminderLogRepository,
    SupplyRepository,
    VaccinationRepository,
)
from app.ports.wearables import (
    DailyRepository,
    DailyRow,
    GatewayIORepository,
    ImportRepository,
    ReadingLogKey,
    ReadingLogRow,
    SampleRepository,
    SampleRow,
    SourceRepository,
)

__all__ = [
    "AccessClaims",
    "AppointmentRepository",
    "AuditRepository",
    "BlobStore",
    "CitizenRepository",
    "ClinicRepository",
    "ClinicianRepository",
    "Clock",
    "ConnectionRepository",
    "ConsultationRepository",
    "CprVault",
    "DailyRepository",
    "DailyRow",
    "DoseRepository",
    "DoseScheduleRepository",
    "ErasureRepository",
    "ExportRepository",
    "GatewayIORepository",
    "GatewayRepository",
    "HealthConnectRepository",
    "IdTokenClaims",
    "IdTokenVerifier",
    "ImportRepository",
    "InboxLinkRepository",
    "InboxPageRow",
    "InboxRepository",
    "MedicationRepository",
    "OutboxRepository",
    "PhotoCleaner",
    "ProxyRepository",
    "PushDeviceRepository",
    "PushSender",
    "QuestionnaireRepository",
    "ReadingLogKey",
    "ReadingLogRow",
    "RefreshTokenRecord",
    "RefreshTokenRepository",
    "ReminderLogRepository",
    "RenewalRepository",
    "RetentionRepository",
    "SampleRepository",
    "SampleRow",
    "ScheduleRepository",
    "ShareRepository",
    "SlotRepository",
    "SourceRepository",
    "Store",
    "SummaryLinkRepository",
    "SupplyRepository",
    "TokenSigner",
    "UnitOfWork",
    "VaccinationRepository",
    "WaitlistRepository",
]


class Clock(Protocol):
    """The current time, aware and in UTC. Tests pass a fixed one."""

    def now(self) -> datetime: ...


class CitizenRepository(Protocol):
    async def add(
        self, citizen: Citizen, *, cpr_hash: str | None, cpr_sealed: str | None
    ) -> None: ...
    async def get(self, citizen_id: str) -> Citizen | None: ...
    async def by_subject(self, subject: str) -> Citizen | None: ...
    async def signed_in(self, subject: str, session: str) -> tuple[Citizen | None, bool]: ...
    async def by_cpr_hash(self, cpr_hash: str) -> Citizen | None: ...
    async def cpr_hash(self, citizen_id: str) -> str | None: ...
    async def sealed_cpr(self, citizen_id: str) -> str | None: ...
    async def update(self, citizen: Citizen) -> None: ...
    async def set_cpr(self, citizen_id: str, *, cpr_hash: str, cpr_sealed: str) -> None: ...
    async def in_clinic(self, clinic_id: str, citizen_id: str) -> Citizen | None: ...


class ClinicRepository(Protocol):
    async def add(self, clinic: Clinic) -> None: ...
    async def get(self, clinic_id: str) -> Clinic | None: ...
    async def set_rules(self, clinic_id: str, rules: ClinicRules) -> None: ...


class ClinicianRepository(Protocol):
    async def add(self, clinician: Clinician) -> None: ...
    async def get(self, clinician_id: str) -> Clinician | None: ...
    async def by_subject(self, subject: str) -> Clinician | None: ...


class GatewayRepository(Protocol):
    async def add(self, gateway: Gateway) -> None: ...
    async def get(self, gateway_id: str) -> Gateway | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Gateway]: ...
    async def revoke(self, citizen_id: str, gateway_id: str, at: datetime) -> bool: ...


class AuditRepository(Protocol):
    async def last(self, citizen_id: str) -> AuditEntry | None: ...
    async def last_of_each(self, citizen_ids: Sequence[str]) -> dict[str, AuditEntry]: ...
    async def append(self, entry: AuditEntry) -> None: ...
    async def append_all(self, entries: Sequence[AuditEntry]) -> None: ...
    async def page(
        self,
        citizen_id: str,
        *,
        before_seq: int | None,
        limit: int,
        actor_id: str | None = None,
        actor_role: str | None = None,
        action: str | None = None,
    ) -> list[AuditEntry]: ...
    async def actors(self, citizen_id: str) -> list[tuple[str, str, str, int]]: ...
    async def chain(self, citizen_id: str) -> list[AuditEntry]: ...
    async def citizens_with_entries(self) -> list[str]: ...


class SlotRepository(Protocol):
    async def add_many(self, slots: Sequence[Slot]) -> int: ...
    async def get(self, clinic_id: str, slot_id: str) -> Slot | None: ...
    async def free(
        self,
        clinic_id: str,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        kind: str | None = None,
        limit: int = 1000,
    ) -> list[Slot]: ...
    async def take(self, clinic_id: str, slot_id: str, citizen_id: str, now: datetime) -> bool: ...
    async def set_status(self, clinic_id: str, slot_id: str, status: str) -> None: ...
    async def hold(
        self, clinic_id: str, slot_id: str, citizen_id: str, until: datetime, now: datetime
    ) -> bool: ...
    async def lapsed_holds(self, now: datetime, limit: int = 100) -> list[Slot]: ...
    async def block_between(self, clinic_id: str, start: datetime, end: datetime) -> int: ...


class AppointmentRepository(Protocol):
    async def add(self, a: Appointment, *, idempotency_key: str | None = None) -> None: ...
    async def by_key(self, citizen_id: str, idempotency_key: str) -> Appointment | None: ...
    async def get(self, citizen_id: str, appointment_id: str) -> Appointment | None: ...
    async def in_clinic(self, clinic_id: str, appointment_id: str) -> Appointment | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Appointment]: ...
    async def for_clinic(
        self, clinic_id: str, start: datetime, end: datetime
    ) -> list[tuple[Appointment, str]]: ...
    async def end(
        self,
        citizen_id: str,
        appointment_id: str,
        status: str,
        at: datetime,
        *,
        clinic_message: str | None = None,
    ) -> bool: ...
    async def to_remind(self, now: datetime, lead: timedelta, limit: int) -> list[Appointment]:
        """Booked appointments starting within `lead` from now, booked at least `lead`
        before their start and not reminded yet, soonest first."""
        ...

    async def mark_reminded(self, citizen_id: str, appointment_id: str, at: datetime) -> bool:
        """True for the one caller that marks it; False if it was reminded already."""
        ...


class WaitlistRepository(Protocol):
    async def add(self, e: WaitlistEntry) -> None: ...
    async def get(self, citizen_id: str, entry_id: str) -> WaitlistEntry | None: ...
    async def for_citizen(self, citizen_id: str) -> list[WaitlistEntry]: ...
    async def offered_slot(self, slot_id: str) -> WaitlistEntry | None: ...
    async def next_in_line(
        self, clinic_id: str, kind: str, slot_id: str, slot_start: datetime
    ) -> WaitlistEntry | None: ...
    async def pass_over(self, slot_id: str, citizen_id: str) -> None: ...
    async def update(self, e: WaitlistEntry) -> None: ...


class ScheduleRepository(Protocol):
    async def hours(self, clinic_id: str) -> list[OpeningHours]: ...
    async def replace_hours(self, clinic_id: str, hours: Sequence[OpeningHours]) -> None: ...
    async def add_closure(self, clinic_id: str, closure_id: str, closure: Closure) -> None: ...
    async def closures(
        self, clinic_id: str, start: datetime, end: datetime
    ) -> list[tuple[str, Closure]]: ...


class MedicationRepository(Protocol):
    async def for_citizen(self, citizen_id: str) -> list[Medication]: ...
    async def get(self, citizen_id: str, medication_id: str) -> Medication | None: ...
    async def replace(self, citizen_id: str, meds: Sequence[Medication]) -> None: ...
    async def renewed(self, citizen_id: str, medication_id: str, at: datetime) -> None: ...
    async def name_of(self, citizen_id: str, medication_id: str) -> str | None: ...


class RenewalRepository(Protocol):
    async def add(self, r: Renewal) -> bool: ...
    async def get(self, citizen_id: str, renewal_id: str) -> Renewal | None: ...
    async def in_clinic(self, clinic_id: str, renewal_id: str) -> Renewal | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Renewal]: ...
    async def queue(self, clinic_id: str, limit: int) -> list[tuple[Renewal, str, str]]: ...
    async def move(
        self,
        citizen_id: str,
        renewal_id: str,
        *,
        from_statuses: Sequence[str],
        status: str,
        at: datetime,
        by: str | None = None,
        by_name: str | None = None,
        reason: str | None = None,
    ) -> bool: ...


class ConsultationRepository(Protocol):
    async def add(self, t: Consultation) -> None: ...
    async def get(self, citizen_id: str, thread_id: str) -> Consultation | None: ...
    async def in_clinic(self, clinic_id: str, thread_id: str) -> Consultation | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Consultation]: ...
    async def for_clinic(
        self, clinic_id: str, statuses: Sequence[str], limit: int
    ) -> list[tuple[Consultation, str]]: ...
    async def set_status(
        self,
        citizen_id: str,
        thread_id: str,
        status: str,
        at: datetime,
        answer_expected_by: datetime | None,
    ) -> None: ...
    async def add_message(self, m: Message) -> None: ...
    async def messages(self, citizen_id: str, thread_id: str) -> list[Message]: ...
    async def photo(self, citizen_id: str, thread_id: str, photo_id: str) -> PhotoRef | None: ...


class ShareRepository(Protocol):
    async def add(self, s: Share) -> None: ...
    async def get(self, citizen_id: str, share_id: str) -> Share | None: ...
    async def for_citizen(self, citizen_id: str) -> list[Share]: ...
    async def active_for_clinic(
        self, clinic_id: str, citizen_id: str, now: datetime
    ) -> list[Share]: ...
    async def revoke(self, citizen_id: str, share_id: str, at: datetime) -> bool: ...
    async def thresholds(self, citizen_id: str) -> dict[str, float]: ...
    async def set_thresholds(
        self, citizen_id: str, values: dict[str, float], by: str, at: datetime
    ) -> None: ...
    async def active_for_citizen(self, citizen_id: str, now: datetime) -> list[Share]: ...
    async def flags_due(self, before: datetime, now: datetime, limit: int) -> list[Share]:
        """Active shares whose flags were last evaluated before `before` (or never)."""
        ...

    async def flags_checked(self, citizen_id: str, share_id: str, at: datetime) -> None: ...


class ProxyRepository(Protocol):
    async def add(self, g: ProxyGrant) -> None: ...
    async def get(self, citizen_id: str, grant_id: str) -> ProxyGrant | None: ...
    async def given(self, citizen_id: str) -> list[ProxyGrant]: ...
    async def held(self, proxy_cpr_hash: str, now: datetime) -> list[ProxyGrant]: ...
    async def revoke(self, citizen_id: str, grant_id: str, at: datetime) -> bool: ...


class OutboxRepository(Protocol):
    async def add(self, citizen_id: str, notice_id: str, notice: Notice, at: datetime) -> None: ...
    async def for_citizen(
        self, citizen_id: str, *, before_seq: int | None, limit: int
    ) -> list[OutboxItem]: ...
    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueNotice]:
        """Rows due for the push relay, oldest first, held until `lease_until` (no other
        relay takes them meanwhile)."""
        ...

    async def settle(self, seq: int, at: datetime, outcome: PushOutcome, attempts: int) -> None: ...
    async def retry_at(self, seq: int, attempts: int, at: datetime) -> None: ...
    async def due(self, now: datetime) -> tuple[int, datetime | None]:
        """Rows due for the relay and not delivered, and the earliest due time."""
        ...


class PushDeviceRepository(Protocol):
    async def put(self, device: PushDevice) -> PushDevice:
        """Add, or move an existing (platform, token) to this citizen; the stored row."""
        ...

    async def for_citizen(self, citizen_id: str) -> list[PushDevice]: ...
    async def remove(self, citizen_id: str, device_id: str) -> bool: ...
    async def forget_token(self, platform: str, token: str) -> None: ...


class SummaryLinkRepository(Protocol):
    async def add(self, link: SummaryLink) -> None: ...
    async def take(self, token_hash: str, now: datetime) -> SummaryLink | None: ...


class PushSender(Protocol):
    """One push service (APNs or FCM) behind its adapter."""

    platform: str

    async def send(self, token: str, message: PushMessage) -> PushResult: ...


class UnitOfWork(Protocol):
    """One transaction and the repositories that work inside it."""

    citizens: CitizenRepository
    clinics: ClinicRepository
    clinicians: ClinicianRepository
    gateways: GatewayRepository
    audit: AuditRepository
    refresh_tokens: RefreshTokenRepository
    slots: SlotRepository
    sources: SourceRepository
    samples: SampleRepository
    daily: DailyRepository
    imports: ImportRepository
    gateway_io: GatewayIORepository
    appointments: AppointmentRepository
    waitlist: WaitlistRepository
    schedule: ScheduleRepository
    outbox: OutboxRepository
    medications: MedicationRepository
    renewals: RenewalRepository
    consultations: ConsultationRepository
    shares: ShareRepository
    proxies: ProxyRepository
    push_devices: PushDeviceRepository
    summary_links: SummaryLinkRepository
    inbox: InboxRepository
    inbox_links: InboxLinkRepository
    questionnaires: QuestionnaireRepository
    healthconnect: HealthConnectRepository
    dose_schedules: DoseScheduleRepository
    reminder_log: ReminderLogRepository
    doses: DoseRepository
    supplies: SupplyRepository
    vaccinations: VaccinationRepository
    connections: ConnectionRepository
    exports: ExportRepository
    erasure: ErasureRepository
    retention: RetentionRepository


class Store(Protocol):
    """A database: hands out units of work; commits on success, rolls back on error.

    `glance` is a read with no transaction around it: each query sees what is committed
    when it runs, with no snapshot across queries. It is for the caller check every
    request makes (one or two lookups by key), where BEGIN and ROLLBACK would cost
    more than the lookups themselves.
    """

    dialect: str

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    def read(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    def glance(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class BlobStore(Protocol):
    """Bytes kept outside the database (photos, uploads), addressed by a key we choose."""

    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def put_stream(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store a stream under `key` without holding it whole; how many bytes it had.

        If `chunks` raises, nothing is stored under `key` and the error propagates.
        """
        ...

    def local_copy(self, key: str) -> AbstractAsyncContextManager[Path]:
        """The blob as a local file, for readers that need one (a zip); gone afterwards."""
        ...


class PhotoCleaner(Protocol):
    """Checks a photo by its content and returns a copy without metadata.

    Raises `app.errors.Invalid` (kind `photo-rejected`) for anything that is not a
    JPEG, PNG or HEIC image within the limits of `app.domain.photos`.
    """

    def clean(self, data: bytes) -> CleanPhoto: ...
