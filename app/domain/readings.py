"""Home-gateway readings: what a gateway sends, and what a decoded reading holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from app.domain.metrics import Metric

__all__ = ["Decoded", "DeviceInfo", "GatewayReading", "reading_time"]


# A gateway batch holds up to a thousand of each of these. gc=False keeps them out of
# the cyclic garbage collector's work: they hold only strings, numbers, datetimes and
# lists of those, so they cannot be part of a reference cycle.


class DeviceInfo(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """The BLE device a reading came from."""

    address: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    manufacturer: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    model: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    serial: Annotated[str, msgspec.Meta(max_length=100)] | None = None

    @property
    def key(self) -> str:
        """Stable identity: the serial number when known (addresses can be random)."""
        return f"ble:{(self.serial or self.address).lower()}"

    @property
    def label(self) -> str:
        name = " ".join(p for p in (self.manufacturer, self.model) if p)
        return name or f"BLE-enhed {self.address}"


class GatewayReading(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False
):
    """One characteristic value as the gateway received it."""

    #: unique per gateway; a resent reading carries the same id
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    device: DeviceInfo
    #: "2A35", "0x2A35" or the 128-bit form
    characteristic: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    payload_hex: Annotated[str, msgspec.Meta(max_length=1024)]
    #: when the gateway received it, UTC (RFC 3339 with offset)
    received_at: datetime
    #: the device's own clock read at connection (local wall-clock, no offset), if known
    device_clock_at: datetime | None = None


class Decoded(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What the decoder made of a payload, in domain terms."""

    #: the device's local wall-clock time as sent, naive; None when it sent none
    time: datetime | None
    values: list[tuple[Metric, float]]
    sequence: int | None = None
    #: why decoded values do not describe the person (control solution, demo data)
    withheld: str | None = None


def reading_time(reading: GatewayReading, decoded: Decoded, zone: str) -> datetime:
    """When it was measured, in UTC.

    Devices keep local wall-clock time with no zone, and their clocks drift. The device
    time is read in the citizen's zone and moved by the clock error measured at
    connection (gateway receive time minus the device's clock then). Without a device
    time, the receive time is the best we have.
    """
    received = reading.received_at
    if decoded.time is None:
        return received
    tz = ZoneInfo(zone)
    measured = decoded.time.replace(tzinfo=tz)
    offset = timedelta(0)
    if reading.device_clock_at is not None:
        device_clock = reading.device_clock_at
        if device_clock.tzinfo is None:
            device_clock = device_clock.replace(tzinfo=tz)
        offset = received - device_clock
    return measured + offset
