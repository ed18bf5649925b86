"""The API does what its OpenAPI document says: schemathesis against a real server.

`minlaege serve --demo` runs on a loopback port; schemathesis reads
`/schema/openapi.json` and sends generated requests to every operation, with a
citizen's token on `/v1/me`, a GP's on `/v1/clinician` and the demo gateway's on the
gateway routes, and `--checks all` (statuses, content types, headers, response schemas,
unknown and invalid input refused, valid input accepted, methods, auth). A fixed seed
and a bounded number of examples keep it reproducible and about a minute long.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

SEED = 20261203
MAX_EXAMPLES = 8
#: operations whose job is to check credentials the caller brings (an ID token, a
#: refresh token, a pairing code): a generated value is refused, as it should be
CREDENTIAL_CHECKS = {"POST /v1/auth/login", "POST /v1/auth/refresh", "POST /v1/gateway/pair"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "mobile_api.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    value: dict[str, object] = json.loads(out.stdout)
    return value


@dataclass
class Server:
    base: str
    cwd: Path
    env: dict[str, str]

    def token(self, role: str, subject: str) -> str:
        return str(
            _cli("token", "--role", role, "--subject", subject, cwd=self.cwd, env=self.env)[
                "access_token"
            ]
        )


def wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {process.communicate()[1][-2000:]}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("the server did not become ready")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`minlaege serve --demo` on SQLite in tmp_path (rate limits off: env=test)."""
    port = _free_port()
    env = {
        **os.environ,
        "MINLAEGE_ENV": "test",
        "MINLAEGE_ACCESS_TOKEN_SECONDS": "3600",
        "MINLAEGE_WORKER_INTERVAL_SECONDS": "60",
    }
    env.pop("MINLAEGE_DB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "mobile_api.cli", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield Server(base=base, cwd=tmp_path, env=env)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    assert "Traceback" not in err, err[-3000:]


def _gateway_credentials(server: Server, citizen: str) -> tuple[str, str]:
    """Pair a new gateway as the citizen would: (client id, secret)."""
    code = httpx.post(
        f"{server.base}/v1/me/gateways",
        json={"name": "Stuen"},
        headers={"Authorization": f"Bearer {citizen}"},
        timeout=10,
    ).json()["code"]
    pair = httpx.post(f"{server.base}/v1/gateway/pair", json={"pairing_code": code}, timeout=10)
    creds = pair.json()
    return creds["gateway_id"], creds["client_secret"]


def _config(server: Server) -> str:
    ids = _cli("seed-demo", cwd=server.cwd, env=server.env)
    citizen = server.token("citizen", "demo-citizen-anna")
    # closing an account ends it: Bent closes his, so Anna's stays open for the rest
    leaver = server.token("citizen", "demo-citizen-bent")
    gp = server.token("clinician", "demo-gp-hansen")
    gateway = server.token("gateway", str(ids["gateway_id"]))
    client_id, secret = _gateway_credentials(server, citizen)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    # X-Act-For stays empty (the caller acts as themselves): the proxy rules have their
    # own tests, and a generated citizen id would only ever be refused with 403
    return f"""
[checks.positive_data_acceptance]
# 422: the body is well formed but breaks a domain rule (a closure that ends before it
# starts, an unknown metric name): documented on every operation that can answer it.
# 410: a download of one's data whose link ran out, or that a deletion of data during
# the run withdrew (documented on downloadExport)
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]

[[operations]]
include-path-regex = "^/v1/me"
exclude-operation-id = "closeAccount"
headers = {{ Authorization = "Bearer {citizen}", X-Act-For = "" }}

[[operations]]
include-operation-id = "closeAccount"
headers = {{ Authorization = "Bearer {leaver}", X-Act-For = "" }}

[[operations]]
include-path-regex = "^/v1/clinician"
headers = {{ Authorization = "Bearer {gp}" }}

[[operations]]
include-path-regex = "^/v1/gateway/(me|readings)$"
headers = {{ Authorization = "Bearer {gateway}" }}

[[operations]]
include-path-regex = "^/v1/gateway/token$"
headers = {{ Authorization = "Basic {basic}" }}
"""


def test_the_api_keeps_its_contract(server: Server, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(server))
    reports = tmp_path / "reports"
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{server.base}/schema/openapi.json",
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            "--no-shrink",
            "--report",
            "json",
            "--report-dir",
            str(reports),
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (reports / "schemathesis.out").write_text(run.stdout)
    report = json.loads(next(reports.glob("json-*.json")).read_text())
    summary = (
        f"{report['operations']['tested']} operations, {report['test_cases']['generated']}"
        f" cases, {report['test_cases']['with_failures']} failing"
    )
    print(summary)  # the figures, for the CI log (pytest -s)
    assert run.returncode == 0, summary + "\n" + run.stdout[-12000:]
    assert report["failures"] == [] and report["errors"] == []
    assert report["operations"]["tested"] == report["operations"]["total"] > 100
    # every operation was reached past authorisation (not only 401 or 403 answers)
    only_refused = set(report["warnings"]["missing_auth"]) - CREDENTIAL_CHECKS
    assert not only_refused, only_refused


def test_every_problem_type_is_explained() -> None:
    from mobile_api.problems import TITLES

    page = (Path(__file__).resolve().parents[2] / "docs" / "problems.md").read_text()
    missing = [kind for kind in TITLES if f"| `{kind}` |" not in page]
    assert not missing, f"add these kinds to docs/problems.md: {missing}"
