"""Realistic demo data for ``ordermesh demo``: a European fashion & home-goods seller.

``load_demo`` plans six weeks of trading (deterministic for a seed) and loads it through
the public use cases only; ``has_orders`` tells ``--if-empty`` whether to bother.
"""

from ordermesh.demo.loader import build_plan, has_orders, load_demo

__all__ = ["build_plan", "has_orders", "load_demo"]
