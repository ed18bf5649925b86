"""`create_app(settings)`: the Litestar application, wired to one Runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from app.ports import Clock
from app.settings import Settings, load_settings
from mobile_api.citizen import citizen_router
from mobile_api.clinician import clinician_router
from mobile_api.clinician.inbox_links import open_inbox_link
from mobile_api.clinician.summary import open_summary_link
from mobile_api.connections_public import (
    WithingsWebhookController,
    connection_callback,
    polar_webhook,
)
from mobile_api.exports import export_loop
from mobile_api.gateway import GatewayPairingController, gateway_router
from mobile_api.jobs import job_loop
from mobile_api.observe import RequestObserver, serve_metrics
from mobile_api.openapi import install_contract
from mobile_api.problems import exception_handlers
from mobile_api.rate_limits import rate_limit_middleware
from mobile_api.runtime import Runtime
from mobile_api.security import BearerAuth
from mobile_api.session import SessionController
from mobile_api.strict_body import StrictRequest
from mobile_api.system import jwks, live, ready
from mobile_api.worker import work_forever

__all__ = ["create_app"]

_PUBLIC = [
    "^/health/",
    "^/schema",
    "^/.well-known/",
    "^/v1/auth/",
    "^/v1/summary-links/",
    "^/v1/inbox-links/",
    "^/metrics$",
    "^/v1/connections/",
    "^/v1/webhooks/",
]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    runtime: Runtime | None = None,
) -> Litestar:
    """The app; its Runtime (store, keys, login) opens at startup and closes at shutdown.

    A caller that passes an open `runtime` owns it (tests, embedding): the app uses it
    and leaves closing it to the caller.
    """
    config = runtime.settings if runtime is not None else settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if runtime is not None:
            yield
            return
        opened = await Runtime.open(config, clock=clock, http=http)
        app.state.runtime = opened
        stop = asyncio.Event()
        # `serve --no-worker` leaves jobs, reminders and pushes to `minlaege worker`
        workers = (
            [
                asyncio.create_task(work_forever(opened, stop)),
                asyncio.create_task(job_loop(opened, stop)),
                asyncio.create_task(export_loop(opened, stop)),
            ]
            if config.run_worker
            else []
        )
        try:
            yield
        finally:
            stop.set()  # a job running is handed back; requests have finished by now
            await asyncio.gather(*workers, return_exceptions=True)
            await opened.close()

    app = Litestar(
        route_handlers=[
            live,
            ready,
            jwks,
            SessionController,
            citizen_router,
            clinician_router,
            GatewayPairingController,
            gateway_router,
            open_summary_link,
            open_inbox_link,
            serve_metrics,
            connection_callback,
            WithingsWebhookController,
            polar_webhook,
        ],
        lifespan=[lifespan],
        # rate limits count after authentication: writes are counted per caller
        middleware=[DefineMiddleware(BearerAuth, exclude=_PUBLIC), *rate_limit_middleware(config)],
        # role guards run first on each router, then the content-type check, so a
        # caller of the wrong role learns nothing about what a route accepts
        exception_handlers=exception_handlers,
        request_class=StrictRequest,
        request_max_body_size=config.max_json_body,
        openapi_config=OpenAPIConfig(
            title="minlaege",
            version="0.1.0",
            description="Min Læge companion backend: citizens, clinicians and home gateways.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        debug=False,
    )
    install_contract(app, config)
    # request and trace ids, metrics: around everything, errors and 404s included (the
    # way Litestar's own OpenTelemetry plugin wraps the handler)
    app.asgi_handler = RequestObserver(app.asgi_handler)
    if runtime is not None:
        app.state.runtime = runtime
    return app
