"""Pydantic models of the returns API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.returns.model import (
    SELLER_FAULT_REASONS,
    AskedLine,
    Disposition,
    ExchangeReserve,
    Grade,
    RefundRelease,
    Resolution,
    ReturnFees,
    ReturnPolicy,
    ReturnStatus,
)
from ordermesh.returns.service import RequestReturn

MAX_LINES = 200
REASON_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReturnLineIn(Strict):
    line_no: int = Field(ge=1, strict=True, description="The order line")
    quantity: int = Field(gt=0, le=100_000, strict=True)
    reason: str = Field(min_length=1, max_length=40,
                        description="A return reason code (GET /api/v1/return-reasons)")
    comment: str | None = Field(None, max_length=1000, description="The customer's words")
    resolution: Resolution = Resolution.REFUND
    exchange_for: str | None = Field(
        None, min_length=1, max_length=100,
        description="The SKU wanted instead, for resolution exchange (and only then)")


class ReturnCreate(Strict):
    order: str = Field(min_length=1, max_length=40, description="Order id or number")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES)
    override_reason: str | None = Field(
        None, min_length=1, max_length=500,
        description="An operator waives the return window and final sale, saying why")

    def command(self) -> RequestReturn:
        return RequestReturn(self.order, [
            AskedLine(ln.line_no, ln.quantity, ln.reason, ln.resolution, ln.comment,
                      ln.exchange_for)
            for ln in self.lines], self.override_reason)


class Decision(Strict):
    reason: str | None = Field(None, min_length=1, max_length=500)


class RejectDecision(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Told to the customer")


class ReceivedLineIn(Strict):
    line_no: int = Field(ge=1, strict=True, description="The return's line")
    quantity: int = Field(gt=0, le=100_000, strict=True, description="Units counted")
    grade: Grade
    disposition: Disposition = Field(
        description="restock: sellable again; refurbish or quarantine: held aside "
                    "(damaged stock); scrap: booked in and written off")


class ReceiptCreate(Strict):
    location: str = Field(min_length=1, max_length=40, description="Receiving location code")
    lines: list[ReceivedLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: str | None = Field(None, max_length=500)


class InspectedLineIn(Strict):
    line_no: int = Field(ge=1, strict=True, description="The return's line")
    quantity: int = Field(gt=0, le=100_000, strict=True, description="Units of this grade")
    grade: Grade


class InspectionCreate(Strict):
    lines: list[InspectedLineIn] = Field(
        min_length=1, max_length=MAX_LINES,
        description="Every unit received, graded once: a line may come in several grades")
    note: str | None = Field(None, max_length=500)


class PolicyIn(Strict):
    window_days: int = Field(30, ge=0, le=3650, strict=True,
                             description="Days after delivery (or after shipment when no "
                                         "delivery is known)")
    final_sale_categories: list[str] = Field(default_factory=list, max_length=100)
    resolutions: list[Resolution] = Field(default_factory=lambda: [Resolution.REFUND],
                                          min_length=1)
    auto_authorise: bool = Field(True, description="Else every return waits for review")
    returnless_below: Decimal | None = Field(
        None, description="Refund without a return shipment when the return is worth less")
    return_shipping_fee: Decimal | None = Field(
        None, description="Kept back from the refund of a return whose units ship back "
                          "(once per return)")
    restocking_fee_percent: Decimal | None = Field(
        None, description="Percent of the value of the units refunded, kept back")
    fee_free_reasons: list[str] = Field(
        default_factory=lambda: list(SELLER_FAULT_REASONS), max_length=100,
        description="Units returned for these reasons bear no fee (the seller's fault)")
    refund_release: RefundRelease = Field(
        RefundRelease.MANUAL, description="manual: an operator refunds once units arrived; "
        "receipt: the receipt of the last unit refunds; inspection: the inspection refunds, "
        "and nothing is refunded before it")
    exchange_reserve: ExchangeReserve = Field(
        ExchangeReserve.AT_ONCE, description="at_once: an exchange's replacement order may "
        "be placed (its stock reserved) once the return is authorised; at_receipt: only once "
        "every unit came back")

    def policy(self) -> ReturnPolicy:
        return ReturnPolicy(
            window_days=self.window_days,
            final_sale_categories=tuple(self.final_sale_categories),
            resolutions=tuple(dict.fromkeys(self.resolutions)),
            auto_authorise=self.auto_authorise, returnless_below=self.returnless_below,
            fees=ReturnFees(self.return_shipping_fee, self.restocking_fee_percent,
                            tuple(self.fee_free_reasons)),
            refund_release=self.refund_release, exchange_reserve=self.exchange_reserve)


class PolicyOut(BaseModel):
    channel: str
    stored: bool = Field(description="False: the channel has the default policy")
    window_days: int
    final_sale_categories: list[str]
    resolutions: list[Resolution]
    auto_authorise: bool
    returnless_below: str | None
    return_shipping_fee: str | None
    restocking_fee_percent: str | None
    fee_free_reasons: list[str]
    refund_release: RefundRelease
    exchange_reserve: ExchangeReserve
    currency: str


class ReasonIn(Strict):
    code: str = Field(pattern=REASON_PATTERN)
    label: str = Field(min_length=1, max_length=100)


class ReasonOut(BaseModel):
    code: str
    label: str


class ReasonList(BaseModel):
    items: list[ReasonOut]


class ReturnLineOut(BaseModel):
    line_no: int
    order_line_no: int
    sku: str
    product_id: str
    quantity: int
    received_quantity: int
    reason: str
    comment: str | None
    resolution: Resolution
    exchange_sku: str | None = Field(description="The SKU wanted instead (exchange)")


class ReturnSummary(BaseModel):
    id: str
    number: str
    order_id: str
    order_number: str
    channel: str
    status: ReturnStatus
    currency: str
    returnless: bool = Field(description="Refunded without the units coming back")
    override_reason: str | None
    overridden: list[dict[str, Any]] = Field(description="Rules an operator waived")
    status_reason: str | None = Field(description="Why it was rejected or cancelled")
    refund_id: str | None
    fees: dict[str, Any] = Field(description="The policy's fees when it was requested: "
                                 "return_shipping, restocking_percent, free_reasons")
    refund_release: RefundRelease
    exchange_reserve: ExchangeReserve
    exchange_order_id: str | None = Field(description="The replacement order (exchange)")
    exchange_credit: str | None = Field(
        description="What the returned units took off the replacement order; the refund "
        "keeps it back")
    lines: list[ReturnLineOut]
    created_at: datetime
    updated_at: datetime


class ReturnRead(ReturnSummary):
    timeline: list[dict[str, Any]] = Field(
        description="Status changes in order, each receipt with the change it made")
    refund: dict[str, Any] | None


class ReturnList(BaseModel):
    items: list[ReturnSummary]
    next_cursor: str | None


class PreviewOut(BaseModel):
    order_id: str
    order_number: str
    accepted: bool
    refusals: list[dict[str, Any]] = Field(description="Each refused line and the rule")
    overridden: list[dict[str, Any]]
    would_be: ReturnStatus | None
    returnless: bool
    money: dict[str, Any] | None = Field(
        description="The refund the units would give: their value, the fees kept back "
        "(deductions) and the refund, per line and in all")


class ReturnableOut(BaseModel):
    order_id: str
    order_number: str
    channel: str
    window_days: int
    window_ends: datetime | None
    lines: list[dict[str, Any]]


class AnalyticsGroupOut(BaseModel):
    key: str | None = Field(description="The SKU, category, channel code or reason code "
                            "(null: products without a category)")
    units_shipped: int | None = Field(description="Units shipped for the period's orders "
                                      "(null when grouped by reason)")
    units_returned: int = Field(description="Units in returns not rejected or cancelled")
    units_received: int
    returns: int = Field(description="How many returns these units are in")
    return_rate: str | None = Field(description="units_returned / units_shipped, 4 decimals")
    share_of_returned: str | None = Field(description="This group's part of all returned "
                                          "units, 4 decimals")


class RefundedOut(BaseModel):
    currency: str
    amount: Decimal


class AnalyticsTotalsOut(BaseModel):
    units_shipped: int
    units_returned: int
    return_rate: str | None
    refunded: list[RefundedOut] = Field(description="Refunds of returns, per currency")
    units_by_disposition: dict[str, int] = Field(
        description="Units received per disposition (restock, refurbish, quarantine, scrap, "
        "return_to_supplier)")


class AboveNormOut(BaseModel):
    customer_id: str
    orders: int
    units_shipped: int
    units_returned: int
    return_rate: str


class AnalyticsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    date_from: Any = Field(alias="from")
    date_to: Any = Field(alias="to")
    group_by: str
    totals: AnalyticsTotalsOut
    groups: list[AnalyticsGroupOut]
    customers_above_norm: list[AboveNormOut] = Field(
        description="At least 3 orders and 2 returned units, and a return rate at least "
        "twice the period's; highest rate first, at most 20")
