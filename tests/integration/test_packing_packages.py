"""Packing a picked fulfilment order through the API: proposal, packages, SSCCs, status."""

from __future__ import annotations

import pytest

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.packing import service as packing
from ordermesh.packing.sscc import is_valid
from tests.helpers import ok
from tests.packing_helpers import fulfilment_order_of, packing_shop, pick, picked_order, place

DIMS = {"length_mm": 120, "width_mm": 100, "height_mm": 100}
PRODUCTS = {
    "MUG": {"weight_grams": 350, "dimensions": DIMS, "handling": ["fragile"]},
    "TEE": {"weight_grams": 200,
            "dimensions": {"length_mm": 300, "width_mm": 200, "height_mm": 20}},
    "BOOK": {"weight_grams": 600,
             "dimensions": {"length_mm": 240, "width_mm": 170, "height_mm": 40}},
    "POWERBANK": {"weight_grams": 300, "dimensions": DIMS, "handling": ["hazmat"]},
    "SALMON": {"weight_grams": 800, "dimensions": DIMS, "handling": ["cold_chain"]},
}


@pytest.fixture
def shop(client):
    return packing_shop(client, PRODUCTS)


def events(client, prefix: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 1000}))["items"]


def fo_status(client, fo_id: str) -> str:
    return ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"]


def test_accepting_the_proposal_packs_everything_and_the_fo_becomes_packed(
        client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 2), ("TEE", 1)])
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))
    assert proposal["units_to_pack"] == [{"line_no": 1, "quantity": 2},
                                         {"line_no": 2, "quantity": 1}]
    [proposed] = proposal["packages"]
    assert proposed["packaging_code"] == "BOX-M" and "cheapest" in proposed["why"]

    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    assert packed["complete"] and packed["fulfilment_order_status"] == "packed"
    [package] = packed["packages"]
    assert package["packaging_code"] == "BOX-M"
    assert package["weight_g"] == 2 * 600 + 200 + 350
    assert package["sscc"].startswith("34012345") and is_valid(package["sscc"])
    assert fo_status(client, fo_id) == "packed"
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"][0]["id"] \
        == package["id"]
    created = events(client, "package.created")
    assert [e["payload"]["sscc"] for e in created] == [package["sscc"]]
    assert created[0]["payload"]["lines"] == [{"line_no": 1, "quantity": 2},
                                              {"line_no": 2, "quantity": 1}]


def test_every_package_gets_its_own_sscc_in_serial_order(client, container, shop):
    _, fo_id = picked_order(client, container, [("MUG", 1), ("POWERBANK", 1),
                                                ("SALMON", 1)])
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    ssccs = [p["sscc"] for p in packed["packages"]]
    assert len(ssccs) == 3 and all(is_valid(s) for s in ssccs)
    assert [int(s[8:17]) for s in ssccs] == [1, 2, 3]
    assert [p["seq"] for p in packed["packages"]] == [1, 2, 3]
    by_code = {p["packaging_code"]: p for p in packed["packages"]}
    assert set(by_code) == {"PADDED-M", "DG-4G", "COOL-M"}
    assert "KEEP COLD" in by_code["COOL-M"]["marks"]
    assert any("coolant" in n for n in by_code["COOL-M"]["notes"])


def test_the_packer_overrides_packaging_and_splits_lines_and_the_fo_waits_for_the_rest(
        client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 3)])
    first = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]},
                     {"packaging_code": "MAILER", "lines": [{"line_no": 1, "quantity": 1}]}]}),
        201)
    assert not first["complete"] and first["fulfilment_order_status"] == "picked"
    assert [p["packaging_code"] for p in first["packages"]] == ["BOX-M", "MAILER"]
    assert first["packages"][0]["why"].startswith("Chosen by the packer")
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))
    assert proposal["units_to_pack"] == [{"line_no": 1, "quantity": 1}]
    last = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1}]}]}),
        201)
    assert last["complete"] and last["fulfilment_order_status"] == "packed"
    assert last["packages"][0]["seq"] == 3 and last["packages"][0]["packaging_code"] is None


def test_packing_more_than_was_picked_is_refused_and_changes_nothing(client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 3)], picked={1: 2})  # 1 short
    before = ok(client.get("/api/v1/sscc-settings"))
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 3}]}]})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert "only 2 picked and not yet packed" in problem["detail"]
    assert problem["errors"][0]["code"] == "more_than_picked"
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []
    assert ok(client.get("/api/v1/sscc-settings"))["next_serial"] == before["next_serial"]
    assert events(client, "package.") == []
    assert fo_status(client, fo_id) == "picked"
    # the two picked units can be packed
    done = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    assert done["complete"] and sum(ln["quantity"] for p in done["packages"]
                                    for ln in p["lines"]) == 2


@pytest.mark.parametrize("body, field", [
    ({"packages": [{"packaging_code": "NOPE", "lines": [{"line_no": 1, "quantity": 1}]}]},
     "packages.0.packaging_code"),
    ({"packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 9, "quantity": 1}]}]},
     "packages.0.lines"),
    ({"packages": [{"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 1}]},
                   {"packaging_code": "BOX-M", "lines": [{"line_no": 1, "quantity": 2}]}]},
     "packages"),
])
def test_bad_packages_are_refused_with_the_field_named(client, container, shop, body, field):
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []


def test_hazmat_may_not_be_mixed_by_the_packer(client, container, shop):
    _, fo_id = picked_order(client, container, [("POWERBANK", 1), ("BOOK", 1)])
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={
        "packages": [{"packaging_code": "DG-4G", "lines": [{"line_no": 1, "quantity": 1},
                                                           {"line_no": 2, "quantity": 1}]}]})
    assert response.status_code == 422
    assert "packed alone" in response.json()["detail"]


def test_the_hazmat_mark_of_the_product_is_on_its_package(client, container, shop):
    mark = "UN3481 Lithium ion batteries packed with equipment"
    assert client.put("/api/v1/hazmat-marks/POWERBANK", json={"mark": mark}).status_code == 204
    assert client.put("/api/v1/hazmat-marks/BOOK", json={"mark": mark}).status_code == 422
    _, fo_id = picked_order(client, container, [("POWERBANK", 2)])
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    assert package["packaging_code"] == "DG-4G" and package["marks"] == [mark]


def test_nothing_picked_means_nothing_to_pack(client, container, shop):
    order = place(client, [("BOOK", 1)])
    fo_id = fulfilment_order_of(container, order)
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))[
        "packages"] == []
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "nothing_to_pack"


def test_a_packed_fo_cannot_be_packed_again(client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={})
    assert response.status_code == 409
    assert response.json()["current_status"] == "packed"


def test_a_retried_request_with_the_same_idempotency_key_packs_once(client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 1), ("TEE", 1)])
    body = {"packages": [{"packaging_code": "BOX-S", "lines": [{"line_no": 1, "quantity": 1}]}]}
    headers = {"Idempotency-Key": "pack-1"}
    first = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=body,
                           headers=headers), 201)
    again = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json=body,
                           headers=headers), 201)
    assert [p["id"] for p in again["packages"]] == [p["id"] for p in first["packages"]]
    assert len(ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"]) == 1
    other = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={},
                        headers=headers)
    assert other.status_code == 422


def test_the_label_and_the_packing_slip_are_pdfs(client, container, shop):
    _, fo_id = picked_order(client, container, [("MUG", 1)])
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    label = client.get(package["label_url"])
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    assert b"/MediaBox [ 0 0 288 432 ]" in label.content
    slip = client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-slip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    assert client.get("/api/v1/packages/pkg_nope/label.pdf").status_code == 404


def test_tracking_numbers_and_external_packages_are_recorded(client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 2)])
    [package] = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}),
                   201)["packages"]
    with UnitOfWork(container.engine, container.clock) as uow:
        packing.set_tracking_numbers(uow, {package["id"]: "SIM000111"})
        uow.commit()
    assert ok(client.get(f"/api/v1/packages/{package['id']}"))["tracking_number"] == "SIM000111"
    assert events(client, "package.tracking_assigned")[0]["payload"] == {
        "package_id": package["id"], "tracking_number": "SIM000111"}

    _, other = picked_order(client, container, [("BOOK", 1)])
    with (UnitOfWork(container.engine, container.clock) as uow,
          pytest.raises(InvalidInput, match="not a valid SSCC")):
        packing.record_external_packages(uow, other, [packing.ExternalPackage(
            "3PL-1", [(1, 1)], sscc="354123450000000015")])
    with UnitOfWork(container.engine, container.clock) as uow:
        [pid] = packing.record_external_packages(uow, other, [packing.ExternalPackage(
            "3PL-1", [(1, 1)], sscc="354123450000000014", weight_g=700)])
        uow.commit()
    external = ok(client.get(f"/api/v1/packages/{pid}"))
    assert external["source"] == "external" and external["tracking_number"] == "3PL-1"
    assert external["lines"] == [{"line_no": 1, "quantity": 1}]


def test_a_short_pick_leaves_only_the_picked_units_to_pack(client, container, shop):
    order = place(client, [("BOOK", 2), ("TEE", 2)])
    fo_id = fulfilment_order_of(container, order)
    pick(container, fo_id, {1: 1})
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))
    assert proposal["units_to_pack"] == [{"line_no": 1, "quantity": 1},
                                         {"line_no": 2, "quantity": 2}]


def test_dangerous_goods_without_certified_packaging_are_not_packed(client, container, shop):
    ok(client.patch("/api/v1/packaging-types/DG-4G", json={"active": False}))
    _, fo_id = picked_order(client, container, [("POWERBANK", 1)])
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packing-proposal"))
    assert any("No certified packaging" in w for w in proposal["warnings"])
    response = client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={})
    assert response.status_code == 409 and "certified" in response.json()["detail"]
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}/packages"))["items"] == []


def test_a_gift_wrapped_fo_named_by_its_number_gets_gift_capable_packaging(
        client, container, shop):
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{number}/packing-proposal",
                             params={"gift_wrap": True}))
    [package] = proposal["packages"]
    assert package["packaging_code"] == "PADDED-M" and package["gift_wrap"]
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{number}/packages",
                            json={"gift_wrap": True}), 201)
    assert packed["fulfilment_order_id"] == fo_id
    assert packed["packages"][0]["notes"] == ["Gift wrap"]
