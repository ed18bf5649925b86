"""The clinician API, `/v1/clinician/...`: only the clinician's own clinic."""

from __future__ import annotations

from litestar import Router

from app.domain.identity import Role
from mobile_api.clinician.citizens import ClinicianCitizensController
from mobile_api.clinician.consultations import ClinicConsultationsController
from mobile_api.clinician.inbox import InboxController
from mobile_api.clinician.inbox_links import InboxHtmlController, InboxPageController
from mobile_api.clinician.questionnaire_fhir import QuestionnaireResponseFhirController
from mobile_api.clinician.questionnaires import (
    AssignmentController,
    QuestionnaireDefinitionController,
    QuestionnaireResponseController,
)
from mobile_api.clinician.renewals import ClinicMedicationsController, RenewalQueueController
from mobile_api.clinician.schedule import ClinicAppointmentsController, ScheduleController
from mobile_api.clinician.summary import SummaryController
from mobile_api.clinician.vaccinations import (
    PatientDosesController,
    PatientVaccinationsController,
    VaccinationRulesController,
)
from mobile_api.security import check_content_type, guarded, require_role

__all__ = ["clinician_router"]

clinician_router = Router(
    path="/v1/clinician",
    route_handlers=[
        ClinicianCitizensController,
        ScheduleController,
        ClinicAppointmentsController,
        ClinicMedicationsController,
        RenewalQueueController,
        ClinicConsultationsController,
        SummaryController,
        InboxController,
        InboxPageController,
        InboxHtmlController,
        QuestionnaireDefinitionController,
        AssignmentController,
        QuestionnaireResponseController,
        QuestionnaireResponseFhirController,
        PatientVaccinationsController,
        VaccinationRulesController,
        PatientDosesController,
    ],
    guards=[guarded(require_role(Role.CLINICIAN), check_content_type)],
    tags=["clinician"],
    security=[{"bearer": []}],
)
