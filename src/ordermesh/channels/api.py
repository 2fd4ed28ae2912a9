from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.channels import service
from ordermesh.channels.model import Channel, ChannelKind
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, CurrencyCode

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
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

    @classmethod
    def of(cls, channel: Channel) -> ChannelRead:
        return cls(id=channel.id, code=channel.code, name=channel.name, kind=channel.kind,
                   currency=channel.currency, created_at=channel.created_at)


class ChannelList(BaseModel):
    items: list[ChannelRead]


@router.post("", status_code=201, summary="Create a sales channel")
def create_channel(body: ChannelCreate, ctx: WriteContext) -> ChannelRead:
    command = service.CreateChannel(body.code, body.name, body.kind, body.currency)
    idem = ctx.idempotency(body)
    channel = ctx.run(lambda uow: service.create_channel(uow, command, idem))
    return ChannelRead.of(channel)


@router.get("", summary="List sales channels")
def list_channels(ctx: ReadContext) -> ChannelList:
    with ctx.read_uow() as uow:
        return ChannelList(items=[ChannelRead.of(c) for c in service.list_channels(uow)])


@router.get("/{channel_id}", summary="Get a sales channel")
def get_channel(channel_id: str, ctx: ReadContext) -> ChannelRead:
    with ctx.read_uow() as uow:
        return ChannelRead.of(service.get_channel(uow, channel_id))
