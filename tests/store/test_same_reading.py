"""One discrete reading seen through two sources counts once (ADR 0027), on both engines.

The cases are worked out by hand: a weighing the Withings app (Health Mate) wrote into
Apple Health and the citizen also typed on the iPhone at the same second, readings a
little apart in time or value, and a source's own repeats, which never collapse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from adapters.clock import FixedClock
from adapters.ingest.files import item_source
from app.domain.metrics import Metric
from app.ports import Store
from app.services.ingest import ingest
from app.services.wearables import SourceOrder, daily_series, list_sources, reorder_sources
from tests.store.test_ingest import PHONE, export, rec

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HEALTH_MATE = 'sourceName="Health Mate"'
DAY = date(2026, 11, 10)


async def _import(store: Store, path: Path, import_id: str) -> None:
    await ingest(
        store,
        FixedClock(NOW),
        citizen_id="c1",
        items=item_source(path, "apple-health"),
        import_id=import_id,
        fmt="apple-health",
    )


async def _day(store: Store, metric: Metric) -> tuple[int, float, float, float]:
    async with store.read() as uow:
        series = await daily_series(uow, citizen_id="c1", metric=metric, first=DAY, last=DAY)
    (d,) = series.days
    assert d.count is not None and d.min is not None and d.max is not None
    assert d.mean is not None
    return d.count, d.min, d.max, d.mean


def _weigh(src: str, at: str, kg: float) -> str:
    return rec("BodyMass", src, at, at, kg, "kg")


async def test_the_same_weighing_from_two_sources_counts_once(store: Store, tmp_path: Path) -> None:
    path = export(
        tmp_path / "e.xml",
        # 08:00:00 and 08:00:03 local, 72.345 kg twice: one weighing (3 s, equal)
        _weigh(HEALTH_MATE, "2026-11-10 08:00:00 +0100", 72.345),
        _weigh(PHONE, "2026-11-10 08:00:03 +0100", 72.345),
        # 12:00:00 and 12:00:06: six seconds apart, two weighings
        _weigh(HEALTH_MATE, "2026-11-10 12:00:00 +0100", 72.0),
        _weigh(PHONE, "2026-11-10 12:00:06 +0100", 72.0),
        # 18:00 at the same second, 71.0 and 71.1 kg: 0.14 % apart, two weighings
        _weigh(HEALTH_MATE, "2026-11-10 18:00:00 +0100", 71.0),
        _weigh(PHONE, "2026-11-10 18:00:00 +0100", 71.1),
        # 20:00:00 and 20:00:02 from the phone alone, equal: a source's own repeats stay
        _weigh(PHONE, "2026-11-10 20:00:00 +0100", 70.5),
        _weigh(PHONE, "2026-11-10 20:00:02 +0100", 70.5),
    )
    await _import(store, path, "i1")
    count, low, high, mean = await _day(store, Metric.BODY_MASS)
    # 8 samples, one copy (the 08:00 pair): 72.345, 72.0, 72.0, 71.0, 71.1, 70.5, 70.5
    assert count == 7
    assert (low, high) == (70.5, 72.345)
    assert mean == round((72.345 + 72.0 + 72.0 + 71.0 + 71.1 + 70.5 + 70.5) / 7, 3)  # 71.349


async def test_the_higher_ranked_source_keeps_the_reading_and_reordering_moves_it(
    store: Store, tmp_path: Path
) -> None:
    # one weighing, both copies within 0.1 % (72.30 and 72.34 kg: 0.055 %)
    path = export(
        tmp_path / "e.xml",
        _weigh(HEALTH_MATE, "2026-11-10 08:00:00 +0100", 72.30),
        _weigh(PHONE, "2026-11-10 08:00:01 +0100", 72.34),
    )
    await _import(store, path, "i1")
    async with store.read() as uow:
        sources = {s.name: s for s in await list_sources(uow, "c1")}
        by_no = {s.name: s.source_no for s in await uow.sources.for_citizen("c1")}
        (row,) = await uow.daily.series(
            "c1", Metric.BODY_MASS.value, DAY.isoformat(), DAY.isoformat()
        )
    # by default a phone outranks another app: the iPhone's 72.34 stays
    assert (row.count, row.mean, row.sources) == (1, 72.34, str(by_no["Anna’s iPhone"]))
    async with store.transaction() as uow:
        await reorder_sources(uow, "c1", SourceOrder(order=[sources["Health Mate"].key]))
    async with store.read() as uow:
        (row,) = await uow.daily.series(
            "c1", Metric.BODY_MASS.value, DAY.isoformat(), DAY.isoformat()
        )
    assert (row.count, row.mean, row.sources) == (1, 72.30, str(by_no["Health Mate"]))


async def test_a_copy_arriving_later_through_another_road_is_left_out(
    store: Store, tmp_path: Path
) -> None:
    """Order of arrival does not matter: the iPhone's blood pressure comes first, the same
    reading from Health Mate in a later import; the day still counts it once."""
    first = export(
        tmp_path / "a.xml",
        rec(
            "BloodPressureSystolic",
            PHONE,
            "2026-11-10 09:00:00 +0100",
            "2026-11-10 09:00:00 +0100",
            141,
            "mmHg",
        ),
        rec(
            "BloodPressureSystolic",
            PHONE,
            "2026-11-10 21:00:00 +0100",
            "2026-11-10 21:00:00 +0100",
            128,
            "mmHg",
        ),
    )
    second = export(
        tmp_path / "b.xml",
        rec(
            "BloodPressureSystolic",
            HEALTH_MATE,
            "2026-11-10 09:00:00 +0100",
            "2026-11-10 09:00:00 +0100",
            141,
            "mmHg",
        ),
    )
    await _import(store, first, "i1")
    await _import(store, second, "i2")
    assert await _day(store, Metric.BLOOD_PRESSURE_SYSTOLIC) == (2, 128.0, 141.0, 134.5)
