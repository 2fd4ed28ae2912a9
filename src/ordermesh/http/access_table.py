"""The access table: which roles may call each API operation.

Every route of the app has an entry in ``ACCESS``, keyed ``"METHOD /path/template"`` exactly
as the operation appears in the OpenAPI document. ``http/access.py`` checks the table
against the app's routes when the app is created and enforces it; docs/api-conventions.md
shows it.
"""

from __future__ import annotations

import enum

from ordermesh.apikeys.model import ADMIN_ROLES, STAFF_ROLES, WRITE_ROLES, Role


class Access(enum.Enum):
    """Who may call an operation; the value is how the docs name them."""

    PUBLIC = "anyone, no key"
    CARRIER = "a carrier: no key, the body signed with its webhook secret"
    SMS_PROVIDER = "the SMS provider: no key, the body signed with the shared secret"
    PLATFORM = "a shop platform: no key, the body signed with the connector's secret"
    SCRAPER = "a metrics scraper: no key, the bearer token ORDERMESH_METRICS_TOKEN"
    VIEWER = "viewer, operator, admin"
    OPERATOR = "operator, admin"
    ADMIN = "admin"
    SUPPLIER = "a supplier's partner key (role supplier): its own drop-ship orders only"

    @property
    def roles(self) -> frozenset[Role]:
        """The roles whose API key is accepted; empty when no key is asked for."""
        return _ROLES[self]

    @property
    def asks_for_key(self) -> bool:
        return self not in (Access.PUBLIC, Access.CARRIER, Access.SMS_PROVIDER,
                            Access.PLATFORM, Access.SCRAPER)


_ROLES = {
    Access.PUBLIC: frozenset(),
    Access.CARRIER: frozenset(),
    Access.SMS_PROVIDER: frozenset(),
    Access.PLATFORM: frozenset(),
    Access.SCRAPER: frozenset(),
    Access.VIEWER: STAFF_ROLES,
    Access.OPERATOR: WRITE_ROLES,
    Access.ADMIN: ADMIN_ROLES,
    Access.SUPPLIER: frozenset({Role.SUPPLIER}),
}
PUBLIC, CARRIER, SCRAPER = Access.PUBLIC, Access.CARRIER, Access.SCRAPER
SMS_PROVIDER, PLATFORM = Access.SMS_PROVIDER, Access.PLATFORM
VIEWER, OPERATOR, ADMIN = Access.VIEWER, Access.OPERATOR, Access.ADMIN
SUPPLIER = Access.SUPPLIER

ACCESS: dict[str, Access] = {
    # no key: health and the documentation
    "GET /openapi.json": PUBLIC,
    "GET /docs-assets/{path}": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /health": PUBLIC,
    "GET /metrics": SCRAPER,
    "GET /": PUBLIC,
    # the back office (HTML, mounted): it asks for its own sign-in and checks each user's
    # role itself (ordermesh.backoffice.web), not for an API key
    "GET /app/{path}": PUBLIC,

    # catalog: channels, locations, products
    "POST /api/v1/channels": OPERATOR,
    "GET /api/v1/channels": VIEWER,
    "GET /api/v1/channels/{channel_id}": VIEWER,
    "PATCH /api/v1/channels/{channel_id}": ADMIN,
    "POST /api/v1/locations": OPERATOR,
    "GET /api/v1/locations": VIEWER,
    "GET /api/v1/locations/{location_id}": VIEWER,
    "PATCH /api/v1/locations/{location_id}": ADMIN,
    "POST /api/v1/products": OPERATOR,
    "GET /api/v1/products": VIEWER,
    "GET /api/v1/products/{product_id}": VIEWER,
    "PATCH /api/v1/products/{product_id}": OPERATOR,

    # allocation and availability
    "PUT /api/v1/channels/{code}/sources": OPERATOR,
    "GET /api/v1/channels/{code}/sources": VIEWER,
    "POST /api/v1/allocation-rules": OPERATOR,
    "GET /api/v1/allocation-rules": VIEWER,
    "GET /api/v1/allocation-rules/{rule_id}": VIEWER,
    "DELETE /api/v1/allocation-rules/{rule_id}": OPERATOR,
    "PUT /api/v1/inventory/safety-stock": OPERATOR,
    "PUT /api/v1/inventory/safety-stock/defaults": OPERATOR,
    "GET /api/v1/inventory/safety-stock/defaults": VIEWER,
    "PUT /api/v1/products/{sku}/stock-policy": OPERATOR,
    "GET /api/v1/products/{sku}/stock-policy": VIEWER,
    "GET /api/v1/availability": VIEWER,
    "POST /api/v1/availability/batch": VIEWER,
    "GET /api/v1/inventory/health": VIEWER,

    # inventory
    "POST /api/v1/inventory/supply": OPERATOR,
    "GET /api/v1/inventory/supply": VIEWER,
    "GET /api/v1/inventory/supply/{supply_id}": VIEWER,
    "POST /api/v1/inventory/supply/{supply_id}/cancel": OPERATOR,
    "POST /api/v1/inventory/receipts": OPERATOR,
    "POST /api/v1/inventory/counts": OPERATOR,
    "POST /api/v1/inventory/damage": OPERATOR,
    "POST /api/v1/inventory/transfers": OPERATOR,
    "GET /api/v1/inventory/transfers": VIEWER,
    "GET /api/v1/inventory/transfers/{transfer_id}": VIEWER,
    "POST /api/v1/inventory/transfers/{transfer_id}/receipts": OPERATOR,
    "POST /api/v1/inventory/adjustments": OPERATOR,
    "GET /api/v1/inventory/{sku}": VIEWER,

    # customers and orders
    "GET /api/v1/customers": VIEWER,
    "GET /api/v1/customers/{customer_id}": VIEWER,
    "POST /api/v1/orders": OPERATOR,
    "GET /api/v1/orders": VIEWER,
    "GET /api/v1/orders/{order_id}": VIEWER,
    "POST /api/v1/orders/{order_id}/cancel": OPERATOR,
    "POST /api/v1/orders/{order_id}/hold": OPERATOR,
    "POST /api/v1/orders/{order_id}/release-hold": OPERATOR,
    "POST /api/v1/orders/{order_id}/edits": OPERATOR,
    "GET /api/v1/orders/{order_id}/versions": VIEWER,
    "POST /api/v1/orders/{order_id}/refunds": OPERATOR,
    "POST /api/v1/orders/{order_id}/payment-override": OPERATOR,
    "GET /api/v1/orders/{order_id}/refunds": VIEWER,
    "POST /api/v1/orders/{order_id}/shipments": OPERATOR,
    "GET /api/v1/orders/{order_id}/shipments": VIEWER,

    # reservations
    "POST /api/v1/reservations": OPERATOR,
    "GET /api/v1/reservations/{reservation_id}": VIEWER,
    "POST /api/v1/reservations/{reservation_id}/release": OPERATOR,

    # prices and tax
    "POST /api/v1/price-lists": OPERATOR,
    "GET /api/v1/price-lists": VIEWER,
    "GET /api/v1/price-lists/{code}": VIEWER,
    "PATCH /api/v1/price-lists/{code}": OPERATOR,
    "PUT /api/v1/price-lists/{code}/prices": OPERATOR,
    "DELETE /api/v1/price-lists/{code}/prices/{sku}": OPERATOR,
    "GET /api/v1/prices": VIEWER,
    "GET /api/v1/tax/rates": VIEWER,
    "POST /api/v1/tax/rates": ADMIN,
    "GET /api/v1/tax/registrations/{code}": VIEWER,
    "PUT /api/v1/tax/registrations/{code}": ADMIN,
    "POST /api/v1/tax/quote": VIEWER,
    "GET /api/v1/tax/report": VIEWER,

    # payments and invoices
    "POST /api/v1/orders/{order_id}/payments": OPERATOR,
    "GET /api/v1/orders/{order_id}/payments": VIEWER,
    "GET /api/v1/payments/{payment_id}": VIEWER,
    "POST /api/v1/payments/{payment_id}/capture": OPERATOR,
    "POST /api/v1/payments/{payment_id}/void": OPERATOR,
    "POST /api/v1/payments/{payment_id}/refund": OPERATOR,
    "POST /api/v1/payments/{payment_id}/sync": OPERATOR,
    "POST /api/v1/legal-entities": ADMIN,
    "GET /api/v1/legal-entities": VIEWER,
    "GET /api/v1/legal-entities/{code}": VIEWER,
    "PATCH /api/v1/legal-entities/{code}": ADMIN,
    "GET /api/v1/legal-entities/{code}/series": VIEWER,
    "POST /api/v1/legal-entities/{code}/series": ADMIN,
    "GET /api/v1/invoices": VIEWER,
    "GET /api/v1/invoices/{invoice_id}": VIEWER,
    "GET /api/v1/invoices/{invoice_id}/pdf": VIEWER,

    # events and API keys
    "GET /api/v1/events": VIEWER,
    "GET /api/v1/audit": ADMIN,
    "POST /api/v1/api-keys": ADMIN,
    "GET /api/v1/api-keys": ADMIN,
    "POST /api/v1/api-keys/{key_id}/revoke": ADMIN,

    # sourcing and fulfilment
    "GET /api/v1/channels/{channel_id}/sourcing": VIEWER,
    "PUT /api/v1/channels/{channel_id}/sourcing": ADMIN,
    "GET /api/v1/orders/{order_id}/sourcing": VIEWER,
    "POST /api/v1/orders/{order_id}/backorders/source": OPERATOR,
    "GET /api/v1/fulfilment-orders": VIEWER,
    "GET /api/v1/fulfilment-orders/{fo_id}": VIEWER,
    "GET /api/v1/orders/{order_id}/fulfilment": VIEWER,
    "POST /api/v1/fulfilment-orders/{fo_id}/accept": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/reject": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/start-picking": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/ready-for-pickup": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/pickup-code": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/pickup": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/3pl/accepted": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/3pl/shipped": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/3pl/short": OPERATOR,
    "PUT /api/v1/locations/{code}/bins": OPERATOR,
    "GET /api/v1/locations/{code}/bins": VIEWER,
    "POST /api/v1/pick-lists": OPERATOR,
    "GET /api/v1/pick-lists/{pick_list_id}": VIEWER,
    "POST /api/v1/pick-lists/{pick_list_id}/confirm": OPERATOR,

    # packing
    "POST /api/v1/packaging-types": ADMIN,
    "GET /api/v1/packaging-types": VIEWER,
    "GET /api/v1/packaging-types/{ref}": VIEWER,
    "PATCH /api/v1/packaging-types/{ref}": ADMIN,
    "PUT /api/v1/hazmat-marks/{sku}": ADMIN,
    "GET /api/v1/fulfilment-orders/{fo_id}/packing-proposal": VIEWER,
    "POST /api/v1/fulfilment-orders/{fo_id}/packages": OPERATOR,
    "GET /api/v1/fulfilment-orders/{fo_id}/packages": VIEWER,
    "GET /api/v1/packages/{package_id}": VIEWER,
    "GET /api/v1/packages/{package_id}/label.pdf": VIEWER,
    "GET /api/v1/fulfilment-orders/{fo_id}/packing-slip.pdf": VIEWER,
    "GET /api/v1/sscc-settings": ADMIN,
    "PUT /api/v1/sscc-settings": ADMIN,

    # shipping
    "POST /api/v1/carriers": ADMIN,
    "GET /api/v1/carriers": VIEWER,
    "GET /api/v1/carriers/{code}": VIEWER,
    "PATCH /api/v1/carriers/{code}": ADMIN,
    "POST /api/v1/fulfilment-orders/{fo_id}/ship": OPERATOR,
    "POST /api/v1/fulfilment-orders/{fo_id}/handover": OPERATOR,
    "GET /api/v1/fulfilment-orders/{fo_id}/shipment": VIEWER,
    "GET /api/v1/fulfilment-orders/{fo_id}/rates": VIEWER,
    "POST /api/v1/tracking/{carrier}": CARRIER,
    "GET /api/v1/tracking-events/parked": VIEWER,
    "POST /api/v1/tracking-events/{event_id}/release": OPERATOR,
    "POST /api/v1/tracking-events/{event_id}/discard": OPERATOR,
    "GET /api/v1/delivery-performance": VIEWER,
    "POST /api/v1/suppliers": OPERATOR,
    "GET /api/v1/suppliers": VIEWER,
    "GET /api/v1/suppliers/{supplier_id}": VIEWER,
    "PATCH /api/v1/suppliers/{supplier_id}": OPERATOR,
    "PUT /api/v1/suppliers/{supplier_id}/products/{sku}": OPERATOR,
    "GET /api/v1/suppliers/{supplier_id}/products": VIEWER,
    "GET /api/v1/suppliers/{supplier_id}/scorecard": VIEWER,
    "PUT /api/v1/suppliers/{supplier_id}/links": OPERATOR,
    "GET /api/v1/suppliers/{supplier_id}/links": VIEWER,
    "GET /api/v1/products/{sku}/suppliers": VIEWER,
    "POST /api/v1/purchase-orders": OPERATOR,
    "GET /api/v1/purchase-orders": VIEWER,
    "GET /api/v1/purchase-orders/{po_id}": VIEWER,
    "POST /api/v1/purchase-orders/{po_id}/send": OPERATOR,
    "POST /api/v1/purchase-orders/{po_id}/notifications": OPERATOR,
    "POST /api/v1/purchase-orders/{po_id}/confirm": OPERATOR,
    "POST /api/v1/purchase-orders/{po_id}/receipts": OPERATOR,
    "POST /api/v1/purchase-orders/{po_id}/close": OPERATOR,
    "POST /api/v1/purchase-orders/{po_id}/cancel": OPERATOR,
    "GET /api/v1/purchase-orders/{po_id}/pdf": VIEWER,
    "GET /api/v1/replenishment/suggestions": VIEWER,
    "POST /api/v1/replenishment/purchase-orders": OPERATOR,

    # webhooks
    "POST /api/v1/webhook-endpoints": ADMIN,
    "GET /api/v1/webhook-endpoints": ADMIN,
    "GET /api/v1/webhook-endpoints/{endpoint_id}": ADMIN,
    "PATCH /api/v1/webhook-endpoints/{endpoint_id}": ADMIN,
    "DELETE /api/v1/webhook-endpoints/{endpoint_id}": ADMIN,
    "POST /api/v1/webhook-endpoints/{endpoint_id}/rotate-secret": ADMIN,
    "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries": ADMIN,
    "POST /api/v1/webhook-deliveries/{delivery_id}/replay": ADMIN,
    "POST /api/v1/webhook-endpoints/{endpoint_id}/replay": ADMIN,
    # connectors
    "POST /api/v1/connectors": ADMIN,
    "GET /api/v1/connectors": VIEWER,
    "GET /api/v1/connectors/{code}": VIEWER,
    "PATCH /api/v1/connectors/{code}": ADMIN,
    "GET /api/v1/connectors/{code}/inbox": VIEWER,
    "GET /api/v1/connectors/{code}/pushes": VIEWER,
    "GET /api/v1/connectors/{code}/health": VIEWER,
    "POST /api/v1/connectors/{code}/poll": OPERATOR,
    "POST /api/v1/connectors/{code}/webhooks": PLATFORM,

    # returns
    "GET /api/v1/return-reasons": VIEWER,
    "POST /api/v1/return-reasons": ADMIN,
    "GET /api/v1/return-policies/{channel}": VIEWER,
    "PUT /api/v1/return-policies/{channel}": ADMIN,
    "GET /api/v1/orders/{order_id}/returnable": VIEWER,
    "POST /api/v1/returns/preview": OPERATOR,
    "POST /api/v1/returns": OPERATOR,
    "GET /api/v1/returns": VIEWER,
    "GET /api/v1/returns/analytics": VIEWER,
    "GET /api/v1/returns/{return_id}": VIEWER,
    "POST /api/v1/returns/{return_id}/authorise": OPERATOR,
    "POST /api/v1/returns/{return_id}/reject": OPERATOR,
    "POST /api/v1/returns/{return_id}/cancel": OPERATOR,
    "POST /api/v1/returns/{return_id}/receipts": OPERATOR,
    "POST /api/v1/returns/{return_id}/inspection": OPERATOR,
    "POST /api/v1/returns/{return_id}/exchange": OPERATOR,
    "POST /api/v1/returns/{return_id}/refund": OPERATOR,

    # feedback; the answer page (HTML, mounted) takes no key: its signed link is the key
    "GET /feedback/{path}": PUBLIC,
    "POST /api/v1/feedback": OPERATOR,
    "GET /api/v1/feedback": VIEWER,
    "GET /api/v1/feedback/insights": VIEWER,
    "GET /api/v1/feedback/{feedback_id}": VIEWER,
    "GET /api/v1/feedback-requests": VIEWER,
    # customer profile (reads with the other customer reads above)
    "PATCH /api/v1/customers/{customer_id}": OPERATOR,
    "POST /api/v1/customers/{customer_id}/addresses": OPERATOR,
    "DELETE /api/v1/customers/{customer_id}/addresses/{address_id}": OPERATOR,
    "POST /api/v1/customers/{customer_id}/identities": OPERATOR,
    "DELETE /api/v1/customers/{customer_id}/identities/{identity_id}": OPERATOR,
    "GET /api/v1/customers/{customer_id}/consents": VIEWER,
    "GET /api/v1/customers/{customer_id}/store-credit": VIEWER,
    "POST /api/v1/customers/{customer_id}/store-credit/adjustments": ADMIN,
    "POST /api/v1/customers/{customer_id}/consents": OPERATOR,
    "POST /api/v1/customers/{customer_id}/merges": OPERATOR,
    "POST /api/v1/customer-merges/{merge_id}/undo": OPERATOR,
    "POST /api/v1/customers/{customer_id}/export": ADMIN,
    "POST /api/v1/customers/{customer_id}/erasure": ADMIN,
    "GET /api/v1/customers/{customer_id}/duplicates": VIEWER,
    "POST /api/v1/segments": OPERATOR,
    "GET /api/v1/segments": VIEWER,
    "GET /api/v1/segments/{segment_id}": VIEWER,
    "GET /api/v1/segments/{segment_id}/customers": VIEWER,
    # messaging
    "GET /api/v1/messages": VIEWER,
    "GET /api/v1/messages/{message_id}": VIEWER,
    "POST /api/v1/sms/status": SMS_PROVIDER,
    "POST /api/v1/campaigns": OPERATOR,
    "GET /api/v1/campaigns": VIEWER,
    "GET /api/v1/campaigns/{campaign_id}": VIEWER,
    "PATCH /api/v1/campaigns/{campaign_id}": OPERATOR,
    "POST /api/v1/campaigns/{campaign_id}/test-send": OPERATOR,
    "POST /api/v1/campaigns/{campaign_id}/schedule": OPERATOR,
    "POST /api/v1/campaigns/{campaign_id}/cancel": OPERATOR,
    # the unsubscribe link of a marketing message: the link is the credential
    "GET /unsubscribe/{token}": PUBLIC,
    "POST /unsubscribe/{token}": PUBLIC,
    # drop-ship: the merchant's rules and purchase orders; the supplier's partner API
    "POST /api/v1/dropship-rules": OPERATOR,
    "GET /api/v1/dropship-rules": VIEWER,
    "DELETE /api/v1/dropship-rules/{rule_id}": OPERATOR,
    "GET /api/v1/dropship-orders": VIEWER,
    "GET /api/v1/dropship-orders/{ds_id}": VIEWER,
    "GET /api/v1/partner/dropship-orders": SUPPLIER,
    "GET /api/v1/partner/dropship-orders/{ds_id}": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/accept": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/reject": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/ship": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/short": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/cancellation/accept": SUPPLIER,
    "POST /api/v1/partner/dropship-orders/{ds_id}/cancellation/refuse": SUPPLIER,
}
