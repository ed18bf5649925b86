"""Stand-ins for Apple's and Google's push servers: HTTP/2 over TLS on loopback.

Hypercorn serves a small ASGI app with a certificate made for 127.0.0.1 and ALPN
offering h2, so our senders talk real HTTP/2 through httpx and h2 exactly as they
would to Apple or Google. Each app records every request (HTTP version, path, headers,
body) and answers what the test scripted for the device token, defaulting to success.
The Google one also runs the OAuth 2 token endpoint: it checks the service account's
signed assertion and hands out access tokens that the send endpoint then requires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.vendor_servers import lifespan, read_body

__all__ = ["FakeApns", "FakeFcm", "Seen", "fake_apns", "fake_fcm", "pem_of", "trusting"]


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


#: a scripted answer: (HTTP status, the service's error code or "", extra headers)
Answer = tuple[int, str, dict[str, str]]


class _Fake:
    """What both stand-ins share: the lifespan, the request log and the script."""

    def __init__(self) -> None:
        self.base_url = ""
        #: an SSL context that trusts this server's certificate (for the httpx client)
        self.ca = ssl.create_default_context()
        self.seen: list[Seen] = []
        #: device token -> answers to give, in order; the last one repeats
        self.script: dict[str, list[Answer]] = {}

    def answer(self, token: str, *answers: Answer) -> None:
        self.script[token] = list(answers)

    def _next(self, token: str, ok: Answer) -> Answer:
        answers = self.script.get(token) or [ok]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if await lifespan(scope, receive, send):
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = Seen(scope["http_version"], scope["path"], headers, body)
        status, out, reply = self.handle(seen)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in reply.items()],
            }
        )
        await send({"type": "http.response.body", "body": out})

    def handle(self, seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError


class FakeApns(_Fake):
    """`POST /3/device/<token>`: 200, or `{"reason": …}` with the scripted status."""

    def handle(self, seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        self.seen.append(seen)
        status, reason, extra = self._next(seen.token, (200, "", {}))
        out = json.dumps({"reason": reason}).encode() if reason else b""
        return status, out, {"apns-id": seen.headers.get("apns-id", "")} | extra


class FakeFcm(_Fake):
    """`POST /token` (the JWT bearer grant) and `POST /v1/projects/<p>/messages:send`.

    The token endpoint checks the assertion's signature with the service account's
    public key, its audience and scope; sends need one of the access tokens it gave
    out (`revoke_tokens` makes Google forget them, as when they expire early).
    """

    def __init__(self, public_key: Any) -> None:
        super().__init__()
        self._public_key = public_key
        self.assertions: list[dict[str, Any]] = []
        self._issued: set[str] = set()

    def revoke_tokens(self) -> None:
        self._issued.clear()

    def handle(self, seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        if seen.path == "/token":
            return self._token(seen)
        if seen.headers.get("authorization", "").removeprefix("Bearer ") not in self._issued:
            return 401, json.dumps({"error": {"status": "UNAUTHENTICATED"}}).encode(), {}
        self.seen.append(seen)
        token = seen.json()["message"]["token"]
        status, code, extra = self._next(token, (200, "", {}))
        if status == 200:
            name = f"projects/p/messages/{len(self.seen)}"
            return 200, json.dumps({"name": name}).encode(), extra
        body = {"error": {"status": code, "details": [{"errorCode": code}]}}
        return status, json.dumps(body).encode(), extra

    def _token(self, seen: Seen) -> tuple[int, bytes, dict[str, str]]:
        form = dict(urllib.parse.parse_qsl(seen.body.decode()))
        try:
            claims = jwt.decode(
                form["assertion"],
                self._public_key,
                algorithms=["RS256"],
                audience=f"{self.base_url}/token",
                # the tests' clocks stand still on a fixed day; the signature, audience
                # and scope are what is checked here, the times by the adapter tests
                options={"verify_exp": False, "verify_iat": False},
            )
        except (KeyError, jwt.InvalidTokenError) as exc:
            return (
                400,
                json.dumps({"error": "invalid_grant", "error_description": str(exc)}).encode(),
                {},
            )
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, json.dumps({"error": "unsupported_grant_type"}).encode(), {}
        self.assertions.append(claims)
        access = f"ya29.test-{len(self.assertions)}"
        self._issued.add(access)
        body = {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}
        return 200, json.dumps(body).encode(), {"content-type": "application/json"}


def pem_of(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    """A private key as PKCS#8 PEM, the form Apple's .p8 and Google's key files use."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def trusting(*servers: FakeApns | FakeFcm) -> ssl.SSLContext:
    """A TLS context that trusts these stand-ins' certificates (for one shared client)."""
    trust = ssl.create_default_context()
    for server in servers:
        trust.load_verify_locations(cadata=server.ca.get_ca_certs(binary_form=True)[0])
    return trust


def _certificate(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    # a name of its own per server: a client trusting two of them finds each by name
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"push-{uuid.uuid4().hex}.test")])
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
    key_path.write_bytes(pem_of(key))
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _serving(app: Any, folder: Path) -> AsyncIterator[tuple[str, ssl.SSLContext]]:
    """`app` over HTTP/2 + TLS on a free loopback port: (base URL, a context trusting it)."""
    cert, key = _certificate(folder)
    port = _free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = str(cert)
    config.keyfile = str(key)
    config.alpn_protocols = ["h2"]
    config.loglevel = "WARNING"
    config.accesslog = None
    # Apple and Google keep a connection open for as many pushes as a provider sends;
    # Hypercorn's default would close it after 1,000 requests
    config.keep_alive_max_requests = 10_000_000
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        for _ in range(200):  # until it accepts connections
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                await asyncio.sleep(0.02)
        yield f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert))
    finally:
        stop.set()
        await task


@asynccontextmanager
async def fake_apns(folder: Path) -> AsyncIterator[FakeApns]:
    """Apple's stand-in for the length of the block."""
    server = FakeApns()
    async with _serving(server.app, folder) as (base_url, ca):
        server.base_url, server.ca = base_url, ca
        yield server


@asynccontextmanager
async def fake_fcm(folder: Path, public_key: Any) -> AsyncIterator[FakeFcm]:
    """Google's stand-in (token endpoint and FCM v1) for the length of the block."""
    server = FakeFcm(public_key)
    async with _serving(server.app, folder) as (base_url, ca):
        server.base_url, server.ca = base_url, ca
        yield server
