"""Which reader a file needs, decided by its first bytes, never by its name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from adapters.ingest.apple_health import iter_export, looks_like_export
from adapters.ingest.fit import FitFormatError, is_fit, iter_fit
from adapters.ingest.safe_zip import ImportFormatError
from app.domain.samples import Rejected, Sample

__all__ = ["BROKEN_FILE", "FORMATS", "HEAD", "detect_format", "detect_head", "item_source"]

FORMATS = ("apple-health", "fit")
#: how many first bytes decide the format
HEAD = 4096
#: what a structurally broken or hostile file raises, whichever reader read it
BROKEN_FILE: tuple[type[Exception], ...] = (ImportFormatError, FitFormatError)


def detect_format(path: Path) -> str:
    """`apple-health` (zip or export XML) or `fit`; ImportFormatError for anything else."""
    with path.open("rb") as f:
        head = f.read(HEAD)
    return detect_head(head, path.name)


def detect_head(head: bytes, name: str = "the file") -> str:
    """`detect_format` from a file's first `HEAD` bytes (an upload still streaming)."""
    if not head:
        raise ImportFormatError("empty-file", f"{name} is empty")
    if is_fit(head):
        return "fit"
    if head.startswith(b"PK") or looks_like_export(head):
        return "apple-health"
    raise ImportFormatError(
        "unknown-format",
        "the file is neither an Apple Health export (zip or XML) nor a FIT file",
    )


def item_source(
    path: Path, fmt: str, progress: Callable[[float], None] | None = None
) -> Callable[[], Iterator[Sample | Rejected]]:
    """A zero-argument factory of the file's items, to run in the ingest worker thread."""
    if fmt == "fit":
        return lambda: iter_fit(path, progress=progress)
    if fmt == "apple-health":
        return lambda: iter_export(path, progress=progress)
    raise ImportFormatError("unknown-format", f"unknown format {fmt!r}; use {' or '.join(FORMATS)}")
