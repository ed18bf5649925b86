"""The `minlaege` command line as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_DSN


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "MINLAEGE_DB"}
    full_env.update({"MINLAEGE_ENV": "development", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "mobile_api.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_seed_demo_is_idempotent_and_prints_the_contract_keys(tmp_path: Path, db_url: str) -> None:
    first = run("seed-demo", "--db", db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    ids = json.loads(first.stdout)
    assert set(ids) >= {"clinic_id", "clinician", "citizens", "slot_ids"}
    assert len(ids["citizens"]) == 2 and all({"subject", "id"} <= set(c) for c in ids["citizens"])
    assert len(ids["slot_ids"]) == 5 * 16  # five weekday mornings of 15-minute slots
    second = run("seed-demo", "--db", db_url, cwd=tmp_path)
    assert json.loads(second.stdout) == ids


def test_default_database_is_var_minlaege_db(tmp_path: Path) -> None:
    r = run("seed-demo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "var" / "minlaege.db").is_file()


def test_token_is_refused_in_production(tmp_path: Path) -> None:
    r = run(
        "token",
        "--role",
        "citizen",
        "--subject",
        "x",
        cwd=tmp_path,
        env={"MINLAEGE_ENV": "production"},
    )
    assert r.returncode == 2
    error = json.loads(r.stderr)["error"]
    assert error["type"] == "forbidden-in-production"
    assert r.stdout == ""


def test_token_for_unknown_clinician_is_a_json_error(tmp_path: Path) -> None:
    r = run("token", "--role", "clinician", "--subject", "nobody", cwd=tmp_path)
    assert r.returncode == 2
    assert json.loads(r.stderr)["error"]["type"] == "unknown-subject"


def test_bad_database_url_is_a_json_error(tmp_path: Path) -> None:
    r = run("seed-demo", "--db", "mysql://nope", cwd=tmp_path)
    assert r.returncode == 2
    assert "unsupported database URL" in json.loads(r.stderr)["error"]["detail"]


def _tamper_sqlite(path: Path) -> None:
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET actor_name = 'Nobody' WHERE seq = 1")
    con.commit()
    con.close()


async def _tamper_postgres(url: str) -> None:
    import asyncpg

    from app.store.postgres import split_schema

    dsn, schema = split_schema(url)
    con = await asyncpg.connect(dsn, server_settings={"search_path": schema or "public"})
    try:
        await con.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        await con.execute("UPDATE audit_log SET actor_name = 'Nobody' WHERE seq = 1")
    finally:
        await con.close()


async def test_audit_verify_detects_a_tampered_chain(tmp_path: Path, db_url: str) -> None:
    from adapters.clock import SystemClock
    from app.domain.identity import Principal, Role
    from app.services import audit

    ids = json.loads(run("seed-demo", "--db", db_url, cwd=tmp_path).stdout)
    from app.store import open_store

    store = await open_store(db_url)
    try:
        gp = Principal(role=Role.CLINICIAN, subject="s", id="gp", name="Dr", clinic_id="k")
        async with store.transaction() as uow:
            for _ in range(3):
                await audit.record(
                    uow,
                    SystemClock(),
                    audit.event_for(
                        gp, citizen_id=ids["citizens"][0]["id"], action="profile.read", resource="p"
                    ),
                )
    finally:
        await store.close()
    ok = run("audit", "verify", "--db", db_url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    # three reads, and the demo's own entry: the GP gave Anna a questionnaire
    assert json.loads(ok.stdout)["ok"] is True and json.loads(ok.stdout)["entries_checked"] == 4

    if db_url.startswith("sqlite"):
        _tamper_sqlite(Path(db_url.removeprefix("sqlite:///")))
    else:
        await _tamper_postgres(db_url)
    bad = run("audit", "verify", "--db", db_url, cwd=tmp_path)
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    assert report["breaks"] == [
        {
            "citizen_id": ids["citizens"][0]["id"],
            "seq": 1,
            "reason": "entry content does not match its hash",
        }
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_answers_over_real_http_with_a_cli_token(tmp_path: Path) -> None:
    """What `make run` does: serve --demo, then a token from the CLI works against it."""
    port = _free_port()
    env = {**os.environ, "MINLAEGE_ENV": "development"}
    env.pop("MINLAEGE_DB", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "mobile_api.cli", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not become ready")
        token = json.loads(
            run("token", "--role", "citizen", "--subject", "demo-citizen-anna", cwd=tmp_path).stdout
        )["access_token"]
        me = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200 and me.json()["name"] == "Anna Jensen"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=15)
    assert "minlaege token --role citizen --subject demo-citizen-anna" in err


@pytest.mark.skipif(not POSTGRES_DSN, reason="needs MINLAEGE_TEST_POSTGRES_DSN")
def test_postgres_url_selects_postgres(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("postgres"):
        pytest.skip("only meaningful for the PostgreSQL half")
    r = run("seed-demo", "--db", db_url, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "var" / "minlaege.db").exists()


def test_gatt_decode_prints_the_contract_shape(tmp_path: Path) -> None:
    r = run("gatt", "decode", "--uuid", "2A37", "--hex", "1E55 3200 2100", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["characteristic"] == "2A37"
    assert out["samples"] == [{"metric": "heart_rate", "value": 85.0, "unit": "bpm"}]
    assert out["time"] is None


def test_gatt_decode_truncated_names_offset(tmp_path: Path) -> None:
    r = run("gatt", "decode", "--uuid", "2A35", "--hex", "1E8A00", cwd=tmp_path)
    assert r.returncode == 2
    detail = json.loads(r.stderr)["error"]["detail"]
    assert "2A35" in detail and "offset 3" in detail


def test_import_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import pty

    export = Path(__file__).parents[2] / "fixtures" / "apple_health" / "export-small.xml"
    env = {k: v for k, v in os.environ.items() if k != "MINLAEGE_DB"}
    env["MINLAEGE_ENV"] = "development"
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mobile_api.cli", "import", str(export), "--citizen", "anna"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=120,
            check=False,
        )
        os.close(slave)
        slave = -1
        shown = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["samples_stored"] == 3
    assert b"100%" in shown and b"[" in shown
    piped = run("import", str(export), "--citizen", "anna", cwd=tmp_path)
    assert piped.returncode == 0 and piped.stderr == ""  # no bar when stderr is not a TTY


def test_worker_once_reports_what_it_did_and_half_a_push_setup_is_refused(
    tmp_path: Path, db_url: str
) -> None:
    assert run("seed-demo", "--db", db_url, cwd=tmp_path).returncode == 0
    done = run("worker", "--once", "--db", db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["offers_passed_on"], report["reminders"], report["push"]["sent"]) == (0, 0, 0)
    half = run("worker", "--once", "--db", db_url, cwd=tmp_path, env={"MINLAEGE_APNS_KEY_ID": "K"})
    assert half.returncode == 2
    error = json.loads(half.stderr)["error"]
    assert "MINLAEGE_APNS_TOPIC" in error["detail"]
    not_a_key = tmp_path / "service-account.json"
    not_a_key.write_text('{"project_id": "p"}')
    bad = run(
        "worker",
        "--once",
        "--db",
        db_url,
        cwd=tmp_path,
        env={"MINLAEGE_FCM_SERVICE_ACCOUNT_FILE": str(not_a_key)},
    )
    assert bad.returncode == 2
    detail = json.loads(bad.stderr)["error"]["detail"]
    assert "MINLAEGE_FCM_SERVICE_ACCOUNT_FILE" in detail and "client_email" in detail
