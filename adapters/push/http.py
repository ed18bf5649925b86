"""What the push services' HTTP answers have in common."""

from __future__ import annotations

__all__ = ["retry_after"]

#: a service asking us to wait longer than a day is treated as asking for a day
_LONGEST = 24 * 3600


def retry_after(value: str | None) -> int | None:
    """Seconds from a `Retry-After` header (both services send seconds); None if absent
    or not a number of seconds (an HTTP date is rare here and we then use our backoff)."""
    if value is None or not value.strip().isdigit():
        return None
    return min(int(value.strip()), _LONGEST)
