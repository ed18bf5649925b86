"""One Settings Struct, read once from the environment (MINLAEGE_*).

Everything the process needs to know about its surroundings lives here, so the rest of
the code takes a Settings value instead of reading os.environ on its own.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

__all__ = ["DEFAULT_DB", "Environment", "Settings", "load_settings"]

Environment = Literal["development", "test", "production"]

DEFAULT_DB = "sqlite:///./var/minlaege.db"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Process-wide configuration."""

    env: Environment = "development"
    db_url: str = DEFAULT_DB
    var_dir: Path = Path("var")
    keys_dir: Path = Path("var/keys")
    #: secret for the CPR keyed hash and encryption; derived from the keys dir in dev.
    data_key: str | None = None
    token_issuer: str = "https://minlaege.local"
    token_audience: str = "minlaege-api"
    access_token_seconds: int = 600
    refresh_token_seconds: int = 30 * 24 * 3600
    oidc_issuer: str | None = None
    oidc_client_id: str = "minlaege-app"
    oidc_cache_seconds: int = 3600
    #: JSON request bodies larger than this get 413.
    max_json_body: int = 1024 * 1024
    #: photos and other blobs (local blob store); default `<var_dir>/blobs`
    blob_dir: Path | None = None
    #: uploaded files (imports) larger than this get 413.
    max_upload_body: int = 4 * 1024 * 1024 * 1024
    #: Apple push (token-based): the .p8 key file, its key id, the team id and the app's
    #: bundle id. All four, or none (then no pushes; the app's notice list still works).
    apns_key_file: Path | None = None
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_topic: str | None = None
    #: Apple's production endpoint; https://api.sandbox.push.apple.com for development builds
    apns_url: str = "https://api.push.apple.com"
    #: Android push: a Google service-account key file (JSON) for the Firebase project
    fcm_service_account_file: Path | None = None
    fcm_url: str = "https://fcm.googleapis.com"
    #: how often the worker looks for due work (lapsed offers, reminders, pushes)
    worker_interval_seconds: float = 2.0
    #: rate limits (ADR 0017), requests per minute; 0 turns one off. `rate_limits` None
    #: means on, except with env=test (tests turn them on when they test them).
    rate_limits: bool | None = None
    #: login, refresh, logout, gateway pairing and token, opening one-time links: per
    #: client address and operation
    rate_sensitive_per_minute: int = 30
    #: POST, PUT, PATCH and DELETE: per logged-in caller
    rate_writes_per_minute: int = 600

    # -- several nodes (contracts §9, ADR 0019): storage, jobs, shutdown, logs ------------
    #: where files live: `file:///path` or `s3://bucket/prefix`; unset: `blob_root`
    blob_url: str | None = None
    #: the standard AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    #: key encryption key of the object envelope (MINLAEGE_BLOB_KEY, base64, 32 bytes);
    #: unset: derived from the data key
    blob_key: bytes | None = None
    #: `serve` runs the worker (jobs, reminders, pushes) unless `--no-worker`
    run_worker: bool = True
    #: an import job's lease: renewed every `job_progress_seconds` (with its progress)
    #: by the worker holding it; lapsed, another worker takes the job over
    job_lease_seconds: float = 30.0
    job_progress_seconds: float = 1.0
    #: how often an idle job worker looks for queued imports
    job_poll_seconds: float = 1.0
    #: a job claimed this many times without ending (its workers died) is given up
    job_max_attempts: int = 5
    #: "download my data" (issue 14, ADR 0022): how long a finished export's link works;
    #: afterwards the worker deletes the zip
    export_link_days: int = 7
    #: on SIGTERM, requests in flight get this long to finish
    shutdown_grace_seconds: float = 20.0
    #: `json` (one object a line, with request id and trace id) or `text`; unset: text
    #: in development (a terminal, `make run`), JSON otherwise
    log_format: Literal["json", "text"] | None = None

    # -- cloud connections (contracts §11, ADR 0021) --------------------------------------
    #: the base URL vendors and browsers reach this service at (callbacks, webhooks)
    public_url: str = "http://localhost:8000"
    #: a vendor without a client id is off
    withings_client_id: str | None = None
    withings_client_secret: str | None = None
    withings_auth_url: str = "https://account.withings.com"
    withings_api_url: str = "https://wbsapi.withings.net"
    #: Withings' limit for the whole app, every node together
    withings_requests_per_minute: int = 120
    polar_client_id: str | None = None
    polar_client_secret: str | None = None
    polar_webhook_secret: str | None = None
    polar_auth_url: str = "https://flow.polar.com/oauth2/authorization"
    polar_token_url: str = "https://polarremote.com/v2/oauth2/token"
    polar_api_url: str = "https://www.polaraccesslink.com"
    #: where the OAuth callback sends the browser back to the app, with `?outcome=`
    connections_app_link: str = "minlaege://connections"
    #: how far back a new connection is fetched, in days
    connections_backfill_days: int = 90

    # -- retention (issue 14, ADR 0023, docs/privacy.md): days, enforced by the worker ----
    #: the gateway readings log (dedupe by reading id); the samples and roll-ups stay
    retain_raw_readings_days: int = 90
    #: one-time links to a summary page or the inbox page, after they expired
    retain_links_days: int = 7
    #: gateway pairing codes and OAuth states, after they lapsed
    retain_codes_days: int = 1
    #: notices to a citizen (the app's notice list), after they were written
    retain_notices_days: int = 365
    #: refresh tokens (only their hashes), after they expired
    retain_sessions_days: int = 30
    #: rows each kind may delete in one worker pass
    retain_batch: int = 1000

    @property
    def apns_configured(self) -> bool:
        parts = (self.apns_key_file, self.apns_key_id, self.apns_team_id, self.apns_topic)
        if any(parts) and not all(parts):
            raise ValueError(
                "Apple push needs all of MINLAEGE_APNS_KEY_FILE, MINLAEGE_APNS_KEY_ID,"
                " MINLAEGE_APNS_TEAM_ID and MINLAEGE_APNS_TOPIC, or none of them"
            )
        return all(parts)

    @property
    def log_json(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.env != "development")

    @property
    def rate_limits_on(self) -> bool:
        return self.env != "test" if self.rate_limits is None else self.rate_limits

    @property
    def blob_root(self) -> Path:
        return self.blob_dir or self.var_dir / "blobs"

    @property
    def production(self) -> bool:
        return self.env == "production"


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    return default if raw in (None, "") else int(raw)


def _switch(env: Mapping[str, str], key: str) -> bool | None:
    raw = (env.get(key) or "").strip().lower()
    if raw in ("", "auto"):
        return None
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"{key} must be on, off or auto, not {raw!r}")


def _b64(env: Mapping[str, str], key: str) -> bytes | None:
    raw = env.get(key)
    if not raw:
        return None
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=False)
    except ValueError as exc:
        raise ValueError(f"{key} must be base64") from exc


def _path(env: Mapping[str, str], key: str) -> Path | None:
    raw = env.get(key)
    return Path(raw) if raw else None


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from MINLAEGE_* variables; keyword overrides win (CLI flags, tests)."""
    e = os.environ if env is None else env
    var_dir = Path(e.get("MINLAEGE_VAR_DIR", "var"))
    raw_env = e.get("MINLAEGE_ENV", "development")
    if raw_env not in ("development", "test", "production"):
        raise ValueError(f"MINLAEGE_ENV must be development, test or production, not {raw_env!r}")
    values: dict[str, object] = {
        "env": raw_env,
        "db_url": e.get("MINLAEGE_DB") or DEFAULT_DB,
        "var_dir": var_dir,
        "keys_dir": Path(e.get("MINLAEGE_KEYS_DIR") or var_dir / "keys"),
        "data_key": e.get("MINLAEGE_DATA_KEY") or None,
        "token_issuer": e.get("MINLAEGE_TOKEN_ISSUER", "https://minlaege.local"),
        "oidc_issuer": e.get("MINLAEGE_OIDC_ISSUER") or None,
        "oidc_client_id": e.get("MINLAEGE_OIDC_CLIENT_ID", "minlaege-app"),
        "access_token_seconds": _int(e, "MINLAEGE_ACCESS_TOKEN_SECONDS", 600),
        "refresh_token_seconds": _int(e, "MINLAEGE_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
        "blob_dir": _path(e, "MINLAEGE_BLOB_DIR"),
        "max_json_body": _int(e, "MINLAEGE_MAX_JSON_BODY", 1024 * 1024),
        "max_upload_body": _int(e, "MINLAEGE_MAX_UPLOAD_BODY", 4 * 1024**3),
        "apns_key_file": _path(e, "MINLAEGE_APNS_KEY_FILE"),
        "apns_key_id": e.get("MINLAEGE_APNS_KEY_ID") or None,
        "apns_team_id": e.get("MINLAEGE_APNS_TEAM_ID") or None,
        "apns_topic": e.get("MINLAEGE_APNS_TOPIC") or None,
        "apns_url": e.get("MINLAEGE_APNS_URL") or "https://api.push.apple.com",
        "fcm_service_account_file": _path(e, "MINLAEGE_FCM_SERVICE_ACCOUNT_FILE"),
        "fcm_url": e.get("MINLAEGE_FCM_URL") or "https://fcm.googleapis.com",
        "worker_interval_seconds": float(e.get("MINLAEGE_WORKER_INTERVAL_SECONDS") or 2.0),
        "blob_url": e.get("MINLAEGE_BLOB_URL") or None,
        "s3_endpoint": e.get("AWS_ENDPOINT_URL") or None,
        "s3_region": e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or None,
        "s3_access_key_id": e.get("AWS_ACCESS_KEY_ID") or None,
        "s3_secret_access_key": e.get("AWS_SECRET_ACCESS_KEY") or None,
        "blob_key": _b64(e, "MINLAEGE_BLOB_KEY"),
        "job_lease_seconds": float(e.get("MINLAEGE_JOB_LEASE_SECONDS") or 30.0),
        "job_progress_seconds": float(e.get("MINLAEGE_JOB_PROGRESS_SECONDS") or 1.0),
        "job_poll_seconds": float(e.get("MINLAEGE_JOB_POLL_SECONDS") or 1.0),
        "export_link_days": _int(e, "MINLAEGE_EXPORT_LINK_DAYS", 7),
        "shutdown_grace_seconds": float(e.get("MINLAEGE_SHUTDOWN_GRACE_SECONDS") or 20.0),
        "log_format": e.get("MINLAEGE_LOG_FORMAT") or None,
        "rate_limits": _switch(e, "MINLAEGE_RATE_LIMITS"),
        "rate_sensitive_per_minute": _int(e, "MINLAEGE_RATE_SENSITIVE_PER_MINUTE", 30),
        "rate_writes_per_minute": _int(e, "MINLAEGE_RATE_WRITES_PER_MINUTE", 600),
        "public_url": e.get("MINLAEGE_PUBLIC_URL") or "http://localhost:8000",
        "withings_client_id": e.get("MINLAEGE_WITHINGS_CLIENT_ID") or None,
        "withings_client_secret": e.get("MINLAEGE_WITHINGS_CLIENT_SECRET") or None,
        "withings_auth_url": e.get("MINLAEGE_WITHINGS_AUTH_URL") or "https://account.withings.com",
        "withings_api_url": e.get("MINLAEGE_WITHINGS_API_URL") or "https://wbsapi.withings.net",
        "withings_requests_per_minute": _int(e, "MINLAEGE_WITHINGS_REQUESTS_PER_MINUTE", 120),
        "polar_client_id": e.get("MINLAEGE_POLAR_CLIENT_ID") or None,
        "polar_client_secret": e.get("MINLAEGE_POLAR_CLIENT_SECRET") or None,
        "polar_webhook_secret": e.get("MINLAEGE_POLAR_WEBHOOK_SECRET") or None,
        "polar_auth_url": e.get("MINLAEGE_POLAR_AUTH_URL")
        or "https://flow.polar.com/oauth2/authorization",
        "polar_token_url": e.get("MINLAEGE_POLAR_TOKEN_URL")
        or "https://polarremote.com/v2/oauth2/token",
        "polar_api_url": e.get("MINLAEGE_POLAR_API_URL") or "https://www.polaraccesslink.com",
        "connections_app_link": e.get("MINLAEGE_CONNECTIONS_APP_LINK") or "minlaege://connections",
        "connections_backfill_days": _int(e, "MINLAEGE_CONNECTIONS_BACKFILL_DAYS", 90),
        "retain_raw_readings_days": _int(e, "MINLAEGE_RETAIN_RAW_READINGS_DAYS", 90),
        "retain_links_days": _int(e, "MINLAEGE_RETAIN_LINKS_DAYS", 7),
        "retain_codes_days": _int(e, "MINLAEGE_RETAIN_CODES_DAYS", 1),
        "retain_notices_days": _int(e, "MINLAEGE_RETAIN_NOTICES_DAYS", 365),
        "retain_sessions_days": _int(e, "MINLAEGE_RETAIN_SESSIONS_DAYS", 30),
        "retain_batch": _int(e, "MINLAEGE_RETAIN_BATCH", 1000),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    return msgspec.convert(values, Settings, strict=False)
