"""Identity resolution across channels, merges that can be undone, and the profile."""

from __future__ import annotations

from tests.customer_helpers import customer_of, customer_shop, order
from tests.helpers import ok

ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}


def test_a_marketplace_buyer_id_finds_the_customer_even_behind_a_new_relay_address(client):
    customer_shop(client)
    first = order(client, {"account_id": "A2XBUYER", "email": "x1@marketplace.example"},
                  channel="amazon-de")
    second = order(client, {"account_id": "A2XBUYER", "email": "x2@marketplace.example"},
                   channel="amazon-de")
    assert second["customer_id"] == first["customer_id"]
    kinds = {(i["kind"], i["channel"], i["value"])
             for i in customer_of(client, first["customer_id"])["identities"]}
    assert kinds == {("account", "amazon-de", "A2XBUYER"),
                     ("email", None, "x1@marketplace.example"),
                     ("email", None, "x2@marketplace.example")}
    # the same buyer id on another channel is another channel's id: a new customer
    web = order(client, {"account_id": "A2XBUYER"})
    assert web["customer_id"] != first["customer_id"]


def test_a_national_phone_number_is_read_in_the_shipping_country_and_matches_later(client):
    customer_shop(client)
    first = order(client, {"phone": "030 1234567", "name": "Ada"})
    again = order(client, {"phone": "+49 30 123 4567"}, channel="amazon-de")
    assert again["customer_id"] == first["customer_id"]
    assert customer_of(client, first["customer_id"])["phone"] == "+49301234567"


def test_an_order_with_a_bad_phone_number_is_refused_and_nothing_is_created(client):
    customer_shop(client)
    refused = order(client, {"phone": "12", "email": "ada@example.com"}, status=422)
    assert refused["errors"][0]["field"] == "customer.phone"
    assert ok(client.get("/api/v1/customers"))["items"] == []
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_merging_links_a_duplicate_and_undoing_gives_back_both_customers_unchanged(client):
    customer_shop(client)
    web = order(client, ADA)
    amazon = order(client, {"email": "relay-77@marketplace.example", "name": "A. Lovelace"},
                   channel="amazon-de")
    survivor, duplicate = web["customer_id"], amazon["customer_id"]
    before = customer_of(client, duplicate)
    merge = ok(client.post(f"/api/v1/customers/{survivor}/merges", json={
        "customer_id": duplicate, "reason": "same person, confirmed on the phone"}), 201)
    whole = customer_of(client, duplicate)  # either id shows the person
    assert whole["id"] == survivor and whole["merged_customer_ids"] == [duplicate]
    assert {o["channel"] for o in whole["orders"]} == {"web", "amazon-de"}
    listed = ok(client.get("/api/v1/customers"))["items"]
    assert [c["id"] for c in listed] == [survivor]
    # a new order from the duplicate's address still lands on the duplicate's record
    later = order(client, {"email": "relay-77@marketplace.example"}, channel="amazon-de")
    assert later["customer_id"] == duplicate
    undone = ok(client.post(f"/api/v1/customer-merges/{merge['id']}/undo"))
    assert undone["undone_at"] is not None
    after = customer_of(client, duplicate)
    assert after["id"] == duplicate and after["merged_into"] is None
    assert after["email"] == before["email"] and after["name"] == before["name"]
    assert after["orders_count"] == 2 and customer_of(client, survivor)["orders_count"] == 1
    again = client.post(f"/api/v1/customer-merges/{merge['id']}/undo")
    assert again.status_code == 409


def test_merges_that_make_no_sense_are_refused_and_change_nothing(client):
    customer_shop(client)
    a = order(client, ADA)["customer_id"]
    b = order(client, {"email": "b@example.com"})["customer_id"]
    c = order(client, {"email": "c@example.com"})["customer_id"]
    itself = client.post(f"/api/v1/customers/{a}/merges",
                         json={"customer_id": a, "reason": "oops"})
    assert itself.status_code == 422
    assert itself.json()["errors"][0]["field"] == "customer_id"
    unknown = client.post(f"/api/v1/customers/{a}/merges",
                          json={"customer_id": "cus_nope", "reason": "x"})
    assert unknown.status_code == 404
    ok(client.post(f"/api/v1/customers/{a}/merges", json={"customer_id": b, "reason": "x"}),
       201)
    twice = client.post(f"/api/v1/customers/{c}/merges", json={"customer_id": b, "reason": "x"})
    assert twice.status_code == 409
    into_merged = client.post(f"/api/v1/customers/{b}/merges",
                              json={"customer_id": c, "reason": "x"})
    assert into_merged.status_code == 409
    assert customer_of(client, c)["merged_into"] is None
    assert customer_of(client, a)["merged_customer_ids"] == [b]


def test_the_profile_holds_contact_preferences_tags_and_treatment(client):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    changed = ok(client.patch(f"/api/v1/customers/{cid}", json={
        "language": "de", "locale": "de-AT", "preferred_channel": "web",
        "preferred_contact": "email",
        "contact_hours": {"days": ["mon", "fri"], "from": "09:00", "to": "17:30",
                          "time_zone": "Europe/Vienna"},
        "notes": "Prefers parcels left with the neighbour", "tags": ["vip", "b2c", "vip"],
        "preferences": {"gift_wrap": True, "no_calls": True,
                        "accessibility_needs": ["large_print"]}}))
    assert changed["locale"] == "de_AT" and changed["tags"] == ["b2c", "vip"]
    assert changed["contact_hours"]["to"] == "17:30"
    assert changed["preferences"] == {"gift_wrap": True, "no_calls": True,
                                      "accessibility_needs": ["large_print"]}
    cleared = ok(client.patch(f"/api/v1/customers/{cid}", json={"notes": None}))
    assert cleared["notes"] is None and cleared["language"] == "de"
    address = ok(client.post(f"/api/v1/customers/{cid}/addresses", json={
        "label": "home", "default": True, "address": {
            "line1": "Ringstraße 1", "city": "Wien", "postal_code": "1010", "country": "at"}}),
        201)
    assert address["address"]["country"] == "AT" and address["is_default"]
    assert [a["id"] for a in customer_of(client, cid)["addresses"]] == [address["id"]]


def test_bad_profile_input_is_refused_with_the_field_and_nothing_changes(client):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    before = customer_of(client, cid)
    for body, field in (({"locale": "xx_QQ_nonsense"}, "locale"),
                        ({"preferred_channel": "fax-line"}, "preferred_channel"),
                        ({"preferred_contact": "pigeon"}, "preferred_contact"),
                        ({"contact_hours": {"time_zone": "Mars/Olympus"}},
                         "contact_hours.time_zone"),
                        ({"preferences": {"teleport": True}}, "preferences.teleport"),
                        ({"tags": ["Not A Tag!"]}, "tags.0")):
        refused = client.patch(f"/api/v1/customers/{cid}", json=body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["field"] == field, refused.json()
    assert customer_of(client, cid)["updated_at"] == before["updated_at"]
    assert client.patch("/api/v1/customers/cus_nope", json={"notes": "x"}).status_code == 404


def test_an_identity_of_another_customer_cannot_be_added_and_bad_ones_are_refused(client):
    customer_shop(client)
    a = order(client, ADA)["customer_id"]
    b = order(client, {"email": "b@example.com"})["customer_id"]
    taken = client.post(f"/api/v1/customers/{b}/identities",
                        json={"kind": "email", "value": "ADA@example.com"})
    assert taken.status_code == 409 and taken.json()["customer_id"] == a
    for body in ({"kind": "phone", "value": "12"}, {"kind": "fax", "value": "1"},
                 {"kind": "account", "value": "X1"},
                 {"kind": "account", "value": "X1", "channel": "nope"}):
        assert client.post(f"/api/v1/customers/{b}/identities", json=body).status_code == 422
    added = ok(client.post(f"/api/v1/customers/{b}/identities",
                           json={"kind": "phone", "value": "+44 20 7946 0018"}), 201)
    assert added["value"] == "+442079460018"
    assert order(client, {"phone": "+442079460018"})["customer_id"] == b


def test_customers_with_a_close_name_or_e_mail_are_proposed_as_duplicates_not_merged(client):
    customer_shop(client)
    ada = order(client, {"email": "ada.lovelace@example.com", "name": "Ada Lovelace"})
    twin = order(client, {"email": "ada.lovelace@example.org", "name": "Lovelace, Ada"},
                 channel="amazon-de")
    close = order(client, {"email": "a.lovelace@mail.example", "name": "Ada Lovelac"})
    order(client, {"email": "grace@example.com", "name": "Grace Hopper"})
    found = ok(client.get(f"/api/v1/customers/{ada['customer_id']}/duplicates"))
    assert [c["customer_id"] for c in found] == [twin["customer_id"], close["customer_id"]]
    assert found[0]["score"] == 100 and "name 100" in found[0]["reasons"]
    assert customer_of(client, twin["customer_id"])["merged_into"] is None
    ok(client.post(f"/api/v1/customers/{ada['customer_id']}/merges", json={
        "customer_id": twin["customer_id"], "reason": "reviewed duplicate"}), 201)
    again = ok(client.get(f"/api/v1/customers/{ada['customer_id']}/duplicates"))
    assert [c["customer_id"] for c in again] == [close["customer_id"]]
    assert client.get("/api/v1/customers/cus_nope/duplicates").status_code == 404
