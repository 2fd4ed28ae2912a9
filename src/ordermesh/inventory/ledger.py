"""The movement ledger: every counter change is booked here, and the counters can be
recomputed from it (``ledger_drift``) and, if they ever disagree, reset to it
(``repair_drift``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, text, update

from ordermesh.inventory.tables import channel_reserved, inventory_movements, stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event

_BOOK = insert(inventory_movements)
_DEFAULTS = {
    "on_hand_delta": 0, "reserved_delta": 0, "damaged_delta": 0, "in_transit_delta": 0,
    "channel_id": None, "reason": None, "note": None, "reference_type": None,
    "reference_id": None,
}
COUNTERS = ("on_hand", "reserved", "damaged", "in_transit")


def book(uow: UnitOfWork, rows: list[dict]) -> None:
    """Append movements. Each row names ``product_id``, ``location_id``, ``kind`` and
    the deltas it changes; actor and time come from the unit of work."""
    if not rows:
        return
    now = uow.clock.now()
    uow.defer_insert(_BOOK, [{**_DEFAULTS, **row, "actor": uow.actor, "occurred_at": now}
                        for row in rows])


@dataclass(frozen=True)
class Drift:
    """A counter row that disagrees with the sum of its movements. ``kind`` is ``stock``
    (key: product, location) or ``channel`` (key: channel, product)."""

    kind: str
    key: tuple[str, str]
    counters: dict[str, int]
    ledger: dict[str, int]


def _stock_drift(uow: UnitOfWork) -> list[Drift]:
    m = inventory_movements.c
    sums = select(m.product_id, m.location_id,
                  *(func.sum(m[f"{c}_delta"]).label(c) for c in COUNTERS)
                  ).group_by(m.product_id, m.location_id)
    ledger = {(r.product_id, r.location_id): {c: int(r._mapping[c]) for c in COUNTERS}
              for r in uow.execute(sums)}
    counters = {(r.product_id, r.location_id): {c: r._mapping[c] for c in COUNTERS}
                for r in uow.execute(select(stock.c.product_id, stock.c.location_id,
                                            *(stock.c[c] for c in COUNTERS)))}
    zero = dict.fromkeys(COUNTERS, 0)
    return [Drift("stock", key, counters.get(key, zero), ledger.get(key, zero))
            for key in sorted(set(ledger) | set(counters))
            if counters.get(key, zero) != ledger.get(key, zero)]


def _channel_drift(uow: UnitOfWork) -> list[Drift]:
    m = inventory_movements.c
    sums = (select(m.channel_id, m.product_id, func.sum(m.reserved_delta).label("reserved"))
            .where(m.channel_id.is_not(None)).group_by(m.channel_id, m.product_id))
    ledger = {(r.channel_id, r.product_id): int(r.reserved) for r in uow.execute(sums)}
    counters = {(r.channel_id, r.product_id): r.reserved
                for r in uow.execute(select(channel_reserved))}
    return [Drift("channel", key, {"reserved": counters.get(key, 0)},
                  {"reserved": ledger.get(key, 0)})
            for key in sorted(set(ledger) | set(counters))
            if counters.get(key, 0) != ledger.get(key, 0)]


def ledger_drift(uow: UnitOfWork) -> list[Drift]:
    """Every counter (stock per product and location, reserved per channel and
    product) that disagrees with the sum of its movements."""
    return _stock_drift(uow) + _channel_drift(uow)


def repair_drift(uow: UnitOfWork) -> list[Drift]:
    """Set every drifting counter to what the ledger says, record an
    ``inventory.repaired`` event for each, and commit. The ledger is
    the record; the counters are a cache of it. Locks the counter tables for the
    duration so no reservation interleaves (EXCLUSIVE: it also conflicts with the
    ROW SHARE lock a reservation's ``SELECT … FOR UPDATE`` takes first, so a
    reservation waits at its start instead of deadlocking with the repair)."""
    if uow.dialect == "postgresql":
        uow.execute(text("LOCK TABLE stock, channel_reserved IN EXCLUSIVE MODE"))
    drift = ledger_drift(uow)
    now = uow.clock.now()
    for d in drift:
        if d.kind == "stock":
            key = and_(stock.c.product_id == d.key[0], stock.c.location_id == d.key[1])
            if uow.execute(update(stock).where(key).values(**d.ledger, updated_at=now)
                           ).rowcount == 0:
                uow.execute(insert(stock).values(product_id=d.key[0], location_id=d.key[1],
                                                 updated_at=now, **d.ledger))
        else:
            key = and_(channel_reserved.c.channel_id == d.key[0],
                       channel_reserved.c.product_id == d.key[1])
            if uow.execute(update(channel_reserved).where(key)
                           .values(reserved=d.ledger["reserved"])).rowcount == 0:
                uow.execute(insert(channel_reserved).values(
                    channel_id=d.key[0], product_id=d.key[1], reserved=d.ledger["reserved"]))
        aggregate = ("product", d.key[0]) if d.kind == "stock" else ("product", d.key[1])
        record_event(uow, "inventory.repaired", *aggregate, {
            "counter": d.kind, "key": list(d.key), "was": d.counters, "now": d.ledger})
    uow.commit()
    return drift

