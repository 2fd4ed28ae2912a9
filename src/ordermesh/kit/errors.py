"""Domain exceptions.

They carry a stable problem ``code`` and a human ``detail`` but no HTTP status: the one
place that knows about HTTP is ``ordermesh.http.problems``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class DomainError(Exception):
    code = "domain-error"
    title = "The request could not be processed"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(DomainError):
    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict with the current state"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule (unknown SKU, bad currency, ...)."""

    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def for_field(cls, field_name: str, message: str, code: str = "invalid") -> InvalidInput:
        return cls(message, errors=[FieldError(field_name, message, code)])


class IllegalTransition(Conflict):
    code = "illegal-transition"
    title = "Illegal state transition"


class IdempotencyKeyReused(DomainError):
    code = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class TryLater(DomainError):
    """The request could not finish now but may later (an outside service did not answer
    in time); answered 503 with ``Retry-After``."""

    code = "try-later"
    title = "Try again later"
    retry_after_s = 5


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed for this API key"


@dataclass
class Shortage:
    sku: str
    requested: int
    available: int


class InsufficientStock(Conflict):
    code = "insufficient-stock"
    title = "Not enough stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        skus = ", ".join(f"{s.sku} (requested {s.requested}, available {s.available})"
                         for s in shortages)
        super().__init__(f"Not enough stock for: {skus}")
        self.shortages = shortages
