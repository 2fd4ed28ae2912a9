"""Orders from a shop platform's webhook: verified, mapped, placed once, or refused on record.

The steps, in order, for one delivery:

1. **Verify before writing.** The account (and its webhook secret) is read in a read-only
   unit of work that is closed again; the signature is checked over the raw body. An
   unknown connector and a wrong or missing signature get the same 401, and nothing is
   written. No write transaction (no lock) is opened for an unsigned request.
2. **Parse.** A body that is not JSON, or not the platform's order, is a 422, and nothing
   is written: the platform's payload is wrong, retrying it cannot help.
3. **Once per delivery.** A delivery id already in the inbox is answered with what came
   of it the first time. Placing is also idempotent by (channel, platform order id):
   two deliveries of one order (``orders/create`` sent twice under two ids) place one.
4. **Place** through the placement flow (``flows.placement``), the inbox row written in
   the same transaction as the order. A refusal (unknown SKU, short stock, a currency or
   tax mode the channel does not use, no address) rolls the order back and is then
   recorded in the inbox with the problem, where the API shows it: never lost. An order
   the platform reports paid gets its payment recorded next (``flows.channel_payments``).
5. A cancellation (Shopify's ``orders/cancelled``, WooCommerce's ``order.updated`` to
   ``cancelled``) cancels our order of that platform order (unless the platform is
   told of our own cancellations: the cancellation we make here is not pushed back).
6. An order read by polling the platform (``flows.channel_poll``) takes the same path
   (``receive_polled``), under a delivery id of its own per version of the order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError

from ordermesh.channels.service import channel_by_code, channel_money
from ordermesh.connectors import accounts, inbox
from ordermesh.connectors.model import (
    Account,
    ChannelOrder,
    Connector,
    InboxStatus,
    PayloadInvalid,
    PolledOrder,
    WebhookIntent,
    WebhookRefused,
)
from ordermesh.connectors.platforms import connector_for
from ordermesh.flows import placement
from ordermesh.flows.channel_payments import record_platform_payment
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.db_errors import is_retryable
from ordermesh.kit.errors import (
    Conflict,
    DomainError,
    FieldError,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from ordermesh.orders.changes import cancel_order
from ordermesh.orders.model import OrderStatus, ShippingAddress
from ordermesh.orders.queries import load_order
from ordermesh.orders.service import CustomerDetails, PlaceLine, PlaceOrder, external_orders
from ordermesh.tax.model import PricingMode

REFUSED = "The webhook signature is missing or does not match the body"
MAX_ATTEMPTS = 3
ACTOR_PREFIX = "connector:"
POLLED_PREFIX = "poll:"


@dataclass(frozen=True)
class Received:
    status: InboxStatus
    webhook_id: str
    external_id: str | None
    order_id: str | None
    reason: dict[str, Any] | None
    replayed: bool  # this delivery id was received before: nothing was done again


def _verified(container: Container, code: str, headers: Mapping[str, str], raw: bytes
              ) -> tuple[Account | None, Connector]:
    """The account and its connector, the signature checked; no account for a ping."""
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        try:
            account = accounts.account(uow, code)
        except NotFound:
            account = None
    if account is None:
        raise Unauthenticated(REFUSED)
    connector = connector_for(account)
    if connector.is_ping(headers, raw):
        return None, connector
    try:
        connector.verify(headers, raw)
    except WebhookRefused as exc:
        raise Unauthenticated(REFUSED) from exc
    if not account.active:
        raise Conflict(f"Connector '{code}' is inactive: it accepts no webhooks (PATCH it "
                       "with active: true)", extra={"connector": code})
    return account, connector


@dataclass(frozen=True)
class _Delivery:
    webhook_id: str
    topic: str
    payload: Any
    intent: WebhookIntent | None
    order: ChannelOrder | None  # None: a topic we take no action on
    external_id: str | None = None  # the platform's order id of an order not acted on


def _parsed(connector: Connector, headers: Mapping[str, str], raw: bytes) -> _Delivery:
    webhook_id = connector.webhook_id(headers)
    if webhook_id is None:
        raise InvalidInput.for_field("header", "the platform's delivery id header is "
                                     "missing", "missing")
    topic = connector.topic(headers)
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.for_field("body", "the body is not JSON") from exc
    intent = connector.intent(topic, payload)
    if intent is None:
        return _Delivery(webhook_id, topic, payload, None, None)
    try:
        return _Delivery(webhook_id, topic, payload, intent, connector.parse_order(payload))
    except PayloadInvalid as exc:
        raise InvalidInput("The webhook body is not an order of the platform", errors=[
            FieldError(f, m) for f, m in exc.errors]) from exc


def problem_of(exc: DomainError) -> dict[str, Any]:
    """A refusal as the API would have answered it (problem+json, without the status)."""
    body: dict[str, Any] = {"code": exc.code, "title": exc.title, "detail": exc.detail,
                            **exc.extra}
    if isinstance(exc, InvalidInput) and exc.errors:
        body["errors"] = [{"field": e.field, "message": e.message, "code": e.code}
                          for e in exc.errors]
    if isinstance(exc, InsufficientStock):
        body["shortages"] = [{"sku": s.sku, "requested": s.requested,
                              "available": s.available} for s in exc.shortages]
    return body


def command_for(uow: UnitOfWork, account: Account, order: ChannelOrder) -> PlaceOrder:
    """Our placement command for the platform's order: its prices, discounts and shipping
    as the channel charged them. Prices that include tax on a channel that adds tax (or
    the reverse) cannot be taken as they are: refused, naming ``taxes_included``."""
    channel = channel_by_code(uow, account.channel)
    mode = channel_money(uow, channel.id).pricing_mode
    if order.taxes_included != (mode is PricingMode.INCLUSIVE):
        charged = "include" if order.taxes_included else "exclude"
        raise InvalidInput.for_field(
            "taxes_included", f"the platform's prices {charged} tax but channel "
            f"'{channel.code}' prices are tax-{mode.value}")
    a = order.address
    address = ShippingAddress(a.name, a.line1, a.city, a.country, a.line2, a.region,
                              a.postal_code) if a and a.name and a.line1 and a.city \
        and len(a.country) == 2 else None
    return PlaceOrder(
        channel=account.channel, external_id=order.external_id, currency=order.currency,
        lines=[PlaceLine(ln.sku, ln.quantity, ln.unit_price, ln.discount or None)
               for ln in order.lines],
        customer=CustomerDetails(email=order.email, name=order.customer_name,
                                 phone=order.phone, account_id=order.customer_account_id),
        shipping_address=address, shipping_price=order.shipping_price,
        note=f"{account.platform.value} order {order.name}"[:500])


def _retrying(container: Container, actor: str, work: Callable[[UnitOfWork], Received]
              ) -> Received:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                return work(uow)
        except DBAPIError as exc:
            if attempt == MAX_ATTEMPTS or not is_retryable(exc):
                raise
    raise AssertionError("unreachable")


def _record(container: Container, actor: str, account: Account, webhook_id: str, topic: str,
            external_id: str | None, status: InboxStatus, payload: Any,
            order_id: str | None = None, reason: dict | None = None) -> Received:
    def work(uow: UnitOfWork) -> Received:
        if not inbox.record(uow, account.id, webhook_id, topic, external_id, status,
                            payload, order_id, reason):
            return _replayed(uow, account, webhook_id)
        uow.commit()
        return Received(status, webhook_id, external_id, order_id, reason, False)
    return _retrying(container, actor, work)


def _replayed(uow: UnitOfWork, account: Account, webhook_id: str) -> Received:
    prior = inbox.find(uow, account.id, webhook_id)
    assert prior is not None
    order_id = prior.order_id
    if order_id is None and prior.status in inbox.PLACING and prior.external_id:
        # placed and committed, its order id not noted yet (the next transaction does)
        order_id = our_order(uow, account, prior.external_id)
    return Received(prior.status, webhook_id, prior.external_id, order_id, prior.reason,
                    True)


def _place(container: Container, actor: str, account: Account, webhook_id: str, topic: str,
           payload: Any, order: ChannelOrder) -> Received:
    outcome: dict[str, Any] = {}

    def work(uow: UnitOfWork) -> Received:
        if not inbox.record(uow, account.id, webhook_id, topic, order.external_id,
                            InboxStatus.PLACED, payload):
            return _replayed(uow, account, webhook_id)
        try:
            placed = placement.place_order(uow, command_for(uow, account, order))
        except DomainError as exc:  # rolled back, inbox row too: recorded below
            outcome["refused"] = exc
            return Received(InboxStatus.REFUSED, webhook_id, order.external_id, None, None,
                            False)
        if placed.replayed:  # the channel has this order already: rolled back
            outcome["placed_before"] = placed.order.id
            return Received(InboxStatus.ALREADY_PLACED, webhook_id, order.external_id,
                            placed.order.id, None, False)
        inbox.set_order(uow, account.id, webhook_id, placed.order.id)
        uow.commit()
        return Received(InboxStatus.PLACED, webhook_id, order.external_id, placed.order.id,
                        None, False)

    received = _retrying(container, actor, work)
    if "refused" in outcome:
        return _record(container, actor, account, webhook_id, topic, order.external_id,
                       InboxStatus.REFUSED, payload, reason=problem_of(outcome["refused"]))
    if "placed_before" in outcome:
        received = _record(container, actor, account, webhook_id, topic, order.external_id,
                           InboxStatus.ALREADY_PLACED, payload,
                           order_id=outcome["placed_before"])
    if received.order_id is not None and received.status in inbox.PLACING:
        # after the placement committed; again on every delivery: once, by its key
        record_platform_payment(container, actor, account, received.order_id, order)
    return received


def _cancel(container: Container, actor: str, account: Account, webhook_id: str,
            topic: str, payload: Any, order: ChannelOrder) -> Received:
    def work(uow: UnitOfWork) -> Received:
        if inbox.find(uow, account.id, webhook_id) is not None:
            return _replayed(uow, account, webhook_id)
        order_id = our_order(uow, account, order.external_id)
        status, reason = InboxStatus.CANCELLED, None
        if order_id is None:
            status, reason = InboxStatus.IGNORED, {"detail": "no order of ours was placed "
                                                   "from this platform order"}
        elif load_order(uow, order_id).status is OrderStatus.CANCELLED:
            status, reason = InboxStatus.IGNORED, {"detail": "the order is cancelled already"}
        else:
            savepoint = uow.savepoint()
            try:
                cancel_order(uow, order_id, None, f"cancelled in {account.platform.value}")
                savepoint.release()
            except DomainError as exc:
                savepoint.rollback()
                status, reason = InboxStatus.REFUSED, problem_of(exc)
        if not inbox.record(uow, account.id, webhook_id, topic, order.external_id, status,
                            payload, order_id, reason):
            uow.rollback()
            return _replayed(uow, account, webhook_id)
        uow.commit()
        return Received(status, webhook_id, order.external_id, order_id, reason, False)
    return _retrying(container, actor, work)


def our_order(uow: UnitOfWork, account: Account, external_id: str) -> str | None:
    """Our order of a platform order, by (channel, external id) as placement keys it."""
    key = (channel_by_code(uow, account.channel).id, external_id)
    found = external_orders(uow, [key]).get(key)
    return found[0] if found else None


def receive(container: Container, code: str, headers: Mapping[str, str], raw: bytes
            ) -> Received:
    """One webhook delivery of connector ``code`` (see the module)."""
    account, connector = _verified(container, code, headers, raw)
    if account is None:  # the platform's unsigned test of the address
        return Received(InboxStatus.IGNORED, "ping", None, None,
                        {"detail": "the platform's test of this address"}, False)
    return _ingest(container, account, _parsed(connector, headers, raw))


def _ingest(container: Container, account: Account, d: _Delivery) -> Received:
    actor = f"{ACTOR_PREFIX}{account.code}"
    if d.order is None:
        why = connector_for(account).ignored_because(d.topic, d.payload)
        return _record(container, actor, account, d.webhook_id, d.topic, d.external_id,
                       InboxStatus.IGNORED, d.payload,
                       reason={"detail": why or f"ordermesh takes no action on '{d.topic}'"})
    if d.intent is WebhookIntent.CANCEL:
        return _cancel(container, actor, account, d.webhook_id, d.topic, d.payload, d.order)
    return _place(container, actor, account, d.webhook_id, d.topic, d.payload, d.order)


def receive_polled(container: Container, account: Account, connector: Connector,
                   polled: PolledOrder, taken_since: datetime) -> Received:
    """An order the platform's list showed, taken in as the webhook its state would have
    come with, into the same inbox: its "delivery id" is ``poll:<order id>@<version>``,
    so a page read twice records it once. An order placed before (by its webhook or an
    earlier poll) is an update, which the webhooks' path takes no action on either; one
    that is not the platform's order is refused on record and never stops the others.
    An order taken before ``taken_since`` (the connector was connected) is not ours to
    place: a change to it is recorded as ignored."""
    payload = polled.payload
    external_id = polled.external_id or (
        str(payload.get("id")) if isinstance(payload, dict) else None)
    webhook_id = f"{POLLED_PREFIX}{external_id}@{polled.version}"[:120]
    actor = f"{ACTOR_PREFIX}{account.code}"
    intent = connector.intent(polled.topic, payload)
    if intent is None:
        return _ingest(container, account, _Delivery(webhook_id, polled.topic, payload,
                                                     None, None, external_id))
    try:
        order = connector.parse_order(payload)
    except PayloadInvalid as exc:
        refusal = InvalidInput("The platform's order cannot be read", errors=[
            FieldError(f, m) for f, m in exc.errors])
        return _record(container, actor, account, webhook_id, polled.topic, external_id,
                       InboxStatus.REFUSED, payload, reason=problem_of(refusal))
    if intent is WebhookIntent.CREATE:
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            placed_before = our_order(uow, account, order.external_id)
        if placed_before is not None:
            # paid on the platform since it was placed: recorded once, by its key
            record_platform_payment(container, actor, account, placed_before, order)
            return _record(container, actor, account, webhook_id, polled.topic,
                           order.external_id, InboxStatus.IGNORED, payload,
                           order_id=placed_before, reason={
                               "detail": "placed before: ordermesh takes no action on an "
                                         "update of the platform's order"})
        if polled.created_at is not None and polled.created_at < taken_since:
            return _record(container, actor, account, webhook_id, polled.topic,
                           order.external_id, InboxStatus.IGNORED, payload, reason={
                               "detail": "taken by the platform before the connector was "
                                         "connected"})
    return _ingest(container, account, _Delivery(webhook_id, polled.topic, payload, intent,
                                                 order))
