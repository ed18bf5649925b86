"""Settings from the environment: every documented variable is read into its type."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import load_settings


def test_path_variables_become_paths() -> None:
    s = load_settings(
        {
            "MINLAEGE_BLOB_DIR": "/srv/blobs",
            "MINLAEGE_APNS_KEY_FILE": "/etc/minlaege/AuthKey.p8",
            "MINLAEGE_FCM_SERVICE_ACCOUNT_FILE": "/etc/minlaege/google.json",
        }
    )
    assert s.blob_root == Path("/srv/blobs")
    assert s.apns_key_file == Path("/etc/minlaege/AuthKey.p8")
    assert s.fcm_service_account_file == Path("/etc/minlaege/google.json")


def test_push_settings_all_or_none() -> None:
    assert load_settings({}).apns_configured is False
    full = load_settings(
        {
            "MINLAEGE_APNS_KEY_FILE": "k.p8",
            "MINLAEGE_APNS_KEY_ID": "KEY123ABCD",
            "MINLAEGE_APNS_TEAM_ID": "TEAM123456",
            "MINLAEGE_APNS_TOPIC": "dk.minlaege.app",
            "MINLAEGE_WORKER_INTERVAL_SECONDS": "0.5",
        }
    )
    assert full.apns_configured is True and full.worker_interval_seconds == 0.5
    with pytest.raises(ValueError, match="MINLAEGE_APNS_KEY_ID"):
        _ = load_settings({"MINLAEGE_APNS_TOPIC": "dk.minlaege.app"}).apns_configured


def test_retention_periods() -> None:
    default = load_settings({})
    assert (default.retain_raw_readings_days, default.retain_notices_days) == (90, 365)
    s = load_settings(
        {
            "MINLAEGE_RETAIN_RAW_READINGS_DAYS": "30",
            "MINLAEGE_RETAIN_LINKS_DAYS": "2",
            "MINLAEGE_RETAIN_CODES_DAYS": "3",
            "MINLAEGE_RETAIN_NOTICES_DAYS": "180",
            "MINLAEGE_RETAIN_SESSIONS_DAYS": "14",
            "MINLAEGE_RETAIN_BATCH": "250",
        }
    )
    assert (
        s.retain_raw_readings_days,
        s.retain_links_days,
        s.retain_codes_days,
        s.retain_notices_days,
        s.retain_sessions_days,
        s.retain_batch,
    ) == (30, 2, 3, 180, 14, 250)
