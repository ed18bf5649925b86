"""Opaque cursors: clients pass back what we gave them and never build one themselves."""

from __future__ import annotations

import base64

from app.errors import Invalid

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, raw = text.partition(":")
        if version != "v1":
            raise ValueError(version)
        return int(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("the cursor is not one we gave out") from exc
