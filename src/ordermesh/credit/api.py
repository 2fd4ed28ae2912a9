"""Store-credit routes: a customer's credit and its ledger, an admin's adjustment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from ordermesh.credit import service
from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.http.schemas import CurrencyCode, DecimalAmount
from ordermesh.kit.money import Money

router = APIRouter(prefix="/api/v1/customers/{customer_id}/store-credit",
                   tags=["customers"])

SignedMoney = Annotated[
    DecimalAmount, Field(gt=Decimal("-1000000000000"), lt=Decimal("1000000000000")),
    PlainSerializer(lambda v: str(v), return_type=str, when_used="json")]


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: SignedMoney = Field(description="Credit added (positive) or taken away "
                                "(negative), in the currency's minor unit", examples=["15.00"])
    currency: CurrencyCode
    reason: str = Field(min_length=1, max_length=500, examples=["goodwill: late delivery"])
    expires_at: datetime | None = Field(None, description="Credit added may expire: after "
                                        "this moment what is left of it is not available")


class EntryOut(BaseModel):
    id: str
    kind: str = Field(description="`issued`, `adjusted`, `redeemed` or `refunded`")
    amount: str = Field(description="Signed: positive adds credit, negative spends it")
    currency: str
    expires_at: datetime | None
    order_id: str | None
    hold_reference: str | None = Field(description="The payment's hold it belongs to")
    source_type: str | None = Field(description="`return`, `payment` or `admin`")
    source_id: str | None
    reason: str | None
    actor: str
    created_at: datetime


class HoldOut(BaseModel):
    reference: str
    order_id: str
    open: str = Field(description="Held for the order, neither redeemed nor released")


class AccountOut(BaseModel):
    currency: str
    balance: str = Field(description="available + held")
    available: str = Field(description="What a new payment may use")
    held: str = Field(description="Held by payments not yet captured")
    expired: str = Field(description="Credit whose expiry passed before it was spent")
    holds: list[HoldOut] = Field(default_factory=list)
    entries: list[EntryOut] = Field(default_factory=list, description="Newest first")


class StoreCreditOut(BaseModel):
    customer_id: str
    accounts: list[AccountOut] = Field(description="One per currency")


class AdjustmentOut(BaseModel):
    customer_id: str
    entry: EntryOut
    account: AccountOut


@router.get("", summary="A customer's store credit per currency, with its ledger",
            responses={404: {"description": "No such customer"}})
def get_store_credit(customer_id: str, ctx: ReadContext) -> StoreCreditOut:
    """Per currency: the balance (available plus held by payments not captured yet), what
    is available, what expired unspent, the open holds and every ledger entry, newest
    first. Credit expiring soonest is spent first."""
    with ctx.read_uow() as uow:
        found: dict[str, Any] = service.statement(uow, customer_id)
    return StoreCreditOut(**found)


@router.post("/adjustments", status_code=201,
             summary="Add or take away store credit by hand, with a reason",
             responses={404: {"description": "No such customer"},
                        409: {"description": "Taking more than is available (`amount-not-"
                              "available`, with `available`), or an erased customer"},
                        422: {"description": "No reason, a zero amount, too many decimals, "
                              "an expiry in the past or on credit taken away"}})
def adjust_store_credit(customer_id: str, body: AdjustmentIn,
                        ctx: AdminContext) -> AdjustmentOut:
    """An admin's correction of the ledger (`store_credit.adjusted`): never an edit, a new
    entry. Retries are safe with an `Idempotency-Key`."""
    idem = ctx.idempotency(body)
    amount = Money.exact(body.amount, body.currency)
    return AdjustmentOut(**ctx.run(lambda uow: service.adjust(
        uow, customer_id, amount, body.reason, body.expires_at, idem)))
