"""Benchmarks for ordermesh, run with ``python -m bench`` (``make bench``); never part of the tests.

Two parts, each against a real uvicorn server on a fresh database, results written to
``docs/benchmarks.md``:

- ``orders``: ``POST /api/v1/orders`` on a seeded shop (SQLite and/or PostgreSQL) at
  several concurrency levels, then stock counters checked against the ledger;
- ``atp``: available to promise (single SKU and 100-SKU batches) on 100,000 SKUs x 50
  locations in PostgreSQL (``bench.atp_data``), alone and while orders are placed.
"""
