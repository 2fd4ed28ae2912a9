"""Customers of a batch of orders: matched in memory in arrival order, as if each order
had been placed alone at its position (customers/matching.py), and orders that succeed
or fail before they write send no savepoint (kit/savepoints.py)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, select

from ordermesh.customers.tables import customer_identities, customers
from ordermesh.flows.placement import Placement, place_order, place_orders
from ordermesh.kit.errors import InsufficientStock, InvalidInput
from ordermesh.orders.service import CustomerDetails, Placed, PlaceLine, PlaceOrder
from tests.event_checks import events_after
from tests.helpers import SHIP_TO, shop, stock_of
from tests.stock_checks import assert_no_drift


def _order(quantity: int = 1, **buyer) -> Placement:
    return Placement(PlaceOrder(channel="web", lines=[PlaceLine("A", quantity, 5)],
                                shipping_address=SHIP_TO, customer=CustomerDetails(**buyer)))


def _customers(u) -> dict[str, dict]:
    """Customer id -> its e-mail, phone, name and identities ("kind:value")."""
    found = {r.id: {"email": r.email, "phone": r.phone, "name": r.name, "ids": set()}
             for r in u.execute(select(customers))}
    for r in u.execute(select(customer_identities)):
        found[r.customer_id]["ids"].add(f"{r.kind}:{r.value}")
    return found


def _events(client, type_: str) -> Counter:
    return Counter(e["aggregate_id"] for e in events_after(client, 0) if e["type"] == type_)


def test_orders_of_one_new_customer_in_a_batch_find_the_customer_the_first_one_created(
        client, uow):
    shop(client, {"A": {"ber": 10}})
    batch = [_order(email="ann@example.com", name="Ann"),
             _order(email="bob@example.com"),
             _order(email="ANN@example.com", phone="+4915112345678"),  # gains the phone
             _order(phone="+4915112345678", name="Someone"),  # no e-mail: the phone decides
             _order(name="Nameless")]  # a name alone: always a new customer
    with uow() as u:
        results = place_orders(u, batch)
    ids = [r.order.customer_id for r in results]
    assert ids[0] == ids[2] == ids[3] and len(set(ids)) == 3
    with uow() as u:
        found = _customers(u)
    assert found[ids[0]] == {"email": "ann@example.com", "phone": "+4915112345678",
                             "name": "Ann", "ids": {"email:ann@example.com",
                                                    "phone:+4915112345678"}}
    assert found[ids[1]]["ids"] == {"email:bob@example.com"}
    assert found[ids[4]] == {"email": None, "phone": None, "name": "Nameless", "ids": set()}
    assert _events(client, "customer.created") == Counter({i: 1 for i in set(ids)})
    assert _events(client, "customer.updated") == Counter({ids[0]: 1})
    assert_no_drift(uow)


def test_a_refused_order_of_a_batch_leaves_no_trace_of_its_customer_for_the_next_orders(
        client, uow):
    shop(client, {"A": {"ber": 3}})
    batch = [_order(5, email="cid@example.com", phone="+4915112345678", name="Short"),
             _order(1, email="cid@example.com"),  # creates the customer afresh, alone
             _order(1, phone="+49 151 12345678", name="Phone")]  # nobody owns the phone
    with uow() as u:
        results = place_orders(u, batch)
    assert isinstance(results[0], InsufficientStock)
    with uow() as u:
        found = _customers(u)
    assert found[results[1].order.customer_id] == {
        "email": "cid@example.com", "phone": None, "name": None,
        "ids": {"email:cid@example.com"}}
    assert found[results[2].order.customer_id]["ids"] == {"phone:+4915112345678"}
    assert len(found) == 2
    assert sum(_events(client, "customer.created").values()) == 2
    assert stock_of(client, "A")["totals"]["reserved"] == 2
    assert_no_drift(uow)


def test_a_known_customer_is_found_and_given_what_the_orders_of_a_batch_add_once(client, uow):
    shop(client, {"A": {"ber": 10}})
    with uow() as u:
        known = place_order(u, _order(email="dan@example.com").command).order.customer_id
    batch = [_order(email="dan@example.com", name="Dan"),
             _order(email="dan@example.com", name="Daniel", phone="+4915112345678"),
             _order(phone="bad", email="dan@example.com")]  # refused at its turn
    with uow() as u:
        results = place_orders(u, batch)
    assert [r.order.customer_id for r in results[:2]] == [known, known]
    assert isinstance(results[2], InvalidInput)
    with uow() as u:
        assert _customers(u)[known] == {
            "email": "dan@example.com", "phone": "+4915112345678", "name": "Dan",
            "ids": {"email:dan@example.com", "phone:+4915112345678"}}
    assert _events(client, "customer.updated") == Counter({known: 2})


def test_orders_placed_or_refused_before_they_write_send_no_savepoint(client, uow, container):
    shop(client, {"A": {"ber": 3}})
    batch = [_order(1, email=f"p{i}@example.com") for i in range(3)]
    batch.insert(1, _order(9, email="short@example.com"))
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        with uow() as u:
            results = place_orders(u, batch)
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    assert [isinstance(r, Placed) for r in results] == [True, False, True, True]
    assert not [s for s in seen if "SAVEPOINT" in s.upper()]
    assert sum(1 for s in seen if s.lstrip().upper().startswith("UPDATE STOCK")) == 1
    with uow() as u:
        assert {c["email"] for c in _customers(u).values()} == {
            "p0@example.com", "p1@example.com", "p2@example.com"}
    assert_no_drift(uow)
