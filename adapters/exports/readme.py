"""The export's README.md: what each file holds, in Danish first and then in English."""

from __future__ import annotations

from datetime import datetime

__all__ = ["FILES", "readme"]

#: file -> (Danish, English) explanation; the zip holds each of these
FILES: dict[str, tuple[str, str]] = {
    "fhir/bundle.json": (
        "Dine målinger, svar på spørgeskemaer og registreret medicinindtag som en FHIR R4"
        " Bundle (international standard for sundhedsdata): én Observation pr. måling, én"
        " Device pr. kilde (ur, telefon, måleapparat), QuestionnaireResponse for hvert"
        " besvaret spørgeskema og MedicationAdministration for hver dosis, du har"
        " registreret som taget eller sprunget over. Kan læses af andre sundhedsapps.",
        "Your measurements, questionnaire answers and recorded medicine intake as a FHIR R4"
        " Bundle (the international standard for health data): one Observation per"
        " measurement, one Device per source (watch, phone, meter), a QuestionnaireResponse"
        " per answered questionnaire and a MedicationAdministration per dose you recorded as"
        " taken or skipped. Other health apps can read it.",
    ),
    "profile.json": (
        "Dine stamoplysninger: navn, tidszone, sprog, din lægeklinik, og om vi har dit"
        " CPR-nummer (selve nummeret står ikke i filen).",
        "Your profile: name, time zone, language, your GP clinic, and whether we hold your"
        " CPR number (the number itself is not in the file).",
    ),
    "sources.json": (
        "De kilder, dine målinger kommer fra, og deres rækkefølge.",
        "The sources your measurements come from, and their order.",
    ),
    "shares.json": (
        "Dine delinger af målinger med lægen, også dem der er stoppet eller udløbet.",
        "What you shared with your doctor, including shares stopped or expired.",
    ),
    "proxies.json": (
        "Fuldmagter: dem du har givet (given) og dem du har fra andre (held).",
        "Powers of attorney: those you gave (given) and those you hold for others (held).",
    ),
    "appointments.json": ("Dine aftaler hos lægen.", "Your appointments with the clinic."),
    "medications.json": ("Din medicinliste.", "Your medication list."),
    "medicine-schedules.json": (
        "Hvornår du tager din medicin (tider, ugedage, periode), som du har sat det op.",
        "When you take your medicine (times, weekdays, period), as you set it up.",
    ),
    "vaccinations.json": (
        "Dine vaccinationer, givne og kommende, som klinikken har registreret dem.",
        "Your vaccinations, given and due, as the clinic recorded them.",
    ),
    "gateways.json": (
        "Dine hjemme-gateways (Bluetooth-bokse), der sender målinger, også tilbagekaldte.",
        "Your home gateways (Bluetooth boxes) that send measurements, revoked ones too.",
    ),
    "renewals.json": (
        "Dine ønsker om receptfornyelse og klinikkens svar.",
        "Your prescription renewal requests and the clinic's answers.",
    ),
    "consultations.json": (
        "Dine e-konsultationer med alle beskeder; billederne ligger i"
        " consultations/photos/ under de navne, beskederne nævner.",
        "Your e-consultations with every message; the photos are in consultations/photos/"
        " under the names the messages give.",
    ),
    "notices.json": (
        "Beskeder, appen og klinikken har sendt dig.",
        "Notices the app and the clinic sent you.",
    ),
    "audit-log.json": (
        "Din adgangslog: hvem der har set eller ændret dine data og hvornår. Hver linje"
        " er forseglet med en hash af den forrige, så ændringer kan opdages.",
        "Your access log: who viewed or changed your data, and when. Each entry is sealed"
        " with a hash of the one before, so changes can be detected.",
    ),
}


def readme(*, name: str, generated_at: datetime, counts: dict[str, int]) -> str:
    """The README text; `counts` names how many of each FHIR resource the Bundle holds."""
    when = generated_at.isoformat(timespec="seconds")
    lines = [
        "# Dine data fra Min Læge / Your data from Min Læge",
        "",
        "## Dansk",
        "",
        f"Denne fil er lavet {when} til {name or 'dig'}. Den indeholder de data, Min Læge"
        " har om dig. Tider er angivet med tidszone. Filerne:",
        "",
    ]
    lines += [f"- `{file}`: {da}" for file, (da, _) in FILES.items()]
    lines += ["", "Indhold af FHIR-filen:", ""]
    lines += [f"- {kind}: {n}" for kind, n in sorted(counts.items())]
    lines += [
        "",
        "Linket til denne fil virker kun for dig og udløber. Hent en ny i appen, når du vil.",
        "",
        "## English",
        "",
        f"This file was made {when} for {name or 'you'}. It holds the data Min Læge keeps"
        " about you. Times carry their time zone. The files:",
        "",
    ]
    lines += [f"- `{file}`: {en}" for file, (_, en) in FILES.items()]
    lines += ["", "What the FHIR file holds:", ""]
    lines += [f"- {kind}: {n}" for kind, n in sorted(counts.items())]
    lines += [
        "",
        "The link to this file works for you only and expires. Ask for a new one in the app"
        " whenever you like.",
        "",
    ]
    return "\n".join(lines)
