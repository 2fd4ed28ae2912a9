"""Routes of messaging: the record of every message to a customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.http.deps import ReadContext
from ordermesh.kit.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from ordermesh.messaging import service
from ordermesh.messaging.model import MessageStatus, MessageType
from ordermesh.messaging.schemas import MessageList, MessageRead
from ordermesh.orders.queries import order_ref

router = APIRouter(tags=["messaging"])
MESSAGES = "/api/v1/messages"


@router.get(MESSAGES, summary="List messages to customers, newest first")
def list_messages(
    ctx: ReadContext,
    customer: Annotated[str | None, Query(min_length=1, max_length=40,
                                          description="Customer id")] = None,
    order: Annotated[str | None, Query(min_length=1, max_length=40,
                                       description="Order id or number")] = None,
    status: MessageStatus | None = None,
    type_: Annotated[MessageType | None, Query(alias="type", description="Message type")
                     ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> MessageList:
    """Every message the worker queued from an event: order confirmations, shipping
    notices with tracking numbers, deliveries, refunds and feedback requests, with their
    status. An unknown order is `404`."""
    def work(uow):
        order_id = order_ref(uow, order).id if order else None
        return service.list_messages(
            uow, customer_id=customer, order_id=order_id,
            status=status.value if status else None, type_=type_.value if type_ else None,
            before=decode_cursor(cursor), limit=limit)
    items, more = ctx.run(work)
    return MessageList(items=items,
                       next_cursor=encode_cursor(more) if more is not None else None)


@router.get(f"{MESSAGES}/{{message_id}}", summary="One message: its content and history")
def get_message(message_id: str, ctx: ReadContext) -> MessageRead:
    """The message as rendered (subject, plain text, HTML) and every status it went
    through: queued or suppressed, each failed attempt with the server's answer, sent or
    failed."""
    return MessageRead(**ctx.run(lambda uow: service.get_message(uow, message_id)))
