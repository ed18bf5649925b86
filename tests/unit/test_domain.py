"""Pure rules: CPR format, NSIS levels, time conversions and DST day lengths."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from cryptography.exceptions import InvalidTag

from adapters.identity.cpr_vault import AesGcmCprVault
from app.domain.identity import assurance_at_least
from app.domain.people import normalise_cpr
from app.domain.time import from_ms, local_day_bounds, to_ms


@pytest.mark.parametrize(
    ("raw", "digits"), [("010150-1234", "0101501234"), ("2902001234", "2902001234")]
)
def test_cpr_is_normalised(raw: str, digits: str) -> None:
    assert normalise_cpr(raw) == digits


@pytest.mark.parametrize("raw", ["", "12345", "320150-1234", "011350-1234", "01015a-1234"])
def test_bad_cpr_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_cpr(raw)


@pytest.mark.parametrize(
    ("level", "ok"),
    [
        ("substantial", True),
        ("High", True),
        ("https://data.gov.dk/concept/core/nsis/loa/Substantial", True),
        ("low", False),
        ("https://data.gov.dk/concept/core/nsis/loa/Low", False),
        ("", False),
        (None, False),
        ("platinum", False),
    ],
)
def test_assurance_must_reach_substantial(level: str | None, ok: bool) -> None:
    assert assurance_at_least(level, "substantial") is ok


def test_epoch_ms_round_trip_and_offsets() -> None:
    cph = timezone(timedelta(hours=1))
    dt = datetime(2024, 3, 15, 8, 30, 0, 123000, tzinfo=cph)
    assert to_ms(dt) == 1710487800123
    assert from_ms(to_ms(dt)) == dt
    with pytest.raises(ValueError):
        to_ms(datetime(2024, 3, 15, 8, 30))


def test_dst_days_in_copenhagen_are_23_and_25_hours() -> None:
    spring = local_day_bounds(date(2024, 3, 31), "Europe/Copenhagen")
    autumn = local_day_bounds(date(2024, 10, 27), "Europe/Copenhagen")
    normal = local_day_bounds(date(2024, 6, 1), "Europe/Copenhagen")
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert normal == (datetime(2024, 5, 31, 22, tzinfo=UTC), datetime(2024, 6, 1, 22, tzinfo=UTC))


def test_cpr_vault_hashes_stably_and_seals_reversibly() -> None:
    vault = AesGcmCprVault(b"k" * 32)
    other = AesGcmCprVault(b"q" * 32)
    assert vault.lookup_hash("0101501234") == vault.lookup_hash("0101501234")
    assert vault.lookup_hash("0101501234") != other.lookup_hash("0101501234")
    sealed = vault.seal("0101501234")
    assert "0101501234" not in sealed
    assert sealed != vault.seal("0101501234")  # fresh nonce each time
    assert vault.open(sealed) == "0101501234"
    with pytest.raises(InvalidTag):
        other.open(sealed)
