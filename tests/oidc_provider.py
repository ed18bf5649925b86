"""A small OpenID Connect provider on loopback, standing in for the national login broker.

It serves a real discovery document and JWKS over HTTP on 127.0.0.1, and signs ID
tokens with its own RSA key, so the backend's verification runs exactly as in
production: httpx fetches, joserfc checks the signature, authlib checks the claims.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

__all__ = ["LoopbackProvider", "loopback_provider"]

NSIS_LOA = "https://data.gov.dk/concept/core/nsis/loa"


class LoopbackProvider:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        host, port = server.server_address[:2]
        self.issuer = f"http://{host!s}:{port}"
        self.keys: list[RSAKey] = [RSAKey.generate_key(2048, parameters={"kid": "broker-1"})]
        self.requests: list[str] = []

    def rotate(self, kid: str) -> None:
        """Publish a new key first in the set and sign with it from now on."""
        self.keys.insert(0, RSAKey.generate_key(2048, parameters={"kid": kid}))

    def id_token(self, *, key: RSAKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": "minlaege-app",
            "sub": "mitid-anna",
            "iat": now,
            "exp": now + 300,
            "nonce": "n-123",
            NSIS_LOA: "Substantial",
            "name": "Anna Login",
            "https://data.gov.dk/model/core/eid/cprNumber": "0202801234",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signer = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)

    def document(self, path: str) -> dict[str, Any] | None:
        self.requests.append(path)
        if path == "/.well-known/openid-configuration":
            return {
                "issuer": self.issuer,
                "jwks_uri": f"{self.issuer}/jwks",
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if path == "/jwks":
            return KeySet(list(self.keys)).as_dict(private=False)
        return None


@contextmanager
def loopback_provider() -> Iterator[LoopbackProvider]:
    holder: dict[str, LoopbackProvider] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            doc = holder["p"].document(self.path)
            body = json.dumps(doc or {"error": "not found"}).encode()
            self.send_response(200 if doc is not None else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["p"] = LoopbackProvider(server)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder["p"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
