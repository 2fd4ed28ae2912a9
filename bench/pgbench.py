"""The database's own limit for an order-shaped transaction, measured with ``pgbench``.

The transaction is the one issue 6 names as the floor: two conditional stock updates, an
order row, two line rows and an outbox row, on tables of their own (schema
``pgbench_oms``) in the benchmark's database, so the API's rate can be read against what
PostgreSQL alone does on the same machine at the same moment (API / pgbench =
efficiency). Its tables are created, filled with a fixed seed and dropped here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PRODUCTS = 1000
LOCATIONS = 3
SCHEMA = "pgbench_oms"

SETUP = f"""
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.stock (product_id int, location_id int, on_hand int NOT NULL,
    reserved int NOT NULL, PRIMARY KEY (product_id, location_id));
CREATE TABLE {SCHEMA}.orders (id bigserial PRIMARY KEY, channel text NOT NULL,
    total numeric(14, 2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE {SCHEMA}.order_lines (order_id bigint NOT NULL, line_no int NOT NULL,
    product_id int NOT NULL, quantity int NOT NULL, unit_price numeric(14, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no));
CREATE TABLE {SCHEMA}.outbox (id bigserial PRIMARY KEY, type text NOT NULL,
    payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO {SCHEMA}.stock
    SELECT p, l, 1000000, 0 FROM generate_series(1, {PRODUCTS}) p,
                                 generate_series(1, {LOCATIONS}) l;
"""

# One order: two products, each reserved only if free stock is left (the conditional
# UPDATE the API uses too), then the order, its lines and its event.
SCRIPT = f"""\\set p1 random(1, {PRODUCTS})
\\set p2 random(1, {PRODUCTS})
\\set loc random(1, {LOCATIONS})
BEGIN;
UPDATE {SCHEMA}.stock SET reserved = reserved + 1
  WHERE product_id = :p1 AND location_id = :loc AND on_hand - reserved >= 1;
UPDATE {SCHEMA}.stock SET reserved = reserved + 1
  WHERE product_id = :p2 AND location_id = :loc AND on_hand - reserved >= 1;
INSERT INTO {SCHEMA}.orders (channel, total) VALUES ('web', 39.80) RETURNING id \\gset
INSERT INTO {SCHEMA}.order_lines VALUES (:id, 1, :p1, 1, 19.90), (:id, 2, :p2, 1, 19.90);
INSERT INTO {SCHEMA}.outbox (type, payload)
  VALUES ('order.created', jsonb_build_object('order', (:id)::bigint, 'lines', 2));
COMMIT;
"""


@dataclass(frozen=True)
class PgbenchResult:
    clients: int
    tps: float
    latency_ms: float


def available() -> bool:
    return shutil.which("pgbench") is not None


def run_pgbench(url: str, clients: int, duration_s: float) -> PgbenchResult:
    """``pgbench`` with ``clients`` connections for ``duration_s`` seconds (prepared
    statements, two threads) against the database of ``url`` (a SQLAlchemy URL)."""
    parsed = make_url(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in SETUP.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement))
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(SCRIPT)
            script.flush()
            command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
                       "-T", str(max(1, round(duration_s))), "-f", script.name,
                       "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
                       "-U", parsed.username or "postgres", parsed.database or "postgres"]
            out = subprocess.run(command, capture_output=True, text=True, check=True,
                                 cwd=Path(script.name).parent).stdout
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    finally:
        engine.dispose()
    tps = re.search(r"tps = ([\d.]+)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    if tps is None:
        raise RuntimeError(f"pgbench printed no rate:\n{out}")
    return PgbenchResult(clients, float(tps.group(1)),
                         float(latency.group(1)) if latency else float("nan"))
