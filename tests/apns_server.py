"""A stand-in for Apple's push servers: HTTP/2 over TLS on loopback, with ALPN.

Hypercorn serves a small ASGI app with a certificate made for 127.0.0.1, so our
`ApnsSender` talks real HTTP/2 through httpx and h2 exactly as it would to Apple. The
app records every request (HTTP version, path, headers, body) and answers what the
test scripted for the device token, defaulting to 200.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config

__all__ = ["FakeApns", "Seen", "fake_apns"]


class Seen:
    """One request as the server saw it."""

    def __init__(self, http_version: str, path: str, headers: dict[str, str], body: bytes):
        self.http_version = http_version
        self.path = path
        self.headers = headers
        self.body = body

    @property
    def token(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body)


class FakeApns:
    def __init__(self, base_url: str, ca: ssl.SSLContext) -> None:
        self.base_url = base_url
        #: an SSL context that trusts this server's certificate (for the httpx client)
        self.ca = ca
        self.seen: list[Seen] = []
        #: device token -> answers to give, in order (status, reason, extra headers); the
        #: last one repeats
        self.script: dict[str, list[tuple[int, str, dict[str, str]]]] = {}

    def answer(self, token: str, *answers: tuple[int, str, dict[str, str]]) -> None:
        self.script[token] = list(answers)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = Seen(scope["http_version"], scope["path"], headers, body)
        self.seen.append(seen)
        answers = self.script.get(seen.token) or [(200, "", {})]
        status, reason, extra = answers.pop(0) if len(answers) > 1 else answers[0]
        out = json.dumps({"reason": reason}).encode() if reason else b""
        reply = [(b"apns-id", headers.get("apns-id", "").encode())]
        reply += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": reply})
        await send({"type": "http.response.body", "body": out})


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.push.apple.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "apns.crt", folder / "apns.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def fake_apns(folder: Path) -> AsyncIterator[FakeApns]:
    """The server on a free loopback port for the length of the block."""
    cert, key = _certificate(folder)
    port = _free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = str(cert)
    config.keyfile = str(key)
    config.alpn_protocols = ["h2"]
    config.loglevel = "WARNING"
    config.accesslog = None
    ca = ssl.create_default_context(cafile=str(cert))
    server = FakeApns(f"https://127.0.0.1:{port}", ca)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(server.app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        for _ in range(200):  # until it accepts connections
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.02)
        yield server
    finally:
        stop.set()
        await task
