"""A stand-in for Withings' cloud, over HTTP on loopback, after its published API.

- `GET /oauth2_user/authorize2` (account host): the user consents at once and the
  browser is sent to `redirect_uri?code=…&state=…` (or `?error=access_denied`).
- `POST /v2/oauth2` `action=requesttoken`: `grant_type=authorization_code` (a code
  works once, with the same redirect_uri and the app's client id and secret) or
  `refresh_token` (refresh tokens rotate: the old one stops working). A bad code or
  refresh token: status 503 "Invalid Params: invalid refresh_token|code".
- `POST /measure` `action=getmeas` (Bearer token): measure groups dated in
  [startdate, enddate], newest first, `more`/`offset` paging. A refused token: status
  401 in an HTTP 200 body, as Withings does.
- `POST /v2/measure` `action=getactivity` (`startdateymd`/`enddateymd` or `lastupdate`,
  `offset`): daily activities (`date`, `timezone`, `steps`, `modified` …), `more` as a
  boolean as Withings' v2 services answer.
- `POST /v2/sleep` `action=getsummary` (the same parameters): nights (`series`: `id`,
  `startdate`, `enddate`, `timezone`, `data.total_sleep_time` …).
- `POST /notify` `action=subscribe|revoke`: recorded.

Every answer is HTTP 200 with Withings' own `status` in the body, unless the test
scripts something else (`fail`): an HTTP status, or a body status such as 601 or 2555.
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from hypercorn.asyncio import serve
from hypercorn.config import Config

__all__ = [
    "ConsentPage",
    "Day",
    "FakeWithings",
    "Group",
    "Night",
    "fake_withings",
    "lifespan",
    "loopback",
    "read_body",
]

CLIENT_ID = "withings-client"
CLIENT_SECRET = "withings-secret"

U = TypeVar("U")  # how a vendor names its users: Withings by str, Polar by int


@dataclass
class Group:
    grpid: int
    date: int
    #: (type, value, unit)
    measures: list[tuple[int, int, int]]
    model: str | None = "Body+"
    device: str | None = "dev-scale-1"
    attrib: int = 0
    category: int = 1


@dataclass
class Day:
    """A day of activity as Withings reports it: a date in the activity's time zone."""

    date: str
    steps: int
    timezone: str = "Europe/Copenhagen"
    modified: int = 0
    tracker: str | None = None


@dataclass
class Night:
    id: int
    startdate: int
    enddate: int
    total_sleep_time: int
    timezone: str = "Europe/Copenhagen"
    device: str | None = "dev-mat-1"
    model: int = 32
    modified: int = 0


@dataclass
class _User:
    userid: str
    groups: list[Group] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)
    nights: list[Night] = field(default_factory=list)


class ConsentPage(Generic[U]):
    """The vendor's authorisation page, which the Withings and Polar stand-ins answer
    alike: a wrong client or response type is 400; otherwise the citizen consents at
    once and the browser goes back to `redirect_uri` with the state and either a
    refusal (`deny`) or a new one-time code for the `consenting` user."""

    client_id: str
    #: the user who consents next at the authorize page
    consenting: U
    deny: bool
    #: code -> (user, redirect_uri), until the code is exchanged
    _codes: dict[str, tuple[U, str]]

    def _new_code(self) -> str:
        raise NotImplementedError

    def _authorize(self, q: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if q.get("client_id") != self.client_id or q.get("response_type") != "code":
            return 400, b"bad request", {}
        redirect = q["redirect_uri"]
        if self.deny:
            params = {"error": "access_denied", "state": q.get("state", "")}
        else:
            code = self._new_code()
            self._codes[code] = (self.consenting, redirect)
            params = {"code": code, "state": q.get("state", "")}
        return 302, b"", {"location": f"{redirect}?{urllib.parse.urlencode(params)}"}


class FakeWithings(ConsentPage[str]):
    client_id = CLIENT_ID

    def __init__(self, *, page_size: int = 200) -> None:
        self.base_url = ""
        self.page_size = page_size
        self.users: dict[str, _User] = {}
        self.consenting = "1001"
        self.deny = False
        self._codes: dict[str, tuple[str, str]] = {}
        self._access: dict[str, str] = {}
        self._refresh: dict[str, str] = {}
        self._n = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.subscriptions: set[tuple[str, str, str]] = set()
        #: action -> scripted answers, in order: (HTTP status, body status, error)
        self.script: dict[str, list[tuple[int, int, str]]] = {}

    # -- test helpers ---------------------------------------------------------------------
    def user(self, userid: str) -> _User:
        return self.users.setdefault(userid, _User(userid))

    def fail(self, action: str, *answers: tuple[int, int, str]) -> None:
        self.script.setdefault(action, []).extend(answers)

    def revoke_access_tokens(self) -> None:
        self._access.clear()

    def revoke_all(self) -> None:
        """The user removed the app at Withings: no token works any more."""
        self._access.clear()
        self._refresh.clear()

    def count(self, action: str) -> int:
        return sum(1 for a, _ in self.requests if a == action)

    # -- the server -----------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def _tokens(self, userid: str) -> dict[str, Any]:
        access, refresh = self._next_id("acc"), self._next_id("ref")
        self._access[access] = userid
        self._refresh[refresh] = userid
        return {
            "userid": userid,
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 10800,
            "scope": "user.metrics,user.activity",
            "csrf_token": "x",
            "token_type": "Bearer",
        }

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if await lifespan(scope, receive, send):
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        if path == "/oauth2_user/authorize2":
            query = dict(urllib.parse.parse_qsl(scope["query_string"].decode()))
            status, out, extra = self._authorize(query)
        else:
            form = dict(urllib.parse.parse_qsl(body.decode()))
            status, out, extra = self._api(path, form, headers)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in extra.items()],
            }
        )
        await send({"type": "http.response.body", "body": out})

    def _new_code(self) -> str:
        return self._next_id("code")

    def _api(
        self, path: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        action = form.get("action", "")
        self.requests.append((action, form))
        scripted = self.script.get(action)
        if scripted:
            http, status, error = scripted.pop(0)
            if http != 200:
                return http, b"upstream trouble", {}
            return self._answer(status, {}, error)
        if path == "/v2/oauth2" and action == "requesttoken":
            return self._token(form)
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        userid = self._access.get(bearer)
        if userid is None:
            return self._answer(
                401,
                {},
                "XRequestID: Not provided invalid_token: The access token provided is invalid",
            )
        if path == "/measure" and action == "getmeas":
            return self._getmeas(self.user(userid), form)
        if path == "/v2/measure" and action == "getactivity":
            return self._getactivity(self.user(userid), form)
        if path == "/v2/sleep" and action == "getsummary":
            return self._getsummary(self.user(userid), form)
        if path == "/notify" and action in ("subscribe", "revoke"):
            key = (userid, form.get("callbackurl", ""), form.get("appli", ""))
            if action == "subscribe":
                self.subscriptions.add(key)
            else:
                self.subscriptions.discard(key)
            return self._answer(0, {})
        return self._answer(2555, {}, "unknown action")

    @staticmethod
    def _answer(
        status: int, body: Any, error: str | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        out: dict[str, Any] = {"status": status, "body": body}
        if error:
            out["error"] = error
        return 200, json.dumps(out).encode(), {"content-type": "application/json"}

    def _token(self, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._answer(503, {}, "Invalid Params: invalid client_id or client_secret")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            found = self._codes.pop(form.get("code", ""), None)
            if found is None or found[1] != form.get("redirect_uri"):
                return self._answer(503, {}, "Invalid Params: invalid code")
            return self._answer(0, self._tokens(found[0]))
        if grant == "refresh_token":
            userid = self._refresh.pop(form.get("refresh_token", ""), None)
            if userid is None:
                return self._answer(503, {}, "Invalid Params: invalid refresh_token")
            return self._answer(0, self._tokens(userid))
        return self._answer(503, {}, "Invalid Params: invalid grant_type")

    def _getmeas(self, user: _User, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        start = int(form.get("startdate", "0"))
        end = int(form.get("enddate", str(2**40)))
        types = {int(t) for t in form.get("meastypes", "").split(",") if t}
        offset = int(form.get("offset", "0"))
        found = sorted((g for g in user.groups if start <= g.date <= end), key=lambda g: -g.date)
        page = found[offset : offset + self.page_size]
        more = offset + self.page_size < len(found)
        groups = [
            {
                "grpid": g.grpid,
                "attrib": g.attrib,
                "date": g.date,
                "created": g.date + 30,
                "modified": g.date + 30,
                "category": g.category,
                "deviceid": g.device,
                "hash_deviceid": g.device,
                "measures": [
                    {"value": v, "type": t, "unit": u, "algo": 0, "fm": 3}
                    for t, v, u in g.measures
                    if not types or t in types
                ],
                "model": g.model,
                "comment": None,
            }
            for g in page
        ]
        body = {
            "updatetime": end,
            "timezone": "Europe/Copenhagen",
            "measuregrps": groups,
            "more": 1 if more else 0,
            "offset": offset + len(page) if more else 0,
        }
        return self._answer(0, body)

    @staticmethod
    def _ymd_window(form: dict[str, str]) -> tuple[str, str, int] | None:
        """(from, to, lastupdate) or None when neither form of window is given, which
        Withings answers with status 503 (invalid params)."""
        if form.get("startdateymd") and form.get("enddateymd"):
            return form["startdateymd"], form["enddateymd"], 0
        if form.get("lastupdate"):
            return "0000-00-00", "9999-99-99", int(form["lastupdate"])
        return None

    def _paged(
        self, key: str, items: list[dict[str, Any]], form: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        offset = int(form.get("offset", "0"))
        page = items[offset : offset + self.page_size]
        more = offset + self.page_size < len(items)
        return self._answer(
            0, {key: page, "more": more, "offset": offset + len(page) if more else 0}
        )

    def _getactivity(self, user: _User, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        window = self._ymd_window(form)
        if window is None:
            return self._answer(503, {}, "Invalid Params: missing startdateymd or lastupdate")
        lo, hi, since = window
        items = [
            {
                "date": d.date,
                "timezone": d.timezone,
                "deviceid": d.tracker,
                "hash_deviceid": d.tracker,
                "brand": 18,
                "is_tracker": d.tracker is not None,
                "steps": d.steps,
                "modified": d.modified,
            }
            for d in sorted(user.days, key=lambda d: d.date)
            if lo <= d.date <= hi and d.modified >= since
        ]
        return self._paged("activities", items, form)

    def _getsummary(self, user: _User, form: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        window = self._ymd_window(form)
        if window is None:
            return self._answer(503, {}, "Invalid Params: missing startdateymd or lastupdate")
        lo, hi, since = window
        items = []
        for n in sorted(user.nights, key=lambda n: n.startdate):
            # Withings dates a night by the day it ends, in the night's time zone
            ends = datetime.fromtimestamp(n.enddate, ZoneInfo(n.timezone)).date().isoformat()
            if not (lo <= ends <= hi and n.modified >= since):
                continue
            items.append(
                {
                    "id": n.id,
                    "timezone": n.timezone,
                    "model": n.model,
                    "model_id": 63,
                    "hash_deviceid": n.device,
                    "startdate": n.startdate,
                    "enddate": n.enddate,
                    "date": ends,
                    "created": n.enddate + 600,
                    "modified": n.modified or n.enddate + 600,
                    "data": {"total_sleep_time": n.total_sleep_time},
                }
            )
        return self._paged("series", items, form)


async def lifespan(scope: dict[str, Any], receive: Any, send: Any) -> bool:
    """Answer an ASGI lifespan scope (True) or leave an HTTP one alone (False)."""
    if scope["type"] != "lifespan":
        return False
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return True


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def fake_withings(**kwargs: Any) -> AsyncIterator[FakeWithings]:
    """Withings' stand-in on a free loopback port for the length of the block."""
    server = FakeWithings(**kwargs)
    async with loopback(server.app) as base_url:
        server.base_url = base_url
        yield server


@asynccontextmanager
async def loopback(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app over HTTP on a free loopback port for the length of the block;
    yields its base URL (shared by the vendors' stand-ins)."""
    port = _free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.loglevel = "WARNING"
    config.accesslog = None
    config.keep_alive_max_requests = 10_000_000
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await task
