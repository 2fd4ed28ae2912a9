"""Concurrent first orders of one new person make one customer (on PostgreSQL each
request is its own transaction racing the others; SQLite serialises them)."""

from __future__ import annotations

import threading

import pytest

from tests.customer_helpers import BERLIN, customer_shop
from tests.helpers import ok, order_body

THREADS = 8


def _race(client, customers: list[dict]) -> list[str]:
    barrier = threading.Barrier(len(customers))
    answers: list[tuple[int, dict]] = []

    def place(customer: dict) -> None:
        body = order_body([("TEE", 1, "20.00")], customer=customer, shipping_address=BERLIN)
        barrier.wait()
        response = client.post("/api/v1/orders", json=body)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=place, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [status for status, _ in answers] == [201] * len(customers), answers
    return [body["customer_id"] for _, body in answers]


@pytest.mark.parametrize("make", [
    lambda i, n: {"phone": f"+49 30 555 {n:04d}", "name": f"Caller {i}"},
    lambda i, n: {"phone": f"030 555{n:04d}"},  # national, read in the shipping country
    lambda i, n: {"email": f"new.{n}@example.com", "phone": f"+49 151 2345 {i:04d}"},
    lambda i, n: {"email": f"NEW.{n}@Example.com"},
], ids=["phone", "national-phone", "email-with-other-phones", "email-in-other-case"])
def test_concurrent_first_orders_of_one_new_person_make_one_customer(client, make):
    customer_shop(client)
    for round_ in range(3):
        ids = _race(client, [make(i, round_) for i in range(THREADS)])
        assert len(set(ids)) == 1, ids
        whole = ok(client.get(f"/api/v1/customers/{ids[0]}"))
        assert whole["orders_count"] == THREADS
    customers = ok(client.get("/api/v1/customers", params={"limit": 200}))["items"]
    assert len(customers) == 3
    created = ok(client.get("/api/v1/events", params={"type": "customer.created",
                                                      "limit": 1000}))["items"]
    assert len(created) == 3
