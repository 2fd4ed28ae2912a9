"""Running use cases in transactions of their own, rerun on concurrency failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import DBAPIError

from ordermesh.kit.db_errors import is_retryable, is_unique_violation

if TYPE_CHECKING:
    from ordermesh.kit.db import UnitOfWork

T = TypeVar("T")

MAX_RUNS = 3


class Transactions:
    """Opens writing units of work (``new_uow``) and runs use cases in them.

    ``run`` runs a use case again if PostgreSQL aborted it for a concurrency reason
    (deadlock, serialization failure) or it met a unique value another transaction
    committed meanwhile (two creates of one code): every use case is one transaction, so
    a rerun starts from a clean slate and sees the other's row. A use case run here must
    therefore never call anything outside the database: a rerun would call it again."""

    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self.new_uow = new_uow

    def uow(self) -> UnitOfWork:
        return self.new_uow()

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        for attempt in range(1, MAX_RUNS + 1):
            try:
                with self.new_uow() as uow:
                    return work(uow)
            except DBAPIError as exc:
                if attempt == MAX_RUNS or not (is_retryable(exc) or is_unique_violation(exc)):
                    raise
        raise AssertionError("unreachable")
