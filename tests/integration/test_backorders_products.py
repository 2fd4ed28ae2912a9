"""The product flag that lets a shortfall become a backorder."""

from __future__ import annotations

from tests.helpers import make_product, ok

PRODUCTS = "/api/v1/products"


def test_a_product_is_not_backorderable_unless_created_or_changed_so(client):
    plain = make_product(client, "TEE")
    assert plain["backorderable"] is False
    preorder = make_product(client, "BOOK", backorderable=True)
    assert preorder["backorderable"] is True
    changed = ok(client.patch(f"{PRODUCTS}/{plain['id']}", json={"backorderable": True}))
    assert changed == {**plain, "backorderable": True}
    assert ok(client.get(f"{PRODUCTS}/{plain['id']}"))["backorderable"] is True
    [event] = [e for e in ok(client.get("/api/v1/events", params={"type": "product.updated"}))
               ["items"]]
    assert event["payload"]["changed"] == ["backorderable"]
    assert event["payload"]["backorderable"] is True


def test_patching_a_product_changes_only_what_is_sent(client):
    product = make_product(client, "TEE", category="shirts", handling=["fragile"])
    changed = ok(client.patch(f"{PRODUCTS}/{product['id']}",
                              json={"name": "Tee", "category": None,
                                    "dimensions": {"length_mm": 300, "width_mm": 200,
                                                   "height_mm": 20}}))
    assert changed == {**product, "name": "Tee", "category": None,
                       "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 20}}


def test_bad_product_changes_are_refused_and_change_nothing(client):
    product = make_product(client, "TEE")
    for body, field in (({"backorderable": None}, "backorderable"),
                        ({"name": None}, "name"), ({"sku": "OTHER"}, "sku"),
                        ({"backorderable": "maybe"}, "backorderable")):
        problem = ok(client.patch(f"{PRODUCTS}/{product['id']}", json=body), 422)
        assert field in problem["errors"][0]["field"], problem
    assert ok(client.patch(f"{PRODUCTS}/prd_nope", json={"backorderable": True}), 404)
    assert ok(client.get(f"{PRODUCTS}/{product['id']}")) == product
