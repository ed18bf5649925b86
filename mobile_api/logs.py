"""Logs as one JSON object a line, with the request id and trace id, scrubbed.

Every line carries the request's id (`X-Request-Id`, ours if the caller sent none) and
the W3C `traceparent` trace id when the caller sent one, so a line can be found from a
client report or a trace. Before a line is written, anything shaped like a CPR number,
a bearer token or JWT, or a one-time link token is replaced: a log is read by more
people than the data it describes. Measured values are never put in a log message in
the first place (tests/api/test_metrics.py checks both).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, Final

import msgspec

from app.settings import Settings

__all__ = ["JsonFormatter", "RequestIds", "configure_logging", "current", "redact"]


class RequestIds(msgspec.Struct, frozen=True):
    request_id: str
    trace_id: str | None = None


_current: ContextVar[RequestIds | None] = ContextVar("minlaege_request", default=None)


def current() -> ContextVar[RequestIds | None]:
    return _current


_SCRUB: Final = (
    # CPR: DDMMYY-SSSS or DDMMYYSSSS, not inside a longer number
    (re.compile(r"(?<![\d-])\d{6}-?\d{4}(?![\d])"), "[cpr]"),
    (re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), "[jwt]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',]+"), r"\1 [token]"),
    (re.compile(r"/(summary-links|inbox-links)/[^/\s?\"']+"), r"/\1/[token]"),
    (
        re.compile(r"(?i)\b(token|refresh_token|id_token|code|secret|password)=[^&\s\"']+"),
        r"\1=[redacted]",
    ),
)


def redact(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


_encoder = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and trace ids."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        ids = _current.get()
        if ids is not None:
            line["request_id"] = ids.request_id
            if ids.trace_id:
                line["trace_id"] = ids.trace_id
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return _encoder.encode(line).decode()


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = _current.get()
        prefix = f"[{ids.request_id}] " if ids is not None else ""
        return prefix + redact(super().format(record))


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """One handler on the root logger; uvicorn's loggers pass through it too."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if settings.log_json
        else _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
