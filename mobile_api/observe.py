"""Per-request observation: request id and trace id in context, metrics, response headers.

A raw ASGI middleware (outermost, so it times authentication too). The route label is
Litestar's path template, never the concrete path.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
import uuid
from typing import Any, Final

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from mobile_api import metrics
from mobile_api.logs import RequestIds, current
from mobile_api.security import runtime_of

__all__ = ["RequestObserver", "serve_metrics"]

_log = logging.getLogger("minlaege.metrics")

#: our request ids: a random part per process and a counter (unique, and cheap)
_ids: Final = (f"{uuid.uuid4().hex[:12]}-{n}".encode() for n in itertools.count(1))
_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_TRACEPARENT: Final = re.compile(rb"00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestObserver:
    """Sets the request's ids for the logs, echoes them, and counts and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id: bytes | None = None
        traceparent: bytes | None = None
        trace: re.Match[bytes] | None = None
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _REQUEST_ID.fullmatch(value):
                request_id = value
            elif name == b"traceparent" and (found := _TRACEPARENT.fullmatch(value)):
                traceparent, trace = value, found
        rid = request_id or next(_ids)
        token = current().set(RequestIds(rid.decode(), trace.group(1).decode() if trace else None))
        extra = [(b"x-request-id", rid)]
        if traceparent:
            extra.append((b"traceparent", traceparent))
        status = 500
        began = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = str(scope.get("path_template") or "unmatched")
            # a fixed set: a client's own method token must not make a new series
            method = str(scope.get("method", "GET"))
            if method not in _METHODS:
                method = "other"
            metrics.observe_request(route, method, status, time.perf_counter() - began)
            current().reset(token)


@get("/metrics", include_in_schema=False)
async def serve_metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text: this process's counters, and the queue figures from the database."""
    runtime = runtime_of(request)
    try:
        await metrics.refresh_from_store(runtime.store, runtime.clock.now)
    except Exception:  # the store is down: still show what this process knows
        _log.warning("metrics: the database figures could not be read", exc_info=True)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
