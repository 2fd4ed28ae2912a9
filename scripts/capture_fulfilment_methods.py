"""Write docs/fulfilment-methods.md: ship (needs an address), pickup and counter, through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it; it checks what it shows and stops with an
AssertionError when the app answers differently. The same behaviour is tested on SQLite
and PostgreSQL in tests/integration/test_order_fulfilment_methods.py.

    .venv/bin/python scripts/capture_fulfilment_methods.py > docs/fulfilment-methods.md
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import Recorder
from capture_kit import app_on_fresh_database, quietly, say

from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # a Thursday
LINES = [{"sku": "MUG", "quantity": 2, "unit_price": "12.50"}]


def set_up(client: TestClient) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "store-ber", "name": "Berlin store",
                                                 "kind": "store", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ber", "name": "Berlin warehouse", "kind": "warehouse"})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "mitte", "name": "Store Berlin Mitte", "kind": "store",
        "capabilities": ["pickup"],
        "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "postal_code": "10178",
                    "country": "DE"}})
    quietly(client, "POST", "/api/v1/products", {"sku": "MUG", "name": "Stoneware mug"})
    for location, units in (("ber", 40), ("mitte", 6)):
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": "MUG", "location": location, "quantity_delta": units,
            "reason": "received"})


def examples(client: TestClient, rec: Recorder) -> None:
    say("""
## An order that ships needs an address

`fulfilment.method` is `ship` unless the order says otherwise, and a parcel needs
somewhere to go: an order that ships without a `shipping_address` is refused with
`422` naming the field, and nothing is written (no order, no reservation, no customer,
no event; its `Idempotency-Key` is not used up, so the same key may be sent again with
the address). `ordermesh import` refuses such a line the same way, with the same
message, and goes on with the next line.
""")
    refused = rec.call("An order without an address, shipped by default", "POST",
                       "/api/v1/orders", idem="till-0001", body={
                           "channel": "store-ber", "lines": LINES})
    assert refused["status"] == 422 and refused["errors"][0]["field"] == "shipping_address"
    say("""
## A sale over the counter

A store's till sells goods the customer carries away: method `counter`, with the store
as `pickup_location` (a location with the `pickup` capability). It needs no address.
(The till below sends the refused request again as a counter sale, under the same
`Idempotency-Key`: the refusal did not use it up.)
It is sourced only at that store, like a pick-up, even when a warehouse holds more,
and its fulfilment order is of kind `pickup` (carrier `pickup`): nothing is packed,
labelled or booked with a carrier. Without an address and without a legal entity on the
channel no tax is charged (with one, the seller's own country's tax:
[tax by destination](order-money.md#tax)); a `shipping_address` may still be given, for
the receipt, and then decides the tax.
""")
    sale = rec.call("A counter sale", "POST", "/api/v1/orders", idem="till-0001", body={
        "channel": "store-ber", "lines": LINES,
        "fulfilment": {"method": "counter", "pickup_location": "mitte"}})
    assert sale["fulfilment_method"] == "counter" and sale["shipping_address"] is None
    assert [a["location"] for a in sale["lines"][0]["allocations"]] == ["mitte"]
    fos = rec.call("Its fulfilment order, at the store", "GET",
                   f"/api/v1/orders/{sale['id']}/fulfilment")
    [fo] = fos["fulfilment_orders"]
    assert fo["kind"] == "pickup"
    say("""
The sale is paid at the till (`POST /api/v1/orders/{id}/payments`), and handed over
through the [click-and-collect](fulfilment.md#click-and-collect) steps, one after the
other while the customer waits: the units are picked (a pick list, or `start-picking`
and `confirm-pick`), `POST …/ready-for-pickup` issues the code, and `POST …/pickup` with
that code hands them over: the order records them as shipped (carrier `pickup`) and
completes.
""")
    quietly(client, "POST", f"/api/v1/orders/{sale['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    pick_list = quietly(client, "POST", "/api/v1/pick-lists",
                        {"location": "mitte", "max_orders": 1})
    quietly(client, "POST", f"/api/v1/pick-lists/{pick_list['id']}/confirm", {})
    ready = quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo['id']}/ready-for-pickup",
                    {})
    handed = rec.call("Handed over at the counter", "POST",
                      f"/api/v1/fulfilment-orders/{fo['id']}/pickup",
                      body={"code": ready["pickup_code"]})
    assert handed["status"] == "picked_up"
    done = quietly(client, "GET", f"/api/v1/orders/{sale['id']}", None)
    assert done["status"] == "completed", done["status"]
    say(f"""
The order is now `{done['status']}`.

## Refusals

Every refusal is a `422` naming its field, and writes nothing:

- `ship` (or no method) without `shipping_address`: field `shipping_address`, code
  `missing`;
- `counter` or `pickup` without `pickup_location`: field `fulfilment.pickup_location`,
  code `missing`;
- a `pickup_location` without the `pickup` capability: the same field, code `no_pickup`;
- `ship` with a `pickup_location`: the same field.
""")


def main() -> None:
    with app_on_fresh_database("methods", FixedClock(NOW)) as client:
        rec = Recorder(client)
        say("""
# How an order reaches its buyer: ship, pickup, counter

An order says how its buyer gets it in `fulfilment.method`
([placing an order](orders.md#placing-an-order)):

| method | the buyer | needs | sourced at |
| --- | --- | --- | --- |
| `ship` (default) | receives a parcel | `shipping_address` | as [sourcing](sourcing.md) decides |
| `pickup` | collects later ([how](fulfilment.md#click-and-collect)) | `pickup_location` | there |
| `counter` | buys at the store's till, carries it away | `pickup_location` | there |

Every request below was sent to the API and every response is pasted as it came back
(by `scripts/capture_fulfilment_methods.py`, on a fixed clock; only the ids differ from
run to run). The shop: a channel `store-ber` (kind `store`, no legal entity), a Berlin
warehouse `ber` with 40 mugs and the store `mitte` (capability `pickup`) with 6.
""")
        set_up(client)
        examples(client, rec)


if __name__ == "__main__":
    main()
