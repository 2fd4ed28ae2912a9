"""The demo data set: realistic, consistent with the stock ledger, loaded only once."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from ordermesh.channels.model import ChannelKind
from ordermesh.channels.tables import channels
from ordermesh.cli import app
from ordermesh.demo import build_plan, has_orders, load_demo
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.tables import stock
from ordermesh.kit.clock import as_utc
from ordermesh.orders.tables import order_lines, orders
from tests.conftest import START


def test_demo_data_has_every_kind_of_channel_and_hundreds_of_orders(container, uow):
    assert not has_orders(container)

    summary = load_demo(container, seed=7)

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
    container, db_url, uow, monkeypatch
):
    monkeypatch.setenv("ORDERMESH_DATABASE_URL", db_url)
    runner = CliRunner()

    first = runner.invoke(app, ["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output
    with uow(write=False) as u:
        count = u.execute(select(func.count()).select_from(orders)).scalar_one()
    second = runner.invoke(app, ["demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "already has orders" in second.output

    with uow(write=False) as u:
        assert u.execute(select(func.count()).select_from(orders)).scalar_one() == count
        assert ledger_drift(u) == []
        reserved = u.execute(select(func.sum(stock.c.reserved))).scalar_one()
        open_units = u.execute(select(func.sum(
            order_lines.c.quantity - order_lines.c.cancelled_quantity))).scalar_one()
        short = u.execute(select(func.count()).select_from(stock)
                          .where(stock.c.on_hand - stock.c.reserved <= 1)).scalar_one()
    assert reserved == open_units
    assert short > 0  # some SKUs run low somewhere
    verify = runner.invoke(app, ["inventory", "verify"])
    assert verify.exit_code == 0, verify.output


def test_the_same_seed_plans_the_same_six_weeks_and_another_seed_does_not():
    first, again, other = build_plan(7, START), build_plan(7, START), build_plan(8, START)

    assert first == again
    assert [o.cmd for o in first.orders] != [o.cmd for o in other.orders]
    assert all(o.at < START for o in first.orders)
