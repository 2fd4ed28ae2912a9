"""Carriers, shipping, tracking webhooks and delivery performance over HTTP."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from ordermesh.http.deps import AdminContext, Container, ReadContext
from ordermesh.http.schemas import Identifier
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import FieldError, InvalidInput, Unauthenticated
from ordermesh.shipping import accounts, performance, service, tracking
from ordermesh.shipping.api_review import router as review_router
from ordermesh.shipping.model import CarrierEvent

router = APIRouter(prefix="/api/v1", tags=["shipping"])

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
SIGNATURE_HEADER = "X-Ordermesh-Signature"
MAX_WEBHOOK_EVENTS = 500


class CarrierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    adapter: str = Field("simulated", description="A registered adapter, e.g. `simulated`")
    webhook_secret: str | None = Field(None, min_length=16, max_length=200,
                                       description="HMAC key of the tracking webhook; "
                                       "write-only (never returned)")
    settings: dict[str, Any] = Field(default_factory=dict,
                                     description="Adapter settings, see docs/shipping.md; "
                                     "those the adapter does not declare public (api_key, "
                                     "password, ...) are encrypted at rest and never "
                                     "returned")


class CarrierPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    webhook_secret: str | None = Field(None, min_length=16, max_length=200)
    settings: dict[str, Any] | None = None
    active: bool | None = None


class ServiceOut(BaseModel):
    code: str
    level: str
    transit_days: int
    cutoff: str
    saturday_delivery: bool


class CarrierOut(BaseModel):
    code: str
    name: str
    adapter: str
    settings: dict[str, Any]
    active: bool
    has_webhook_secret: bool
    builtin: bool = Field(description="The built-in simulated carrier without an account")
    timezone: str
    services: list[ServiceOut]
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, a: accounts.CarrierAccount) -> CarrierOut:
        adapter = a.adapter()
        return cls(code=a.code, name=a.name, adapter=a.adapter_name,
                   settings=accounts.shown_settings(a),
                   active=a.active, has_webhook_secret=a.has_webhook_secret,
                   builtin=a.id is None, timezone=adapter.calendar.timezone,
                   services=[ServiceOut(code=s.code, level=s.level.value,
                                        transit_days=s.transit_days,
                                        cutoff=s.cutoff.strftime("%H:%M"),
                                        saturday_delivery=s.saturday_delivery)
                             for s in adapter.services()],
                   created_at=a.created_at, updated_at=a.updated_at)


class CarrierList(BaseModel):
    items: list[CarrierOut]


@router.post("/carriers", status_code=201, summary="Create a carrier account (admin)")
def create_carrier(body: CarrierIn, ctx: AdminContext) -> CarrierOut:
    idem = ctx.idempotency(body)
    account = ctx.run(lambda uow: accounts.create_account(
        uow, body.code, body.name, body.adapter, body.settings, body.webhook_secret, idem))
    return CarrierOut.of(account)


@router.get("/carriers", summary="Carrier accounts and their services")
def list_carriers(ctx: ReadContext) -> CarrierList:
    with ctx.read_uow() as uow:
        return CarrierList(items=[CarrierOut.of(a) for a in accounts.list_accounts(uow)])


@router.get("/carriers/{code}", summary="One carrier account")
def get_carrier(code: str, ctx: ReadContext) -> CarrierOut:
    with ctx.read_uow() as uow:
        return CarrierOut.of(accounts.get_account(uow, code))


@router.patch("/carriers/{code}", summary="Change a carrier account (admin)")
def patch_carrier(code: str, body: CarrierPatch, ctx: AdminContext) -> CarrierOut:
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "settings", "active"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(name, f"{name} cannot be null")
    return CarrierOut.of(ctx.run(lambda uow: accounts.update_account(uow, code, changes)))


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: str | None = Field(None, description="Default: the fulfilment order's carrier")
    service: str | None = Field(None, description="Default: the fulfilment order's service")


class ParcelOut(BaseModel):
    package_id: str
    tracking_number: str
    status: str
    last_event_at: datetime | None


class ShipmentOut(BaseModel):
    id: str
    fulfilment_order_id: str
    order_id: str
    carrier: str
    service: str
    label_reference: str
    booked_at: datetime
    pickup: dict[str, datetime]
    ship_by: date | None
    promised_date: date | None
    estimated_delivery: date | None = Field(description="The carrier's newest estimate "
                                            "of the delivery day, when it gave one")
    status: str
    delivered_at: datetime | None
    on_time: bool | None
    days_late: int | None
    parcels: list[ParcelOut]

    @classmethod
    def of(cls, s: service.Shipment) -> ShipmentOut:
        return cls(id=s.id, fulfilment_order_id=s.fo_id, order_id=s.order_id, carrier=s.carrier,
                   service=s.service, label_reference=s.label_reference,
                   booked_at=s.booked_at, pickup={"start": s.pickup_start, "end": s.pickup_end},
                   ship_by=s.ship_by, promised_date=s.promised_date,
                   estimated_delivery=s.estimated_delivery, status=s.status,
                   delivered_at=s.delivered_at, on_time=s.on_time, days_late=s.days_late,
                   parcels=[ParcelOut(**p.__dict__) for p in s.parcels])


# POST /fulfilment-orders/{id}/ship (booking) and GET .../rates are flows/booking_api.py:
# booking spans fulfilment, payments, packing and shipping. POST .../handover is
# flows/fulfilment_api.py: it answers with the fulfilment order and its timeline.


@router.get("/fulfilment-orders/{fo_id}/shipment", summary="The shipment of a fulfilment order")
def get_shipment(fo_id: str, ctx: ReadContext) -> ShipmentOut:
    with ctx.read_uow() as uow:
        return ShipmentOut.of(service.get_shipment(uow, fo_id))


class QuoteOut(BaseModel):
    service: str
    price: str
    currency: str
    transit_days: int


class QuoteList(BaseModel):
    carrier: str
    items: list[QuoteOut]


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: Identifier = Field(min_length=1, max_length=120)
    tracking_number: Identifier = Field(min_length=1, max_length=60)
    status: str = Field(min_length=1, max_length=40, description="The carrier's own code")
    occurred_at: AwareDatetime
    description: str | None = Field(None, max_length=300)
    location: str | None = Field(None, max_length=200)
    estimated_delivery: date | None = Field(
        None, description="The day the carrier now expects to deliver the parcel; one after "
        "the promised date tells the customer of the delay")

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:  # the edge of the calendar, 0001 or 9999
            raise ValueError("is out of range") from exc


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[WebhookEvent] = Field(min_length=1, max_length=MAX_WEBHOOK_EVENTS)


class ParkedOut(BaseModel):
    id: str = Field(description="Our id of the stored event (for release or discard)")
    event_id: str = Field(description="The carrier's event id")
    tracking_number: str
    reason: str = Field(description="Why the event is not believed")


class WebhookResult(BaseModel):
    stored: int = Field(description="New events stored and applied (or, when older than "
                        "what the parcel knows, only stored)")
    duplicates: int = Field(description="Events already known (same event_id): ignored")
    ignored: int = Field(description="Events for tracking numbers we never booked: ignored")
    moved: int = Field(description="Fulfilment orders whose status changed")
    parked: int = Field(description="New events not believed (dated in the future or "
                        "before the label) and parked for review: they change nothing")
    parked_events: list[ParkedOut] = Field(description="The parked events and why")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


_REFUSED = "The webhook signature is missing or does not match the body"
_NO_SECRET = b"no secret: the signature is compared with something, in constant time"


def _verify(container: Container, carrier: str, raw: bytes, given: str | None) -> None:
    """Before any writing transaction (SQLite's write lock, PostgreSQL's locks): read the
    secret, close that read, compare. An unknown carrier, one without a secret, a missing
    header and a wrong signature all get the same 401 and the same body, so the webhook
    does not tell which carrier codes exist."""
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        secret = accounts.webhook_secret(uow, carrier)
    key = secret.encode() if secret else _NO_SECRET
    expected = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
    matches = hmac.compare_digest(expected.encode(), (given or "").strip().encode())
    if not (secret and given and matches):
        raise Unauthenticated(_REFUSED)


def _receive(container: Container, carrier: str, raw: bytes, given: str | None) -> dict:
    _verify(container, carrier, raw, given)
    body = _parse(raw)
    events = [CarrierEvent(e.event_id, e.tracking_number, e.status, e.occurred_at,
                           e.description or "", e.location, e.estimated_delivery)
              for e in body.events]
    with UnitOfWork(container.engine, container.clock, actor=f"carrier:{carrier}") as uow:
        account = accounts.find_account(uow, carrier)
        if account is None:  # deleted since the check: as unknown as before
            raise Unauthenticated(_REFUSED)
        account.require_active()
        result = tracking.ingest(uow, carrier, account.adapter(), events, "webhook",
                                 account.clock_skew)
        uow.commit()
        return result.as_dict()


def _parse(raw: bytes) -> WebhookBody:
    try:
        return WebhookBody.model_validate(orjson.loads(raw))
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.for_field("body", "the body is not JSON") from exc
    except ValidationError as exc:
        raise InvalidInput("The webhook body is invalid", errors=[
            FieldError(".".join(str(p) for p in e["loc"]), e["msg"], e["type"])
            for e in exc.errors()]) from exc


@router.post("/tracking/{carrier}", summary="Tracking webhook of a carrier (HMAC-signed)",
             responses={202: {"model": WebhookResult,
                              "description": "Accepted, but some events were parked for "
                              "review (see `parked_events`)"}},
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": WebhookBody.model_json_schema()}}}})
async def tracking_webhook(carrier: str, request: Request,
                           response: Response) -> WebhookResult:
    """No API key: the body must be signed with the carrier account's webhook secret,
    header `X-Ordermesh-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`.
    Tampered or unsigned, or a carrier that does not exist or has no secret → 401, all
    with the same body (the webhook does not tell which carriers exist); inactive carrier
    account → 409; unknown carrier status → 422; nothing is stored then. A replayed
    signed body changes nothing: events are stored once per `event_id`. An event dated
    more than the account's `tracking_clock_skew_minutes` (default 15) in the future, or
    before the parcel's label, is stored but parked for review and changes nothing: the
    answer is then `202` and lists it in `parked_events` (the carrier need not retry)."""
    raw = await request.body()
    given = request.headers.get(SIGNATURE_HEADER)
    container: Container = request.app.state.container
    result = WebhookResult(**await run_in_threadpool(_receive, container, carrier, raw,
                                                     given))
    if result.parked:
        response.status_code = 202
    return result


class PerformanceOut(BaseModel):
    key: str | None = Field(description="Carrier code, location code or channel code "
                            "(null: shipments without a channel, e.g. 3PL transfers)")
    delivered: int
    on_time: int
    late: int
    on_time_rate: str | None = Field(description="on_time / delivered, 4 decimals")
    average_days_late: str | None = Field(description="Mean days late of the late ones")


class PerformanceList(BaseModel):
    group_by: str
    items: list[PerformanceOut]


@router.get("/delivery-performance", summary="Delivered on time against the promise")
def delivery_performance(
    ctx: ReadContext, group_by: performance.GroupBy = performance.GroupBy.CARRIER,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> PerformanceList:
    with ctx.read_uow() as uow:
        rows = performance.delivery_performance(uow, group_by, from_, to)
    return PerformanceList(group_by=group_by.value, items=[PerformanceOut(
        key=r.key, delivered=r.delivered, on_time=r.on_time, late=r.late,
        on_time_rate=str(r.on_time_rate) if r.on_time_rate is not None else None,
        average_days_late=str(r.average_days_late) if r.average_days_late is not None
        else None) for r in rows])


router.routes.extend(review_router.routes)  # one shipping router for the app factory
