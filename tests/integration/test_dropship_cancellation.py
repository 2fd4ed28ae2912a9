"""The merchant cancels a drop-ship order (or some of its units): the supplier is told
(``dropship.cancel_requested``, written by the worker from the outbox), sees the units as
`cancel_requested` in its partner API, and accepts (cancelled on its side too) or refuses
because they had shipped (the merchant sees `cancel_refused`, the reason and the parcel,
and pays for them). Refused answers change nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from ordermesh.dropship.jobs import DropshipCancellations
from ordermesh.dropship.tables import dropship_lines, dropship_orders
from ordermesh.flows import dropship_partner
from ordermesh.kit.errors import DomainError
from ordermesh.kit.outbox import outbox
from tests.dropship_helpers import DS, PARTNER, answer, partner_key, ship_body, vases_routed
from tests.fulfilment_helpers import order_of, stock_at
from tests.helpers import ok
from tests.purchasing_helpers import make_supplier
from tests.stock_checks import assert_no_drift

CANCEL_REFUSAL = {"reason": "left our dock on Monday", "carrier": "ups",
                  "tracking_number": "1Z999"}


def cancel(client, order_id: str, lines: list[tuple[int, int]] | None = None) -> dict:
    body: dict = {"reason": "customer changed mind"}
    if lines:
        body["lines"] = [{"line_no": n, "quantity": q} for n, q in lines]
    return ok(client.post(f"/api/v1/orders/{order_id}/cancel", json=body))


def tell(container) -> int:
    return DropshipCancellations().run_once(container)


def requested_events(uow, ds_id: str) -> list[dict]:
    with uow(write=False) as u:
        return [r.payload for r in u.execute(
            select(outbox.c.payload).where(outbox.c.aggregate_id == ds_id,
                                           outbox.c.type == "dropship.cancel_requested")
            .order_by(outbox.c.seq))]


def test_a_cancelled_order_waits_for_the_supplier_who_accepts_and_nothing_ships(
        client, container, uow):
    key, order, ds = vases_routed(client, 2, paid=False)
    cancel(client, order["id"])

    waiting = ok(client.get(f"{PARTNER}/{ds['id']}", headers=key))
    assert (waiting["status"], waiting["cancellation"]) == ("cancel_requested", "requested")
    line = waiting["lines"][0]
    assert (line["cancelled"], line["cancel_requested"], line["open"]) == (2, 2, 0)
    assert [d["id"] for d in ok(client.get(PARTNER, headers=key))["items"]] == [ds["id"]]
    tell(container)
    tell(container)  # told once
    [told] = requested_events(uow, ds["id"])
    assert (told["lines"], told["pending_units"], told["open_units"]) == (
        [{"line_no": 1, "quantity": 2}], 2, 0)

    accepted = answer(client, key, ds["id"], "cancellation/accept")

    assert (accepted["status"], accepted["cancellation"]) == ("cancelled", "accepted")
    assert (accepted["lines"][0]["cancel_requested"],
            accepted["lines"][0]["cancel_accepted"]) == (0, 2)
    assert ok(client.get(PARTNER, headers=key))["items"] == []
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    assert ok(client.get(f"{DS}/{ds['id']}"))["cost_total"] == "0.00"
    assert answer(client, key, ds["id"], "ship", ship_body([(1, 1)]),
                  status=409).json()["current_status"] == "cancelled"
    again = answer(client, key, ds["id"], "cancellation/accept", status=409).json()
    assert again["cancellation"] == "accepted"
    assert_no_drift(uow)


def test_a_supplier_that_had_shipped_refuses_and_the_merchant_sees_it_and_pays(
        client, container, uow):
    key, order, ds = vases_routed(client, 2, paid=False)
    answer(client, key, ds["id"], "accept")
    cancel(client, order["id"])

    refused = answer(client, key, ds["id"], "cancellation/refuse", CANCEL_REFUSAL)

    assert (refused["status"], refused["cancellation"]) == ("cancel_refused", "refused")
    assert refused["lines"][0]["cancel_refused"] == 2
    merchant = ok(client.get(f"{DS}/{ds['id']}"))
    assert (merchant["status"], merchant["cost_total"], merchant["price_total"]) == (
        "cancel_refused", "23.00", "60.00")
    assert {k: merchant["cancel_refusal"][k] for k in CANCEL_REFUSAL} == CANCEL_REFUSAL
    assert [d["id"] for d in ok(client.get(DS, params={"status": "cancel_refused"}))[
        "items"]] == [ds["id"]]
    assert ok(client.get(DS, params={"status": "accepted"}))["items"] == []
    assert order_of(client, order["id"])["status"] == "cancelled"
    # the answer told the supplier first, in its own transaction; the worker adds nothing
    assert len(requested_events(uow, ds["id"])) == 1
    tell(container)
    assert len(requested_events(uow, ds["id"])) == 1
    assert ok(client.get(PARTNER, headers=key))["items"] == []
    assert_no_drift(uow)


def test_some_units_cancelled_leave_the_rest_open_to_ship(client, container):
    key, order, ds = vases_routed(client, 3)
    cancel(client, order["id"], [(1, 1)])
    tell(container)

    partly = ok(client.get(f"{PARTNER}/{ds['id']}", headers=key))
    assert (partly["status"], partly["cancellation"]) == ("requested", "requested")
    assert (partly["lines"][0]["cancel_requested"], partly["lines"][0]["open"]) == (1, 2)
    answer(client, key, ds["id"], "cancellation/accept")
    shipped = answer(client, key, ds["id"], "ship", ship_body([(1, 2)]))

    assert (shipped["status"], shipped["cancellation"], shipped["cost_total"]) == (
        "shipped", "accepted", "23.00")


def test_refused_cancellation_answers_change_nothing(client, uow):
    key, order, ds = vases_routed(client, 2, paid=False)

    def rows() -> list:
        with uow(write=False) as u:
            return [list(u.execute(select(t))) for t in (dropship_orders, dropship_lines,
                                                         outbox)]

    before = rows()
    nothing = answer(client, key, ds["id"], "cancellation/accept", status=409)
    assert nothing.headers["content-type"] == "application/problem+json"
    cancel(client, order["id"])
    before = rows()
    no_reason = answer(client, key, ds["id"], "cancellation/refuse", {"carrier": "ups"},
                       status=422)
    assert no_reason.json()["status"] == 422
    make_supplier(client, "OTHER", currency="GBP")
    other = answer(client, partner_key(client, "OTHER"), ds["id"], "cancellation/accept",
                   status=404)
    assert other.status_code == 404
    assert rows()[:2] == before[:2]


def test_answers_and_the_worker_racing_on_one_cancellation_tell_and_answer_it_once(
        client, container, uow):
    _key, order, ds = vases_routed(client, 2, paid=False)
    cancel(client, order["id"])
    threads = 4
    barrier = threading.Barrier(threads)
    outcome: Counter = Counter()
    lock = threading.Lock()

    def act(i: int) -> None:
        barrier.wait()
        try:
            if i == 0:
                tell(container)
                result = "told"
            else:
                with uow(actor=f"supplier-{i}") as u:
                    if i % 2:
                        dropship_partner.accept_cancellation(u, ds["id"], ds["supplier_id"])
                    else:
                        dropship_partner.refuse_cancellation(
                            u, ds["id"], ds["supplier_id"], "shipped", None, None)
                result = "answered"
        except DomainError:
            result = "refused"
        with lock:
            outcome[result] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(act, range(threads)))

    assert outcome == Counter({"told": 1, "answered": 1, "refused": threads - 2})
    [line] = ok(client.get(f"{DS}/{ds['id']}"))["lines"]
    assert (line["cancel_requested"], line["cancel_accepted"] + line["cancel_refused"]) == (
        0, 2)
    assert len(requested_events(uow, ds["id"])) == 1
