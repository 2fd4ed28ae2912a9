"""``GET /customers/{id}`` (the customer seen whole), the export and the erasure: they
read orders and returns, so they are served from flows/ (see customer_view.py and
customer_privacy.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ordermesh.customers.schemas import AddressRead, ConsentNow, CustomerRead, IdentityRead
from ordermesh.customers.segment_schemas import SegmentMember, SegmentMembers
from ordermesh.flows.customer_privacy import erase_customer, export_customer
from ordermesh.flows.customer_segments import segment_members
from ordermesh.flows.customer_view import customer_view
from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.http.schemas import MoneyOut
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.orders.schemas import OrderSummary

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class WorthRead(BaseModel):
    currency: str
    orders: int = Field(description="Orders not cancelled")
    lifetime_value_gross: MoneyOut = Field(description="What those orders were worth")
    refunded: MoneyOut = Field(description="Given back: returns, goodwill, cancelled units")
    lifetime_value_net: MoneyOut
    average_order_value: MoneyOut


class RfmRead(BaseModel):
    recency_days: int | None
    frequency: int
    monetary: MoneyOut | None
    segment: str = Field(description="prospect, new, champion, loyal, active, at_risk, "
                                     "lapsed (docs/customers.md)")


class ChannelShare(BaseModel):
    channel: str
    orders: int
    share: Decimal


class TimelineEntry(BaseModel):
    at: datetime
    type: str
    subject: str = Field(description="customer, order, return, …")
    subject_id: str
    actor: str
    data: dict[str, Any] = Field(description="A customer event's payload; of other "
                                 "events the fields that say what happened")


class CustomerWhole(CustomerRead):
    merged_customer_ids: list[str]
    identities: list[IdentityRead]
    addresses: list[AddressRead]
    consent: list[ConsentNow]
    orders_count: int
    orders: list[OrderSummary] = Field(description="The 20 newest, across channels")
    value: list[WorthRead] = Field(description="Per currency, most used first")
    rfm: RfmRead
    channel_mix: list[ChannelShare]
    returns_rate: Decimal | None = Field(
        description="Share of the orders not cancelled that have a return")
    timeline: list[TimelineEntry] = Field(description="The 200 newest interactions, oldest "
                                                      "first")


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300, examples=["GDPR art. 17 request by "
                                                                "e-mail of 2026-11-20"])


class ErasureRead(BaseModel):
    erased_customer_ids: list[str]


@router.get("/{customer_id}", summary="A customer seen whole, across channels",
            responses={404: {"description": "No such customer"}})
def get_customer(customer_id: str, ctx: ReadContext) -> CustomerWhole:
    """The person: when the customer was merged into another (or others into it), the
    answer is for the survivor with everything merged into it. Orders across channels,
    lifetime value gross and net of refunds, average order value, RFM segment, channel
    mix, returns rate, and the timeline of every interaction."""
    with ctx.read_uow() as uow:
        view = customer_view(uow, customer_id, ctx.container.clock.now())
    return CustomerWhole(
        **CustomerRead.of(view.customer).model_dump(),
        merged_customer_ids=view.merged_customer_ids,
        identities=[IdentityRead(**i) for i in view.identities],
        addresses=[AddressRead(**a) for a in view.addresses],
        consent=[ConsentNow(**c) for c in view.consent],
        orders_count=view.orders_count,
        orders=[OrderSummary.of(o) for o in view.orders],
        value=[WorthRead(
            currency=w.currency, orders=w.orders, lifetime_value_gross=MoneyOut.of(w.gross),
            refunded=MoneyOut.of(w.refunded), lifetime_value_net=MoneyOut.of(w.net),
            average_order_value=MoneyOut.of(w.average_order_value)) for w in view.worth],
        rfm=RfmRead(recency_days=view.rfm.recency_days, frequency=view.rfm.frequency,
                    monetary=MoneyOut.of(view.rfm.monetary) if view.rfm.monetary else None,
                    segment=view.rfm.segment),
        channel_mix=[ChannelShare(**c) for c in view.channel_mix],
        returns_rate=view.returns_rate,
        timeline=[TimelineEntry(at=e.occurred_at, type=e.type, subject=e.aggregate_type,
                                subject_id=e.aggregate_id, actor=e.actor, data=_brief(e))
                  for e in view.timeline])


_BRIEF = ("number", "status", "reason", "amount", "currency", "refund_id", "kind", "carrier",
          "tracking_number", "medium", "campaign_id")


def _brief(event) -> dict[str, Any]:
    """A customer event whole; of another (an order.created carries the whole order) the
    few fields that say what happened: the export has them in full."""
    if event.aggregate_type == "customer":
        return event.payload
    return {k: event.payload[k] for k in _BRIEF if k in event.payload}


@router.post("/{customer_id}/export", summary="Export everything held about a customer",
             responses={404: {"description": "No such customer"}})
def export(customer_id: str, ctx: AdminContext) -> Response:
    """One JSON document: every customer record of the person, identities, addresses, the
    consent ledger, merges, the audit trail, their orders in full, returns and every event
    about them. Audited; writes `customer.exported`."""
    data = ctx.run(lambda uow: export_customer(uow, customer_id))
    return Response(_EXPORT.dump_json(data), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="customer-{customer_id}.json"'})


_EXPORT = TypeAdapter(dict[str, Any])  # dataclasses, Decimal, enums, datetimes as the API


@router.post("/{customer_id}/erasure", summary="Erase a customer's personal data",
             responses={404: {"description": "No such customer"},
                        409: {"description": "An order or return is still open, or the "
                                             "customer was erased already"}})
def erase(customer_id: str, body: ErasureIn, ctx: AdminContext) -> ErasureRead:
    """Anonymises every customer record of the person: contact data, profile, identities,
    addresses, consent proofs, and the e-mail in customer events. Orders, invoices and tax
    records stay as the law requires (with the shipping address they were invoiced to).
    Refused while an order is open or a return under way. Audited; writes
    `customer.erased`."""
    return ErasureRead(erased_customer_ids=ctx.run(
        lambda uow: erase_customer(uow, customer_id, body.reason)))


segments_router = APIRouter(prefix="/api/v1/segments", tags=["customers"])


@segments_router.get("/{segment_id}/customers", summary="The customers in a segment, "
                     "evaluated now", responses={404: {"description": "No such segment"}})
def segment_customers(
    segment_id: str, ctx: ReadContext,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SegmentMembers:
    """Every customer (a person: records merged into another count as one; erased ones
    never) who meets all the segment's rules now, oldest customer first, with the facts
    the rules were judged on. Evaluated on demand: a page looks at up to 500 customers,
    so it may hold fewer than `limit` members and still have a `next_cursor`."""
    with ctx.read_uow() as uow:
        found, next_cursor, scanned = segment_members(
            uow, segment_id, ctx.container.clock.now(), limit=limit, cursor=cursor)
    return SegmentMembers(segment_id=segment_id, scanned=scanned, next_cursor=next_cursor,
                          items=[SegmentMember(
                              customer_id=m.customer.id, name=m.customer.name,
                              email=m.customer.email, rfm_segment=m.rfm_segment,
                              orders=m.orders, last_order_at=m.last_order_at,
                              channels=m.channels, countries=m.countries,
                              lifetime_value_net=[MoneyOut.of(v)
                                                  for v in m.lifetime_value_net])
                              for m in found])
