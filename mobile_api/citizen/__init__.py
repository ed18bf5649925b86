"""The citizen API, `/v1/me/...`: only ever the caller's own data."""

from __future__ import annotations

from litestar import Router

from app.domain.identity import Role
from mobile_api.citizen.audit_log import AuditLogController, AuditPeopleController
from mobile_api.citizen.booking import (
    AppointmentController,
    CalendarController,
    ClinicController,
    WaitlistController,
)
from mobile_api.citizen.connections import ConnectionsController
from mobile_api.citizen.consultations import ConsultationController
from mobile_api.citizen.erasure import (
    AccountController,
    SourceDeletionController,
    WearablesController,
)
from mobile_api.citizen.exports import ExportController
from mobile_api.citizen.gateways import GatewayController
from mobile_api.citizen.healthconnect import HealthConnectController
from mobile_api.citizen.healthkit import HealthKitController
from mobile_api.citizen.imports import ImportController
from mobile_api.citizen.medications import MedicationsController, RenewalsController
from mobile_api.citizen.notices import NoticesController
from mobile_api.citizen.profile import ProfileController
from mobile_api.citizen.proxies import ProxiesController
from mobile_api.citizen.push_devices import PushDeviceController
from mobile_api.citizen.questionnaires import CitizenQuestionnairesController
from mobile_api.citizen.reminders import (
    AdherenceController,
    DoseScheduleController,
    DosesController,
    MedicationSupplyController,
    RemindersController,
    VaccinationsController,
)
from mobile_api.citizen.shares import SharesController
from mobile_api.citizen.wearables import DailyController, SourcesController
from mobile_api.security import check_content_type, guarded, proxy_scope, require_role

__all__ = ["citizen_router"]

citizen_router = Router(
    path="/v1/me",
    route_handlers=[
        ProfileController,
        AuditLogController,
        AuditPeopleController,
        GatewayController,
        DailyController,
        ImportController,
        SourcesController,
        HealthKitController,
        HealthConnectController,
        ClinicController,
        AppointmentController,
        CalendarController,
        WaitlistController,
        NoticesController,
        MedicationsController,
        RenewalsController,
        ConsultationController,
        SharesController,
        ProxiesController,
        PushDeviceController,
        CitizenQuestionnairesController,
        DoseScheduleController,
        MedicationSupplyController,
        RemindersController,
        DosesController,
        AdherenceController,
        VaccinationsController,
        ConnectionsController,
        ExportController,
        SourceDeletionController,
        WearablesController,
        AccountController,
    ],
    guards=[guarded(require_role(Role.CITIZEN), proxy_scope, check_content_type)],
    tags=["citizen"],
    security=[{"bearer": []}],
)
