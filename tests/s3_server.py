"""An S3-compatible server on loopback for the tests: moto's server mode, in a child process.

The S3 test modules share its fixtures rather than each repeating them: `server` (one
moto per module: it takes a moment to start), `bucket` (a new one per test, so a test
sees only its own objects) and `s3_settings`, registered as `settings`: the app as a
node configured by the environment of contracts §9, its files in that bucket. A module
imports the ones it uses by name and lists them in its `__all__`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings, load_settings

__all__ = ["S3Server", "bucket", "s3_server", "s3_settings", "server"]

KEY_ID = "testing"
SECRET = "testing"
REGION = "eu-north-1"


@dataclass
class S3Server:
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"b-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        """The keys of the objects in `bucket`, sorted."""
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def env(self, bucket: str, prefix: str = "minlaege") -> dict[str, str]:
        """The settings of contracts §9 for a node using this server."""
        return {
            "MINLAEGE_BLOB_URL": f"s3://{bucket}/{prefix}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_REGION": REGION,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start `moto_server` on 127.0.0.1 and stop it afterwards."""
    port = _free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):  # noqa: S310
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield S3Server(endpoint)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    """moto on loopback, one per test module."""
    with s3_server() as s:
        yield s


@pytest.fixture
def bucket(server: S3Server) -> str:
    """A new bucket for each test."""
    return server.new_bucket()


@pytest.fixture(name="settings")
def s3_settings(db_url: str, tmp_path: Path, server: S3Server, bucket: str) -> Settings:
    """The app's settings read from a node's environment: its files in `bucket`."""
    env = {**server.env(bucket), "MINLAEGE_ENV": "test", "MINLAEGE_VAR_DIR": str(tmp_path)}
    return load_settings(env, db_url=db_url, run_worker=False)
