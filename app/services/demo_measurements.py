"""A month of home measurements and a share for the first demo citizen, so the GP's
summary shows something on a fresh `make run`: slightly raised blood pressure (a yellow
flag), steady steps, weight and resting pulse.

Values follow a fixed pattern (no randomness) and every sample has a stable external
id, so seeding again stores nothing new.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.ids import stable_id
from app.domain.metrics import Metric
from app.domain.samples import Sample, Source, SourceKind
from app.domain.sharing import Share
from app.domain.time import to_ms
from app.ports import Clock, UnitOfWork
from app.services.inbox import refresh_measurements
from app.services.sync import apply_sync

__all__ = ["DEMO_SHARED", "seed_measurements"]

DAYS = 30
DEMO_SHARED = (
    Metric.BLOOD_PRESSURE_SYSTOLIC,
    Metric.BLOOD_PRESSURE_DIASTOLIC,
    Metric.STEPS,
    Metric.BODY_MASS,
    Metric.RESTING_HEART_RATE,
)
WATCH = Source(key="demo:watch", name="Annas Apple Watch (demo)", kind=SourceKind.WATCH)
CUFF = Source(
    key="demo:cuff", name="Blodtryksmåler (demo)", kind=SourceKind.DEVICE, device="Omron M7"
)


def _samples(subject: str, zone: str, now: datetime) -> list[tuple[str, Sample]]:
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    out: list[tuple[str, Sample]] = []

    def add(
        metric: Metric, day_no: int, at: time, value: float, source: Source, hours: float = 0
    ) -> None:
        start = datetime.combine(today - timedelta(days=day_no), at, tzinfo=tz)
        if start + timedelta(hours=hours) > now:
            return
        ext = stable_id("demo-sample", subject, metric.value, start.isoformat()).upper()
        sample = Sample(
            metric=metric,
            start_ms=to_ms(start),
            end_ms=to_ms(start + timedelta(hours=hours)),
            value=value,
            source=source,
            external_id=ext,
        )
        out.append((ext, sample))

    for n in range(DAYS):
        wobble = (n * 7) % 5 - 2  # -2 … 2, a fixed pattern
        add(Metric.BLOOD_PRESSURE_SYSTOLIC, n, time(7, 30), 139 + wobble, CUFF)
        add(Metric.BLOOD_PRESSURE_DIASTOLIC, n, time(7, 30), 86 + wobble / 2, CUFF)
        add(Metric.BLOOD_PRESSURE_SYSTOLIC, n, time(21, 0), 134 + wobble, CUFF)
        add(Metric.BLOOD_PRESSURE_DIASTOLIC, n, time(21, 0), 83 + wobble / 2, CUFF)
        add(Metric.STEPS, n, time(12, 0), 6200 + 300 * wobble, WATCH, hours=6)
        add(Metric.RESTING_HEART_RATE, n, time(6, 0), 64 + wobble, WATCH)
        if n % 3 == 0:
            add(Metric.BODY_MASS, n, time(7, 0), 78.4 - n * 0.02, CUFF)
    return out


async def seed_measurements(
    uow: UnitOfWork, clock: Clock, *, citizen_id: str, subject: str, clinic_id: str, zone: str
) -> str:
    """Store the month (duplicates are skipped) and make sure a share exists; its id."""
    await apply_sync(
        uow, clock, citizen_id=citizen_id, items=_samples(subject, zone, clock.now()), deleted=()
    )
    share_id = stable_id("demo-share", subject)
    if await uow.shares.get(citizen_id, share_id) is None:
        now = clock.now()
        await uow.shares.add(
            Share(
                id=share_id,
                citizen_id=citizen_id,
                clinic_id=clinic_id,
                metrics=[m.value for m in DEMO_SHARED],
                data_days=90,
                expires_at=now + timedelta(days=365),
                created_at=now,
            )
        )
    # the inbox item comes from the same evaluation that data arriving runs
    await refresh_measurements(uow, clock, citizen_id, zone=zone)
    return share_id
