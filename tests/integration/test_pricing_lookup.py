"""``list_prices``, the lookup order placement uses: one indexed query, the right list at
every instant; and the database's own guards on prices."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, text, update
from sqlalchemy.exc import IntegrityError

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.pricing import service
from ordermesh.pricing.model import Validity
from ordermesh.pricing.service import CreatePriceList, SkuAmount, list_prices
from ordermesh.pricing.tables import price_lists, prices
from tests.conftest import START
from tests.helpers import make_channel, make_product

SKUS = ("MUG", "TEE", "CAP")
XMAS = datetime(2026, 12, 24, tzinfo=UTC)
BOXING_DAY_END = datetime(2026, 12, 27, tzinfo=UTC)


def _eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


@pytest.fixture
def shop(client, uow) -> dict:
    """Channels 'web' and 'pos' (EUR); MUG, TEE, CAP; 'web-base' prices MUG and TEE for
    web, 'xmas' (24 to 27 Dec, priority 0) prices MUG, 'pos-base' prices everything for pos.
    Returns the ids."""
    make_channel(client, "web", "EUR")
    make_channel(client, "pos", "EUR", kind="store")
    for sku in SKUS:
        make_product(client, sku)
    _list(uow, "web-base", "web", {"MUG": "12.50", "TEE": "20.00"})
    _list(uow, "xmas", "web", {"MUG": "10.00"}, Validity(XMAS, BOXING_DAY_END))
    _list(uow, "pos-base", "pos", {"MUG": "1.00", "TEE": "2.00", "CAP": "3.00"})
    with uow(write=False) as u:
        products = resolve_skus(u, list(SKUS))
        return {"web": channel_by_code(u, "web").id, "pos": channel_by_code(u, "pos").id,
                **{sku: p.id for sku, p in products.items()}}


def _list(uow, code: str, channel: str, amounts: dict[str, str],
          validity: Validity | None = None, priority: int = 0) -> None:
    with uow() as u:
        service.create_price_list(u, CreatePriceList(code, code, channel, None,
                                                     validity or Validity(), priority))
    with uow() as u:
        service.set_prices(u, code, [SkuAmount(s, a) for s, a in amounts.items()])


def _lookup(uow, ids: dict, at: datetime, channel: str = "web", currency: str = "EUR",
            skus: tuple[str, ...] = SKUS) -> dict[str, Money]:
    with uow(write=False) as u:
        found = list_prices(u, ids[channel], currency, [ids[s] for s in skus], at)
    by_id = {ids[s]: s for s in skus}
    return {by_id[product_id]: money for product_id, money in found.items()}


def test_products_without_a_price_are_left_out(uow, shop):
    assert _lookup(uow, shop, START) == {"MUG": _eur("12.50"), "TEE": _eur("20.00")}


def test_the_lookup_is_one_statement_however_many_products(uow, shop, container):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        with uow(write=False) as u:
            statements.clear()
            list_prices(u, shop["web"], "EUR", [shop[s] for s in SKUS] * 100, START)
            assert len(statements) == 1
            statements.clear()
            assert list_prices(u, shop["web"], "EUR", [], START) == {}
            assert statements == []
    finally:
        event.remove(container.engine, "before_cursor_execute", count)


def test_the_lookup_finds_lists_and_prices_by_index(uow, shop, container):
    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, *args):
        sent.append((statement, parameters))

    event.listen(container.engine, "before_cursor_execute", capture)
    try:
        with uow(write=False) as u:
            sent.clear()
            list_prices(u, shop["web"], "EUR", [shop["MUG"], shop["TEE"]], START)
            [(statement, parameters)] = sent
            if u.dialect == "postgresql":
                u.execute(text("SET LOCAL enable_seqscan = off"))
                prefix = "EXPLAIN "
            else:
                prefix = "EXPLAIN QUERY PLAN "
            plan = "\n".join(str(row) for row in u.conn.exec_driver_sql(
                prefix + statement, parameters))
    finally:
        event.remove(container.engine, "before_cursor_execute", capture)
    assert "ix_price_lists_channel_currency" in plan, plan
    # prices by an index that starts with price_list_id (the primary key, or the
    # (list, SKU) index the PostgreSQL planner likes on a near-empty table, directly or as
    # a bitmap scan, as it chooses by the table's statistics)
    assert "Seq Scan" not in plan and "SCAN prices" not in plan, plan
    on_prices = plan.partition("on price_lists")[2]  # PostgreSQL: the plan's second half
    assert "SEARCH prices USING" in plan or "Index Scan using" in on_prices \
        or "Bitmap Index Scan on ix_prices_list_sku" in on_prices, plan


def test_a_future_list_takes_over_at_its_valid_from_to_the_microsecond(uow, shop):
    just_before = XMAS - timedelta(microseconds=1)
    assert _lookup(uow, shop, just_before)["MUG"] == _eur("12.50")
    assert _lookup(uow, shop, XMAS)["MUG"] == _eur("10.00")
    assert _lookup(uow, shop, XMAS)["TEE"] == _eur("20.00")  # xmas does not price TEE


def test_an_expired_list_is_ignored_from_its_valid_to_on(uow, shop):
    assert _lookup(uow, shop, BOXING_DAY_END - timedelta(microseconds=1))["MUG"] == _eur("10")
    assert _lookup(uow, shop, BOXING_DAY_END)["MUG"] == _eur("12.50")
    assert _lookup(uow, shop, datetime(2030, 1, 1, tzinfo=UTC))["MUG"] == _eur("12.50")


def test_an_instant_in_another_time_zone_or_without_one_means_the_same_utc_instant(uow, shop):
    tokyo = XMAS.astimezone(ZoneInfo("Asia/Tokyo"))
    assert tokyo.hour == 9
    assert _lookup(uow, shop, tokyo)["MUG"] == _eur("10.00")
    naive_just_before = (XMAS - timedelta(seconds=1)).replace(tzinfo=None)
    assert _lookup(uow, shop, naive_just_before)["MUG"] == _eur("12.50")


def test_a_higher_priority_list_wins_only_for_the_products_it_prices(uow, shop):
    _list(uow, "vip", "web", {"TEE": "15.00"}, priority=5)
    assert _lookup(uow, shop, XMAS) == {"MUG": _eur("10.00"), "TEE": _eur("15.00")}


def test_other_channels_and_currencies_are_not_looked_at(uow, shop):
    assert _lookup(uow, shop, START, channel="pos")["CAP"] == _eur("3.00")
    assert "CAP" not in _lookup(uow, shop, START)
    assert _lookup(uow, shop, START, currency="USD") == {}


def test_a_changed_validity_applies_to_the_next_lookup(uow, shop):
    with uow() as u:
        service.update_price_list(u, "xmas", service.PriceListPatch(valid_from=None))
    # both lists open since always, same priority: the smaller code, web-base, wins
    assert _lookup(uow, shop, START)["MUG"] == _eur("12.50")
    with uow() as u:
        service.update_price_list(u, "xmas", service.PriceListPatch(priority=1))
    assert _lookup(uow, shop, START)["MUG"] == _eur("10.00")
    with uow() as u:
        service.update_price_list(u, "xmas", service.PriceListPatch(
            valid_to=START - timedelta(days=1)))
    assert _lookup(uow, shop, START)["MUG"] == _eur("12.50")


def test_the_service_refuses_what_the_api_would(uow, shop):
    bad_calls = [
        lambda u: service.create_price_list(u, CreatePriceList("x", "", "web")),
        lambda u: service.create_price_list(u, CreatePriceList("x", "X", "web", priority=-1)),
        lambda u: service.create_price_list(u, CreatePriceList("x", "X", "web", "JPY")),
        lambda u: service.set_prices(u, "web-base", []),
        lambda u: service.set_prices(u, "web-base", [SkuAmount("MUG", "1")] * 1001),
        lambda u: service.set_prices(u, "web-base", [SkuAmount("MUG", "-1")]),
        lambda u: service.set_prices(u, "web-base", [SkuAmount("MUG", Decimal("1.001"))]),
        lambda u: service.update_price_list(u, "web-base", service.PriceListPatch(name="")),
        lambda u: service.update_price_list(u, "xmas", service.PriceListPatch(
            valid_to=XMAS)),
    ]
    for call in bad_calls:
        with uow() as u, pytest.raises(InvalidInput):
            call(u)
    assert _lookup(uow, shop, XMAS) == {"MUG": _eur("10.00"), "TEE": _eur("20.00")}


def test_the_database_refuses_a_negative_price_and_a_window_that_ends_before_it_starts(
        uow, shop):
    with uow() as u:
        list_id = u.execute(price_lists.select().where(price_lists.c.code == "xmas")).one().id
    with uow() as u, pytest.raises(IntegrityError):
        u.execute(update(prices).where(prices.c.price_list_id == list_id)
                  .values(amount=Decimal("-0.01")))
    with uow() as u, pytest.raises(IntegrityError):
        u.execute(update(price_lists).where(price_lists.c.id == list_id)
                  .values(valid_to=XMAS - timedelta(days=1)))
    with uow() as u, pytest.raises(IntegrityError):
        u.execute(insert(prices).values(price_list_id=list_id, product_id="prd_missing",
                                        sku="GHOST", amount=Decimal(1), updated_at=START))
    assert _lookup(uow, shop, XMAS)["MUG"] == _eur("10.00")


def test_concurrent_bulk_sets_of_one_list_all_land_without_deadlock(uow, shop):
    errors: list[BaseException] = []
    orders = [list(SKUS), list(reversed(SKUS))] * 4

    def set_all(i: int, skus: list[str]) -> None:
        try:
            with uow() as u:
                service.set_prices(u, "pos-base", [SkuAmount(s, f"{i}.00") for s in skus])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=set_all, args=(i, skus))
               for i, skus in enumerate(orders, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    found = _lookup(uow, shop, START, channel="pos")
    assert len(set(found.values())) == 1  # one request's prices won, whole
