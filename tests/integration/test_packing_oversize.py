"""OVERSIZE is the carrier's parcel limits (length, length + girth, weight), not "no box
of the catalogue fits"."""

from __future__ import annotations

import pytest

from tests.helpers import ok
from tests.packing_helpers import packing_shop, picked_order

PRODUCTS = {
    # 30 x 20 x 45 cm, 1.8 kg: bigger than every box of the catalogue, a normal parcel
    "LAMP": {"weight_grams": 1800,
             "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 450}},
    # 130 cm long: longer than a parcel carrier takes
    "RUG": {"weight_grams": 5000,
            "dimensions": {"length_mm": 1300, "width_mm": 200, "height_mm": 200}},
}


@pytest.fixture
def shop(client):
    return packing_shop(client, PRODUCTS)


def test_an_item_that_fits_no_box_but_is_a_normal_parcel_is_not_marked_oversize(
        client, container, shop):
    _, fo_id = picked_order(client, container, [("LAMP", 1)])
    [proposed] = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))[
        "packages"]
    assert proposed["packaging_code"] is None
    assert "OVERSIZE" not in proposed["marks"]
    assert proposed["why"].startswith("No packaging fits") and "oversize" not in proposed["why"]
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    assert package["packaging_code"] is None and package["weight_g"] == 1800
    assert "OVERSIZE" not in package["marks"]


def test_a_package_beyond_the_carrier_parcel_limits_is_marked_oversize(client, container,
                                                                       shop):
    _, fo_id = picked_order(client, container, [("RUG", 1)])
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    assert "OVERSIZE" in package["marks"]
    assert "oversize for the carrier service (length 130 cm > 120 cm)" in package["why"]


def test_the_packer_own_packaging_is_judged_by_the_same_limits(client, container, shop):
    _, fo_id = picked_order(client, container, [("LAMP", 1), ("RUG", 1)])
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1}]},
                     {"packaging_code": None, "lines": [{"line_no": 2, "quantity": 1}]}]}),
        201)["packages"]
    assert ["OVERSIZE" in p["marks"] for p in packed] == [False, True]


def test_the_parcel_limits_are_the_carrier_accounts_setting(client, container, shop):
    ok(client.post("/api/v1/carriers", json={
        "code": "sim", "name": "Sim", "settings": {"parcel_limits": {"max_weight_g": 1000}}}),
        201)
    _, fo_id = picked_order(client, container, [("LAMP", 1)])
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    assert "OVERSIZE" in package["marks"]
    assert "weight 1.8 kg > 1 kg" in package["why"]
    bad = client.post("/api/v1/carriers", json={
        "code": "bulky", "name": "B", "settings": {"parcel_limits": {"max_weight_g": -1}}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "settings.parcel_limits"
