"""Money the platform took: an order a shop platform reports paid (Shopify's
``financial_status: paid``) is recorded here as a ``manual`` payment, method ``other``,
authorised and captured, so it may ship without anyone paying again.

Recorded after the placement commits, through the payments service (its intent, its
ledger and events), keyed by the platform's order: a webhook delivered again (the
platform retries when a crash kept it from hearing a 2xx) records nothing new, and a
crash between the placement and the payment is made good by that retry. Refunds of such
a payment are ``manual`` ones here, and the refund push gives the money back on the
platform (``flows.channel_sync``).
"""

from __future__ import annotations

import logging

from ordermesh.connectors.model import Account, ChannelOrder
from ordermesh.http.deps import Container
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import DomainError
from ordermesh.payments.model import PaymentMethod, PaymentStatus
from ordermesh.payments.service import AuthoriseRequest, authorise_payment

log = logging.getLogger("ordermesh.connectors")
PROVIDER = "manual"


def payment_key(account: Account, order: ChannelOrder) -> str:
    return f"{account.platform.value}:{order.external_id}:paid"


def record_platform_payment(container: Container, actor: str, account: Account,
                            order_id: str, order: ChannelOrder) -> PaymentStatus | None:
    """The payment the platform took for ``order`` (our ``order_id``), once; None when the
    platform took none, or ordermesh cannot record it (the order was cancelled or paid
    here meanwhile: logged, the delivery is still taken)."""
    if not order.paid:
        return None
    runner = Transactions(lambda: UnitOfWork(container.engine, container.clock, actor=actor))
    request = AuthoriseRequest(
        PROVIDER, method=PaymentMethod.OTHER, capture=True, key=payment_key(account, order),
        source=f"paid in {account.platform.value}, order {order.name}"[:200])
    try:
        return authorise_payment(runner, order_id, request).payment.status
    except DomainError as exc:
        log.warning("connector %s: the payment %s took for order %s was not recorded: %s",
                    account.code, account.platform.value, order.external_id, exc.detail)
        return None
