"""The unit of work: one transaction's connection, and every repository bound to it."""

from __future__ import annotations

from app.ports import (
    AppointmentRepository,
    AuditRepository,
    CitizenRepository,
    ClinicianRepository,
    ClinicRepository,
    ConnectionRepository,
    ConsultationRepository,
    DailyRepository,
    DoseRepository,
    DoseScheduleRepository,
    ErasureRepository,
    GatewayIORepository,
    GatewayRepository,
    HealthConnectRepository,
    ImportRepository,
    InboxLinkRepository,
    InboxRepository,
    MedicationRepository,
    OutboxRepository,
    ProxyRepository,
    PushDeviceRepository,
    QuestionnaireRepository,
    RefreshTokenRepository,
    ReminderLogRepository,
    RenewalRepository,
    RetentionRepository,
    SampleRepository,
    ScheduleRepository,
    ShareRepository,
    SlotRepository,
    SourceRepository,
    SummaryLinkRepository,
    SupplyRepository,
    VaccinationRepository,
    WaitlistRepository,
)
from app.ports.exports import ExportRepository
from app.store.db import Connection
from app.store.repos.appointments import SqlAppointments, SqlWaitlist
from app.store.repos.audit import SqlAudit
from app.store.repos.connections import SqlConnections
from app.store.repos.consultations import SqlConsultations
from app.store.repos.dosing import SqlDoses, SqlDoseSchedules, SqlReminderLog, SqlSupplies
from app.store.repos.erasure import SqlErasure
from app.store.repos.exports import SqlExports
from app.store.repos.gateway_io import SqlGatewayIO
from app.store.repos.healthconnect import SqlHealthConnect
from app.store.repos.imports import SqlImports
from app.store.repos.inbox import SqlInbox
from app.store.repos.inbox_links import SqlInboxLinks
from app.store.repos.medications import SqlMedications, SqlRenewals
from app.store.repos.outbox import SqlOutbox
from app.store.repos.people import SqlCitizens, SqlClinicians, SqlClinics, SqlGateways
from app.store.repos.proxies import SqlProxies
from app.store.repos.push_devices import SqlPushDevices
from app.store.repos.questionnaires import SqlQuestionnaires
from app.store.repos.retention import SqlRetention
from app.store.repos.schedule import SqlSchedule
from app.store.repos.sessions import SqlRefreshTokens
from app.store.repos.sharing import SqlShares
from app.store.repos.slots import SqlSlots
from app.store.repos.summary_links import SqlSummaryLinks
from app.store.repos.vaccinations import SqlVaccinations
from app.store.repos.wearables import SqlDaily, SqlSamples, SqlSources

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """Repositories sharing one connection; the engine's store opens and ends the transaction."""

    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self.citizens: CitizenRepository = SqlCitizens(conn)
        self.clinics: ClinicRepository = SqlClinics(conn)
        self.clinicians: ClinicianRepository = SqlClinicians(conn)
        self.gateways: GatewayRepository = SqlGateways(conn)
        self.audit: AuditRepository = SqlAudit(conn)
        self.refresh_tokens: RefreshTokenRepository = SqlRefreshTokens(conn)
        self.slots: SlotRepository = SqlSlots(conn)
        self.sources: SourceRepository = SqlSources(conn)
        self.samples: SampleRepository = SqlSamples(conn)
        self.daily: DailyRepository = SqlDaily(conn)
        self.imports: ImportRepository = SqlImports(conn)
        self.gateway_io: GatewayIORepository = SqlGatewayIO(conn)
        self.appointments: AppointmentRepository = SqlAppointments(conn)
        self.waitlist: WaitlistRepository = SqlWaitlist(conn)
        self.schedule: ScheduleRepository = SqlSchedule(conn)
        self.outbox: OutboxRepository = SqlOutbox(conn)
        self.medications: MedicationRepository = SqlMedications(conn)
        self.renewals: RenewalRepository = SqlRenewals(conn)
        self.consultations: ConsultationRepository = SqlConsultations(conn)
        self.shares: ShareRepository = SqlShares(conn)
        self.proxies: ProxyRepository = SqlProxies(conn)
        self.push_devices: PushDeviceRepository = SqlPushDevices(conn)
        self.summary_links: SummaryLinkRepository = SqlSummaryLinks(conn)
        self.inbox: InboxRepository = SqlInbox(conn)
        self.inbox_links: InboxLinkRepository = SqlInboxLinks(conn)
        self.questionnaires: QuestionnaireRepository = SqlQuestionnaires(conn)
        self.healthconnect: HealthConnectRepository = SqlHealthConnect(conn)
        self.dose_schedules: DoseScheduleRepository = SqlDoseSchedules(conn)
        self.reminder_log: ReminderLogRepository = SqlReminderLog(conn)
        self.doses: DoseRepository = SqlDoses(conn)
        self.supplies: SupplyRepository = SqlSupplies(conn)
        self.vaccinations: VaccinationRepository = SqlVaccinations(conn)
        self.connections: ConnectionRepository = SqlConnections(conn)
        self.exports: ExportRepository = SqlExports(conn)
        self.erasure: ErasureRepository = SqlErasure(conn)
        self.retention: RetentionRepository = SqlRetention(conn)
