"""What an audit entry means, in words a citizen reads: Danish first, English too."""

from __future__ import annotations

__all__ = ["ROLE_NAMES", "describe"]

#: action -> (Danish, English); `{actor}` is filled with the actor's name and role
_ACTIONS: dict[str, tuple[str, str]] = {
    "audit_log.read": ("{actor} så din adgangslog", "{actor} viewed your access log"),
    "profile.read": ("{actor} så dine stamoplysninger", "{actor} viewed your profile"),
    "profile.update": ("{actor} ændrede dine stamoplysninger", "{actor} changed your profile"),
    "source.delete": (
        "{actor} slettede en datakilde og dens målinger",
        "{actor} deleted a data source and its measurements",
    ),
    "wearables.delete": (
        "{actor} slettede målinger fra en periode",
        "{actor} deleted the measurements of a period",
    ),
    "account.close": ("{actor} lukkede kontoen", "{actor} closed the account"),
    "gateway.revoke": ("{actor} tilbagekaldte en gateway", "{actor} revoked a gateway"),
    "gateway.paired": ("{actor} blev parret med din konto", "{actor} was paired with your account"),
    "appointments.read": (
        "{actor} så dine aftaler i dagens liste",
        "{actor} viewed your appointments in the day's list",
    ),
    "appointment.cancel": ("{actor} aflyste din tid", "{actor} cancelled your appointment"),
    "medications.read": ("{actor} så din medicinliste", "{actor} viewed your medication list"),
    "medications.update": (
        "{actor} opdaterede din medicinliste",
        "{actor} updated your medication list",
    ),
    "dosing.schedule": (
        "{actor} satte tider for din medicin",
        "{actor} set the times for your medicine",
    ),
    "dosing.schedule_removed": (
        "{actor} fjernede tiderne for din medicin",
        "{actor} removed the times for your medicine",
    ),
    "doses.read": (
        "{actor} så hvornår du har taget din medicin",
        "{actor} viewed when you took your medicine",
    ),
    "vaccinations.read": ("{actor} så dine vaccinationer", "{actor} viewed your vaccinations"),
    "vaccinations.update": (
        "{actor} opdaterede dine vaccinationer",
        "{actor} updated your vaccinations",
    ),
    "renewals.read": (
        "{actor} så dine ønsker om receptfornyelse",
        "{actor} viewed your renewal requests",
    ),
    "renewal.review": (
        "{actor} tog dit ønske om receptfornyelse op",
        "{actor} took up your renewal request",
    ),
    "consultations.read": (
        "{actor} så dine e-konsultationer i klinikkens liste",
        "{actor} viewed your e-consultations in the clinic's list",
    ),
    "consultation.read": ("{actor} læste din e-konsultation", "{actor} read your e-consultation"),
    "consultation.photo.read": (
        "{actor} så et billede i din e-konsultation",
        "{actor} viewed a photo in your e-consultation",
    ),
    "consultation.answer": (
        "{actor} svarede på din e-konsultation",
        "{actor} answered your e-consultation",
    ),
    "consultation.close": (
        "{actor} lukkede din e-konsultation",
        "{actor} closed your e-consultation",
    ),
    "consultation.reopen": (
        "{actor} genåbnede din e-konsultation",
        "{actor} reopened your e-consultation",
    ),
    "share.create": ("{actor} delte data med lægen", "{actor} shared data with the doctor"),
    "share.revoke": ("{actor} stoppede en deling", "{actor} stopped sharing"),
    "summary.read": (
        "{actor} så oversigten over dine delte målinger",
        "{actor} viewed the summary of your shared measurements",
    ),
    "daily.read": (
        "{actor} så dine daglige målinger",
        "{actor} viewed your daily measurements",
    ),
    "thresholds.update": (
        "{actor} ændrede grænserne for dine målinger",
        "{actor} changed the limits for your measurements",
    ),
    "proxy.grant": ("{actor} gav en fuldmagt", "{actor} gave a power of attorney"),
    "proxy.revoke": ("{actor} tilbagekaldte en fuldmagt", "{actor} revoked a power of attorney"),
    "proxy.request": ("{actor} brugte appen på dine vegne", "{actor} used the app on your behalf"),
    "proxy.denied": (
        "{actor} forsøgte noget, fuldmagten ikke dækker",
        "{actor} tried something the power of attorney does not cover",
    ),
    "inbox.read": (
        "{actor} så et punkt om dig i klinikkens indbakke",
        "{actor} viewed an item about you in the clinic's inbox",
    ),
    "inbox.resolve": (
        "{actor} afsluttede et punkt om dig i klinikkens indbakke",
        "{actor} closed an item about you in the clinic's inbox",
    ),
    "questionnaire.assign": (
        "{actor} bad dig svare på et spørgeskema",
        "{actor} asked you to answer a questionnaire",
    ),
    "questionnaire.submit": (
        "{actor} svarede på et spørgeskema",
        "{actor} answered a questionnaire",
    ),
    "questionnaire_response.read": (
        "{actor} så dine svar på et spørgeskema",
        "{actor} viewed your answers to a questionnaire",
    ),
    "export.create": (
        "{actor} bestilte en kopi af alle dine data",
        "{actor} asked for a copy of all your data",
    ),
    "export.download": (
        "{actor} hentede kopien af alle dine data",
        "{actor} downloaded the copy of all your data",
    ),
    "renewal.approved": ("{actor} fornyede din recept", "{actor} renewed your prescription"),
    "renewal.rejected": (
        "{actor} afviste at forny din recept",
        "{actor} declined to renew your prescription",
    ),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "citizen": ("dig", "you"),
    "clinician": ("behandler", "clinician"),
    "gateway": ("gateway", "gateway"),
    "proxy": ("fuldmagtshaver", "proxy"),
}


def describe(action: str, actor_role: str, actor_name: str, *, language: str) -> str:
    """A one-line sentence for an entry, in `language` ("da" or "en")."""
    en = language == "en"
    role_da, role_en = ROLE_NAMES.get(actor_role, (actor_role, actor_role))
    if actor_role == "citizen":
        actor = "You" if en else "Du"
    else:
        role = role_en if en else role_da
        actor = f"{actor_name} ({role})" if actor_name else role.capitalize()
    da, english = _ACTIONS.get(action, ("{actor}: " + action, "{actor}: " + action))
    return (english if en else da).format(actor=actor)
