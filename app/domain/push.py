"""Push notifications: the citizen's phones, what a push says, and when to try again.

A push goes through Apple's or Google's servers and shows on a lock screen that
anyone near the phone can read. So by default it says only that there is something
new and carries the notice's id; the app fetches the notice itself over our API,
with the citizen logged in. A citizen who wants more can let the lock screen show the
notice's title (`previews`); the body, which can name a medicine or quote the
clinic, never leaves our servers in a push.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from app.domain.notices import REMINDER_KINDS, Notice
from app.domain.people import Language

__all__ = [
    "MAX_ATTEMPTS",
    "PUSH_TTL",
    "DueNotice",
    "Platform",
    "PushDevice",
    "PushMessage",
    "PushOutcome",
    "PushResult",
    "push_message",
    "push_ttl",
    "retry_delay",
    "valid_token",
]

Platform = Literal["apns", "fcm"]
#: what the relay did with an outbox row
PushOutcome = Literal["sent", "no-device", "expired", "gave-up"]

#: a notice older than this is not pushed any more (the app's list still shows it):
#: "your appointment is booked" a day late is noise, and Apple drops it after this too
PUSH_TTL = timedelta(hours=24)
#: tries per notice before the relay gives up on it
MAX_ATTEMPTS = 10
_FIRST_DELAY_S = 30
_LONGEST_DELAY_S = 3600

#: APNs tokens are 32 bytes in hex today; Apple says they may grow, so up to 100 bytes
_APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64,200}")
#: FCM registration tokens: URL-safe characters and colons, about 150-250 long
_FCM_TOKEN = re.compile(r"[A-Za-z0-9_:\-]{20,4096}")

#: (title, body) when the lock screen shows no preview, per language
_NEUTRAL: dict[str, tuple[str, str]] = {
    "da": ("Ny besked fra Min Læge", "Åbn appen for at læse den."),
    "en": ("New message from Min Læge", "Open the app to read it."),
}
#: (title, body) of a reminder (a dose, a run-out, a vaccination) without a preview
_NEUTRAL_REMINDER: dict[str, tuple[str, str]] = {
    "da": ("Påmindelse fra Min Læge", "Åbn appen for at se den."),
    "en": ("Reminder from Min Læge", "Open the app to see it."),
}
#: a dose reminder pushed later than this is noise ("take your 08:00 tablet" at noon)
_DOSE_TTL = timedelta(hours=2)
_MORE: dict[str, str] = {"da": "Åbn appen for at læse mere.", "en": "Open the app to read more."}


class PushDevice(msgspec.Struct, frozen=True, kw_only=True):
    """One phone that gets the citizen's pushes."""

    id: str
    citizen_id: str
    platform: Platform
    token: str
    previews: bool = False
    created_at: datetime


class PushMessage(msgspec.Struct, frozen=True, kw_only=True):
    """What one push carries: the lock-screen text and the notice to open."""

    notice_id: str
    title: str
    body: str
    #: when Apple and Google should stop trying to deliver it
    expires_at: datetime
    #: set when the phone is a relative's under a power of attorney: whose notice it is
    #: (the app opens it acting for them)
    for_citizen: str | None = None


class PushResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the push service answered for one device.

    `sent`: accepted for delivery. `gone`: the token is dead (app removed, token
    rotated); forget the device. `retry`: try again later, not before `retry_after`
    seconds when the service said so.
    """

    outcome: Literal["sent", "gone", "retry"]
    detail: str = ""
    retry_after: int | None = None


class DueNotice(msgspec.Struct, frozen=True, kw_only=True):
    """An outbox row the relay has claimed, with how often it was tried before."""

    seq: int
    id: str
    citizen_id: str
    notice: Notice
    created_at: datetime
    attempts: int


def valid_token(platform: str, token: str) -> bool:
    """Whether a device token has the shape its platform gives them."""
    pattern = _APNS_TOKEN if platform == "apns" else _FCM_TOKEN if platform == "fcm" else None
    return pattern is not None and pattern.fullmatch(token) is not None


def push_ttl(kind: str) -> timedelta:
    """How long after it was written a notice of `kind` is still worth pushing."""
    return _DOSE_TTL if kind == "medication.reminder" else PUSH_TTL


def push_message(
    notice_id: str,
    notice: Notice,
    created_at: datetime,
    language: Language,
    *,
    previews: bool,
    for_citizen: str | None = None,
) -> PushMessage:
    """The push for one notice: neutral by default, the notice's title if allowed."""
    neutral = _NEUTRAL_REMINDER if notice.kind in REMINDER_KINDS else _NEUTRAL
    neutral_title, neutral_body = neutral[language]
    if previews:
        title = notice.title_en if language == "en" else notice.title_da
        body = _MORE[language]
    else:
        title, body = neutral_title, neutral_body
    return PushMessage(
        notice_id=notice_id,
        title=title,
        body=body,
        expires_at=created_at + push_ttl(notice.kind),
        for_citizen=for_citizen,
    )


def retry_delay(attempts: int, asked: int | None = None) -> int:
    """Seconds to wait before try number `attempts + 1`: doubling from 30 s to an hour,
    and never sooner than the push service asked (`Retry-After`)."""
    delay: int = min(_FIRST_DELAY_S << max(attempts - 1, 0), _LONGEST_DELAY_S)
    return max(delay, asked or 0)
