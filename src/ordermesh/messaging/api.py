"""Routes of messaging: the record of every message to a customer, and the SMS
provider's delivery reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ordermesh.http.deps import Container, ReadContext
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor
from ordermesh.messaging import service, status_reports
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
    notices with tracking numbers, deliveries, refunds and feedback requests, by e-mail
    or SMS, with their status; deferred ones (quiet hours) are `queued` with the `reason`,
    suppressed ones carry theirs. An unknown order is `404`."""
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


class ReportResult(BaseModel):
    id: str = Field(description="Our message id")
    status: MessageStatus = Field(description="The message's status after the report")
    changed: bool = Field(description="False: a repeated report, or one after the final "
                          "status; nothing changed")


def _receive(container: Container, raw: bytes, given: str | None) -> dict:
    secret = container.settings.sms_callback_secret
    status_reports.verify(secret.get_secret_value() if secret else None, raw, given)
    report = status_reports.parse(raw)
    with UnitOfWork(container.engine, container.clock, actor="sms-provider") as uow:
        result = status_reports.apply_report(uow, report)
        uow.commit()
        return result


@router.post("/api/v1/sms/status", summary="Delivery report of the SMS provider "
             "(HMAC-signed)",
             responses={404: {"description": "No such SMS"},
                        409: {"description": "The SMS is still being handed over: report "
                                             "again later"}},
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": status_reports.StatusReport.model_json_schema()}}}})
async def sms_status(request: Request) -> ReportResult:
    """No API key: the body must be signed with `ORDERMESH_SMS_CALLBACK_SECRET`, header
    `X-Sms-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`; unsigned, tampered
    or with no secret configured → 401, before anything is read or written. A `sent` SMS
    becomes `delivered` (`message.delivered`) or `failed` (`message.failed`); a repeated
    report changes nothing."""
    raw = await request.body()
    given = request.headers.get(status_reports.SIGNATURE_HEADER)
    container: Container = request.app.state.container
    return ReportResult(**await run_in_threadpool(_receive, container, raw, given))
