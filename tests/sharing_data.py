"""Generated HealthKit-sync batches for sharing and summary tests: day by day values,
sent through the real sync endpoint so roll-ups are built the production way."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import Api

URL = "/v1/me/healthkit/samples"
ZONE = ZoneInfo("Europe/Copenhagen")
TODAY = date(2026, 11, 20)  # the test clock's local date

TYPES: dict[str, tuple[str, str]] = {
    "steps": ("HKQuantityTypeIdentifierStepCount", "count"),
    "resting_heart_rate": ("HKQuantityTypeIdentifierRestingHeartRate", "count/min"),
    "heart_rate": ("HKQuantityTypeIdentifierHeartRate", "count/min"),
    "body_mass": ("HKQuantityTypeIdentifierBodyMass", "kg"),
    "blood_pressure_systolic": ("HKQuantityTypeIdentifierBloodPressureSystolic", "mmHg"),
    "blood_pressure_diastolic": ("HKQuantityTypeIdentifierBloodPressureDiastolic", "mmHg"),
    "spo2": ("HKQuantityTypeIdentifierOxygenSaturation", "%"),
}


def sample(metric: str, day: date, value: float, hour: int = 8) -> dict[str, Any]:
    kind, unit = TYPES[metric]
    start = datetime.combine(day, time(hour, 0), tzinfo=ZONE)
    end = start + (timedelta(hours=1) if metric == "steps" else timedelta(0))
    return {
        "uuid": str(uuid.uuid4()).upper(),
        "type": kind,
        "unit": unit,
        "value": value / 100 if metric == "spo2" else value,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "source_name": "Annas Apple Watch",
        "bundle_id": "com.apple.health.W1",
        "device_model": "Watch",
    }


def days_back(n: int, last: date = TODAY) -> list[date]:
    """The n local dates ending at `last`, oldest first."""
    return [last - timedelta(days=i) for i in range(n - 1, -1, -1)]


async def send(
    api: Api,
    headers: dict[str, str],
    metric: str,
    days: list[date],
    value: Callable[[date], float] | float,
) -> None:
    batch = [sample(metric, d, value(d) if callable(value) else value) for d in days]
    for i in range(0, len(batch), 5000):
        r = await api.client.post(URL, json={"samples": batch[i : i + 5000]}, headers=headers)
        assert r.status_code == 200, r.text
        outcomes = {x["outcome"] for x in r.json()["results"]}
        assert outcomes == {"stored"}, r.text


async def share(api: Api, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await api.client.post("/v1/me/shares", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]
