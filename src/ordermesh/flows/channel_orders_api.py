"""The webhook a shop platform sends its orders to (``flows.channel_orders``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ordermesh.connectors.model import InboxStatus
from ordermesh.flows import channel_orders
from ordermesh.http.deps import Container

router = APIRouter(prefix="/api/v1/connectors", tags=["connectors"])


class WebhookReceived(BaseModel):
    status: InboxStatus = Field(description="placed, already_placed, refused (see "
                                "`reason`), cancelled or ignored")
    webhook_id: str
    external_id: str | None = Field(description="The platform's order id")
    order_id: str | None = Field(description="Our order")
    reason: dict[str, Any] | None = Field(description="Why it was refused or ignored")
    replayed: bool = Field(description="This delivery id came before: nothing was done "
                           "again, the first outcome is answered")


@router.post(
    "/{code}/webhooks", summary="A shop platform's webhook (signed; no API key)",
    responses={401: {"description": "Missing or wrong signature, or no such connector; "
                                    "nothing was written"},
               409: {"description": "The connector is inactive"},
               422: {"description": "The body is not JSON or not the platform's order, or "
                                    "the delivery id header is missing; nothing written"}},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "description": "The platform's own payload (Shopify: the order "
        "resource of orders/create or orders/cancelled)"}}}}})
async def platform_webhook(code: str, request: Request) -> WebhookReceived:
    """Shopify: configure the webhooks `orders/create` and `orders/cancelled` (JSON) with
    this address. Each delivery must carry `X-Shopify-Hmac-Sha256` (base64 of the
    HMAC-SHA256 of the raw body with the connector's `webhook_secret`),
    `X-Shopify-Webhook-Id` and `X-Shopify-Topic`. The order is placed in the connector's
    channel, once per delivery id and once per platform order; an order that cannot be
    placed (unknown SKU, short stock, ...) is answered `200` with `status: refused` and
    kept in the connector's inbox with the reason, since the platform retrying it would
    not change the answer. A Shopify order that comes `financial_status: paid` is
    recorded as paid (a `manual` payment, method `other`, captured) once it is placed."""
    raw = await request.body()
    container: Container = request.app.state.container
    got = await run_in_threadpool(channel_orders.receive, container, code,
                                  dict(request.headers), raw)
    return WebhookReceived(status=got.status, webhook_id=got.webhook_id,
                           external_id=got.external_id, order_id=got.order_id,
                           reason=got.reason, replayed=got.replayed)
