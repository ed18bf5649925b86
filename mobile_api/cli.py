"""The `minlaege` command line (contracts §1): JSON on stdout, one JSON error on stderr."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from adapters.identity.keys import generate_key
from app.domain.identity import Role
from app.errors import DomainError, Invalid
from app.services import audit as audit_service
from app.services.accounts import ensure_citizen, resolve_principal
from app.services.auth import open_session
from app.services.demo import seed_demo
from app.settings import Settings, load_settings
from mobile_api.logs import configure_logging
from mobile_api.runtime import Runtime

__all__ = ["main"]


class CliError(Exception):
    """An error the command reports as JSON with an exit code."""

    def __init__(self, kind: str, detail: str, code: int = 2) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.code = code


def _emit(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")
    sys.stdout.flush()


def _settings(args: argparse.Namespace) -> Settings:
    worker = False if getattr(args, "no_worker", False) else None
    return load_settings(db_url=args.db, run_worker=worker)


async def _with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[Any]]) -> Any:
    runtime = await Runtime.open(settings)
    try:
        return await work(runtime)
    finally:
        await runtime.close()


async def _seed(runtime: Runtime) -> Any:
    async with runtime.store.transaction() as uow:
        return await seed_demo(uow, runtime.clock, runtime.vault, measurements=True)


def cmd_seed_demo(args: argparse.Namespace) -> int:
    _emit(asyncio.run(_with_runtime(_settings(args), _seed)))
    return 0


class TokenOut(msgspec.Struct, frozen=True, omit_defaults=True):
    access_token: str
    token_type: str
    expires_in: int
    role: str
    subject: str
    #: the session's refresh token (citizens and clinicians), so logout can be tried
    refresh_token: str | None = None


def cmd_token(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.production:
        raise CliError(
            "forbidden-in-production",
            "development tokens are refused when MINLAEGE_ENV=production; log in instead",
        )
    role = Role(args.role)

    async def work(runtime: Runtime) -> TokenOut:
        async with runtime.store.transaction() as uow:
            if role is Role.CITIZEN:
                await ensure_citizen(uow, runtime.clock, runtime.vault, subject=args.subject)
            await resolve_principal(uow, role, args.subject)
            if role is Role.GATEWAY:
                token, ttl = runtime.signer.mint(role=role, subject=args.subject)
                return TokenOut(token, "Bearer", ttl, role.value, args.subject)
            # a session like a login's, so logout and the per-request check apply
            pair = await open_session(runtime.auth, uow, role, args.subject)
        return TokenOut(
            pair.access_token,
            "Bearer",
            pair.expires_in,
            role.value,
            args.subject,
            pair.refresh_token,
        )

    _emit(asyncio.run(_with_runtime(settings, work)))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    async def work(runtime: Runtime) -> audit_service.VerifyReport:
        return await audit_service.verify_all(runtime.store, citizen_id=args.citizen_id)

    report: audit_service.VerifyReport = asyncio.run(_with_runtime(_settings(args), work))
    _emit(report)
    return 0 if report.ok else 1


def _progress_bar() -> Callable[[float], None] | None:
    """A one-line bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        return None
    shown = [-1]

    def show(fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        if percent != shown[0]:
            shown[0] = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r[{bar:<25}] {percent:3d}%")
            if percent == 100:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


def cmd_import(args: argparse.Namespace) -> int:
    from adapters.ingest.files import BROKEN_FILE, detect_format, item_source
    from app.domain.ids import new_id
    from app.services.ingest import ingest

    path = Path(args.path)
    if not path.is_file():
        raise CliError("not-found", f"no such file: {path}")
    try:
        fmt = detect_format(path) if args.format == "auto" else args.format
    except BROKEN_FILE as exc:
        raise CliError(getattr(exc, "kind", "invalid-file"), str(exc)) from exc

    async def work(runtime: Runtime) -> Any:
        async with runtime.store.transaction() as uow:
            citizen = await ensure_citizen(uow, runtime.clock, runtime.vault, subject=args.citizen)
        return await ingest(
            runtime.store,
            runtime.clock,
            citizen_id=citizen.id,
            items=item_source(path, fmt, _progress_bar()),
            import_id=new_id(),
            fmt=fmt,
        )

    try:
        _emit(asyncio.run(_with_runtime(_settings(args), work)))
    except BROKEN_FILE as exc:
        raise CliError(getattr(exc, "kind", "invalid-file"), str(exc)) from exc
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CliError("invalid", f"{text!r} is not a date (YYYY-MM-DD)") from exc


def cmd_daily(args: argparse.Namespace) -> int:
    from app.services.wearables import daily_series, parse_metric

    metric = parse_metric(args.metric)
    first, last = _date(args.from_), _date(args.to)

    async def work(runtime: Runtime) -> Any:
        async with runtime.store.transaction() as uow:
            citizen = await ensure_citizen(uow, runtime.clock, runtime.vault, subject=args.citizen)
        async with runtime.store.read() as uow:
            return await daily_series(
                uow, citizen_id=citizen.id, metric=metric, first=first, last=last
            )

    _emit(asyncio.run(_with_runtime(_settings(args), work)))
    return 0


def cmd_gatt_decode(args: argparse.Namespace) -> int:
    from adapters.ingest.ble_gatt import GattError, decode_hex

    try:
        reading = decode_hex(args.uuid, args.hex)
    except GattError as exc:
        detail = {"characteristic": exc.characteristic, "offset": exc.offset}
        raise CliError("gatt-decode", f"{exc} ({msgspec.json.encode(detail).decode()})") from exc
    _emit(reading)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The background worker: one pass with --once (cron, checks), else until stopped.

    Besides the periodic pass it runs import jobs and data exports, claimed from the
    database under a lease; on SIGTERM or SIGINT it hands a running job back and exits 0.
    """
    from mobile_api.exports import drain_exports, export_loop
    from mobile_api.jobs import drain, job_loop
    from mobile_api.worker import work_forever, work_once

    settings = _settings(args)
    configure_logging(settings)
    if args.metrics_port:
        from prometheus_client import start_http_server

        from mobile_api.metrics import REGISTRY

        start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)

    async def work(runtime: Runtime) -> Any:
        if args.once:
            report = await work_once(runtime)
            await drain(runtime)
            await drain_exports(runtime)
            return report
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(
            work_forever(runtime, stop), job_loop(runtime, stop), export_loop(runtime, stop)
        )
        return {"stopped": True}

    _emit(asyncio.run(_with_runtime(settings, work)))
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    key = generate_key(settings.keys_dir)
    _emit({"kid": key.kid, "keys_dir": str(settings.keys_dir)})
    return 0


def _tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running server.

    Everything imported at start-up is frozen out of the collector's view, and the
    young generation is collected less often: bench/gateway.py saw full collections of
    70–90 ms push the p99 of upload batches over 100 ms with the defaults.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mobile_api.asgi import create_app

    settings = _settings(args)
    if args.demo:
        ids = asyncio.run(_with_runtime(settings, _seed))
        citizen = ids.citizens[0].subject
        sys.stderr.write(
            "Demo data is ready. Get a token in another terminal with:\n"
            f"  .venv/bin/minlaege token --role citizen --subject {citizen}\n"
            f"  .venv/bin/minlaege token --role clinician --subject {ids.clinician.subject}\n"
            "then: curl -H 'Authorization: Bearer <access_token>' "
            f"http://{args.host}:{args.port}/v1/me\n"
            f"API docs: http://{args.host}:{args.port}/schema\n"
        )
    configure_logging(settings)
    app = create_app(settings)
    _tune_gc()
    # On SIGTERM (or Ctrl-C) uvicorn stops taking connections, lets the requests in
    # flight finish (for at most shutdown_grace_seconds), runs the lifespan's shutdown
    # (which hands back a running import's lease) and then raises the signal again
    # against the handlers it found: these make that a clean exit 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _stopped)
    # No access log by default: it would record who (IP) touched which citizen's resource
    # (ids in paths) outside the audit log's control. Turn it on to debug.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=args.access_log,
        log_config=None,  # ours: JSON lines with request ids, scrubbed (mobile_api/logs.py)
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
    )
    return 0


def _stopped(signum: int, frame: object) -> None:
    """Re-raised by uvicorn once it has shut down: nothing more to do."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=None,
        help="database URL (default: $MINLAEGE_DB or sqlite:///./var/minlaege.db)",
    )
    parser = argparse.ArgumentParser(prog="minlaege", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed demo data first")
    serve.add_argument("--access-log", action="store_true", help="log every request (debugging)")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="serve only: leave import jobs, reminders and pushes to `minlaege worker`",
    )
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser("seed-demo", parents=[common], help="create the demo clinic and people")
    seed.set_defaults(func=cmd_seed_demo)

    token = sub.add_parser("token", parents=[common], help="mint a development access token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--subject", required=True)
    token.set_defaults(func=cmd_token)

    audit = sub.add_parser("audit", parents=[common], help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", parents=[common], help="check every hash chain")
    verify.add_argument("--citizen-id", default=None)
    verify.set_defaults(func=cmd_audit_verify)

    imp = sub.add_parser("import", parents=[common], help="import an Apple Health or FIT file")
    imp.add_argument("path")
    imp.add_argument("--citizen", required=True, help="the citizen's subject")
    imp.add_argument("--format", default="auto", choices=["auto", "apple-health", "fit"])
    imp.set_defaults(func=cmd_import)

    daily = sub.add_parser("daily", parents=[common], help="a metric's daily series")
    daily.add_argument("--citizen", required=True, help="the citizen's subject")
    daily.add_argument("--metric", required=True)
    daily.add_argument("--from", dest="from_", required=True, help="YYYY-MM-DD, inclusive")
    daily.add_argument("--to", required=True, help="YYYY-MM-DD, inclusive")
    daily.set_defaults(func=cmd_daily)

    gatt = sub.add_parser("gatt", parents=[common], help="Bluetooth GATT tools")
    gatt_sub = gatt.add_subparsers(dest="gatt_command", required=True)
    decode = gatt_sub.add_parser("decode", parents=[common], help="decode one characteristic value")
    decode.add_argument("--uuid", required=True, help="e.g. 2A35")
    decode.add_argument("--hex", required=True, help="the raw value in hex")
    decode.set_defaults(func=cmd_gatt_decode)

    worker = sub.add_parser(
        "worker",
        parents=[common],
        help="import jobs, lapsed waitlist offers, reminders and pushes (serve runs it too)",
    )
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument(
        "--metrics-port", type=int, default=0, help="serve Prometheus text on this port"
    )
    worker.add_argument("--metrics-host", default="127.0.0.1")
    worker.set_defaults(func=cmd_worker)

    keys = sub.add_parser("keys", parents=[common], help="signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    rotate = keys_sub.add_parser("rotate", parents=[common], help="add a new signing key")
    rotate.set_defaults(func=cmd_keys_rotate)
    return parser


def _fail(kind: str, detail: str, code: int) -> int:
    sys.stderr.write(
        msgspec.json.encode({"error": {"type": kind, "detail": detail}}).decode() + "\n"
    )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        return _fail(exc.kind, exc.detail, exc.code)
    except (Invalid, ValueError) as exc:
        return _fail(getattr(exc, "kind", "invalid"), str(exc), 2)
    except DomainError as exc:
        return _fail(exc.kind, exc.detail, 2)
    except OSError as exc:
        return _fail("io-error", str(exc), 1)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
