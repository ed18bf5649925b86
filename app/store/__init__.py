"""SQL behind the ports: SQLite (embedded default) and PostgreSQL (scale)."""

from __future__ import annotations

from app.store.open import open_store

__all__ = ["open_store"]
