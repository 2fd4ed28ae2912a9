"""A large, reproducible data set for the ATP benchmark, loaded fast into PostgreSQL.

The few things that are configuration (locations, channels, where a channel may be served
from, safety stock defaults, the API key) go through the service functions, as an
operator would create them. The bulk goes in with ``INSERT … SELECT`` over
``generate_series``, computed inside PostgreSQL, so no row crosses the wire:

- ``skus`` products ``ATP-000000`` … in 200 categories;
- a stock row for every SKU at every location: 15% with nothing on hand, the rest 1 to 500
  units; 30% of the rows partly reserved; 10% with a safety stock of their own, and a
  default safety stock at every fifth location;
- channel ``web`` (no limits: the orders go here), ``marketplace`` (a quota on every
  20th SKU, in units or as a 25% share, and one category excluded) and ``stores``
  (served only from store locations and from those in Germany);
- two pieces of expected supply for every tenth SKU (purchase orders, production and
  customer returns, 1 to 60 days out);
- the ledger: one ``adjustment`` movement per stock row with units on hand and one
  ``reservation`` per reserved row, and ``channel_reserved`` to match, so that
  counters and ledger reconcile (``check`` verifies it in SQL).

Every value is a hash of the SKU, the location code and the seed (``hashtextextended``),
so the same seed gives the same data whatever the order or parallelism of the inserts.
The stock and its ledger are written at the same time on two connections (2 cores), with
their keys, foreign keys and indexes dropped for the load and rebuilt afterwards, then
everything is vacuumed and analysed so that no autovacuum runs during the measurement.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from sqlalchemy.engine import make_url

from bench.seed import Shop
from ordermesh.apikeys.model import Role
from ordermesh.apikeys.service import create_api_key
from ordermesh.channels.model import ChannelKind
from ordermesh.channels.service import CreateChannel, create_channel
from ordermesh.inventory.rules import ChannelSources, set_channel_sources, set_safety_default
from ordermesh.kit.clock import SystemClock
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.locations.model import Address, Capability, Location, LocationKind
from ordermesh.locations.service import create_location

CURRENCY = "EUR"
ORDER_CHANNEL = "web"
CHANNELS = (("web", ChannelKind.WEB), ("marketplace", ChannelKind.MARKETPLACE),
            ("stores", ChannelKind.STORE))
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "AT", "PL", "SE")
CATEGORIES = 200
LOAD_CONNECTIONS = 2  # one per core

# Deterministic ids of the same length as real ones (prefix + 26 characters).
_PRODUCT_ID = "'prd_atp' || lpad(n::text, 23, '0')"
_SKU = "'ATP-' || lpad(n::text, 6, '0')"

_PRODUCTS = f"""
INSERT INTO products (id, sku, name, price_amount, price_currency, tax_class, category,
                      handling, created_at)
SELECT {_PRODUCT_ID}, {_SKU}, 'ATP benchmark product ' || n,
       (199 + abs(hashtextextended({_SKU}, %(seed)s) %% 19800)) / 100.0, %(currency)s,
       'standard', 'cat-' || lpad((n %% {CATEGORIES})::text, 3, '0'), '[]'::jsonb, now()
FROM generate_series(0, %(skus)s - 1) AS n
"""

# The stock rows of SKUs lo..hi-1, a SKU's rows one after the other (as a product import
# would write them). u1..u4 are four independent 16-bit numbers from one 64-bit hash of
# (SKU, location). The stock and its ledger are both computed from this, so they can be
# written at the same time on two connections. Each OFFSET 0 keeps PostgreSQL from
# inlining a subquery, which would compute the hash once per use instead of once per row.
_STOCK_ROWS = f"""
SELECT product_id, location_id, on_hand,
       CASE WHEN u1 %% 100 >= 70 THEN u3 %% (on_hand + 1) ELSE 0 END AS reserved,
       CASE WHEN u4 %% 10 = 0 THEN u4 %% 7 END AS safety_stock
FROM generate_series(%(lo)s, %(hi)s - 1) AS n
CROSS JOIN LATERAL (
  SELECT {_PRODUCT_ID} AS product_id, l.id AS location_id, u1, u3, u4,
         CASE WHEN u1 %% 100 < 15 THEN 0 ELSE 1 + u2 %% 500 END AS on_hand
  FROM locations AS l
  CROSS JOIN LATERAL (SELECT hashtextextended({_SKU} || '@' || l.code, %(seed)s) AS h
                      OFFSET 0) AS x
  CROSS JOIN LATERAL (SELECT h & 65535 AS u1, (h >> 16) & 65535 AS u2,
                             (h >> 32) & 65535 AS u3, (h >> 48) & 32767 AS u4) AS u
  ORDER BY l.code
) AS r
OFFSET 0
"""
_STOCK = f"""
INSERT INTO stock (product_id, location_id, on_hand, reserved, damaged, in_transit,
                   safety_stock, updated_at)
SELECT product_id, location_id, on_hand, reserved, 0, 0, safety_stock, now()
FROM ({_STOCK_ROWS}) AS s
"""

# Every 20th SKU: a quota for the marketplace, alternately 40 units or a 25% share.
_QUOTAS = f"""
INSERT INTO allocation_rules (id, channel_id, scope, scope_value, kind, units, share_bp,
                              created_at, updated_at)
SELECT 'alr_atp' || lpad(n::text, 23, '0'), %(channel)s, 'sku', {_PRODUCT_ID}, 'quota',
       CASE WHEN n %% 40 = 0 THEN 40 END, CASE WHEN n %% 40 <> 0 THEN 2500 END, now(), now()
FROM generate_series(0, %(skus)s - 1, 20) AS n
"""
_EXCLUSION = """
INSERT INTO allocation_rules (id, channel_id, scope, scope_value, kind, created_at,
                              updated_at)
VALUES ('alr_atp_exclusion', %(channel)s, 'category', 'cat-007', 'exclude', now(), now())
"""

# Every 10th SKU: two pieces of supply (k = 0, 1) at hashed locations and dates.
_SUPPLY = f"""
INSERT INTO expected_supply (id, product_id, location_id, kind, reference, quantity,
                             received, expected_date, status, created_at, updated_at)
SELECT 'sup_atp' || lpad((n * 2 + k)::text, 23, '0'), {_PRODUCT_ID},
       (%(locations)s::text[])[1 + abs(h %% cardinality(%(locations)s::text[]))],
       CASE WHEN abs(h >> 8) %% 10 < 8 THEN 'purchase_order'
            WHEN abs(h >> 8) %% 10 = 8 THEN 'production' ELSE 'return' END,
       'PO-' || n, 10 + abs(h >> 16) %% 491, 0,
       current_date + (1 + abs(h >> 32) %% 60)::int, 'open', now(), now()
FROM generate_series(3, %(skus)s - 1, 10) AS n
CROSS JOIN generate_series(0, 1) AS k
CROSS JOIN LATERAL (SELECT hashtextextended({_SKU} || '#' || k, %(seed)s) AS h) AS x
"""

# The ledger behind the counters. A seeded reservation belongs to one of the channels,
# picked by the row's numbers (any deterministic choice would do).
_MOVEMENTS = f"""
INSERT INTO inventory_movements (product_id, location_id, kind, on_hand_delta,
    reserved_delta, damaged_delta, in_transit_delta, channel_id, reason, actor, occurred_at)
SELECT s.product_id, s.location_id, m.kind, m.on_hand_delta, m.reserved_delta, 0, 0,
       m.channel_id, m.reason, 'bench', now()
FROM ({_STOCK_ROWS}) AS s
CROSS JOIN LATERAL (VALUES
  ('adjustment', s.on_hand, 0, NULL, 'initial'),
  ('reservation', 0, s.reserved,
   (%(channels)s::text[])[1 + (s.on_hand + s.reserved) %% cardinality(%(channels)s::text[])],
   NULL)
) AS m (kind, on_hand_delta, reserved_delta, channel_id, reason)
WHERE m.kind = 'adjustment' AND s.on_hand > 0 OR m.kind = 'reservation' AND s.reserved > 0
"""
_CHANNEL_RESERVED = """
INSERT INTO channel_reserved (channel_id, product_id, reserved)
SELECT (%(channels)s::text[])[1 + (on_hand + reserved) %% cardinality(%(channels)s::text[])],
       product_id, sum(reserved)
FROM stock WHERE reserved > 0 GROUP BY 1, 2
"""

# Counters against the ledger, in the database: the Python check (ledger_drift) would
# pull millions of rows into dicts.
_DRIFT = """
SELECT count(*) FROM (
  SELECT product_id, location_id, sum(on_hand_delta) AS on_hand,
         sum(reserved_delta) AS reserved, sum(damaged_delta) AS damaged,
         sum(in_transit_delta) AS in_transit
  FROM inventory_movements GROUP BY product_id, location_id
) AS m
FULL JOIN stock AS s USING (product_id, location_id)
WHERE (coalesce(s.on_hand, 0), coalesce(s.reserved, 0), coalesce(s.damaged, 0),
       coalesce(s.in_transit, 0))
      IS DISTINCT FROM (coalesce(m.on_hand, 0), coalesce(m.reserved, 0),
                        coalesce(m.damaged, 0), coalesce(m.in_transit, 0))
"""
_CHANNEL_DRIFT = """
SELECT count(*) FROM (
  SELECT channel_id, product_id, sum(reserved_delta) AS reserved FROM inventory_movements
  WHERE channel_id IS NOT NULL GROUP BY channel_id, product_id
) AS m
FULL JOIN channel_reserved AS c USING (channel_id, product_id)
WHERE coalesce(c.reserved, 0) <> coalesce(m.reserved, 0)
"""


@dataclass(frozen=True)
class AtpSpec:
    skus: int = 100_000
    locations: int = 50
    seed: int = 20_261_126


@dataclass
class AtpData:
    """What the load needs to know about the generated data."""

    url: str
    spec: AtpSpec
    api_key: str
    channels: list[str]
    order_channel: str
    skus: list[str]
    prices: dict[str, Decimal]
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    def shop(self) -> Shop:
        """The orders benchmark's view: orders go to ``web`` over every SKU."""
        return Shop(url=self.url, api_key=self.api_key, channel=self.order_channel,
                    skus=self.skus, prices=self.prices)


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def location_code(i: int, count: int) -> tuple[str, LocationKind]:
    """The last fifth of the locations are stores, the rest warehouses."""
    if i >= count - count // 5:
        return f"st-{i:02d}", LocationKind.STORE
    return f"wh-{i:02d}", LocationKind.WAREHOUSE


def _configure(url: str, spec: AtpSpec) -> tuple[str, list[str], list[str]]:
    """Locations, channels, sources, safety defaults and the API key, through the services.
    Returns the API key, the location ids and the channel ids (in ``CHANNELS`` order)."""
    engine = build_engine(url, pool_size=1, max_overflow=0)
    try:
        with UnitOfWork(engine, SystemClock(), actor="bench") as uow:
            location_ids = []
            for i in range(spec.locations):
                code, kind = location_code(i, spec.locations)
                country = COUNTRIES[i % len(COUNTRIES)]
                location_ids.append(create_location(uow, Location(
                    id="", code=code, name=f"{kind.value.title()} {code}", kind=kind,
                    address=Address(line1=f"Lagerweg {i + 1}", city=f"City {i}",
                                    country=country),
                    latitude=None, longitude=None,
                    capabilities=frozenset({Capability.SHIP, Capability.PICKUP}),
                )).id)
            channel_ids = [create_channel(uow, CreateChannel(
                code, f"ATP benchmark {code}", kind, CURRENCY)).id for code, kind in CHANNELS]
            set_channel_sources(uow, ChannelSources(
                channel="stores", locations=[], location_kinds=[LocationKind.STORE.value],
                countries=["DE"]))
            for i in range(0, spec.locations, 5):
                set_safety_default(uow, location_code(i, spec.locations)[0], None, 2)
            _, secret = create_api_key(uow, "bench-admin", Role.ADMIN)
    finally:
        engine.dispose()
    return secret, location_ids, channel_ids


def _constraints_and_indexes(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """(drop statement, create statement) for the keys, foreign keys and other indexes."""
    found = []
    for name, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
            "ORDER BY contype DESC, conname", (table,)):  # keys before foreign keys
        found.append((f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
                      f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    for name, definition in conn.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index AS x "
            "JOIN pg_class AS i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.oid)",
            (table,)):
        found.append((f'DROP INDEX "{name}"', definition))
    return found


@contextmanager
def _bulk_load(dsn: str, conn: psycopg.Connection, tables: list[str]) -> Iterator[None]:
    """Keys, foreign keys and indexes of ``tables`` off during the load, and rebuilt
    afterwards, a table per connection (a foreign key is then checked in one join, not
    row by row). Check constraints stay on. ``conn`` is in autocommit mode."""
    saved = {table: _constraints_and_indexes(conn, table) for table in tables}
    for pairs in saved.values():
        for drop, _ in pairs:
            conn.execute(drop)
    yield
    _parallel(dsn, [[(create, {}) for _, create in pairs] for pairs in saved.values()])


Job = list[tuple[str, dict]]  # statements run one after the other on one connection


def _parallel(dsn: str, jobs: list[Job]) -> None:
    """Run the jobs on ``LOAD_CONNECTIONS`` connections at once (round robin)."""
    errors: list[BaseException] = []

    def run(mine: list[Job]) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET synchronous_commit = off")
                conn.execute("SET maintenance_work_mem = '512MB'")
                conn.execute("SET jit = off")  # compiling costs more than it saves here
                for job in mine:
                    for sql, params in job:
                        conn.execute(sql, params)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(jobs[i::LOAD_CONNECTIONS],))
               for i in range(LOAD_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _ranges(total: int, parts: int) -> list[tuple[int, int]]:
    step = -(-total // parts)
    return [(lo, min(lo + step, total)) for lo in range(0, total, step)]


def generate(url: str, spec: AtpSpec,
             progress: Callable[[str], None] | None = None) -> AtpData:
    """Fill the fresh, migrated PostgreSQL database at ``url``."""
    timings: dict[str, float] = {}
    say = progress or (lambda _: None)

    @contextmanager
    def step(name: str) -> Iterator[None]:
        say(name)
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    with step("configuration"):
        api_key, location_ids, channel_ids = _configure(url, spec)
    dsn = libpq_url(url)
    params = {"seed": spec.seed, "skus": spec.skus, "currency": CURRENCY,
              "locations": location_ids, "channels": channel_ids,
              "channel": channel_ids[1]}
    # Pieces of ~2,000 SKUs: short statements, progress in the server's statistics.
    pieces = [{**params, "lo": lo, "hi": hi}
              for lo, hi in _ranges(spec.skus, max(1, spec.skus // 2_000))]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        with step("products"):
            conn.execute(_PRODUCTS, params)
        with _bulk_load(dsn, conn, ["stock", "inventory_movements"]):
            # Two inserters into one table mostly wait for each other (measured: 15 s
            # instead of 17 s for the ledger); one table per connection does not.
            with step("stock and ledger"):
                _parallel(dsn, [[(_STOCK, piece) for piece in pieces],
                                [(_MOVEMENTS, piece) for piece in pieces]])
                conn.execute(_CHANNEL_RESERVED, params)
            say("keys, indexes and foreign keys")
            rebuild_started = time.perf_counter()
        timings["keys, indexes and foreign keys"] = time.perf_counter() - rebuild_started
        with step("rules and supply"):
            conn.execute(_QUOTAS, params)
            conn.execute(_EXCLUSION, params)
            conn.execute(_SUPPLY, params)
        rows = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("products", "stock", "inventory_movements", "channel_reserved",
                              "allocation_rules", "expected_supply")}
        with step("vacuum and analyze"):
            conn.execute("VACUUM (FREEZE, ANALYZE)")
        listing = conn.execute("SELECT sku, price_amount FROM products ORDER BY sku").fetchall()
    return AtpData(url=url, spec=spec, api_key=api_key, channels=[c for c, _ in CHANNELS],
                   order_channel=ORDER_CHANNEL, skus=[s for s, _ in listing],
                   prices={s: p for s, p in listing}, rows=rows, timings=timings)


@dataclass(frozen=True)
class AtpCheck:
    orders_in_db: int
    drift: int  # counter rows (stock and channel) that disagree with the ledger


def check(url: str) -> AtpCheck:
    """Orders in the database, and counters against the ledger, computed in SQL."""
    with psycopg.connect(libpq_url(url)) as conn:
        orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        drift = (conn.execute(_DRIFT).fetchone()[0]
                 + conn.execute(_CHANNEL_DRIFT).fetchone()[0])
    return AtpCheck(orders, drift)
