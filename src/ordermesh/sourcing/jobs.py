"""Worker jobs of sourcing (register them in ``ordermesh.worker.default_jobs``)."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.kit.db import UnitOfWork
from ordermesh.sourcing.backorders import source_backorders
from ordermesh.worker import _BatchedJob


@dataclass(frozen=True)
class BackorderSourcing(_BatchedJob):
    """Sources backordered units once stock for them has arrived, oldest order first
    (``sourcing.backorders.source_backorders``); ``batch`` orders per transaction."""

    name: str = "backorder-sourcing"
    batch: int = 20
    max_batches: int = 10

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return source_backorders(uow, limit)
