from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.channels import service
from ordermesh.channels.model import CapturePolicy, Channel, ChannelKind, ChannelMoney, TaxPoint
from ordermesh.http.deps import AdminContext, ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, CurrencyCode
from ordermesh.invoices.service import legal_entity
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.tax.model import PricingMode

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])

ChannelRef = Annotated[str, Path(description="The channel's id or code",
                                 examples=["webshop"])]


class ChannelMoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pricing_mode: PricingMode | None = Field(
        None, description="Whether the prices this channel sends include tax (`inclusive`, "
                          "usual for consumers in Europe) or not (`exclusive`)")
    capture_policy: CapturePolicy | None = Field(
        None, description="`order`: a payment is captured as soon as it is authorised; "
                          "`shipment`: each shipment captures what it carries")
    tax_point: TaxPoint | None = Field(
        None, description="When invoices are issued: at the order, or per shipment")
    legal_entity: str | None = Field(
        None, pattern=CODE_PATTERN,
        description="Code of the legal entity that sells on this channel and issues its "
                    "invoices (`POST /api/v1/legal-entities`)")


class ChannelCreate(ChannelMoneyIn):
    code: str = Field(pattern=CODE_PATTERN, description="Short unique code, e.g. 'amazon-de'")
    name: str = Field(min_length=1, max_length=200)
    kind: ChannelKind
    currency: CurrencyCode


class ChannelRead(BaseModel):
    id: str
    code: str
    name: str
    kind: ChannelKind
    currency: str
    created_at: datetime
    pricing_mode: PricingMode
    capture_policy: CapturePolicy
    tax_point: TaxPoint
    legal_entity_id: str | None

    @classmethod
    def of(cls, channel: Channel, money: ChannelMoney) -> ChannelRead:
        return cls(id=channel.id, code=channel.code, name=channel.name, kind=channel.kind,
                   currency=channel.currency, created_at=channel.created_at,
                   pricing_mode=money.pricing_mode, capture_policy=money.capture_policy,
                   tax_point=money.tax_point, legal_entity_id=money.legal_entity_id)


def _money_changes(uow, body: ChannelMoneyIn) -> dict:
    changes = body.model_dump(include=set(ChannelMoneyIn.model_fields), exclude_unset=True,
                              exclude_none=True)
    if (code := changes.pop("legal_entity", None)) is not None:
        try:
            changes["legal_entity_id"] = legal_entity(uow, code).id
        except NotFound as exc:
            raise InvalidInput.for_field("legal_entity", str(exc), "unknown_legal_entity") \
                from exc
    return changes


class ChannelList(BaseModel):
    items: list[ChannelRead]


@router.post("", status_code=201, summary="Create a sales channel")
def create_channel(body: ChannelCreate, ctx: WriteContext) -> ChannelRead:
    idem = ctx.idempotency(body)

    def create(uow) -> ChannelRead:
        money = ChannelMoney(**_money_changes(uow, body))
        command = service.CreateChannel(body.code, body.name, body.kind, body.currency, money)
        return ChannelRead.of(service.create_channel(uow, command, idem), money)

    return ctx.run(create)


@router.get("", summary="List sales channels, ordered by code")
def list_channels(
    ctx: ReadContext,
    code: Annotated[str | None, Query(max_length=40, description="Only the channel with "
                                      "this code (an empty list when there is none)")] = None,
) -> ChannelList:
    with ctx.read_uow() as uow:
        return ChannelList(items=[ChannelRead.of(c, service.channel_money(uow, c.id))
                                  for c in service.list_channels(uow, code)])


@router.get("/{channel_id}", summary="Get a sales channel by id or code",
            responses={404: {"description": "No channel with that id or code"}})
def get_channel(channel_id: ChannelRef, ctx: ReadContext) -> ChannelRead:
    with ctx.read_uow() as uow:
        channel = service.find_channel(uow, channel_id)
        return ChannelRead.of(channel, service.channel_money(uow, channel.id))


@router.patch("/{channel_id}", summary="Change how a channel prices, charges and invoices",
              responses={404: {"description": "No channel with that id or code"}})
def update_channel(channel_id: ChannelRef, body: ChannelMoneyIn,
                   ctx: AdminContext) -> ChannelRead:
    """Orders already placed keep the settings they were placed with."""

    def change(uow) -> ChannelRead:
        channel = service.find_channel(uow, channel_id)
        money = service.update_channel_money(uow, channel.id, _money_changes(uow, body))
        return ChannelRead.of(channel, money)

    return ctx.run(change)
