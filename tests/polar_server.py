"""A stand-in for Polar AccessLink v3 over HTTP on loopback, after its published API.

- `GET /oauth2/authorization` (Polar Flow): the user consents at once and the browser is
  sent to `redirect_uri?code=…&state=…` (or `?error=access_denied`).
- `POST /v2/oauth2/token`: HTTP Basic client authentication, form
  `grant_type=authorization_code`, `code` (once), `redirect_uri` (as given before).
  Answers `access_token`, `token_type`, `expires_in` and `x_user_id`; a bad code is
  400 `invalid_grant`, a bad client 401 `invalid_client`. No refresh tokens.
- `POST /v3/users` (JSON `member-id`): registers the user with the client; 409 when
  already registered. `DELETE /v3/users/{user-id}`: 204, and the user's tokens stop
  working. Data is served to a registered user only (403 otherwise), and only what was
  uploaded after the registration, as Polar does.
- `GET /v3/exercises` (last 30 days), `GET /v3/exercises/{id}/fit`;
  `GET /v3/users/activities?from&to` (at most 28 days, 400 otherwise) and
  `/v3/users/activities/{date}` (204 when none); `GET /v3/users/sleep` (last 28 days)
  and `/v3/users/sleep/{date}` (404 when none);
  `GET /v3/users/continuous-heart-rate/{date}` (404 when none). A refused token is 401.

`push()` builds a webhook push signed like Polar's: HMAC-SHA256 of the body, hex, in
`Polar-Webhook-Signature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.vendor_servers import ConsentPage, lifespan, loopback, read_body

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "WEBHOOK_SECRET",
    "ActivityDay",
    "FakePolar",
    "HrDay",
    "PolarExercise",
    "PolarNight",
    "fake_polar",
]

CLIENT_ID = "polar-client"
CLIENT_SECRET = "polar-secret"
WEBHOOK_SECRET = "abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1"

Answer = tuple[int, bytes, dict[str, str]]


@dataclass
class PolarExercise:
    id: str
    #: local start time and its UTC offset in minutes, as Polar lists them
    start_time: str
    offset_minutes: int
    fit: bytes
    uploaded: int


@dataclass
class ActivityDay:
    date: str
    #: UTC, as Polar's activity summaries give them
    start_time: str
    end_time: str
    steps: int
    uploaded: int


@dataclass
class PolarNight:
    date: str
    start: str
    end: str
    light: int
    deep: int
    rem: int
    uploaded: int


@dataclass
class HrDay:
    date: str
    #: (HH:MM:SS, bpm)
    samples: list[tuple[str, int]]
    uploaded: int


@dataclass
class _User:
    user_id: int
    registered_at: int | None = None
    member_id: str | None = None
    exercises: list[PolarExercise] = field(default_factory=list)
    days: list[ActivityDay] = field(default_factory=list)
    nights: list[PolarNight] = field(default_factory=list)
    hr: list[HrDay] = field(default_factory=list)


def _json(status: int, body: Any) -> Answer:
    return status, json.dumps(body).encode(), {"content-type": "application/json"}


def _error(status: int, message: str) -> Answer:
    return _json(status, {"status": status, "errorType": "error", "message": message})


class FakePolar(ConsentPage[int]):
    client_id = CLIENT_ID

    def __init__(self, now: Callable[[], int]) -> None:
        self.base_url = ""
        self.now = now
        self.users: dict[int, _User] = {}
        self.consenting = 475
        self.deny = False
        self._codes: dict[str, tuple[int, str]] = {}
        self._access: dict[str, int] = {}
        self._n = 0
        #: (method, path) of every API request
        self.requests: list[tuple[str, str]] = []
        #: path prefix -> scripted HTTP statuses, in order
        self.script: dict[str, list[int]] = {}

    # -- test helpers ---------------------------------------------------------------------
    def user(self, user_id: int) -> _User:
        return self.users.setdefault(user_id, _User(user_id))

    def count(self, prefix: str, method: str = "GET") -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    def fail(self, prefix: str, *statuses: int) -> None:
        self.script.setdefault(prefix, []).extend(statuses)

    @staticmethod
    def push(payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "Polar-Webhook-Signature": signature}

    # -- the server -----------------------------------------------------------------------
    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if await lifespan(scope, receive, send):
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = dict(urllib.parse.parse_qsl(scope["query_string"].decode()))
        status, out, extra = self._route(scope["method"], scope["path"], query, headers, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": out})

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        if path == "/oauth2/authorization":
            return self._authorize(query)
        if path == "/v2/oauth2/token":
            return self._token(headers, dict(urllib.parse.parse_qsl(body.decode())))
        self.requests.append((method, path))
        for prefix, statuses in self.script.items():
            if path.startswith(prefix) and statuses:
                return _error(statuses.pop(0), "scripted")
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        user_id = self._access.get(bearer)
        if user_id is None:
            return _error(401, "Unauthorized")
        user = self.user(user_id)
        if method == "POST" and path == "/v3/users":
            return self._register(user, json.loads(body or b"{}"))
        if method == "DELETE" and path == f"/v3/users/{user_id}":
            user.registered_at = None
            self._access = {t: u for t, u in self._access.items() if u != user_id}
            return 204, b"", {}
        if user.registered_at is None:
            return _error(403, "User has not accepted all mandatory consents")
        return self._data(method, path, query, user)

    def _new_code(self) -> str:
        self._n += 1
        return f"pcode{self._n:05d}"

    def _token(self, headers: dict[str, str], form: dict[str, str]) -> Answer:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if headers.get("authorization") != f"Basic {basic}":
            return _json(401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return _json(400, {"error": "unsupported_grant_type"})
        found = self._codes.pop(form.get("code", ""), None)
        if found is None or found[1] != form.get("redirect_uri", found[1]):
            return _json(400, {"error": "invalid_grant"})
        self._n += 1
        token = f"ptok{self._n:05d}"
        self._access[token] = found[0]
        return _json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 315359999,
                "x_user_id": found[0],
            },
        )

    def _register(self, user: _User, body: dict[str, Any]) -> Answer:
        if not body.get("member-id"):
            return _error(400, "member-id is required")
        if user.registered_at is not None:
            return _error(409, "User already registered to partner or duplicated member-id")
        user.registered_at = self.now()
        user.member_id = str(body["member-id"])
        return _json(
            200,
            {
                "polar-user-id": user.user_id,
                "member-id": user.member_id,
                "registration-date": datetime.fromtimestamp(user.registered_at, UTC).isoformat(),
            },
        )

    def _data(self, method: str, path: str, query: dict[str, str], user: _User) -> Answer:
        assert user.registered_at is not None
        since = user.registered_at

        def seen(uploaded: int) -> bool:  # only what was uploaded after registering
            return uploaded >= since

        today = datetime.fromtimestamp(self.now(), UTC).date()
        parts = path.strip("/").split("/")
        if method != "GET":
            return _error(405, "method not allowed")
        if parts[:2] == ["v3", "exercises"]:
            mine = [e for e in user.exercises if seen(e.uploaded)]
            if len(parts) == 2:
                return _json(200, [self._exercise(user, e) for e in mine])
            found = next((e for e in mine if e.id == parts[2]), None)
            if found is None:
                return _error(404, "Exercise not found")
            if parts[3:] == ["fit"]:
                return 200, found.fit, {"content-type": "*/*"}
            return _json(200, self._exercise(user, found))
        if parts[:3] == ["v3", "users", "activities"]:
            days = [d for d in user.days if seen(d.uploaded)]
            if len(parts) == 4:
                one = next((d for d in days if d.date == parts[3]), None)
                return _json(200, self._activity(one)) if one else (204, b"", {})
            lo = date.fromisoformat(query.get("from", (today - timedelta(days=28)).isoformat()))
            hi = date.fromisoformat(query.get("to", today.isoformat()))
            if (hi - lo).days > 28 or (today - lo).days > 365:
                return _error(400, "Invalid or too old date")
            return _json(
                200,
                [self._activity(d) for d in days if lo <= date.fromisoformat(d.date) <= hi],
            )
        if parts[:3] == ["v3", "users", "sleep"]:
            nights = [n for n in user.nights if seen(n.uploaded)]
            if len(parts) == 4:
                one = next((n for n in nights if n.date == parts[3]), None)
                return _json(200, self._night(n=one)) if one else _error(404, "No data")
            recent = [n for n in nights if (today - date.fromisoformat(n.date)).days < 28]
            return _json(200, {"nights": [self._night(n) for n in recent]})
        if parts[:3] == ["v3", "users", "continuous-heart-rate"] and len(parts) == 4:
            one = next((h for h in user.hr if seen(h.uploaded) and h.date == parts[3]), None)
            if one is None:
                return _error(404, "No data found for date")
            return _json(
                200,
                {
                    "polar_user": f"https://www.polaraccesslink.com/v3/users/{user.user_id}",
                    "date": one.date,
                    "heart_rate_samples": [
                        {"heart_rate": bpm, "sample_time": t} for t, bpm in one.samples
                    ],
                },
            )
        return _error(404, "not found")

    @staticmethod
    def _exercise(user: _User, e: PolarExercise) -> dict[str, Any]:
        return {
            "id": e.id,
            "upload_time": datetime.fromtimestamp(e.uploaded, UTC).isoformat(),
            "polar_user": f"https://www.polaraccesslink.com/v3/users/{user.user_id}",
            "device": "Polar Vantage V3",
            "start_time": e.start_time,
            "start_time_utc_offset": e.offset_minutes,
            "duration": "PT1H",
            "sport": "WALKING",
        }

    @staticmethod
    def _activity(d: ActivityDay) -> dict[str, Any]:
        return {
            "start_time": d.start_time,
            "end_time": d.end_time,
            "active_duration": "PT1H",
            "steps": d.steps,
            "calories": 2200,
        }

    @staticmethod
    def _night(n: PolarNight) -> dict[str, Any]:
        return {
            "polar_user": "https://www.polaraccesslink.com/v3/users/1",
            "date": n.date,
            "sleep_start_time": n.start,
            "sleep_end_time": n.end,
            "device_id": "1111AAAA",
            "light_sleep": n.light,
            "deep_sleep": n.deep,
            "rem_sleep": n.rem,
            "unrecognized_sleep_stage": 0,
            "sleep_score": 80,
        }


@asynccontextmanager
async def fake_polar(now: Callable[[], int]) -> AsyncIterator[FakePolar]:
    """Polar's stand-in on a free loopback port for the length of the block."""
    server = FakePolar(now)
    async with loopback(server.app) as base_url:
        server.base_url = base_url
        yield server
