"""Payments racing for the last store credit, each in its own transactions (intent,
provider call, answer) as concurrent requests are: the credit is never held twice, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ordermesh.kit.db import Transactions
from ordermesh.kit.money import Money
from ordermesh.payments import service
from ordermesh.payments.model import AuthoriseCall, PaymentMethod
from ordermesh.payments.providers.store_credit import StoreCreditProvider
from ordermesh.payments.service import AuthoriseRequest
from tests.store_credit_helpers import credit_of, customer_with_credit, new_order

RACERS = 6


def test_payments_racing_for_the_last_credit_hold_it_exactly_once(client, uow):
    _, ada = customer_with_credit(client, "15.00")  # 30.00 of credit
    orders = [new_order(client, "10.00") for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    lock = threading.Lock()
    outcome: Counter = Counter()

    def pay(i: int) -> None:
        request = AuthoriseRequest(provider="store_credit", amount=Money.of("10.00", "EUR"),
                                   capture=True, key=f"race-{i}")
        barrier.wait()
        done = service.authorise_payment(
            Transactions(lambda: uow(actor=f"caller-{i}")), orders[i]["id"], request)
        with lock:
            outcome[done.payment.status.value] += 1

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        list(pool.map(pay, range(RACERS)))
    assert outcome == Counter({"captured": 3, "declined": RACERS - 3})
    account = credit_of(client, ada)
    assert (account["balance"], account["available"], account["held"]) == (
        "0.00", "0.00", "0.00")
    assert sorted(e["amount"] for e in account["entries"] if e["kind"] == "redeemed") == [
        "-10.00"] * 3


def test_the_same_provider_call_racing_itself_holds_once(client, uow):
    _, ada = customer_with_credit(client)  # 40.00
    order = new_order(client, "25.00")
    call = AuthoriseCall(Money.of("25.00", "EUR"), PaymentMethod.STORE_CREDIT,
                         f"{order['id']}:authorise:same", None, order["number"],
                         order["id"])
    barrier = threading.Barrier(4)

    def ask(_: int):
        barrier.wait()
        with uow() as u:
            answer = StoreCreditProvider().authorise(u, call)
            u.commit()
        return answer

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(ask, range(4)))
    assert len({a.reference for a in answers}) == 1
    assert all(a.approved for a in answers)
    assert credit_of(client, ada)["available"] == "15.00"
