"""The sections of docs/returns.md on fees kept back from a refund and on inspection
(with refunds the policy releases), for ``capture_returns_examples.py``: same database,
same clock, its ``shipped_order``, ``say`` and ``quietly``."""

from __future__ import annotations

from collections.abc import Callable

from capture_examples import Recorder
from fastapi.testclient import TestClient


def fees(client: TestClient, rec: Recorder, shipped_order: Callable, say: Callable) -> None:
    order = shipped_order(client, [("TEE", 2, "25.00")])
    say(f"""
## Fees kept back from a refund

The policy above keeps back a restocking fee of 10 % of the value refunded and a return
shipping fee of 4.95 (once per return whose units ship back). Units returned for the
seller's fault (`fee_free_reasons`: damaged in transit, defective, wrong item, not as
described, arrived late) bear neither, nor does a returnless return; the fees never
pass the refund. A return keeps the fees of the policy it was requested under (`fees`).

Order `{order['number']}`: two T-shirts at 25.00, invoiced and shipped; one comes back
because it does not fit. The preview shows the value of the unit, each fee and the
refund:
""")
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "size_or_fit"}]}
    preview = rec.call("Preview: one T-shirt that does not fit", "POST",
                       "/api/v1/returns/preview", body=body)
    assert (preview["money"]["value"], preview["money"]["refund"]) == ("25.00", "17.55")
    ret = rec.call("Request it", "POST", "/api/v1/returns", body=body)
    received = rec.call("Receive it", "POST", f"/api/v1/returns/{ret['id']}/receipts", body={
        "location": "ber", "lines": [
            {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"}]})
    assert received["status"] == "received"
    say("""
The refund gives back 25.00 less 2.50 and 4.95: 17.55. Its `lines` show each fee as a
negative part, with the tax it holds (a fee is a share of the price left with the
seller, so only the tax of the money refunded is booked back):
""")
    resolved = rec.call("Refund it", "POST", f"/api/v1/returns/{ret['id']}/refund")
    assert resolved["refund"]["amount"] == "17.55"
    say("""
A credit note has no negative lines: each fee is shown on the line it is taken from.
""")
    notes = rec.call("The credit note", "GET",
                     f"/api/v1/invoices?order_id={order['id']}&kind=credit_note")
    assert notes["items"][0]["gross"] == "17.55"
    rec.call("Its lines", "GET", f"/api/v1/invoices/{notes['items'][0]['id']}")


def inspection(client: TestClient, rec: Recorder, shipped_order: Callable, say: Callable,
               quietly: Callable) -> None:
    say("""
## Inspection

A received return may be inspected once (`POST /api/v1/returns/{id}/inspection`): every
unit received is graded again (a line may come in several grades; the counts per line
must equal what was received, or `422`), and the return becomes `inspected`;
`return.inspected` counts the defective units per SKU. The policy's `refund_release`
says when a return is refunded:

| `refund_release` | the refund |
| --- | --- |
| `manual` (default) | by an operator (`POST /returns/{id}/refund`) once units arrived |
| `receipt` | by the receipt that brings the last unit, in the same transaction |
| `inspection` | by the inspection, in the same transaction; refused (`409`) before it |

This shop now inspects before it refunds:
""")
    rec.call("Release refunds after inspection", "PUT", "/api/v1/return-policies/web", body={
        "window_days": 30, "final_sale_categories": ["underwear"], "resolutions": ["refund"],
        "auto_authorise": True, "returnless_below": "5.00", "return_shipping_fee": "4.95",
        "restocking_fee_percent": "10", "refund_release": "inspection"})
    order = shipped_order(client, [("TEE", 2, "25.00")])
    ret = quietly(client, "POST", "/api/v1/returns", {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 2, "reason": "defective", "comment": "both fade"}]})
    quietly(client, "POST", f"/api/v1/returns/{ret['id']}/receipts", {
        "location": "ber", "lines": [
            {"line_no": 1, "quantity": 2, "grade": "open_box", "disposition": "quarantine"}]})
    say(f"""
Order `{order['number']}`: two T-shirts returned as defective, received at `ber` and
quarantined. Refunding before the inspection is refused:
""")
    rec.call("Refund before inspection", "POST", f"/api/v1/returns/{ret['id']}/refund")
    inspected = rec.call("Inspect it", "POST", f"/api/v1/returns/{ret['id']}/inspection",
                         body={"note": "one faded, one fine", "lines": [
                             {"line_no": 1, "quantity": 1, "grade": "defective"},
                             {"line_no": 1, "quantity": 1, "grade": "as_new"}]})
    assert (inspected["status"], inspected["refund"]["amount"]) == ("resolved", "50.00")


def exchange(client: TestClient, rec: Recorder, shipped_order: Callable, say: Callable,
             quietly: Callable) -> None:
    quietly(client, "POST", "/api/v1/products", {
        "sku": "HOODIE", "name": "Hoodie", "category": "shirts",
        "price": {"amount": "35.00", "currency": "EUR"}})
    quietly(client, "POST", "/api/v1/inventory/adjustments", {
        "sku": "HOODIE", "location": "ber", "quantity_delta": 5, "reason": "received"})
    say("""
## An exchange

A line may ask for `exchange` with the SKU wanted instead (`exchange_for`), when the
policy offers it. `POST /api/v1/returns/{id}/exchange` places the replacement: a new
order on the same channel, for the same customer and address, at today's price,
reserved and released for fulfilment through the same placement as every order. The
returned units' value is taken off it as an order discount, up to its total
(`exchange_credit`): when the replacement costs more, the customer owes the difference
on it (paid as any order); when it costs less, it costs nothing and the return's refund
gives the difference back; an even exchange moves no money. The refund of the return
keeps `exchange_credit` back (the deduction `exchange`). The policy's `exchange_reserve`
says when the replacement may be placed: `at_once` (once authorised, as here) or
`at_receipt` (once every unit came back). A return whose replacement was placed cannot
be cancelled, and is resolved only once every unit it exchanges came back.

This shop now offers exchanges and refunds by hand again:
""")
    rec.call("Offer exchanges", "PUT", "/api/v1/return-policies/web", body={
        "window_days": 30, "final_sale_categories": ["underwear"],
        "resolutions": ["refund", "exchange"], "auto_authorise": True,
        "returnless_below": "5.00", "return_shipping_fee": "4.95",
        "restocking_fee_percent": "10", "refund_release": "manual",
        "exchange_reserve": "at_once"})
    order = shipped_order(client, [("TEE", 1, "25.00")])
    say(f"""
Order `{order['number']}`: one T-shirt at 25.00, shipped. The customer would rather have
the hoodie (35.00 today):
""")
    ret = rec.call("Request the exchange", "POST", "/api/v1/returns", body={
        "order": order["number"], "lines": [
            {"line_no": 1, "quantity": 1, "reason": "changed_mind",
             "resolution": "exchange", "exchange_for": "HOODIE"}]})
    exchanged = rec.call("Place the replacement", "POST",
                         f"/api/v1/returns/{ret['id']}/exchange")
    assert exchanged["exchange_credit"] == "25.00"
    say("""
The replacement takes the T-shirt's 25.00 off its 35.00: 10.00 is left to pay, and the
customer pays it like any order.
""")
    replacement = rec.call("The replacement order", "GET",
                           f"/api/v1/orders/{exchanged['exchange_order_id']}")
    assert replacement["totals"]["total"]["amount"] == "10.00"
    paid = rec.call("The difference is paid", "POST",
                    f"/api/v1/orders/{replacement['id']}/payments",
                    body={"provider": "test", "source": "4242424242424242"})
    assert (paid["status"], paid["requested"]["amount"]) == ("captured", "10.00")
    quietly(client, "POST", f"/api/v1/returns/{ret['id']}/receipts", {
        "location": "ber", "lines": [
            {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"}]})
    say("""
The T-shirt comes back (received and restocked at `ber`). Resolving the return refunds
its unit less what the replacement took: nothing, and no money moves. An exchanged line
bears no fee.
""")
    resolved = rec.call("Resolve it", "POST", f"/api/v1/returns/{ret['id']}/refund")
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "0.00")
