"""Fulfilment at a location: fulfilment orders, picking, click-and-collect, 3PL hand-off.

The routes live in ``api_orders``, ``api_picking`` and ``api_partners``; importing them
adds them to the feature's router."""

from ordermesh.fulfilment import api_orders, api_partners, api_picking  # noqa: F401
from ordermesh.fulfilment.routing import router

__all__ = ["router"]
