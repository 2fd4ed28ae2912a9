"""FastAPI app factory: routers, error mapping, middleware."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from ordermesh import __version__
from ordermesh.apikeys.api import router as apikeys_router
from ordermesh.backoffice.app import create_backoffice
from ordermesh.catalog.api import router as products_router
from ordermesh.channels.api import router as channels_router
from ordermesh.connectors.api import router as connectors_router
from ordermesh.credit.api import router as store_credit_router
from ordermesh.customers.api import merges_router as customer_merges_router
from ordermesh.customers.api import router as customers_router
from ordermesh.customers.api import segments_router
from ordermesh.dropship.api import router as dropship_router
from ordermesh.events.api import audit_router
from ordermesh.events.api import router as events_router
from ordermesh.feedback.api import router as feedback_router
from ordermesh.feedback.page import create_feedback_page
from ordermesh.flows.api import router as flows_router
from ordermesh.flows.booking_api import router as booking_router
from ordermesh.flows.channel_orders_api import router as channel_orders_router
from ordermesh.flows.customers_api import router as customer_orders_router
from ordermesh.flows.customers_api import segments_router as segment_members_router
from ordermesh.flows.dropship_api import router as partner_dropship_router
from ordermesh.flows.fulfilment_api import router as fulfilment_orders_router
from ordermesh.flows.fulfilment_api import shipping_router as handover_router
from ordermesh.flows.handoff_api import router as handoff_router
from ordermesh.flows.order_edits_api import router as order_edits_router
from ordermesh.flows.placement_api import router as placement_router
from ordermesh.flows.returns_api import router as returns_flows_router
from ordermesh.flows.supplier_api import router as supplier_links_router
from ordermesh.flows.supplier_api import scorecard_router as scorecards_router
from ordermesh.fulfilment.api import router as fulfilment_router
from ordermesh.http import access, openapi, problems
from ordermesh.http.deps import Container
from ordermesh.http.limits import RequestGuard
from ordermesh.http.metrics import Observe
from ordermesh.http.query import reject_unknown_query_parameters
from ordermesh.http.request_id import RequestId
from ordermesh.http.shedding import LoadShedding
from ordermesh.inventory.api import router as inventory_router
from ordermesh.inventory.availability_api import router as availability_router
from ordermesh.inventory.health_api import router as inventory_health_router
from ordermesh.inventory.holds_api import router as reservations_router
from ordermesh.inventory.moves_api import router as moves_api_router
from ordermesh.inventory.rules_api import router as allocation_router
from ordermesh.invoices.api import router as invoices_router
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.api import router as locations_router
from ordermesh.messaging.api import router as messaging_router
from ordermesh.messaging.campaign_api import router as campaigns_router
from ordermesh.messaging.unsubscribe import router as unsubscribe_router
from ordermesh.monitoring import router as metrics_router
from ordermesh.orders.api import router as orders_router
from ordermesh.orders.money_api import router as order_money_router
from ordermesh.packing.api import router as packing_router
from ordermesh.payments.api import router as payments_router
from ordermesh.pricing.api import router as pricing_router
from ordermesh.purchasing.api import router as purchasing_router
from ordermesh.purchasing.api_insights import products_router as product_suppliers_router
from ordermesh.purchasing.api_insights import replenishment_router
from ordermesh.returns.api import router as returns_router
from ordermesh.shipping.api import router as shipping_router
from ordermesh.sourcing.api import router as sourcing_router
from ordermesh.suppliers.api import router as suppliers_router
from ordermesh.tax.api import router as tax_router
from ordermesh.tax.registrations_api import router as tax_registrations_router
from ordermesh.webhooks.api import router as webhooks_router

DESCRIPTION = """
ordermesh is an omnichannel order management system: orders from every channel land
here, stock is reserved without ever overselling, and every change is recorded as an
event.

Every `/api/v1` route needs `Authorization: Bearer <api key>` ("Authorize" above).
Errors are RFC 9457 `application/problem+json`; a query parameter a route does not take
is refused with `422`. Money travels as decimal strings with an ISO 4217 currency.
Products are addressed by id or SKU, channels and locations by id or code, orders by id
or number.
"""

# Served from the fastapi-offline package: the docs work without internet access.
DOCS_ASSETS = "/docs-assets"


def create_app(container: Container) -> FastAPI:
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"persistAuthorization": True},
        dependencies=[Depends(reject_unknown_query_parameters)],
        title="ordermesh",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "orders", "description": "Place, read, cancel and hold orders"},
            {"name": "inventory", "description": "Stock per location and its ledger"},
            {"name": "allocation", "description": "What each channel may sell: safety stock, "
             "channel sources, quotas and exclusions, and each product's stock policy"},
            {"name": "availability", "description": "Available to promise: what a channel "
             "can sell of a SKU now and by date, with the numbers behind it"},
            {"name": "reservations", "description": "Stock holds for carts and checkouts: "
             "place, read and release them; they expire, or an order takes them over"},
            {"name": "prices", "description": "Price lists per channel and currency"},
            {"name": "tax", "description": "Tax rates per country with effective dates, "
             "quotes and the tax report"},
            {"name": "payments", "description": "Authorise, capture, void and refund "
             "payments; the payment ledger of each order"},
            {"name": "invoices", "description": "Legal entities, invoice series, invoices "
             "and credit notes (PDF)"},
            {"name": "sourcing", "description": "Which location ships which units, and "
             "why; backorders and re-sourcing"},
            {"name": "fulfilment", "description": "Fulfilment orders, pick lists, "
             "click-and-collect and 3PL hand-off"},
            {"name": "packing", "description": "Packaging, packages, SSCC, labels and "
             "packing slips"},
            {"name": "shipping", "description": "Carriers, tracking and promise dates"},
            {"name": "events", "description": "The outbox: every state change, in order"},
            {"name": "audit", "description": "Who changed what, when, from where, with "
             "before and after: the outbox read as an audit log"},
            {"name": "suppliers", "description": "Supplier master: terms, tags, "
             "certifications, and what each supplier sells us at what cost"},
            {"name": "purchasing", "description": "Purchase orders, receipts against them, "
             "supplier scorecards and replenishment suggestions"},
            {"name": "dropship", "description": "Drop-ship: routing rules that send lines "
             "to a supplier, the drop-ship purchase orders, and the supplier's partner API "
             "(accept, reject, ship, short) with a key of role supplier"},
            {"name": "webhooks", "description": "Outgoing webhooks: subscriptions to event "
             "types, signed deliveries, their log and replays"},
            {"name": "returns", "description": "Returns (RMA): policies per channel, "
             "reasons, requests, receiving with grade and disposition, refunds"},
            {"name": "feedback", "description": "Feedback requests after delivery, feedback "
             "entered or imported, and insights: sentiment, topics, NPS/CSAT trends"},
            {"name": "messaging", "description": "Messages to customers: e-mails queued "
             "from events, rendered in their language, sent over SMTP, and their record"},
            {"name": "operations", "description": "Prometheus metrics"},
        ],
    )
    app.state.container = container
    problems.install(app)
    app.add_middleware(RequestGuard, max_bytes=container.settings.max_body_bytes,
                       form_prefix=("/app/", "/feedback/", "/unsubscribe/"))
    # Shed and rate limited before the body is read; observed (metrics, access log) even
    # when refused; outermost of ours, the request id: every answer gets its id.
    app.add_middleware(LoadShedding)
    app.add_middleware(Observe)
    app.add_middleware(RequestId)
    routers = (channels_router, locations_router, products_router, allocation_router,
               availability_router, inventory_health_router, moves_api_router,
               inventory_router, customers_router, orders_router, order_edits_router,
               order_money_router, flows_router,
               reservations_router, pricing_router, tax_router, tax_registrations_router,
               payments_router,
               invoices_router, events_router, audit_router, apikeys_router, sourcing_router,
               fulfilment_orders_router, fulfilment_router, packing_router, shipping_router,
               handover_router, suppliers_router, supplier_links_router,
               scorecards_router, product_suppliers_router, purchasing_router,
               replenishment_router, webhooks_router, returns_router, returns_flows_router,
               customer_orders_router, booking_router, handoff_router, placement_router,
               feedback_router, customer_merges_router, messaging_router, campaigns_router,
               unsubscribe_router, segments_router,
               segment_members_router, connectors_router, channel_orders_router,
               dropship_router, partner_dropship_router, store_credit_router)
    for router in routers:
        app.include_router(router)
    api_routes = [route for router in routers for route in router.routes
                  if isinstance(route, APIRoute)]
    # For the Allow header of a 405: every method each path takes.
    app.state.route_methods = [(route.path_regex, set(route.methods)) for route in api_routes]
    openapi.install(app, api_routes)

    @app.get("/health", tags=["health"], summary="Liveness and database check")
    def health(request: Request) -> dict[str, str]:
        container = request.app.state.container  # the app's container, as every route
        # A reading unit: on SQLite a plain connection would begin with the write lock and
        # wait behind every writer; a liveness check must not.
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            uow.execute(text("SELECT 1"))
        return {"status": "ok", "database": uow.dialect}

    app.include_router(metrics_router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    # The back office: HTML pages with their own sign-in, outside the OpenAPI document.
    app.mount("/app", create_backoffice(container))
    # The page customers answer feedback requests on: public, the signed link is the key.
    app.mount("/feedback", create_feedback_page(lambda: app.state.container))

    access.install(app)  # last: every route is there to be checked against the table
    return app
