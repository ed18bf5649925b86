"""Several nodes, one truth (issue 13): two `serve --no-worker`, workers, PostgreSQL, S3.

Real processes on loopback: nodes A and B serve without a worker, worker W1 runs the
jobs, all on one PostgreSQL schema and one S3 bucket (moto's server). The client
alternates between the nodes: an export uploaded to A is polled to completion on B; a
photo sent through B is read through A; logging out through B ends the session's access
token on A; W1 is killed (SIGKILL) halfway through a large
import and W2 finishes it with the full report and no duplicates; a SIGTERM during an
upload lets that upload finish, and the node exits 0.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import POSTGRES_DSN
from tests.s3_server import S3Server, s3_server

FIXTURES = Path(__file__).parents[2] / "fixtures"
SMALL = (FIXTURES / "apple_health" / "export-small.xml").read_bytes()
LARGE_RECORDS = 150_000
ANNA = "demo-citizen-anna"


def _postgres() -> str:
    if POSTGRES_DSN:
        return POSTGRES_DSN
    reason = "the several-node test needs MINLAEGE_TEST_POSTGRES_DSN; .ci/run sets it"
    if os.environ.get("CI"):
        pytest.fail(reason + " — required in CI")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _large_export(path: Path, n: int) -> None:
    """A heart-rate export of `n` one-minute records (about 150 bytes each)."""
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="da_DK">\n')
        for i in range(n):
            t = (t0 + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S +0000")
            f.write(
                '<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch"'
                f' unit="count/min" startDate="{t}" endDate="{t}" value="{60 + i % 40}"/>\n'
            )
        f.write("</HealthData>\n")


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


class Cluster:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: list[Proc] = []

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "mobile_api.cli", *args],
            env=self.env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr.decode()
        return out.stdout.decode()

    def start(self, name: str, *args: str) -> Proc:
        log = self.tmp / f"{name}.log"
        env = {**self.env, "MINLAEGE_VAR_DIR": str(self.tmp / name)}  # nothing shared on disk
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [sys.executable, "-m", "mobile_api.cli", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        p = Proc(name, proc, log)
        self.procs.append(p)
        return p

    def serve(self, name: str) -> Proc:
        port = _free_port()
        p = self.start(name, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port))
        p.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{p.url}/health/live", timeout=1).status_code == 200:
                    return p
            except httpx.HTTPError:
                pass
            assert p.proc.poll() is None, p.output()
            assert time.monotonic() < deadline, p.output()
            time.sleep(0.1)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(10)


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as s:
        yield s


@pytest.fixture
def cluster(tmp_path: Path, s3: S3Server) -> Iterator[Cluster]:
    dsn = _postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MINLAEGE_", "AWS_"))},
        **s3.env(s3.new_bucket()),
        "MINLAEGE_DB": f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}",
        "MINLAEGE_KEYS_DIR": str(tmp_path / "keys"),  # the deployment's secrets, not a disk
        "MINLAEGE_DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "MINLAEGE_RATE_LIMITS": "off",
        "MINLAEGE_JOB_LEASE_SECONDS": "3",
        "MINLAEGE_JOB_PROGRESS_SECONDS": "0.2",
        "MINLAEGE_JOB_POLL_SECONDS": "0.2",
        "MINLAEGE_SHUTDOWN_GRACE_SECONDS": "10",
    }
    c = Cluster(tmp_path, env)
    c.cli("seed-demo")
    try:
        yield c
    finally:
        c.stop_all()
        from tests.conftest import _drop_schema

        asyncio.run(_drop_schema(dsn, schema))


def _token(c: Cluster) -> dict[str, str]:
    token = json.loads(c.cli("token", "--role", "citizen", "--subject", ANNA))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _poll(url: str, headers: dict[str, str], until: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = httpx.get(url, headers=headers, timeout=5).json()
        if until(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def _samples(c: Cluster) -> int:
    async def count() -> int:
        import asyncpg

        from app.store.postgres import split_schema

        dsn, schema = split_schema(c.env["MINLAEGE_DB"])
        conn = await asyncpg.connect(dsn, server_settings={"search_path": schema or "public"})
        try:
            n = await conn.fetchval("SELECT COUNT(*) FROM samples")
            return int(n)
        finally:
            await conn.close()

    return asyncio.run(count())


def test_two_nodes_and_workers_share_everything(cluster: Cluster, tmp_path: Path) -> None:
    c = cluster
    a, b = c.serve("node-a"), c.serve("node-b")
    w1 = c.start("worker-1", "worker")
    anna = _token(c)
    xml = {**anna, "content-type": "application/xml"}

    # an export uploaded to A is polled to completion on B
    r = httpx.post(f"{a.url}/v1/me/imports", content=SMALL, headers=xml, timeout=30)
    assert r.status_code == 202, r.text
    done = _poll(f"{b.url}{r.headers['location']}", anna, lambda j: j["status"] == "done")
    assert done["report"]["samples_stored"] == 3 and done["progress"] == 1.0

    # a photo sent through B is read through A
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 60, 60)).save(buf, "JPEG")
    r = httpx.post(
        f"{b.url}/v1/me/consultations",
        data={"category": "results", "subject": "Udslæt", "body": "Se billedet."},
        files=[("photos", ("rash.jpg", buf.getvalue(), "image/jpeg"))],
        headers=anna,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    photo = r.json()["messages"][0]["photos"][0]
    via_b = httpx.get(f"{b.url}{photo['href']}", headers=anna, timeout=10)
    via_a = httpx.get(f"{a.url}{photo['href']}", headers=anna, timeout=10)
    assert via_a.status_code == 200 and via_a.content == via_b.content
    assert Image.open(io.BytesIO(via_a.content)).size == (64, 48)

    # logging out through B ends the session's access token on A at its next request
    session = json.loads(c.cli("token", "--role", "citizen", "--subject", ANNA))
    ended = {"Authorization": f"Bearer {session['access_token']}"}
    assert httpx.get(f"{a.url}/v1/me", headers=ended, timeout=5).status_code == 200
    out = httpx.post(
        f"{b.url}/v1/auth/logout", json={"refresh_token": session["refresh_token"]}, timeout=5
    )
    assert out.status_code == 204, out.text
    refused = httpx.get(f"{a.url}/v1/me", headers=ended, timeout=5)
    assert refused.status_code == 401 and refused.json()["type"].endswith("/session-ended")
    assert httpx.get(f"{a.url}/v1/me", headers=anna, timeout=5).status_code == 200  # others go on

    # W1 is killed halfway through a large import; W2 finishes it
    before = _samples(c)
    large = tmp_path / "export.xml"
    _large_export(large, LARGE_RECORDS)
    with large.open("rb") as body:
        r = httpx.post(f"{b.url}/v1/me/imports", content=body, headers=xml, timeout=60)
    assert r.status_code == 202, r.text
    job = r.headers["location"]
    halfway = _poll(
        f"{a.url}{job}", anna, lambda j: j["status"] == "running" and j["progress"] >= 0.3
    )
    assert halfway["progress"] < 1.0, "the import finished before the worker could be killed"
    w1.proc.send_signal(signal.SIGKILL)
    w1.proc.wait(10)
    stuck = httpx.get(f"{b.url}{job}", headers=anna, timeout=5).json()
    assert stuck["status"] == "running"  # nobody holds it until its lease lapses
    w2 = c.start("worker-2", "worker")
    finished = _poll(f"{b.url}{job}", anna, lambda j: j["status"] in ("done", "failed"), 90)
    assert finished["status"] == "done", (finished, w2.output())
    report = finished["report"]
    assert report["records_read"] == LARGE_RECORDS
    assert report["samples_stored"] == LARGE_RECORDS
    assert report["duplicates"] == 0 and report["rejected"] == 0
    assert _samples(c) == before + LARGE_RECORDS  # nothing stored twice

    # a SIGTERM during a request lets it finish; the node exits 0
    started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield SMALL[:100]
        started.set()
        time.sleep(1.0)
        yield SMALL[100:]

    answer: dict[str, httpx.Response] = {}

    def upload() -> None:
        answer["r"] = httpx.post(
            f"{a.url}/v1/me/imports", content=slow_body(), headers=xml, timeout=30
        )

    sender = threading.Thread(target=upload)
    sender.start()
    assert started.wait(10)
    time.sleep(0.2)
    a.proc.send_signal(signal.SIGTERM)
    sender.join(30)
    assert answer["r"].status_code == 202, answer["r"].text
    assert a.proc.wait(30) == 0, a.output()
    with pytest.raises(httpx.ConnectError):  # and it took no new requests
        httpx.get(f"{a.url}/health/live", timeout=2)
    last = _poll(f"{b.url}{answer['r'].headers['location']}", anna, lambda j: j["status"] == "done")
    assert last["report"]["duplicates"] == 3  # the small export again: all known

    # the worker hands back and exits 0 on SIGTERM too
    w2.proc.send_signal(signal.SIGTERM)
    assert w2.proc.wait(30) == 0, w2.output()
    b.proc.send_signal(signal.SIGTERM)
    assert b.proc.wait(30) == 0, b.output()


def test_one_node_on_sqlite_runs_its_own_jobs_and_stops_cleanly(tmp_path: Path) -> None:
    """The embedded default (`make run`): SQLite, local files, the worker inside `serve`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MINLAEGE_", "AWS_"))},
        "MINLAEGE_DB": f"sqlite:///{tmp_path}/minlaege.db",
        "MINLAEGE_KEYS_DIR": str(tmp_path / "keys"),
        "MINLAEGE_RATE_LIMITS": "off",
    }
    c = Cluster(tmp_path, env)
    c.cli("seed-demo")
    port = _free_port()
    node = c.start("node", "serve", "--host", "127.0.0.1", "--port", str(port))
    node.url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{node.url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert node.proc.poll() is None and time.monotonic() < deadline, node.output()
            time.sleep(0.1)
        anna = _token(c)
        r = httpx.post(
            f"{node.url}/v1/me/imports",
            content=SMALL,
            headers={**anna, "content-type": "application/xml"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        done = _poll(f"{node.url}{r.headers['location']}", anna, lambda j: j["status"] == "done")
        assert done["report"]["samples_stored"] == 3
        assert list((tmp_path / "node" / "blobs" / "uploads").iterdir()) == []
        node.proc.send_signal(signal.SIGTERM)
        assert node.proc.wait(30) == 0, node.output()
    finally:
        c.stop_all()
