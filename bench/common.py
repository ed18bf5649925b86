"""Shared helpers: timing, percentiles, peak memory, and one printed line per figure."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
def running(server: DemoServer) -> Iterator[int]:
    """`minlaege serve` on the server's port until the block ends; yields its pid."""
    port = server.base.rsplit(":", 1)[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mobile_api.cli", "serve", "--port", port],
        cwd=server.cwd,
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{server.base}/health/live").status_code == 200:
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
