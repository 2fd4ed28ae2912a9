"""Segments: saved rules over the customer profile (RFM bucket, channel, country,
lifetime spend, last order, product bought, consent), all of which a customer must
meet. Defined and checked here; evaluated against customers and their orders in
``flows/customer_segments.py`` (it reads orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code
from ordermesh.customers.model import Customer, parse_medium, parse_purpose
from ordermesh.customers.service import to_customer
from ordermesh.customers.tables import customer_segments, customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning

RFM_SEGMENTS = ("prospect", "new", "champion", "loyal", "active", "at_risk", "lapsed")


@dataclass(frozen=True)
class Spend:
    currency: str
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class SegmentRules:
    """Every rule given must hold; a list rule holds when any of its values does."""

    rfm: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # bought on any of them
    countries: tuple[str, ...] = ()  # shipped to any of them
    lifetime_spend: Spend | None = None  # net of refunds, in that currency
    last_order_after: date | None = None  # the last order on or after
    last_order_before: date | None = None  # the last order before (or never ordered: no)
    bought: tuple[str, ...] = ()  # SKUs, any of them
    consent: tuple[str, str] | None = None  # (purpose, medium) they may be contacted for

    @property
    def needs_orders(self) -> bool:
        return any((self.rfm, self.channels, self.countries, self.lifetime_spend,
                    self.last_order_after, self.last_order_before, self.bought))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("rfm", "channels", "countries", "bought"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.lifetime_spend:
            s = self.lifetime_spend
            out["lifetime_spend"] = {"currency": s.currency,
                                     "min": str(s.min) if s.min is not None else None,
                                     "max": str(s.max) if s.max is not None else None}
        for key in ("last_order_after", "last_order_before"):
            if getattr(self, key):
                out[key] = getattr(self, key).isoformat()
        if self.consent:
            out["consent"] = {"purpose": self.consent[0], "medium": self.consent[1]}
        return out


def rules_of(data: dict[str, Any]) -> SegmentRules:
    """The rules as stored (``as_json``)."""
    spend = data.get("lifetime_spend")
    consent = data.get("consent")
    return SegmentRules(
        rfm=tuple(data.get("rfm", ())), channels=tuple(data.get("channels", ())),
        countries=tuple(data.get("countries", ())), bought=tuple(data.get("bought", ())),
        lifetime_spend=Spend(spend["currency"],
                             Decimal(spend["min"]) if spend.get("min") else None,
                             Decimal(spend["max"]) if spend.get("max") else None)
        if spend else None,
        last_order_after=date.fromisoformat(data["last_order_after"])
        if data.get("last_order_after") else None,
        last_order_before=date.fromisoformat(data["last_order_before"])
        if data.get("last_order_before") else None,
        consent=(consent["purpose"], consent["medium"]) if consent else None)


def check_rules(uow: UnitOfWork, rules: SegmentRules) -> None:
    """Rules that cannot be evaluated are bad input: none at all, an unknown RFM bucket,
    channel, SKU, purpose or medium, a spend range or date range that is empty."""
    if rules == SegmentRules():
        raise InvalidInput.for_field("rules", "a segment needs at least one rule",
                                     "no_rules")
    for i, bucket in enumerate(rules.rfm):
        if bucket not in RFM_SEGMENTS:
            raise InvalidInput.for_field(f"rules.rfm.{i}", f"Unknown RFM segment '{bucket}' "
                                         f"(one of {', '.join(RFM_SEGMENTS)})", "unknown_rfm")
    for i, code in enumerate(rules.channels):
        channel_by_code(uow, code, f"rules.channels.{i}")
    if rules.bought:
        resolve_skus(uow, list(rules.bought),
                     [f"rules.bought.{i}" for i in range(len(rules.bought))])
    spend = rules.lifetime_spend
    if spend and spend.min is None and spend.max is None:
        raise InvalidInput.for_field("rules.lifetime_spend", "give min, max or both",
                                     "empty_range")
    if spend and spend.min is not None and spend.max is not None and spend.min > spend.max:
        raise InvalidInput.for_field("rules.lifetime_spend.max", "max is below min",
                                     "empty_range")
    after, before = rules.last_order_after, rules.last_order_before
    if after and before and after >= before:
        raise InvalidInput.for_field("rules.last_order_before", "no day is on or after "
                                     f"{after} and before {before}", "empty_range")
    if rules.consent:
        parse_purpose(rules.consent[0], "rules.consent.purpose")
        parse_medium(rules.consent[1], "rules.consent.medium")


def _read(row) -> dict:
    return {"id": row.id, "name": row.name, "rules": row.rules,
            "created_at": as_utc(row.created_at), "created_by": row.created_by}


def create_segment(uow: UnitOfWork, name: str, rules: SegmentRules) -> dict:
    """Save a segment (checked first); its name is unique. Writes ``segment.created``."""
    check_rules(uow, rules)
    segment_id = new_id("seg")
    stored = rules.as_json()
    if insert_ignore_returning(uow, customer_segments, ("name",), "id", {
            "id": segment_id, "name": name, "rules": stored, "created_at": uow.clock.now(),
            "created_by": uow.actor}) is None:
        raise Conflict(f"A segment named '{name}' exists already",
                       extra={"reason": "name_taken"})
    record_event(uow, "segment.created", "segment", segment_id,
                 {"id": segment_id, "name": name, "rules": stored})
    return get_segment(uow, segment_id)


def get_segment(db: Any, segment_id: str) -> dict:
    row = db.execute(select(customer_segments)
                     .where(customer_segments.c.id == segment_id)).first()
    if row is None:
        raise NotFound(f"Segment '{segment_id}' does not exist")
    return _read(row)


def list_segments(db: Any) -> list[dict]:
    t = customer_segments
    return [_read(r) for r in db.execute(select(t).order_by(t.c.name))]


def customers_in_order(db: Any, offset: int, limit: int) -> list[Customer]:
    """Customers who are people of their own (not merged into another, not erased),
    oldest first: the order segments are evaluated in, so an offset stays put while new
    customers arrive at the end."""
    c = customers.c
    rows = db.execute(select(customers).where(c.merged_into.is_(None), c.erased_at.is_(None))
                      .order_by(c.created_at, c.id).offset(offset).limit(limit))
    return [to_customer(r) for r in rows]
