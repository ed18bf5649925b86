"""Domain errors. They name what went wrong; the delivery layer maps them to HTTP."""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "Gone",
    "Invalid",
    "NotFound",
    "Unauthenticated",
]


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    #: stable slug, part of the problem type URI
    kind: str = "error"

    def __init__(
        self, detail: str, *, kind: str | None = None, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        #: one entry per problem found (validation), each naming where it is
        self.errors: list[dict[str, str]] = list(errors or [])
        if kind is not None:
            self.kind = kind


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""

    kind = "not-found"


class Conflict(DomainError):
    """The request clashes with the current state (taken slot, pending request)."""

    kind = "conflict"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    kind = "forbidden"


class Gone(DomainError):
    """The thing existed for the caller but is no more (an expired download link)."""

    kind = "gone"


class Unauthenticated(DomainError):
    """The caller could not be identified (bad, expired or revoked credentials)."""

    kind = "unauthenticated"


class Invalid(DomainError):
    """The input breaks a rule of the domain."""

    kind = "invalid"
