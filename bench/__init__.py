"""Benchmarks for ordermesh, run with ``python -m bench`` (``make bench``); never part of the tests.

The order-placement benchmark starts a real uvicorn server on a fresh, seeded database
(SQLite and/or PostgreSQL), drives ``POST /api/v1/orders`` from an httpx load generator at
several concurrency levels, verifies that stock counters still agree with the ledger, and
writes the results to ``docs/benchmarks.md``.
"""
