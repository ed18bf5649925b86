"""GET /metrics, request and trace ids, JSON logs; nothing personal in either (issue 13)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator

import msgspec
import pytest

from app.services.imports import create_job
from app.settings import Settings
from mobile_api.jobs import drain
from mobile_api.logs import JsonFormatter, RequestIds, configure_logging, current, redact
from mobile_api.worker import work_once
from tests.conftest import Api

CPR = "010203-1234"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"
# a measured value no other figure in the app would print
ODD_VALUE = "173.4567"
EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="da_DK">
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min"
  startDate="2026-11-19 08:00:00 +0000" endDate="2026-11-19 08:00:00 +0000" value="{ODD_VALUE}"/>
</HealthData>
""".encode()


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    handler = configure_logging(Settings(log_format="json"), out)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} {labels}")


async def test_metrics_cover_requests_jobs_and_the_outbox(api: Api) -> None:
    before = _metric((await api.client.get("/metrics")).text, "minlaege_import_records_total")
    r = await api.client.post(
        "/v1/me/imports",
        content=EXPORT,
        headers={**api.anna, "content-type": "application/xml", "traceparent": TRACEPARENT},
    )
    assert r.status_code == 202
    # request ids: ours when none came, the caller's when it sent one; traceparent passed on
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9]+", r.headers["x-request-id"])
    assert r.headers["traceparent"] == TRACEPARENT
    job_id = r.json()["import_id"]
    await asyncio.gather(*api.runtime.jobs)  # the upload woke this process's worker
    async with api.runtime.store.transaction() as uow:  # and one job waits
        await create_job(
            uow, api.clock, citizen_id=api.demo.citizens[0].id, fmt="fit", blob="uploads/x"
        )
    polled = await api.client.get(
        f"/v1/me/imports/{job_id}", headers={**api.anna, "x-request-id": "app-42"}
    )
    assert polled.headers["x-request-id"] == "app-42"
    bad = await api.client.get("/v1/me", headers={"x-request-id": "no spaces or <tags>"})
    assert bad.status_code == 401 and bad.headers["x-request-id"] != "no spaces or <tags>"

    m = await api.client.get("/metrics")  # no token: scraped from inside the network
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.text
    route = "/v1/me/imports/{import_id}"
    assert _metric(text, "minlaege_http_requests_total", route=route, status="200") >= 1
    assert _metric(text, "minlaege_http_request_seconds_count", route=route, method="GET") >= 1
    assert _metric(text, "minlaege_http_requests_total", route="/v1/me", status="401") >= 1
    assert job_id not in text  # routes are templates, never concrete paths
    assert _metric(text, "minlaege_import_jobs_waiting") >= 1
    assert _metric(text, "minlaege_import_jobs_oldest_age_seconds") >= 0
    for name in ("minlaege_outbox_due", "minlaege_outbox_lag_seconds"):
        assert _metric(text, name) >= 0
    assert "minlaege_reminders_sent_total" in text

    assert _metric(text, "minlaege_import_records_total") == before + 1
    await drain(api.runtime)
    await work_once(api.runtime)
    after = (await api.client.get("/metrics")).text
    assert _metric(after, "minlaege_import_jobs_waiting") == 0
    if api.runtime.store.dialect == "postgres":
        assert _metric(after, "minlaege_db_pool_connections") >= 1
        assert _metric(after, "minlaege_db_pool_connections_in_use") >= 0


async def test_logs_are_json_with_ids_and_carry_no_cpr_token_or_value(
    api: Api, log_output: io.StringIO
) -> None:
    token = api.anna["Authorization"].removeprefix("Bearer ")
    log = logging.getLogger("minlaege.test")
    r = await api.client.post(
        "/v1/me/imports",
        content=EXPORT,
        headers={**api.anna, "content-type": "application/xml", "traceparent": TRACEPARENT},
    )
    assert r.status_code == 202
    await drain(api.runtime)
    # a failing job logs its traceback; a careless message mentions a CPR and a token
    async with api.runtime.store.transaction() as uow:
        await create_job(
            uow,
            api.clock,
            citizen_id=api.demo.citizens[0].id,
            fmt="no-such-format",
            blob="uploads/missing",
        )
    await drain(api.runtime)
    ids = current().set(RequestIds("req-1", TRACE))
    try:
        log.warning("citizen %s sent Authorization: Bearer %s", CPR, token)
        log.info("GET /v1/summary-links/s3cr3t-link-token?code=abc HTTP/1.1")
    finally:
        current().reset(ids)
    metrics_text = (await api.client.get("/metrics")).text

    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    assert lines, "nothing was logged"
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    mine = [line for line in lines if line["logger"] == "minlaege.test"]
    assert mine[0]["request_id"] == "req-1" and mine[0]["trace_id"] == TRACE
    assert mine[0]["msg"] == "citizen [cpr] sent Authorization: Bearer [token]"
    assert mine[1]["msg"] == "GET /v1/summary-links/[token]?code=[redacted] HTTP/1.1"
    everything = log_output.getvalue() + metrics_text
    for secret in (CPR, "0102031234", token, ODD_VALUE, "s3cr3t-link-token"):
        assert secret not in everything


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("import 7b1e done: 3 samples, 0 duplicates") == (
        "import 7b1e done: 3 samples, 0 duplicates"
    )
    assert redact("cpr 0102031234 and eyJhbGciOi.eyJzdWIiOiJ4.sig_") == "cpr [cpr] and [jwt]"
    assert redact("2026-11-20 09:00:00") == "2026-11-20 09:00:00"
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", (CPR,), None)
    assert json.loads(JsonFormatter().format(record))["msg"] == "boom [cpr]"


async def test_exports_waiting_are_counted_from_the_database(api: Api) -> None:
    """Downloads of one's data queued on any node show in every node's /metrics."""
    api.runtime.settings = msgspec.structs.replace(api.runtime.settings, run_worker=False)
    before = _metric((await api.client.get("/metrics")).text, "minlaege_export_jobs_waiting")
    assert before == 0
    for headers in (api.anna, api.bent):
        assert (await api.client.post("/v1/me/exports", headers=headers)).status_code == 202
    text = (await api.client.get("/metrics")).text
    assert _metric(text, "minlaege_export_jobs_waiting") == 2


async def test_a_made_up_method_does_not_make_a_new_series(api: Api) -> None:
    for method in ("FOO", "BAR", "XYZZY"):
        await api.client.request(method, "/v1/me")
    text = (await api.client.get("/metrics")).text
    assert 'method="FOO"' not in text and 'method="XYZZY"' not in text
    assert (
        _metric(text, "minlaege_http_request_seconds_count", route="unmatched", method="other") >= 3
    )
