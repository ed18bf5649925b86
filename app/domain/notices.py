"""What a citizen is told, in Danish and English, when something changes for them.

Each notice is written to the outbox in the same transaction as the change it reports,
so a notice is never sent for a change that rolled back, nor lost for one that held.
The texts are short and plain: they show on a lock screen, often to elderly readers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = [
    "NOTICE_TEXTS",
    "REMINDER_KINDS",
    "Notice",
    "NoticeKind",
    "OutboxItem",
    "notice",
    "scope_of",
]

NoticeKind = Literal[
    "appointment.booked",
    "appointment.reminder",
    "appointment.cancelled_by_clinic",
    "appointment.rescheduled",
    "waitlist.offer",
    "renewal.approved",
    "renewal.rejected",
    "consultation.answered",
    "questionnaire.due",
    "questionnaire.answered",
    "questionnaire.call",
    "inbox.book",
    "medication.reminder",
    "medication.runout",
    "vaccination.due",
    "connection.broken",
]

#: reminders: the lock screen says only "Påmindelse fra Min Læge" unless previews are on
#: (app.domain.push), and a dose reminder is not pushed once it is stale
REMINDER_KINDS: frozenset[str] = frozenset(
    {"medication.reminder", "medication.runout", "vaccination.due"}
)

#: (Danish title, Danish body, English title, English body); `{…}` filled from params
NOTICE_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "appointment.booked": (
        "Tid bestilt",
        "Du har fået en tid {when}.",
        "Appointment booked",
        "Your appointment is {when_en}.",
    ),
    "appointment.reminder": (
        "Husk din tid hos lægen",
        "Du har en tid {when}. Kan du ikke komme, så aflys i appen.",
        "Appointment reminder",
        "You have an appointment {when_en}. If you cannot come, cancel it in the app.",
    ),
    "appointment.cancelled_by_clinic": (
        "Lægen har aflyst din tid",
        "Din tid {when} er aflyst. Besked fra klinikken: {message}",
        "The clinic cancelled your appointment",
        "Your appointment {when_en} is cancelled. Message from the clinic: {message}",
    ),
    "appointment.rescheduled": (
        "Tid flyttet",
        "Din tid er flyttet til {when}.",
        "Appointment moved",
        "Your appointment is moved to {when_en}.",
    ),
    "waitlist.offer": (
        "En tidligere tid er ledig",
        "Du kan få en tid {when}. Svar inden {until}, ellers går den videre.",
        "An earlier appointment is free",
        "You can have an appointment {when_en}. Answer before {until_en} or it passes on.",
    ),
    "renewal.approved": (
        "Recept fornyet",
        "Lægen har fornyet {medication}.",
        "Prescription renewed",
        "Your doctor has renewed {medication}.",
    ),
    "renewal.rejected": (
        "Recept ikke fornyet",
        "Lægen har ikke fornyet {medication}. Begrundelse: {reason}",
        "Prescription not renewed",
        "Your doctor did not renew {medication}. Reason: {reason}",
    ),
    "consultation.answered": (
        "Svar fra lægen",
        "Der er svar på din e-konsultation: {subject}",
        "Answer from your doctor",
        "Your e-consultation has an answer: {subject}",
    ),
    # PRO: the lock screen never shows health details; the title names no condition
    "questionnaire.due": (
        "Nyt spørgeskema",
        "Din læge beder dig svare på et spørgeskema: {title}",
        "New questionnaire",
        "Your doctor asks you to answer a questionnaire: {title_en}",
    ),
    "questionnaire.answered": (
        "Svar fra lægen",
        "{message}",
        "Answer from your doctor",
        "{message_en}",
    ),
    "questionnaire.call": (
        "Kontakt lægen i dag",
        "{message}",
        "Contact your doctor today",
        "{message_en}",
    ),
    "inbox.book": (
        "Lægen vil gerne se dig",
        "Klinikken vil gerne se dig til en konsultation. Du får et tilbud om en tid i appen,"
        " når der er en ledig.",
        "Your doctor would like to see you",
        "The clinic would like to see you for a consultation. You will be offered an"
        " appointment in the app when one is free.",
    ),
    # the title names the medicine: it shows on the lock screen only with previews on
    "medication.reminder": (
        "Husk din medicin: {medication}",
        "Tid til {dose} kl. {time}. Tryk for at registrere den som taget eller sprunget over.",
        "Time for your medicine: {medication}",
        "Time for {dose_en} at {time}. Tap to record it as taken or skipped.",
    ),
    "medication.runout": (
        "Din medicin slipper snart op",
        "{medication} slipper op omkring {day}. Tryk for at bede lægen om en fornyelse.",
        "Your medicine is running out",
        "{medication} runs out around {day_en}. Tap to ask your doctor for a renewal.",
    ),
    "vaccination.due": (
        "Tid til vaccination",
        "Du skal have {vaccine} ({dose}. dosis) fra {day}. Bestil en tid i appen.",
        "Vaccination due",
        "Your {vaccine} vaccination (dose {dose}) is due from {day_en}. Book an appointment"
        " in the app.",
    ),
    # a linked cloud account (Withings, Polar) refused our tokens: only the citizen can
    # link it again
    "connection.broken": (
        "Forbind {vendor} igen",
        "Min Læge kan ikke længere hente dine målinger fra {vendor}. Åbn appen og forbind"
        " kontoen igen.",
        "Reconnect {vendor}",
        "Min Læge can no longer fetch your measurements from {vendor}. Open the app and link"
        " the account again.",
    ),
}


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """One message for one citizen, ready for push and for the in-app list."""

    kind: NoticeKind
    title_da: str
    body_da: str
    title_en: str
    body_en: str
    #: what it is about, for the app to open (e.g. "appointments/…")
    ref: str


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


#: notice kind prefix -> the power-of-attorney scope it belongs to
_SCOPE_OF = {
    "appointment": "booking",
    "waitlist": "booking",
    "renewal": "medications",
    "consultation": "messages",
    "questionnaire": "questionnaires",
    "inbox": "booking",
    "medication": "medications",
    "vaccination": "medications",
}


def scope_of(kind: str) -> str | None:
    """The power-of-attorney area a notice belongs to: a relative holding that scope
    sees it (in the list and on their phone); None for kinds no grant covers."""
    return _SCOPE_OF.get(kind.split(".")[0])


def notice(kind: NoticeKind, ref: str, **params: str) -> Notice:
    """The notice of `kind`, its texts (titles too) filled in; a missing parameter leaves
    a blank."""
    title_da, body_da, title_en, body_en = NOTICE_TEXTS[kind]
    values = _Blank(params)
    return Notice(
        kind=kind,
        title_da=title_da.format_map(values),
        body_da=body_da.format_map(values),
        title_en=title_en.format_map(values),
        body_en=body_en.format_map(values),
        ref=ref,
    )


class OutboxItem(msgspec.Struct, frozen=True, kw_only=True):
    """A stored notice with its place in the citizen's stream."""

    seq: int
    id: str
    citizen_id: str
    notice: Notice
    created_at: datetime
    delivered_at: datetime | None = None
