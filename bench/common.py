"""Shared helpers: timing, percentiles, peak memory, and one printed line per figure."""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "DemoServer",
    "demo_files",
    "machine",
    "peak_rss_mb",
    "percentile",
    "report",
    "running",
    "serve_demo",
]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def machine() -> str:
    import os

    return f"{platform.machine()} {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def report(name: str, **figures: float | str) -> None:
    parts = ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    print(f"{name}: {parts}", flush=True)


class DemoServer:
    """A `minlaege serve` on loopback over a fresh SQLite database with demo data."""

    def __init__(self, base: str, cwd: str, env: dict[str, str], ids: dict[str, Any]) -> None:
        self.base = base
        self.cwd = cwd
        self.env = env
        self.ids = ids

    def cli(self, *args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "mobile_api.cli", *args],
            cwd=self.cwd,
            env=self.env,
            check=True,
            capture_output=True,
        ).stdout
        return json.loads(out)

    def token(self, role: str, subject: str) -> str:
        token: str = self.cli("token", "--role", role, "--subject", subject)["access_token"]
        return token


@contextmanager
def demo_files(db_url: str | None = None) -> Iterator[DemoServer]:
    """A temporary var dir, a free loopback port and the environment for one server.

    Nothing is seeded or started: callers seed (`cli("seed-demo")`, or in process with
    the same `env`) and then `run` it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = f"{tmp}/var"
        env = dict(os.environ, MINLAEGE_ENV="development", MINLAEGE_VAR_DIR=var_dir)
        env.setdefault("MINLAEGE_RATE_LIMITS", "off")  # load tests, not abuse (ADR 0017)
        env["MINLAEGE_DB"] = db_url or f"sqlite:///{var_dir}/minlaege.db"
        env.pop("MINLAEGE_KEYS_DIR", None)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        yield DemoServer(f"http://127.0.0.1:{port}", tmp, env, {})


@contextmanager
def running(server: DemoServer, *extra: str, port: int | None = None) -> Iterator[int]:
    """`minlaege serve` on the server's port (or `port`, for a second process on the same
    database) until the block ends; yields its pid."""
    port_text = str(port) if port is not None else server.base.rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port_text}"
    process = subprocess.Popen(
        [sys.executable, "-m", "mobile_api.cli", "serve", "--port", port_text, *extra],
        cwd=server.cwd,
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def serve_demo() -> Iterator[DemoServer]:
    """Seed, serve and wait until ready; the server and its files go away afterwards."""
    with demo_files() as server:
        server.ids = server.cli("seed-demo")
        with running(server):
            yield server


_WRK_LAT = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(url: str, token: str | None, connections: int, seconds: int) -> dict[str, float]:
    """One `wrk` run (a C load generator, so the client is not what is measured)."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    lat = {q: float(v) * scale[u] for q, v, u in _WRK_LAT.findall(out)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "req_per_s": float(rps.group(1)) if rps else float("nan"),
        "p50_ms": lat.get("50", float("nan")),
        "p99_ms": lat.get("99", float("nan")),
        "non_2xx": float(bad.group(1)) if bad else 0.0,
        "requests": float(done.group(1)) if done else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }
