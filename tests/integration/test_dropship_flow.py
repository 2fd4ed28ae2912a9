"""Drop-ship from placement to delivery: a rule routes lines to a supplier, placement
writes a drop-ship purchase order with the customer's address, the supplier answers
through its partner API, and the order follows the supplier's parcel to delivery."""

from datetime import UTC, datetime

from tests.dropship_helpers import (
    CUSTOMER,
    PARTNER,
    answer,
    dropship_shop,
    dropships_of,
    partner_key,
    place,
    rule,
    ship_body,
)
from tests.fulfilment_helpers import fos_of, order_of, stock_at
from tests.helpers import ok
from tests.shipping_helpers import make_carrier, post_webhook


def test_a_drop_ship_order_goes_from_placement_to_delivery_through_the_api(client, container):
    dropship_shop(client)
    make_carrier(client, "ups")
    rule(client, sku="VASE", mode="always")
    key = partner_key(client)

    order = place(client, [("VASE", 2, "30.00")])
    [ds] = dropships_of(client, order["id"])
    assert ds["status"] == "requested" and ds["supplier"] == "ACME"
    assert ds["ship_to"]["line1"] == CUSTOMER["line1"]  # the customer's, never ours
    [line] = ds["lines"]
    assert (line["line_no"], line["sku"], line["supplier_sku"], line["quantity"]) == (
        1, "VASE", "AC-V-1", 2)
    assert (line["unit_cost"], ds["cost_currency"]) == ("11.50", "GBP")
    assert (line["unit_price"], ds["price_total"], ds["cost_total"]) == ("30.00", "60.00",
                                                                         "23.00")
    assert [fo["location"] for fo in fos_of(client, order["id"])] == ["DS-ACME"]

    seen = ok(client.get(PARTNER, headers=key))["items"]
    assert [d["number"] for d in seen] == [ds["number"]]
    assert "unit_price" not in seen[0]["lines"][0]  # the supplier never sees our price

    answer(client, key, ds["id"], "accept", {"reference": "ACME-7781"})
    container.clock.set(datetime(2026, 11, 26, 15, 30, tzinfo=UTC))  # 3.5 hours later
    first = answer(client, key, ds["id"], "ship", ship_body([(1, 1)], "1Z001"))
    assert (first["status"], first["lines"][0]["open"]) == ("partly_shipped", 1)
    assert order_of(client, order["id"])["status"] == "partially_shipped"
    done = answer(client, key, ds["id"], "ship", ship_body([(1, 1)], "1Z002"))
    assert done["status"] == "shipped"
    assert ok(client.get(PARTNER, headers=key))["items"] == []  # nothing open any more
    assert ok(client.get(f"/api/v1/fulfilment-orders/{ds['fulfilment_order_id']}"))[
        "status"] == "shipped"

    container.clock.set(datetime(2026, 11, 27, 12, tzinfo=UTC))
    ok(post_webhook(client, "ups", [
        {"event_id": f"e{n}", "tracking_number": number, "status": "DLV",
         "occurred_at": "2026-11-27T11:00:00Z"} for n, number in enumerate(("1Z001", "1Z002"))]))
    assert ok(client.get(f"/api/v1/fulfilment-orders/{ds['fulfilment_order_id']}"))[
        "status"] == "delivered"
    assert order_of(client, order["id"])["status"] == "completed"
    assert stock_at(client, "VASE", "DS-ACME") == {"on_hand": 0, "reserved": 0}
    card = ok(client.get("/api/v1/suppliers/ACME/scorecard",
                         params={"from": "2026-11-01", "to": "2026-11-30"}))
    assert card["dropship"] == {"requested": 1, "accepted": 1, "rejected": 0,
                                "acceptance_rate": 1.0, "median_hours_to_ship": 3.5}


def test_only_the_lines_a_rule_names_go_to_the_supplier(client):
    dropship_shop(client)
    rule(client, sku="VASE")

    order = place(client, [("VASE", 2, "30.00"), ("TEE", 1, "10.00")])

    fos = {fo["location"]: fo for fo in fos_of(client, order["id"])}
    assert {loc: [ln["sku"] for ln in fo["lines"]] for loc, fo in fos.items()} == {
        "ber": ["TEE"], "DS-ACME": ["VASE"]}
    [ds] = dropships_of(client, order["id"])
    assert [ln["sku"] for ln in ds["lines"]] == ["VASE"]
