"""A fulfilment order as the API shows it: with its timeline, which is our status
history and the carrier's tracking events (fulfilment and shipping)."""

from __future__ import annotations

from ordermesh.fulfilment import queries
from ordermesh.fulfilment.schemas import FulfilmentOrderRead
from ordermesh.kit.db import UnitOfWork
from ordermesh.shipping.tracking import events_for


def timeline(uow: UnitOfWork, fo_id: str) -> list[dict]:
    """Our status history and the carrier's tracking events, oldest first."""
    entries = [{"type": "status", "at": h.at, "status": h.to_status.value,
                "from_status": h.from_status.value if h.from_status else None,
                "reason": h.reason, "actor": h.actor, "details": h.details}
               for h in queries.history_of(uow, fo_id)]
    for event in events_for(uow, [fo_id]).get(fo_id, []):
        entries.append({"type": "tracking", "at": event["at"], "status": event.get("status"),
                        "reason": event.get("description"),
                        "details": {k: v for k, v in event.items()
                                    if k not in ("type", "at", "status", "description")}})
    return sorted(entries, key=lambda e: e["at"])


def read(uow: UnitOfWork, fo_id: str) -> FulfilmentOrderRead:
    fo = queries.get_fulfilment_order(uow, fo_id)
    return FulfilmentOrderRead.of(fo, timeline(uow, fo.id))
