"""Store credit as a payment: the customer's credit (``credit/``) spends like a card.

Authorising holds the amount of the order's customer's credit in the order's currency,
capturing redeems what is held, voiding releases it and refunding puts redeemed credit
back on the account. The ledger lives in this database, so the provider is not
``remote``: the intent path gives it a short transaction of its own, committed right
after the call, and each call answers a provider key it saw before with its first
answer, never moving credit twice (``credit/holds.py``).

``source`` is optional: the customer whose credit pays, which must be the order's
customer (another customer's credit is declined, ``customer_mismatch``). An earlier
hold's reference (an order edit charging the same method again) names its customer.
"""

from __future__ import annotations

from ordermesh.credit import holds
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.money import Money
from ordermesh.orders.queries import order_ref
from ordermesh.payments.model import AuthoriseCall, Outcome, PaymentMethod, ProviderResult


def _result(answer: holds.Answer) -> ProviderResult:
    return ProviderResult(Outcome(answer.outcome), answer.reference, answer.code,
                          answer.message)


class StoreCreditProvider:
    name = "store_credit"
    remote = False
    methods = frozenset({PaymentMethod.STORE_CREDIT})
    default_method = PaymentMethod.STORE_CREDIT

    def authorise(self, uow: UnitOfWork, call: AuthoriseCall) -> ProviderResult:
        refuse = lambda code, message: _result(  # noqa: E731
            holds.refuse(uow, call.key, call.amount, code, message))
        try:
            order = order_ref(uow, call.order_id or "")
        except NotFound:
            return refuse("unknown_order", f"No order '{call.order_id}'")
        if order.customer_id is None:
            return refuse("no_customer", f"Order {order.number} has no customer: there is no "
                          "store credit to pay with")
        payer = call.source or order.customer_id
        if payer.startswith(f"{holds.HOLD_PREFIX}_"):
            payer = holds.customer_of_hold(uow, payer) or ""
        if payer != order.customer_id:
            return refuse("customer_mismatch", f"Store credit of customer '{payer}' cannot "
                          f"pay order {order.number} of another customer")
        return _result(holds.hold(uow, order.customer_id, order.id, call.amount, call.key))

    def capture(self, uow: UnitOfWork, reference: str, amount: Money,
                key: str) -> ProviderResult:
        return _result(holds.move(uow, "capture", reference, amount, key))

    def void(self, uow: UnitOfWork, reference: str, amount: Money, key: str) -> ProviderResult:
        return _result(holds.move(uow, "void", reference, amount, key))

    def refund(self, uow: UnitOfWork, reference: str, amount: Money,
               key: str) -> ProviderResult:
        return _result(holds.move(uow, "refund", reference, amount, key))

    def status(self, uow: UnitOfWork, reference: str) -> ProviderResult:
        return _result(holds.status(uow, reference))
