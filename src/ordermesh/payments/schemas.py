"""Request and response shapes of the payments API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.schemas import CurrencyCode, MoneyOut, MoneyString
from ordermesh.payments.model import (
    Outcome,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentSummary,
    Transaction,
    TransactionKind,
)
from ordermesh.payments.standing import OrderPaymentStatus, PaymentStanding

_AMOUNT = "Decimal string in the currency's minor unit; must be greater than zero"
_CURRENCY = "Optional; must be the order's currency (a different one is refused with 422 " \
            "`currency_mismatch`)"


DEFAULT_TERMS_DAYS = 30


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(min_length=1, max_length=40, examples=["test"],
                          description="`test` (the test card gateway) or `manual` (cash on "
                          "delivery, invoice terms, bank transfer, cash, marked paid by a "
                          "person)")
    method: PaymentMethod | None = Field(
        None, description="Defaults to the provider's: `card` for `test`, `bank_transfer` "
        "for `manual`. `cash_on_delivery` and `invoice_terms` (`manual`) are paid after "
        "the goods leave: not captured until the money arrives, and enough for the order "
        "to ship")
    due_in_days: int | None = Field(
        None, ge=0, le=365, strict=True, examples=[30],
        description="`invoice_terms` only: days until the money is due (net 30 by "
        "default); the payment's `due_date`")
    amount: MoneyString | None = Field(
        None, description="Defaults to what is left of the order total; the order's "
        "payments together never exceed it. " + _AMOUNT)
    currency: CurrencyCode | None = Field(None, description=_CURRENCY)
    source: str | None = Field(
        None, min_length=1, max_length=100, examples=["4242424242424242"],
        description="What to charge. `test`: a test card number (only its last 4 digits "
        "are kept) or the `provider_reference` of an earlier test payment (charge the same "
        "card again). `manual`: ignored. Never echoed back")
    capture: bool | None = Field(
        None, strict=True,
        description="Capture the whole amount at once when approved (also when approval "
                    "comes later, after 3-D Secure). Default: the order's capture policy, "
                    "the channel's when the order was placed (`order`: yes; `shipment`: "
                    "no, each shipment captures what it carries)")


class CaptureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyString | None = Field(
        None, description="Defaults to everything authorised and not captured or voided. "
        + _AMOUNT)
    currency: CurrencyCode | None = Field(None, description=_CURRENCY)


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyString | None = Field(
        None, description="Defaults to everything authorised and not captured. " + _AMOUNT)
    currency: CurrencyCode | None = Field(None, description=_CURRENCY)
    reason: str | None = Field(None, min_length=1, max_length=500)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: MoneyString = Field(description="At most what is captured and not refunded. "
                                + _AMOUNT)
    currency: CurrencyCode | None = Field(None, description=_CURRENCY)
    reason: str = Field(min_length=1, max_length=500, examples=["damaged in transit"],
                        description="Why the money is given back")


class CardOut(BaseModel):
    last4: str = Field(description="The last four digits: all that is kept of a card")
    brand: str | None = Field(examples=["visa"])


class TransactionRead(BaseModel):
    id: str
    kind: TransactionKind
    amount: MoneyOut
    status: Outcome = Field(description="What the provider answered")
    provider_reference: str | None = Field(description="The provider's id of this call")
    reason: str | None
    failure_code: str | None = Field(description="Decline or error code, e.g. "
                                     "`insufficient_funds`", examples=["insufficient_funds"])
    failure_message: str | None
    actor: str = Field(description="Who made the call (the API key's actor)")
    created_at: datetime

    @classmethod
    def of(cls, t: Transaction) -> TransactionRead:
        return cls(id=t.id, kind=t.kind, amount=MoneyOut.of(t.amount), status=t.status,
                   provider_reference=t.provider_reference, reason=t.reason,
                   failure_code=t.failure_code, failure_message=t.failure_message,
                   actor=t.actor, created_at=t.created_at)


class PaymentRead(BaseModel):
    id: str
    order_id: str
    provider: str
    method: PaymentMethod
    status: PaymentStatus
    provider_reference: str | None = Field(description="The provider's id of the charge")
    card: CardOut | None
    requested: MoneyOut = Field(description="What was asked for")
    authorised: MoneyOut
    captured: MoneyOut
    refunded: MoneyOut
    voided: MoneyOut = Field(description="Authorised money released without capture")
    capturable: MoneyOut = Field(description="Authorised, not captured nor voided")
    refundable: MoneyOut = Field(description="Captured, not refunded")
    due_date: date | None = Field(description="`invoice_terms`: when the money is due")
    created_at: datetime
    updated_at: datetime
    transactions: list[TransactionRead] = Field(description="Every provider call, oldest "
                                                "first")

    @classmethod
    def of(cls, p: Payment) -> PaymentRead:
        return cls(
            id=p.id, order_id=p.order_id, provider=p.provider, method=p.method,
            status=p.status, provider_reference=p.provider_reference,
            card=CardOut(last4=p.card_last4, brand=p.card_brand) if p.card_last4 else None,
            requested=MoneyOut.of(p.requested), authorised=MoneyOut.of(p.authorised),
            captured=MoneyOut.of(p.captured), refunded=MoneyOut.of(p.refunded),
            voided=MoneyOut.of(p.voided), capturable=MoneyOut.of(p.open),
            refundable=MoneyOut.of(p.refundable), due_date=p.due_date, created_at=p.created_at,
            updated_at=p.updated_at,
            transactions=[TransactionRead.of(t) for t in p.transactions])


class SummaryRead(BaseModel):
    order_total: MoneyOut
    authorised: MoneyOut
    captured: MoneyOut
    refunded: MoneyOut
    voided: MoneyOut
    pending: MoneyOut = Field(description="Asked for; the provider has not decided yet")
    open_authorised: MoneyOut = Field(description="Can still be captured or voided")
    refundable: MoneyOut
    to_authorise: MoneyOut = Field(description="Order total no payment covers yet")

    @classmethod
    def of(cls, s: PaymentSummary) -> SummaryRead:
        return cls(**{name: MoneyOut.of(getattr(s, name)) for name in cls.model_fields})


class OrderPaymentsRead(BaseModel):
    order_id: str
    summary: SummaryRead
    items: list[PaymentRead] = Field(description="Oldest first")


class PaymentOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500,
                        examples=["key account, pays by bank transfer on delivery"],
                        description="Why the order may leave without the payment its "
                        "channel's capture policy needs; kept with the actor")


class PaymentOverrideOut(BaseModel):
    actor: str = Field(description="The API key that released the order")
    reason: str
    at: datetime


class OrderPaymentOut(BaseModel):
    status: OrderPaymentStatus = Field(description="The same as the order's `payment_status`")
    methods: list[PaymentMethod] = Field(
        description="Methods of the payments that hold money, oldest first")
    due_date: date | None = Field(description="Invoice terms: the earliest due date")
    owed: MoneyOut = Field(description="The order total less refunds after the sale")
    captured: MoneyOut = Field(description="Captured and not refunded")
    authorised: MoneyOut = Field(description="Authorised, not yet captured nor voided")
    refunded: MoneyOut
    override: PaymentOverrideOut | None = Field(
        description="An operator released the order to ship unpaid: who, why, when")

    @classmethod
    def of(cls, s: PaymentStanding) -> OrderPaymentOut:
        t = s.totals
        override = (PaymentOverrideOut(actor=s.override.actor, reason=s.override.reason,
                                       at=s.override.at) if s.override else None)
        return cls(status=s.status, methods=list(s.methods), due_date=s.due_date,
                   owed=MoneyOut.of(t.owed), captured=MoneyOut.of(t.kept),
                   authorised=MoneyOut.of(t.open), refunded=MoneyOut.of(t.refunded),
                   override=override)
