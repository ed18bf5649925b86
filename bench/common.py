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

__all__ = ["DemoServer", "machine", "peak_rss_mb", "percentile", "report", "serve_demo"]


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
def serve_demo() -> Iterator[DemoServer]:
    """Seed, serve and wait until ready; the server and its files go away afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "MINLAEGE_DB"}
        env["MINLAEGE_ENV"] = "development"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        seeded = DemoServer(f"http://127.0.0.1:{port}", tmp, env, {})
        seeded.ids = seeded.cli("seed-demo")
        server = subprocess.Popen(
            [sys.executable, "-m", "mobile_api.cli", "serve", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{seeded.base}/health/live").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield seeded
        finally:
            server.terminate()
            server.wait(timeout=10)
