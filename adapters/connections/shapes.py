"""A vendor's JSON in the shape we expect, or a VendorError that says it was not.

msgspec refuses an answer missing a field we need (a group without `date`, a night
without its end) with its own ValidationError, which the pull runner would not know as
a vendor failure: every decode of a vendor answer goes through `shaped`, so such an
answer is retried and given up like any other vendor error, never a crashed pass.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from app.ports.connections import VendorTransient

__all__ = ["shaped"]

T = TypeVar("T")


def shaped(obj: Any, into: type[T], what: str, *, strict: bool = False) -> T:
    try:
        return msgspec.convert(obj, into, strict=strict)
    except msgspec.ValidationError as exc:
        raise VendorTransient(f"{what}: the answer has an unexpected shape ({exc})") from exc
