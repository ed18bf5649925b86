"""The composition root: settings in, every port wired to its adapter, once per process."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec

from adapters.blobs import open_blob_store
from adapters.clock import SystemClock
from adapters.connections.polar import PolarClient
from adapters.connections.sealing import AesGcmTokenSealer
from adapters.connections.withings import WithingsClient
from adapters.identity.cpr_vault import AesGcmCprVault, load_data_key
from adapters.identity.keys import KeyRing
from adapters.identity.oidc import OidcVerifier
from adapters.identity.tokens import JwtSigner
from adapters.media.photos import PillowPhotoCleaner
from adapters.push.apns import ApnsSender
from adapters.push.fcm import FcmSender, ServiceAccount
from app.ports import BlobStore, Clock, PushSender, Store
from app.ports.connections import CloudVendor
from app.services.auth import AuthContext
from app.services.connections import CloudConnections
from app.services.consultations import Media
from app.settings import Settings
from app.store import open_store

__all__ = ["Runtime"]


@dataclass(slots=True)
class Runtime:
    """Everything a request handler or a CLI command needs, built from Settings."""

    settings: Settings
    store: Store
    clock: Clock
    ring: KeyRing
    signer: JwtSigner
    vault: AesGcmCprVault
    http: httpx.AsyncClient
    verifier: OidcVerifier | None
    media: Media
    #: push services by platform ("apns"); empty when none is configured
    senders: dict[str, PushSender] = field(default_factory=dict)
    _owns_http: bool = True
    #: import jobs this process is running (or draining), and their progress (0–1) by
    #: job id; the job row has the progress too, written every second on PostgreSQL
    jobs: set[asyncio.Task[None]] = field(default_factory=set)
    progress: dict[str, float] = field(default_factory=dict)
    #: this process's name on the leases it takes: host, pid and a random part
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    #: set by a job loop running in this process; an upload wakes it at once
    job_wake: asyncio.Event | None = None
    #: set by an export loop running in this process (ADR 0022); a new export wakes it
    export_wake: asyncio.Event | None = None
    #: when this process last ran retention (monotonic seconds); it runs once a minute
    retained_at: float | None = None
    #: cloud connections (contracts §11): the vendors configured, and their use cases
    cloud: CloudConnections | None = None

    @property
    def blobs(self) -> BlobStore:
        return self.media.blobs

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> Runtime:
        """Open the store (migrating it) and load keys; dev/test make missing keys."""
        create_keys = not settings.production
        ring = KeyRing.load(settings.keys_dir, create=create_keys)
        data_key = load_data_key(settings.data_key, settings.keys_dir, create=create_keys)
        vault = AesGcmCprVault(data_key)
        blobs = open_blob_store(settings, data_key)
        owns_http = http is None
        client = http or httpx.AsyncClient(http2=True, follow_redirects=False)
        verifier = (
            OidcVerifier(
                settings.oidc_issuer,
                settings.oidc_client_id,
                http=client,
                cache_seconds=settings.oidc_cache_seconds,
            )
            if settings.oidc_issuer
            else None
        )
        the_clock = clock or SystemClock()
        senders: dict[str, PushSender] = {}
        if settings.apns_configured:
            assert settings.apns_key_file and settings.apns_key_id
            assert settings.apns_team_id and settings.apns_topic
            senders["apns"] = ApnsSender(
                client,
                the_clock,
                key_pem=settings.apns_key_file.read_bytes(),
                key_id=settings.apns_key_id,
                team_id=settings.apns_team_id,
                topic=settings.apns_topic,
                base_url=settings.apns_url,
            )
        if settings.fcm_service_account_file is not None:
            senders["fcm"] = FcmSender(
                client,
                the_clock,
                _service_account(settings.fcm_service_account_file),
                base_url=settings.fcm_url,
            )
        store = await open_store(settings.db_url)
        cloud = _cloud(settings, store, the_clock, client, data_key)
        return cls(
            settings=settings,
            store=store,
            clock=the_clock,
            ring=ring,
            signer=JwtSigner(
                ring,
                issuer=settings.token_issuer,
                audience=settings.token_audience,
                ttl_seconds=settings.access_token_seconds,
            ),
            vault=vault,
            http=client,
            verifier=verifier,
            media=Media(blobs, PillowPhotoCleaner()),
            senders=senders,
            _owns_http=owns_http,
            cloud=cloud,
        )

    @property
    def auth(self) -> AuthContext:
        return AuthContext(
            store=self.store,
            clock=self.clock,
            signer=self.signer,
            vault=self.vault,
            verifier=self.verifier,
            refresh_seconds=self.settings.refresh_token_seconds,
        )

    async def close(self) -> None:
        for task in list(self.jobs):
            task.cancel()  # left queued/running in the store; resumed at the next start
        if self.jobs:
            await asyncio.gather(*self.jobs, return_exceptions=True)
        await self.store.close()
        if self._owns_http:
            await self.http.aclose()


def _service_account(path: Path) -> ServiceAccount:
    """The Google key file, or a start-up error that names the setting and the problem."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=ServiceAccount)
    except (OSError, msgspec.DecodeError) as exc:
        raise ValueError(f"MINLAEGE_FCM_SERVICE_ACCOUNT_FILE ({path}): {exc}") from exc


def _cloud(
    settings: Settings, store: Store, clock: Clock, http: httpx.AsyncClient, data_key: bytes
) -> CloudConnections:
    """Cloud connections with the vendors that have a client id (the others are off)."""
    vendors: dict[str, CloudVendor] = {}
    if settings.withings_client_id:
        vendors["withings"] = WithingsClient(
            http,
            clock,
            client_id=settings.withings_client_id,
            client_secret=settings.withings_client_secret or "",
            auth_url=settings.withings_auth_url,
            api_url=settings.withings_api_url,
        )
    if settings.polar_client_id:
        vendors["polar"] = PolarClient(
            http,
            clock,
            client_id=settings.polar_client_id,
            client_secret=settings.polar_client_secret or "",
            webhook_secret=settings.polar_webhook_secret,
            auth_url=settings.polar_auth_url,
            token_url=settings.polar_token_url,
            api_url=settings.polar_api_url,
        )
    return CloudConnections(
        store=store,
        clock=clock,
        sealer=AesGcmTokenSealer(data_key),
        vendors=vendors,
        public_url=settings.public_url,
        app_link=settings.connections_app_link,
        backfill_days=settings.connections_backfill_days,
        budgets={"withings": settings.withings_requests_per_minute},
    )
