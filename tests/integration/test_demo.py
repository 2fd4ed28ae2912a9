"""The demo data set: realistic, consistent with the stock ledger, loaded only once."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ordermesh import cli
from ordermesh.bootstrap import build_container
from ordermesh.catalog.tables import products
from ordermesh.channels.model import ChannelKind
from ordermesh.channels.tables import channels
from ordermesh.demo import build_plan, has_orders
from ordermesh.fulfilment.tables import fulfilment_orders
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.tables import stock
from ordermesh.invoices.tables import invoices, legal_entities
from ordermesh.kit.clock import FixedClock, as_utc
from ordermesh.kit.outbox import outbox
from ordermesh.migrations import upgrade
from ordermesh.orders.tables import (
    order_lines,
    order_refunds,
    order_shipments,
    order_versions,
    orders,
)
from ordermesh.payments.tables import payments
from ordermesh.pricing.tables import price_lists
from tests.conftest import PG_URL_ENV, START, commit_without_flush

# Loading the demo works six weeks of orders through every use case (about half a minute
# of CPU), so each database kind loads it once per test process, as a user does, with
# `ordermesh demo --if-empty` into an empty database; every test gets its own copy of that
# database: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL.


def _load(url: str) -> str:
    """What `ordermesh demo --if-empty` prints loading into the empty database at ``url``
    (white space as one space: the console wraps long lines), on the tests' clock."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERMESH_DATABASE_URL", url)
        patch.setattr(cli, "build_container", lambda: build_container(clock=FixedClock(START)))
        loaded = CliRunner().invoke(cli.app, ["demo", "--if-empty"])
    assert loaded.exit_code == 0, loaded.output
    return " ".join(loaded.output.split())


@pytest.fixture(scope="session")
def sqlite_demo(sqlite_template: str, tmp_path_factory) -> tuple[str, str]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    return str(path), _load(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_demo(postgres_url: str) -> Iterator[tuple[str, str]]:
    admin = create_engine(os.environ[PG_URL_ENV], isolation_level="AUTOCOMMIT")
    name = f"ordermesh_demo_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        commit_without_flush(conn, name)
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    summary = _load(url)
    yield name, summary
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def demo_summary(request: pytest.FixtureRequest, db_url: str) -> str:
    """The demo, loaded into this test's database (a copy of the one loaded per process):
    what `ordermesh demo --if-empty` printed loading it."""
    if db_url.startswith("sqlite"):
        path, summary = request.getfixturevalue("sqlite_demo")
        shutil.copy(path, make_url(db_url).database)
        return summary
    name, summary = request.getfixturevalue("postgres_demo")
    admin = create_engine(os.environ[PG_URL_ENV], isolation_level="AUTOCOMMIT")
    target = make_url(db_url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{name}"'))
        commit_without_flush(conn, target)
    admin.dispose()
    return summary


def test_demo_data_has_every_kind_of_channel_and_hundreds_of_orders(demo_summary, container,
                                                                     uow):
    summary = demo_summary

    assert has_orders(container)
    with uow(write=False) as u:
        kinds = {r.kind: r.currency for r in u.execute(select(channels))}
        rows = u.execute(select(orders, channels.c.kind).join(
            channels, channels.c.id == orders.c.channel_id)).all()
        basket_sizes = Counter(u.execute(
            select(func.count()).select_from(order_lines).group_by(order_lines.c.order_seq)
        ).scalars())
    assert set(kinds) >= {ChannelKind.WEB, ChannelKind.MARKETPLACE, ChannelKind.SHOP_PLATFORM,
                          ChannelKind.STORE, ChannelKind.PHONE}
    assert 300 <= len(rows) <= 500
    assert f"{len(rows)} orders" in summary
    assert set(basket_sizes) == {1, 2, 3, 4}

    now = container.clock.now()
    created = [as_utc(r.created_at) for r in rows]
    assert min(created) >= now - timedelta(days=43)
    assert max(created) <= now
    assert max(created) - min(created) > timedelta(days=40)
    per_weekday = Counter(c.weekday() for c in created)
    assert per_weekday[5] + per_weekday[6] > (per_weekday[1] + per_weekday[2]) * 1.2

    statuses = Counter(r.status for r in rows)
    assert 0.03 * len(rows) <= statuses["cancelled"] <= 0.08 * len(rows)
    assert 3 <= statuses["on_hold"] <= 10
    marketplace = [r for r in rows if r.kind in ("marketplace", "shop_platform")]
    assert marketplace and all(r.external_id for r in marketplace)
    assert any(r.currency == "GBP" for r in rows)

    channels_per_customer = defaultdict(set)
    for r in rows:
        if r.customer_id:
            channels_per_customer[r.customer_id].add(r.channel_id)
    repeat = Counter(r.customer_id for r in rows if r.customer_id)
    assert sum(1 for n in repeat.values() if n >= 3) >= 10
    assert sum(1 for chans in channels_per_customer.values() if len(chans) > 1) >= 5


def test_demo_stock_counters_agree_with_the_ledger_after_loading_twice_with_if_empty(
    demo_summary, container, db_url, uow, monkeypatch
):
    # the first `ordermesh demo --if-empty`, into an empty database, made this test's copy
    assert "Demo data loaded: " in demo_summary
    with uow(write=False) as u:
        count = u.execute(select(func.count()).select_from(orders)).scalar_one()
    assert f"{count} orders" in demo_summary

    monkeypatch.setenv("ORDERMESH_DATABASE_URL", db_url)
    runner = CliRunner()
    second = runner.invoke(cli.app, ["demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "already has orders" in second.output

    with uow(write=False) as u:
        assert u.execute(select(func.count()).select_from(orders)).scalar_one() == count
        assert ledger_drift(u) == []
        reserved = u.execute(select(func.sum(stock.c.reserved))).scalar_one()
        # units still to ship: shipped ones left the stock, refunded-unshipped ones went
        # back, backordered ones wait for supply without holding any
        open_units = u.execute(select(func.sum(
            order_lines.c.quantity - order_lines.c.cancelled_quantity
            - order_lines.c.shipped_quantity - order_lines.c.refunded_unshipped
            - order_lines.c.backordered_quantity))).scalar_one()
        short = u.execute(select(func.count()).select_from(stock)
                          .where(stock.c.on_hand - stock.c.reserved <= 1)).scalar_one()
    assert reserved == open_units
    assert short > 0  # some SKUs run low somewhere
    verify = runner.invoke(cli.app, ["inventory", "verify"])
    assert verify.exit_code == 0, verify.output


def test_the_same_seed_plans_the_same_six_weeks_and_another_seed_does_not():
    first, again, other = build_plan(7, START), build_plan(7, START), build_plan(8, START)

    assert first == again
    assert [o.cmd for o in first.orders] != [o.cmd for o in other.orders]
    assert all(o.at < START for o in first.orders)


def test_demo_orders_are_invoiced_paid_shipped_refunded_and_edited(demo_summary, container, uow):

    with uow(write=False) as u:
        sellers = {r.id: r.country for r in u.execute(select(legal_entities))}
        chans = {r.code: r for r in u.execute(select(channels))}
        placed = {r.id: r for r in u.execute(select(orders))}
        docs = u.execute(select(invoices)).all()
        pays = u.execute(select(payments)).all()
        refunds = u.execute(select(order_refunds)).all()
        shipments = u.execute(select(order_shipments)).all()
        edited = u.execute(select(order_versions).where(order_versions.c.version > 1)).all()
        lists = u.execute(select(price_lists)).all()
        lines = u.execute(select(order_lines, orders.c.channel_id, products.c.price_amount)
                          .join(orders, orders.c.seq == order_lines.c.order_seq)
                          .join(products, products.c.id == order_lines.c.product_id)).all()

    # a seller per country sold from, every channel invoicing as one of them
    assert sorted(sellers.values()) == ["DE", "GB"]
    assert {sellers[c.legal_entity_id] for c in chans.values() if c.currency == "EUR"} == {"DE"}
    assert sellers[chans["web-uk"].legal_entity_id] == "GB"
    assert (chans["amazon-de"].capture_policy, chans["amazon-de"].tax_point) == (
        "shipment", "shipment")

    # invoices at the tax point, numbered without gaps; credit notes for refunds
    numbers = defaultdict(list)
    for d in docs:
        numbers[d.series_id].append(d.sequence)
    assert all(sorted(seqs) == list(range(1, len(seqs) + 1)) for seqs in numbers.values())
    kinds = Counter(d.kind for d in docs)
    assert kinds["invoice"] >= 250 and kinds["credit_note"] >= 3
    cut = {ln.order_seq for ln in lines if ln.cancelled_quantity}
    untouched = {i for i, o in placed.items() if o.version == 1
                 and o.status not in ("cancelled", "on_hold")
                 and o.refunded_amount == 0 and o.seq not in cut}
    at_order = [d for d in docs if d.kind == "invoice" and d.order_id in untouched
                and d.reference == "order"]
    assert len(at_order) >= 200
    assert all(d.gross_amount == placed[d.order_id].total_amount for d in at_order)

    # most orders still standing are paid; every state of a payment shows
    statuses = Counter(p.status for p in pays)
    assert {"captured", "authorised", "declined", "pending", "voided", "refunded",
            "partially_refunded"} <= set(statuses)
    standing = {i for i, o in placed.items() if o.status != "cancelled"}
    paid = {p.order_id for p in pays if p.authorised_amount > 0}
    assert len(standing & paid) >= 0.85 * len(standing)
    assert {p.method for p in pays} >= {"card", "cash", "bank_transfer", "cash_on_delivery"}
    for p in pays:
        assert p.refunded_amount <= p.captured_amount <= p.authorised_amount

    # shipments (Amazon's captured as they ship), refunds, edits with their versions
    amazon = {o.seq for o in placed.values() if o.channel_id == chans["amazon-de"].id}
    assert len(shipments) >= 10
    assert any(s.captured_amount > 0 for s in shipments if s.order_seq in amazon)
    assert Counter(r.kind for r in refunds)["refund"] >= 3
    assert any(r.lines and "goodwill" in r.lines[0] for r in refunds)
    assert any(r.lines and "line_no" in r.lines[0] for r in refunds)
    assert {"cancellation", "edit"} <= {r.kind for r in refunds}
    ops = {change["op"] for v in edited for change in v.changes}
    assert {"set_quantity", "set_shipping_address"} <= ops

    # a price list per channel and a promotion; our own channels take the list price,
    # Amazon's price is kept beside ours
    assert len(lists) == len(chans) + 1
    web_de = [ln for ln in lines if ln.channel_id == chans["web-de"].id]
    assert all(ln.unit_price == ln.list_price for ln in web_de)
    assert any(ln.unit_price < ln.price_amount and ln.discount_amount == 0 for ln in web_de)
    assert any(ln.discount_reason for ln in web_de)
    on_amazon = [ln for ln in lines if ln.channel_id == chans["amazon-de"].id]
    assert any(ln.unit_price != ln.list_price for ln in on_amazon)


def test_a_packed_demo_order_can_be_labelled_and_shipped_at_once(demo_summary, client):
    packed = client.get("/api/v1/fulfilment-orders",
                        params={"status": "packed", "limit": 200}).json()["items"]
    fo = next(f for f in packed if f["kind"] == "ship")
    packages = client.get(f"/api/v1/fulfilment-orders/{fo['id']}/packages").json()["items"]
    assert all(p["packaging_code"] and p["sscc"].startswith("00614141") for p in packages)
    label = client.get(packages[0]["label_url"])
    assert label.status_code == 200 and label.content.startswith(b"%PDF")
    shipped = client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ship", json={})
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["carrier"] == "sim"


def _signed(body: dict, secret: str) -> tuple[bytes, dict]:
    """The webhook request docs/shipping.md shows: the raw body, HMAC-SHA256 signed."""
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json",
                 "X-Ordermesh-Signature": f"sha256={signature}"}


def test_demo_shows_the_whole_life_of_an_order_on_time_mostly_and_takes_carrier_webhooks(
        demo_summary, container, client, uow):

    with uow(write=False) as u:
        order_states = Counter(u.execute(select(orders.c.status)).scalars())
        fo_states = Counter(u.execute(select(fulfilment_orders.c.status)).scalars())
        pay_states = Counter(u.execute(select(payments.c.status)).scalars())
        backordered = u.execute(select(func.sum(order_lines.c.backordered_quantity))
                                ).scalar_one()
        events = Counter(u.execute(select(outbox.c.type)).scalars())

    # every stage of an order's life is in the database, reached through the use cases
    assert {"confirmed", "processing", "partially_shipped", "shipped", "completed",
            "cancelled", "on_hold"} <= set(order_states)
    assert {"released", "picking", "picked", "packed", "label_created", "in_transit",
            "delivered",
            "returned_to_sender", "ready_for_pickup", "picked_up", "cancelled"} <= (
        set(fo_states) | ({"in_transit"} if fo_states["out_for_delivery"] else set()))
    assert backordered > 0
    assert {"authorised", "captured", "partially_refunded", "refunded", "pending"} <= set(
        pay_states)
    # most orders are done, not sitting in confirmed; late alerts are the exception
    assert order_states["completed"] > 0.6 * sum(order_states.values())
    assert order_states["confirmed"] < 0.05 * sum(order_states.values())
    # (about 15% since booking and hand-over are two steps: parcels booked after the last
    # pick-up of a day wait for the next one)
    assert 0 < events["fulfilment.late"] <= 0.2 * events["fulfilment.released"]
    assert events["fulfilment.delivered"] > 0.6 * events["fulfilment.released"]

    # delivery performance has data per carrier, location and channel, and is plausible
    for group_by in ("carrier", "location", "channel"):
        rows = client.get("/api/v1/delivery-performance",
                          params={"group_by": group_by}).json()["items"]
        assert rows and sum(r["delivered"] for r in rows) == events["fulfilment.delivered"]
    (sim,) = client.get("/api/v1/delivery-performance").json()["items"]
    assert sim["key"] == "sim" and sim["late"] > 0
    assert Decimal("0.85") <= Decimal(sim["on_time_rate"]) < 1

    # the carrier's webhook, signed as docs/shipping.md shows, moves a demo parcel
    in_flight = client.get("/api/v1/fulfilment-orders",
                           params={"status": "in_transit", "limit": 1}).json()["items"]
    fo = in_flight[0]
    (parcel, *_) = client.get(f"/api/v1/fulfilment-orders/{fo['id']}/shipment"
                              ).json()["parcels"]
    now = container.clock.now()
    raw, headers = _signed({"events": [{
        "event_id": "evt-demo-1", "tracking_number": parcel["tracking_number"],
        "status": "OFD", "occurred_at": now.isoformat().replace("+00:00", "Z"),
        "description": "Out for delivery", "location": "Berlin-Hub"}]},
        "whsec-0123456789abcdef")
    answer = client.post("/api/v1/tracking/sim", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stored": 1, "duplicates": 0, "ignored": 0, "moved": 1,
                             "parked": 0, "parked_events": []}
    assert client.get(f"/api/v1/fulfilment-orders/{fo['id']}").json()["status"] == (
        "out_for_delivery")
