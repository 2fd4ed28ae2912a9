"""Fulfilment at a location over HTTP: pick lists (``api_picking``; importing it adds its
routes to the feature's router). The routes that answer with a fulfilment order and its
timeline, which shows the carrier's tracking too, are ``flows/fulfilment_api.py``."""

from ordermesh.fulfilment import api_picking  # noqa: F401
from ordermesh.fulfilment.routing import router

__all__ = ["router"]
