"""What the shop platforms must hear back, recorded as intents (``connectors.pushes``).

* **Shipments and cancellations** follow the outbox with a cursor of their own
  (``events.cursors``), locked, read and moved in one transaction with the intents it
  writes: an ``order.shipment_recorded`` of an order a connector placed becomes a
  fulfilment push (the shipped lines named by the platform's line ids, carrier,
  tracking number and link), an ``order.cancelled`` a cancellation push, unless the
  platform cancelled it itself (the event's actor is that connector), and a
  ``refund.issued`` with money in it a refund push (the refunded lines named by the
  platform's line ids), unless it is the refund of the platform's own cancellation.
  Each intent is keyed by its event, so a second reading records nothing.
* **Stock**: every ``ORDERMESH_CONNECTOR_STOCK_INTERVAL_S`` the channel's
  available-to-sell (quotas, exclusions and safety stock applied, as
  ``GET /availability`` answers it) of every SKU the platform lists is compared with
  what the platform was last told; each SKU that differs gets one waiting push of its
  current level, however many orders moved it meanwhile.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ordermesh.catalog.service import find_skus
from ordermesh.connectors import accounts, inbox, listings, pushes
from ordermesh.connectors.model import Account, PayloadInvalid, PushKind
from ordermesh.connectors.platforms import connector_for
from ordermesh.events.cursors import advance_cursor, lock_cursor
from ordermesh.flows.channel_orders import ACTOR_PREFIX
from ordermesh.inventory.availability import MAX_BATCH, availability
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import Event, read_events
from ordermesh.orders.queries import load_order

CURSOR = "connectors"
SHIPPED, CANCELLED, REFUNDED = "order.shipment_recorded", "order.cancelled", "refund.issued"


def _placed_by(uow: UnitOfWork, order) -> tuple[Account, dict] | None:
    """The connector that placed ``order`` and the platform's order as it came."""
    if order.external_id is None:
        return None
    for account in accounts.accounts_of_channel(uow, order.channel_code):
        received = inbox.received_order(uow, account.id, order.external_id)
        if received is not None:
            return account, received
    return None


def _line_ids(account: Account, received: dict) -> dict[str, str]:
    """Our SKU -> the platform's id of the order line that sold it, as the connector
    reads the platform's order (each platform names its lines its own way)."""
    try:
        parsed = connector_for(account).parse_order(received)
    except PayloadInvalid:
        return {}
    line_ids: dict[str, str] = {}
    for line in parsed.lines:
        line_ids.setdefault(line.sku, line.platform_line_id)
    return line_ids


def _platform_lines(account: Account, received: dict, order, lines: list[dict] | None,
                    *keep: str) -> list[dict]:
    """The event's ``lines`` (``line_no``, ``quantity``, ...) with their SKU and the
    platform's id of the order line that sold it, and the fields named in ``keep``."""
    line_ids = _line_ids(account, received)
    sku_of = {ln.line_no: ln.sku for ln in order.lines}
    return [{"sku": sku_of[ln["line_no"]], "quantity": ln["quantity"],
             "platform_line_id": line_ids.get(sku_of[ln["line_no"]], ""),
             **{k: ln[k] for k in keep}}
            for ln in lines or [] if ln.get("quantity")]


def _fulfilment(uow: UnitOfWork, event: Event) -> None:
    order = load_order(uow, event.aggregate_id)
    found = _placed_by(uow, order)
    if found is None:
        return
    account, received = found
    p = event.payload
    lines = _platform_lines(account, received, order, p.get("lines"))
    number = p.get("tracking_number")
    template = account.settings.get("tracking_url_template")
    pushes.record_push(uow, account.id, PushKind.FULFILMENT, order.external_id, {
        "order_id": order.id, "shipment_id": p.get("shipment_id"), "lines": lines,
        "carrier": p.get("carrier"), "tracking_number": number,
        "tracking_url": template.replace("{number}", number) if template and number else None,
        "complete": p.get("status") == "shipped",
    }, source=event.id)


def _cancellation(uow: UnitOfWork, event: Event) -> None:
    if event.actor.startswith(ACTOR_PREFIX):
        return  # the platform cancelled it: it knows
    order = load_order(uow, event.aggregate_id)
    found = _placed_by(uow, order)
    if found is not None:
        pushes.record_push(uow, found[0].id, PushKind.CANCELLATION, order.external_id,
                           {"order_id": order.id, "reason": event.payload.get("reason")},
                           source=event.id)


def _refund(uow: UnitOfWork, event: Event) -> None:
    p = event.payload
    if event.actor.startswith(ACTOR_PREFIX) or not Decimal(p.get("amount") or "0"):
        return  # the platform's own cancellation, or no money moved (an even exchange)
    order = load_order(uow, event.aggregate_id)
    found = _placed_by(uow, order)
    if found is None:
        return
    account, received = found
    pushes.record_push(uow, account.id, PushKind.REFUND, order.external_id, {
        "order_id": order.id, "refund_id": p["refund_id"], "kind": p.get("kind"),
        "amount": p["amount"], "currency": p["currency"],
        "lines": _platform_lines(account, received, order, p.get("lines"), "amount",
                                 "tax"),
        "reason": p.get("reason")}, source=event.id)


FOLLOWED = {SHIPPED: _fulfilment, CANCELLED: _cancellation, REFUNDED: _refund}


def record_from_events(uow: UnitOfWork, limit: int) -> tuple[int, int]:
    """One batch of the outbox after the cursor; commits. Returns how many events were
    read, and how many of them were of the types followed here."""
    after = lock_cursor(uow, CURSOR)
    events = read_events(uow, after=after, limit=limit)
    followed = [e for e in events if e.type in FOLLOWED]
    for event in followed:
        FOLLOWED[event.type](uow, event)
    if events:
        advance_cursor(uow, CURSOR, events[-1].position)
    uow.commit()
    return len(events), len(followed)


def stock_due(uow: UnitOfWork, account: Account, interval: timedelta) -> bool:
    _, swept = listings.refreshed_at(uow, account.id)
    return swept is None or uow.clock.now() - swept >= interval


def record_stock_levels(uow: UnitOfWork, account: Account) -> int:
    """A push for each listed SKU whose level differs from the one last pushed; commits.
    Returns how many were recorded. SKUs the platform lists that we do not sell are
    left alone."""
    listed = listings.listed(uow, account.id)
    known = sorted(find_skus(uow, listed))
    recorded = 0
    for start in range(0, len(known), MAX_BATCH):
        for atp in availability(uow, account.channel, known[start:start + MAX_BATCH]):
            level = max(atp.now.available, 0)
            if listed[atp.sku][1] != level:
                pushes.record_stock_push(uow, account.id, atp.sku, level)
                recorded += 1
    listings.mark_swept(uow, account.id)
    uow.commit()
    return recorded
