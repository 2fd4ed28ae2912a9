"""Worker jobs of the fulfilment feature (the lead registers them in
``worker.default_jobs``)."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.fulfilment.pickup import expire_due_pickups
from ordermesh.http.deps import Container


@dataclass(frozen=True)
class PickupExpiry:
    """Click-and-collect orders ready longer than their location's ``pickup_hold_days``
    become ``not_collected``: their units are cancelled on the order (refund or void)
    and go back to stock. One transaction per fulfilment order."""

    name: str = "pickup-expiry"
    batch: int = 100

    def run_once(self, container: Container) -> int:
        return expire_due_pickups(container.engine, container.clock, self.batch)
