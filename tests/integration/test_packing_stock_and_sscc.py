"""Packaging material is stock; SSCC numbering; the packaging catalogue."""

from __future__ import annotations

import threading

import pytest

from ordermesh.inventory.sales import daily_sales
from ordermesh.kit.db import UnitOfWork
from ordermesh.packing import service as packing
from ordermesh.packing.sscc import is_valid
from tests.conftest import START
from tests.helpers import make_product, ok
from tests.packing_helpers import packing_shop, picked_order, stock_at

BOOK = {"weight_grams": 600, "dimensions": {"length_mm": 240, "width_mm": 170,
                                              "height_mm": 40}}
BIG = {"weight_grams": 2000, "dimensions": {"length_mm": 380, "width_mm": 280,
                                              "height_mm": 200}}


def events(client, prefix: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 1000}))["items"]


def box_m(client, fo_id: str, **extra) -> object:
    return client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]}],
        **extra})


def test_packing_consumes_packaging_stock_at_the_location(client, container, uow):
    packing_shop(client, {"BIG": BIG})
    _, fo_id = picked_order(client, container, [("BIG", 2)])
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    assert [p["packaging_code"] for p in packed["packages"]] == ["BOX-M", "BOX-M"]
    assert stock_at(client, "PKG-BOX-M") == 18
    [consumed] = events(client, "packaging.consumed")
    assert consumed["payload"]["material_sku"] == "PKG-BOX-M"
    assert consumed["payload"]["quantity"] == 2 and consumed["payload"]["shortfall"] == 0
    assert events(client, "inventory.consumed")[0]["payload"]["quantity"] == 2
    # the ledger reconciles and the demand history sees the boxes used
    with uow(write=False) as u:
        from ordermesh.inventory.ledger import ledger_drift

        assert ledger_drift(u) == []
        box = ok(client.get("/api/v1/products", params={"limit": 100}))["items"]
        pid = next(p["id"] for p in box if p["sku"] == "PKG-BOX-M")
        series = daily_sales(u, START.date(), 1, product_ids=[pid])
        assert list(series.values()) == [[2]]


def test_missing_packaging_stock_refuses_packing_and_changes_nothing(client, container):
    packing_shop(client, {"BIG": BIG}, boxes_in_stock=0)
    _, fo_id = picked_order(client, container, [("BIG", 1)])
    serial = ok(client.get("/api/v1/sscc-settings"))["next_serial"]
    response = box_m(client, fo_id)
    assert response.status_code == 409, response.text
    assert "PKG-BOX-M" in response.json()["detail"]
    assert "allow_packaging_shortage" in response.json()["detail"]
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []
    assert ok(client.get("/api/v1/sscc-settings"))["next_serial"] == serial
    assert events(client, "package") == []


def test_the_packer_may_pack_anyway_and_the_shortfall_is_recorded(client, container):
    packing_shop(client, {"BIG": BIG}, boxes_in_stock=0)
    _, fo_id = picked_order(client, container, [("BIG", 1)])
    packed = ok(box_m(client, fo_id, allow_packaging_shortage=True), 201)
    assert packed["packages"][0]["packaging_shortfall"] == 1
    assert events(client, "packaging.consumed")[0]["payload"]["shortfall"] == 1
    assert stock_at(client, "PKG-BOX-M") == 0


def test_consuming_packaging_raises_low_stock_events(client, container):
    packing_shop(client, {"BIG": BIG}, boxes_in_stock=5)
    ok(client.put("/api/v1/products/PKG-BOX-M/stock-policy", json={"low_stock_threshold": 5}))
    _, fo_id = picked_order(client, container, [("BIG", 1)])
    ok(box_m(client, fo_id), 201)
    low = [e for e in events(client, "inventory.low_stock")
           if e["payload"]["sku"] == "PKG-BOX-M"]
    assert low and low[0]["payload"]["available"] == 4


def test_sscc_settings_are_required_validated_and_only_move_forward(client):
    assert client.get("/api/v1/sscc-settings").status_code == 404
    assert client.put("/api/v1/sscc-settings",
                      json={"company_prefix": "123456"}).status_code == 422
    settings = ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345"}))
    assert settings == {**settings, "extension_digit": 0, "next_serial": 1,
                        "last_serial": 999_999_999, "remaining": 999_999_999}
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                 "next_serial": 500}))
    back = client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                    "next_serial": 10})
    assert back.status_code == 409 and back.json()["next_serial"] == 500
    other = ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                         "extension_digit": 1}))
    assert other["next_serial"] == 1  # a new range of its own
    again = ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345"}))
    assert again["next_serial"] == 500  # the old range goes on where it was
    assert events(client, "packing.sscc_settings_changed")


def test_an_exhausted_serial_range_is_a_clear_409_and_nothing_is_packed(client, container):
    packing_shop(client, {"BOOK": BOOK})
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                 "extension_digit": 7, "next_serial": 41,
                                                 "serial_limit": 41}))
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    body = {"packages": [{"packaging_code": "BOX-S", "lines": [{"line_no": 1, "quantity": 1}]},
                         {"packaging_code": "BOX-S", "lines": [{"line_no": 1, "quantity": 1}]}]}
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=body)
    assert response.status_code == 409
    assert "exhausted" in response.json()["detail"]
    assert response.json()["remaining"] == 1 and response.json()["needed"] == 2
    assert stock_at(client, "PKG-BOX-S") == 20
    one = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": body["packages"][:1]}), 201)
    assert one["packages"][0]["sscc"][:17] == "74012345000000041"
    assert ok(client.get("/api/v1/sscc-settings"))["remaining"] == 0


def test_concurrent_packers_never_get_the_same_sscc(client, container):
    packing_shop(client, {"BOOK": BOOK})
    fos = [picked_order(client, container, [("BOOK", 1)])[1] for _ in range(6)]
    errors: list[BaseException] = []

    def pack(fo_id: str) -> None:
        try:
            with UnitOfWork(container.engine, container.clock) as uow:
                packing.pack(uow, fo_id, packing.PackRequest())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pack, args=(fo,)) for fo in fos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ssccs = [p["sscc"] for fo in fos
             for p in ok(client.get(f"/api/v1/fulfilment-orders/{fo}/packages"))["items"]]
    assert len(ssccs) == 6 and len(set(ssccs)) == 6 and all(is_valid(s) for s in ssccs)


def test_the_packaging_catalogue_is_managed_by_admins(client):
    make_product(client, "PKG-TUBE")
    created = ok(client.post("/api/v1/packaging-types", json={
        "code": "TUBE", "name": "Poster tube", "length_mm": 600, "width_mm": 80,
        "height_mm": 80, "max_weight_g": 2000, "own_weight_g": 120,
        "cost": {"amount": "0.80", "currency": "EUR"}, "material_sku": "PKG-TUBE"}), 201)
    assert created["cost"] == {"amount": "0.80", "currency": "EUR"}
    assert client.post("/api/v1/packaging-types", json={
        **{k: created[k] for k in ("code", "name", "length_mm", "width_mm", "height_mm",
                                   "max_weight_g", "own_weight_g")},
        "cost": {"amount": "1", "currency": "EUR"}}).status_code == 409
    bad = client.post("/api/v1/packaging-types", json={
        "code": "X", "name": "X", "length_mm": 1, "width_mm": 1, "height_mm": 1,
        "max_weight_g": 10, "own_weight_g": 5, "cost": {"amount": "1", "currency": "EUR"},
        "material_sku": "NOPE"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "material_sku"
    changed = ok(client.patch("/api/v1/packaging-types/TUBE", json={
        "active": False, "material_sku": "", "handling": ["padded"]}))
    assert changed["active"] is False and changed["material_sku"] is None
    assert changed["handling"] == ["padded"]
    assert ok(client.get("/api/v1/packaging-types", params={"active": True}))["items"] == []
    assert ok(client.get(f"/api/v1/packaging-types/{created['id']}"))["code"] == "TUBE"
    assert [e["type"] for e in events(client, "packaging_type.")] == [
        "packaging_type.created", "packaging_type.updated"]


@pytest.mark.parametrize("body", [
    {"max_weight_g": 100, "own_weight_g": 100},
    {"length_mm": 0},
    {"cost": {"amount": "1", "currency": "XXX"}},
    {"handling": ["bubbly"]},
])
def test_bad_packaging_types_are_refused(client, body):
    base = {"code": "B", "name": "B", "length_mm": 10, "width_mm": 10, "height_mm": 10,
            "max_weight_g": 1000, "own_weight_g": 10,
            "cost": {"amount": "1", "currency": "EUR"}}
    assert client.post("/api/v1/packaging-types", json={**base, **body}).status_code == 422
    assert ok(client.get("/api/v1/packaging-types"))["items"] == []


def test_packing_before_sscc_numbering_is_set_up_is_refused(client, container):
    packing_shop(client, {"BOOK": BOOK}, sscc=False)
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={})
    assert response.status_code == 409
    assert "PUT /api/v1/sscc-settings" in response.json()["detail"]
    assert stock_at(client, "PKG-BOX-S") == 20
