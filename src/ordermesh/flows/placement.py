"""Placing orders: one use case for any number of orders; a single order is a batch of one.

``place_orders(uow, placements)`` places a batch in one transaction, committed once, and
answers every order exactly as it would be answered if it were placed alone at its
position in the batch. The steps, as a reviewer checks them:

1. **Ids.** Every placement gets its order id before anything is written.
2. **Claim the Idempotency-Keys, one statement.** The first occurrence of each key in
   the batch is claimed in one multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``
   (``kit.idempotency.claim_many``, in key order), the claim already naming the order
   it will create. A key that was there before (an earlier request, or a concurrent one
   that committed while we waited on the unique index) is not owned: at the order's turn
   ``kit.idempotency.claim`` replays it or refuses it, exactly as alone. A repeated key
   inside the batch is also claimed at its turn: it finds the first one's claim and
   replays that order, or, when the first was refused and its claim given back, owns it
   anew — a retry of the first request, in both cases.
3. **Read once per batch:** the products of every SKU (one query); the customers
   (``customers.matching.BatchMatcher.read``): the owner of every e-mail, phone and
   channel buyer id of the batch (one query) and those customers' rows, and those
   holding one of its e-mails, locked in id order (one ``SELECT … FOR UPDATE``), and
   the check of the orders' foreign key to their customer deferred to the commit (one
   statement, when an order may create a customer); their list prices
   in every channel and currency of the batch at every time (one query per channel and
   currency: ``pricing.queries.PriceBook``; each order picks the prices valid at its own
   time, as its own query would), the orders the channels already have under the batch's
   external ids (one query per channel);
   channels, tax and sourcing settings come from the per-process caches.
4. **Lock once:** every stock row of every product in the batch, in (product, location)
   order, with one ``SELECT … FOR UPDATE`` that reads their counters, and the
   allocation settings of those products (rules, safety stock, channel sources) in one
   more query (``inventory.stock_snapshot.lock_for_batch``; SQLite already holds its one
   write lock). Every stock lock an order takes later is already held, so batches
   cannot deadlock on stock and nobody changes it under the plan. A batch of one skips
   it: ``reserve`` takes the same rows in the same order itself, later, so a hot SKU's
   rows are held for less of the transaction (measured: taking them up front made 40
   threads buying one SKU wait past the pool timeout).
5. **Each order in arrival order, in its own lazy SAVEPOINT** (none for a batch of one;
   ``UnitOfWork.savepoint(lazy=True)``: sent only before a statement that writes), with
   the one set of placement rules: check and price (``orders.service.draft_order``),
   fulfilment choice, tax and totals; the customer, matched in memory against the
   batch's reads and what earlier orders of the batch created (``BatchMatcher.match``,
   the rules of ``customers.service.match_or_create``); the reservation
   (``inventory.reserving.reserve`` with the sourcing planner, or a hold converted),
   planned in memory against the batch's locked rows, its conditional stock ``UPDATE``
   queued; then the order header, the ``(channel, external_id)`` claim (``INSERT … ON
   CONFLICT DO NOTHING``, its ``seq`` needed at once) — last of what may refuse the
   order, and run under ``UnitOfWork.compensated``, so it does not send the savepoint
   (a rollback deletes the header instead); the order's rows and ``order.created``
   (``orders.service.record_placed``), sourcing decision and fulfilment release, the
   invoice when the channel invoices at the order. An order that is refused (409 naming
   each short SKU, 422, a key reused for other content) or that is a replay rolls back
   to its savepoint — in memory when it was not sent: its queued rows, its outbox
   events, its customers and reservations in the batch's memory — and its pre-claimed
   key is given back; the next order sees exactly the stock and customers the earlier
   ones left (first come, first served). The rows nobody reads back before the commit
   are queued, not sent (``UnitOfWork.defer_insert``/``defer_update``): the new
   customers, their identities and what an order adds to a customer, the stock
   ``UPDATE``, the order's lines, allocations, history, version, tax entries, stock
   ledger rows, channel counters, sourcing decision and fulfilment orders with their
   lines and history. A step that writes the stock or customer tables otherwise (a
   drop-ship receipt, a new stock row) drops the batch's memory of them, and the later
   orders read under their locks again, as alone.
6. **Commit once**, when at least one order was placed (otherwise roll back). The queued
   rows of the whole batch go with one statement per table (an ``executemany``, parents'
   tables first, a table's INSERTs before its UPDATEs, each queued UPDATE checked to
   change its one row), then its outbox rows in one INSERT, just before the commit
   (``kit.db``). A statement that reads a table with queued rows writes them first, so
   every step still reads what the earlier ones wrote.

``run_batch`` runs a batch in its own unit of work: a deadlock or serialisation failure,
or a unique violation (a concurrent transaction created one of the batch's new customers
or identities first: the rerun finds it, as ``match_or_create`` finds it by waiting on
the unique index), reruns the whole batch (up to ``MAX_ATTEMPTS``); when the batch still
fails — an order whose data breaks the transaction — every order of it is placed alone,
so the poisoned one gets its own error and the others are placed.

Two differences from placing alone, on purpose: an order whose ``(channel,
external_id)`` the channel already has is answered (replay, or 409 for other content)
right after its basic checks and prices, without the tax, customer and stock steps; and
an order refused by the stock step whose external id a concurrent request placed while
we waited on the stock locks is answered as that order (its header comes after the
reservation now, so that is where the duplicate is noticed).

What one more order still sends (tests/integration/test_batch_statements.py holds a
batch of N to at most 25 + N statements): its header. Its customer, reservation and
savepoint cost no statement of their own (docs/benchmarks.md, 2026-12-08).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError

from ordermesh.catalog.service import find_skus
from ordermesh.channels.model import TaxPoint
from ordermesh.channels.service import channel_by_code
from ordermesh.customers import matching
from ordermesh.customers.service import match_or_create
from ordermesh.flows import dropship_routing
from ordermesh.inventory.hold_conversion import convert_hold
from ordermesh.inventory.model import ReservationRequest
from ordermesh.inventory.reserving import reserve
from ordermesh.inventory.stock_snapshot import lock_for_batch
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.db_errors import is_retryable, is_unique_violation
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.orders import service as orders
from ordermesh.orders.invoicing import issue_order_invoice
from ordermesh.orders.model import FulfilmentMethod
from ordermesh.orders.queries import for_fulfilment, load_order
from ordermesh.orders.service import FulfilmentRequest, Placed, PlaceOrder, stored_address
from ordermesh.orders.tables import orders as orders_table
from ordermesh.pricing.queries import PriceBook, price_book
from ordermesh.sourcing import service as sourcing
from ordermesh.sourcing.backorders import with_promises

MAX_ATTEMPTS = 3  # runs of a batch that PostgreSQL aborted for concurrency reasons


@dataclass(frozen=True)
class Placement:
    """One order of a batch, with the request's Idempotency-Key if it had one."""

    command: PlaceOrder
    idem: idempotency.IdempotencyKey | None = None
    order_id: str | None = None  # a caller that records the order elsewhere names its id
    # Where the request came from, when one batch places the orders of several requests
    # (flows/batcher.py): its events carry them, not the batch's unit of work's.
    request_id: str | None = None
    client_address: str | None = None


# What each order of a batch gets: the order (placed or replayed) or its refusal.
Outcome = Placed | DomainError


def place_order(uow: UnitOfWork, cmd: PlaceOrder,
                idem: idempotency.IdempotencyKey | None = None,
                order_id: str | None = None) -> Placed:
    """Create an order with every line priced, taxed and reserved, or change nothing
    (a batch of one: raises the order's refusal).

    A retry with the same ``Idempotency-Key``, or the same channel and ``external_id``
    and the same content, returns the order placed the first time (``replayed``). The
    same ``external_id`` with different content is a conflict.
    """
    outcome = place_orders(uow, [Placement(cmd, idem, order_id)])[0]
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@dataclass(frozen=True)
class _BatchReads:
    products: dict
    external: dict[tuple[str, str], tuple[str, str]]
    prices: tuple[PriceBook, ...]


def place_orders(uow: UnitOfWork, placements: Sequence[Placement]) -> list[Outcome]:
    """Place every order of the batch in one transaction (see the module): one outcome
    per placement, in order. Commits when at least one order was placed."""
    ids = [p.order_id or new_id("ord") for p in placements]
    owned = _claim_keys(uow, placements, ids)
    reads = _read_batch(uow, placements)
    alone = len(placements) == 1
    results: list[Outcome] = []
    placed_any = False
    for i, placement in enumerate(placements):
        if placement.request_id is not None:
            uow.request_id, uow.client_address = placement.request_id, placement.client_address
        savepoint = None if alone else uow.savepoint(lazy=True)
        try:
            outcome: Outcome = _place_one(uow, placement, ids[i], i in owned, reads)
        except DomainError as exc:
            outcome = exc
        if isinstance(outcome, Placed) and not outcome.replayed:
            placed_any = True
            if savepoint is not None:
                savepoint.release()
        elif savepoint is not None:
            savepoint.rollback()
            if i in owned:
                idempotency.release(uow, placement.idem)
        results.append(outcome)
    if placed_any:
        uow.commit()
    else:
        uow.rollback()
    return results


def run_batch(new_uow: Callable[[], UnitOfWork], placements: Sequence[Placement]
              ) -> list[Outcome | Exception]:
    """Place a batch in its own unit of work (``new_uow()``), rerun on a deadlock or
    serialisation failure; a batch that still fails is split and every order placed
    alone, so the one whose data breaks the transaction is answered with its own error
    (the exception) and the others are placed. A batch of one raises."""
    try:
        return list(_with_retries(new_uow, placements))
    except Exception:
        if len(placements) == 1:
            raise
    results: list[Outcome | Exception] = []
    for placement in placements:
        try:
            results.extend(_with_retries(new_uow, [placement]))
        except Exception as exc:  # the poisoned order, answered alone
            results.append(exc)
    return results


def _with_retries(new_uow: Callable[[], UnitOfWork], placements: Sequence[Placement]
                  ) -> list[Outcome]:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with new_uow() as uow:
                return place_orders(uow, placements)
        except DBAPIError as exc:
            # A unique violation: a concurrent transaction created a customer or identity
            # of the batch first (customers.matching); run again, the batch finds it.
            if attempt == MAX_ATTEMPTS or not (is_retryable(exc) or is_unique_violation(exc)):
                raise
    raise AssertionError("unreachable")


def _claim_keys(uow: UnitOfWork, placements: Sequence[Placement], ids: list[str]
                ) -> set[int]:
    """Step 2: the positions whose key this transaction owns now (first occurrences)."""
    first: dict[tuple[str, str], int] = {}
    for i, p in enumerate(placements):
        if p.idem is not None:
            first.setdefault((p.idem.principal, p.idem.key), i)
    if not first:
        return set()
    claimed = idempotency.claim_many(uow, [
        (placements[i].idem, idempotency.PriorResult("order", ids[i], 201))
        for i in first.values()])
    return {i for key, i in first.items() if key in claimed}


def _read_batch(uow: UnitOfWork, placements: Sequence[Placement]) -> _BatchReads:
    """Steps 3 and 4: products, customers, list prices, existing external ids, the stock
    row locks and allocation settings."""
    products = find_skus(uow, {line.sku for p in placements for line in p.command.lines})
    buyers = [_buyer(p.command) for p in placements]
    if any(buyers):
        matcher = matching.BatchMatcher()
        matcher.read(uow, buyers)
        uow.keep(matching.KEPT_AS, matcher)
    if len(placements) > 1:  # alone, reserve takes the same locks, later: a shorter hold
        lock_for_batch(uow, (ref.id for ref in products.values()))
    keys = []
    priced: dict[tuple[str, str], set[str]] = {}
    for p in placements:
        try:
            channel = channel_by_code(uow, p.command.channel)
        except DomainError:  # answered at the order's turn
            continue
        if p.command.external_id is not None:
            keys.append((channel.id, p.command.external_id))
        priced.setdefault((channel.id, p.command.currency or channel.currency), set()).update(
            products[line.sku].id for line in p.command.lines if line.sku in products)
    books = tuple(price_book(uow, channel_id, currency, ids)
                  for (channel_id, currency), ids in sorted(priced.items()) if ids)
    return _BatchReads(products, orders.external_orders(uow, keys) if keys else {}, books)


def _buyer(cmd: PlaceOrder) -> matching.Buyer | None:
    c = cmd.customer
    if not (c and (c.email or c.phone or c.name or c.account_id)):
        return None
    region = (stored_address(cmd.shipping_address) or {}).get("country")
    return matching.Buyer(c.email, c.phone, c.name, cmd.channel, c.account_id, region)


def _customer(uow: UnitOfWork, cmd: PlaceOrder) -> str | None:
    """The order's customer, matched or created (customers.matching: with the batch's
    reads and queued writes; ``match_or_create`` when a write to the customer tables
    dropped them)."""
    buyer = _buyer(cmd)
    if buyer is None:
        return None
    matcher = uow.kept(matching.KEPT_AS)
    if matcher is not None:
        return matcher.match(uow, buyer)
    return match_or_create(uow, email=buyer.email, phone=buyer.phone, name=buyer.name,
                           channel=buyer.channel, account_id=buyer.account_id,
                           region=buyer.region)


def _place_one(uow: UnitOfWork, placement: Placement, order_id: str, owned: bool,
               reads: _BatchReads) -> Placed:
    """Step 5 for one order: placed, replayed, or a ``DomainError`` raised."""
    cmd, idem = placement.command, placement.idem
    if not owned and (prior := idempotency.claim(
            uow, idem, idempotency.PriorResult("order", order_id, 201))):
        return Placed(load_order(uow, prior.resource_id), replayed=True)
    draft = orders.draft_order(uow, cmd, order_id, reads.products, reads.prices)
    external = (draft.channel.id, cmd.external_id) if cmd.external_id is not None else None
    if external is not None and (known := reads.external.get(external)):
        return orders.existing_external_order(uow, cmd, draft.fingerprint, known)
    wanted = cmd.fulfilment or FulfilmentRequest()
    choice = sourcing.fulfilment_choice(uow, wanted.method, wanted.pickup_location,
                                        wanted.service_level)
    if choice.method is FulfilmentMethod.SHIP and draft.address is None:
        raise InvalidInput.for_field(
            "shipping_address", "an order that ships needs a shipping_address (an order "
            "handed over at a store is fulfilment method pickup or counter)", "missing")
    draft = orders.total_order(uow, draft)
    customer_id = _customer(uow, cmd)
    requests = [ReservationRequest(line.line_no, line.product_id, line.sku, line.quantity)
                for line in draft.lines]
    try:
        allocations, unsourced, planner, routing = _reserve(uow, cmd, draft, choice, requests)
    except DomainError:
        # Short, say: but a concurrent request with the same external id may have taken
        # the units and been committed while we waited on the stock locks: its order.
        if external is not None and (known := orders.external_orders(uow, [external])
                                     .get(external)):
            return orders.existing_external_order(uow, cmd, draft.fingerprint, known)
        raise
    # The header last of what may refuse the order: ON CONFLICT DO NOTHING writes it or
    # nothing, so the order's lazy savepoint stays unsent (deleting it undoes it).
    with uow.compensated(delete(orders_table).where(orders_table.c.id == order_id)):
        seq = orders.claim_external_id(uow, draft, customer_id, choice.method,
                                       choice.pickup_location_id, choice.service_level)
    if seq is None:  # placed meanwhile: by a concurrent request, or earlier in this batch
        assert external is not None
        known = orders.external_orders(uow, [external])[external]
        return orders.existing_external_order(uow, cmd, draft.fingerprint, known)
    order = orders.record_placed(uow, draft, seq, allocations, unsourced, customer_id,
                                 choice.method, choice.pickup_location_id,
                                 choice.service_level)
    sourcing.finish_placement(uow, order_id, seq, planner, allocations, requests,
                              for_fulfilment(order, draft.address))
    if routing is not None:
        dropship_routing.request_dropships(uow, routing, order, draft.address)
    if unsourced:  # backordered: promised by incoming supply (sourcing/backorders.py)
        order = with_promises(uow, order)
    if draft.money.legal_entity_id and draft.money.tax_point == TaxPoint.ORDER:
        issue_order_invoice(uow, order)
    return Placed(order)


def _reserve(uow: UnitOfWork, cmd: PlaceOrder, draft: orders.Draft,
             choice: sourcing.FulfilmentChoice, requests: list[ReservationRequest]):
    """The order's stock: a hold converted, or reserved (own stock by the sourcing
    planner, drop-ship suppliers' by ``dropship_routing``)."""
    order_id = draft.order_id
    planner = routing = None
    if cmd.reservation_id:
        allocations = convert_hold(uow, cmd.reservation_id, draft.channel.id, requests,
                                   ("order", order_id))
    else:
        routing = (dropship_routing.plan(uow, draft.channel.id, requests)
                   if choice.method is FulfilmentMethod.SHIP else None)
        own = routing.own(requests) if routing else requests
        planner = sourcing.placement_planner(
            uow, draft.channel.id, own, draft.address, choice,
            frozenset(routing.when_short_products) if routing else frozenset())
        allocations = reserve(uow, own, ("order", order_id), draft.channel.id, planner)
    unsourced = dict(planner.result.unsourced) if planner and planner.result else {}
    if routing is not None:
        allocations, unsourced = dropship_routing.reserve_dropship(
            uow, routing, order_id, draft.channel.id, requests, planner, allocations)
    return allocations, unsourced, planner, routing
