"""Sourcing: which location ships (or hands over) which units of an order, and why."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.http.schemas import MoneyString
from ordermesh.sourcing import service
from ordermesh.sourcing.model import SourcingRule
from ordermesh.sourcing.settings import (
    MAX_SPLITS,
    ChannelSourcing,
    read_channel_sourcing,
    save_channel_sourcing,
)

router = APIRouter(prefix="/api/v1", tags=["sourcing"])


class ShippingCostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_shipment: MoneyString = Field(Decimal(0), description="Base cost of one shipment")
    per_kg_per_100km: MoneyString = Field(Decimal(0),
                                          description="Cost per kg carried 100 km")


class ChannelSourcingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[SourcingRule] = Field(
        min_length=1, max_length=len(SourcingRule),
        description="The rule chain, most important first (see docs/sourcing.md)")
    max_splits: int | None = Field(
        None, ge=0, le=MAX_SPLITS,
        description="Shipments allowed beyond the first (0 = never split); null = any")
    allow_backorders: bool = Field(
        False, description="Short units of backorderable products become backorders "
                           "instead of refusing the order")
    shipping_cost: ShippingCostIn = Field(default_factory=ShippingCostIn,
                                          description="In the channel's currency")


class ShippingCostOut(BaseModel):
    currency: str
    per_shipment: str
    per_kg_per_100km: str


class ChannelSourcingOut(BaseModel):
    channel_id: str
    configured: bool = Field(description="false: the defaults apply, nothing was set")
    rules: list[SourcingRule]
    max_splits: int | None
    allow_backorders: bool
    shipping_cost: ShippingCostOut

    @classmethod
    def of(cls, cs: ChannelSourcing) -> ChannelSourcingOut:
        s, rates = cs.settings, cs.settings.rates
        return cls(
            channel_id=cs.channel_id, configured=cs.configured, rules=list(s.rules),
            max_splits=s.max_splits, allow_backorders=s.allow_backorders,
            shipping_cost=ShippingCostOut(
                currency=cs.currency,
                per_shipment=str(rates.shipment_base.amount) if rates else "0",
                per_kg_per_100km=str(rates.per_kg_100km.amount) if rates else "0"))


@router.get("/channels/{channel_id}/sourcing", summary="A channel's sourcing rules")
def get_channel_sourcing(channel_id: str, ctx: ReadContext) -> ChannelSourcingOut:
    with ctx.read_uow() as uow:
        return ChannelSourcingOut.of(read_channel_sourcing(uow, channel_id))


@router.put("/channels/{channel_id}/sourcing", summary="Set a channel's sourcing rules")
def put_channel_sourcing(channel_id: str, body: ChannelSourcingIn,
                         ctx: AdminContext) -> ChannelSourcingOut:
    """Replaces every setting. Orders already sourced keep their decisions."""
    return ChannelSourcingOut.of(ctx.run(lambda uow: save_channel_sourcing(
        uow, channel_id, body.rules, body.max_splits, body.allow_backorders,
        body.shipping_cost.per_shipment, body.shipping_cost.per_kg_per_100km)))


class CandidateOut(BaseModel):
    location: str
    location_id: str
    eligible: bool
    reasons: list[str] = Field(description="Why it was not eligible")
    scores: dict[str, object] = Field(description="The value each rule compared")
    chosen: bool
    units: int = Field(description="Units assigned to it")


class ChosenOut(BaseModel):
    line_no: int
    location: str | None
    location_id: str
    quantity: int


class DecisionOut(BaseModel):
    id: str
    attempt: int
    trigger: str
    created_at: datetime
    explanation: str
    lines: list[dict]
    chosen: list[ChosenOut]
    unsourced: list[dict] = Field(description="[{line_no, quantity}] not sourced")
    candidates: list[CandidateOut]
    rules: list[str] | None
    method: str | None = Field(description="per_line, per_order_exact, per_order_greedy, hold")
    destination: dict | None


class DecisionList(BaseModel):
    order_id: str
    number: str
    decisions: list[DecisionOut]


@router.get("/orders/{order_id}/sourcing", summary="Every sourcing decision of an order")
def order_sourcing(order_id: str, ctx: ReadContext) -> DecisionList:
    """Oldest first: placement (or the hold it came from), then each re-sourcing after a
    rejection or short pick, and each sourcing of backordered units."""
    with ctx.read_uow() as uow:
        oid, number, decisions = service.decisions_for(uow, order_id)
    return DecisionList(order_id=oid, number=number, decisions=[DecisionOut(
        id=d.id, attempt=d.attempt, trigger=d.trigger, created_at=d.created_at,
        explanation=d.explanation, lines=d.lines, chosen=[ChosenOut(**c) for c in d.chosen],
        unsourced=[{"line_no": int(n), "quantity": q} for n, q in d.unsourced.items()],
        candidates=[CandidateOut(**c) for c in d.candidates], rules=d.context.get("rules"),
        method=d.context.get("method"), destination=d.context.get("destination"))
        for d in decisions])


def _include_backorders() -> None:
    """B's backorder endpoints live in ``backorders_api`` (same package, same prefix)."""
    from ordermesh.sourcing import backorders_api

    # Copied route by route: an included router (FastAPI >= 0.16x) has no ``path_regex``,
    # which app.py reads for every route to build the Allow header of a 405.
    for route in backorders_api.router.routes:
        router.add_api_route(
            route.path, route.endpoint, methods=sorted(route.methods),
            response_model=route.response_model, status_code=route.status_code,
            summary=route.summary, description=route.description, responses=route.responses,
            tags=route.tags, name=route.name)


_include_backorders()
