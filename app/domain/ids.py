"""Identifiers: random UUIDs for new rows, name-based ones where seeding must repeat."""

from __future__ import annotations

import uuid

__all__ = ["new_id", "stable_id"]

_NAMESPACE = uuid.UUID("5b0b7c1e-6b1a-4d8e-9a57-6d696e6c6165")


def new_id() -> str:
    """A fresh random id (UUID4 text)."""
    return str(uuid.uuid4())


def stable_id(*parts: str) -> str:
    """The same id for the same parts, every time (UUID5): demo seeding is idempotent."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))
