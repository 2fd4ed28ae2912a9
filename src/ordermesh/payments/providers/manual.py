"""Manual payments: cash on delivery, invoice terms (pay later by a due date), bank
transfer, cash at a counter, anything a person confirms by hand.

There is nobody to ask: authorising records the promise to pay (the order may ship
before the money arrives), capturing is a person marking the money as received (the
actor is recorded on the transaction), voiding drops the promise and refunding records
money paid back by hand. Every call is approved.

The provider keeps no state. Its references are derived from the idempotency key, so
the same call answers the same reference however often it is repeated.
"""

from __future__ import annotations

import hashlib

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.payments.model import AuthoriseCall, Outcome, PaymentMethod, ProviderResult


def _reference(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class ManualProvider:
    name = "manual"
    remote = False
    methods = frozenset({PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.BANK_TRANSFER,
                         PaymentMethod.CASH, PaymentMethod.OTHER,
                         PaymentMethod.INVOICE_TERMS})
    default_method = PaymentMethod.BANK_TRANSFER

    def authorise(self, uow: UnitOfWork, call: AuthoriseCall) -> ProviderResult:
        return ProviderResult(Outcome.APPROVED, _reference("man", call.key),
                              message="promise to pay recorded")

    def capture(self, uow: UnitOfWork, reference: str, amount: Money,
                key: str) -> ProviderResult:
        return ProviderResult(Outcome.APPROVED, _reference("mancap", key),
                              message=f"marked paid by {uow.actor}")

    def void(self, uow: UnitOfWork, reference: str, amount: Money, key: str) -> ProviderResult:
        return ProviderResult(Outcome.APPROVED, _reference("manvoid", key),
                              message="promise to pay withdrawn")

    def refund(self, uow: UnitOfWork, reference: str, amount: Money,
               key: str) -> ProviderResult:
        return ProviderResult(Outcome.APPROVED, _reference("manref", key),
                              message=f"paid back by hand, recorded by {uow.actor}")

    def status(self, uow: UnitOfWork, reference: str) -> ProviderResult:
        return ProviderResult(Outcome.APPROVED, reference)
