"""Counters of what this process committed, for Prometheus (``/metrics``).

Counted when the transaction that wrote them commits (``UnitOfWork.commit``), so a
rolled-back order is never counted. Each process counts its own: the API processes serve
theirs at ``/metrics`` (summed over processes in multiprocess mode, docs/operations.md);
orders placed by the worker or the CLI import are not among them.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Any

from prometheus_client import Counter

EVENTS_COMMITTED = Counter(
    "ordermesh_events_committed", "Outbox events committed by this process, by type",
    ["type"])
ORDERS_PLACED = Counter("ordermesh_orders_placed", "Orders placed (committed) by this process")
ORDER_PLACED_EVENT = "order.created"


def count_committed(events: list[dict[str, Any]]) -> None:
    for type_, n in Tally(event["type"] for event in events).items():
        EVENTS_COMMITTED.labels(type=type_).inc(n)
        if type_ == ORDER_PLACED_EVENT:
            ORDERS_PLACED.inc(n)
