"""People limited to locations and channels: an admin sets it on the person's page (or the
CLI when creating them); their orders list, order pages, CSV, work queues, stock page and
pack station show only their part, and anything outside it answers "not found"."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ordermesh.app import create_app
from ordermesh.backoffice.scopes import scope_codes
from ordermesh.backoffice.tables import backoffice_users
from ordermesh.cli import app as cli
from tests.backoffice_helpers import PASSWORD, csrf_of, post_form, signed_in
from tests.helpers import add_stock, make_channel, make_location, make_product, ok, order_body
from tests.integration.test_backoffice_people import events, rows, user_id
from tests.packing_helpers import packing_shop, picked_order

ADMIN = "admin@shop.example"


@pytest.fixture
def app(container):
    return create_app(container)


@pytest.fixture
def admin(app, container):
    return signed_in(app, container, "admin", ADMIN)


@pytest.fixture
def orders(client) -> dict[str, dict]:
    """web-ber: TEE from ber on web; web-muc: MUG from muc on web; app-ber: TEE on app."""
    make_channel(client, "web")
    make_channel(client, "app")
    for code in ("ber", "muc"):
        make_location(client, code)
    make_product(client, "TEE")
    make_product(client, "MUG")
    add_stock(client, "TEE", "ber", 10)
    add_stock(client, "MUG", "muc", 10)
    placed = {}
    for name, channel, sku in (("web-ber", "web", "TEE"), ("web-muc", "web", "MUG"),
                               ("app-ber", "app", "TEE")):
        placed[name] = ok(client.post("/api/v1/orders", json=order_body(
            [(sku, 1, "10.00")], channel=channel, external_id=name)), 201)
    return placed


def limited(admin, uow, app, container, email: str, role: str = "operator", **scope):
    """A person signed in, limited by the admin on their page to ``scope``."""
    browser = signed_in(app, container, role, email)
    person = user_id(uow, email)
    page = admin.get(f"/app/users/{person}")
    answer = admin.post(f"/app/users/{person}/scope", data={
        "csrf_token": csrf_of(page.text), **scope}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return browser


def listed(browser, url: str = "/app/orders") -> set[str]:
    return {n for n in ("web-ber", "web-muc", "app-ber") if f">{n}<" in browser.get(url).text}


def test_an_admin_limits_a_person_and_the_change_is_recorded(app, container, admin, uow,
                                                             orders):
    limited(admin, uow, app, container, "kim@shop.example", location=["ber"],
            channel=["web", "app"])
    kim = user_id(uow, "kim@shop.example")
    with uow(write=False) as u:
        assert scope_codes(u, kim) == (["ber"], ["app", "web"])
    assert events(uow, "user.scope_changed") == [(
        {"email": "kim@shop.example", "locations": ["ber"], "channels": ["app", "web"]},
        f"user:{ADMIN}")]
    page = admin.get(f"/app/users/{kim}").text
    assert 'value="ber" checked' in page and 'value="muc">' in page
    unknown = post_form(admin, f"/app/users/{kim}", f"/app/users/{kim}/scope",
                        location="nowhere")
    assert unknown.status_code == 422 and "no location &#39;nowhere&#39;" in unknown.text
    with uow(write=False) as u:
        assert scope_codes(u, kim) == (["ber"], ["app", "web"])  # unchanged


def test_a_person_limited_to_a_location_sees_only_its_orders_and_stock(
        app, container, admin, uow, orders, client):
    ber = limited(admin, uow, app, container, "ber@shop.example", location=["ber"])
    assert listed(ber) == {"web-ber", "app-ber"}
    assert "web-muc" not in ber.get("/app/orders.csv").text
    muc_order = orders["web-muc"]["number"]
    assert ber.get(f"/app/orders/{muc_order}").status_code == 404
    assert ber.get(f"/app/orders/{orders['web-ber']['number']}").status_code == 200
    hold = post_form(ber, "/app/orders", f"/app/orders/{muc_order}/hold", reason="check")
    assert hold.status_code == 404
    assert ok(client.get(f"/api/v1/orders/{muc_order}"))["status"] != "on_hold"
    stock = ber.get("/app/inventory/MUG").text
    assert "muc" not in stock.split("<h1")[1]  # no level, no location to adjust at
    moved = post_form(ber, "/app/inventory/TEE", "/app/inventory/MUG/adjust",
                      location="muc", quantity_delta="-3", reason="damaged")
    assert moved.status_code == 404
    levels = ok(client.get("/api/v1/inventory/MUG"))["locations"]
    assert [lv["on_hand"] for lv in levels if lv["location"] == "muc"] == [10]


def test_a_person_limited_to_a_channel_sees_only_its_orders_and_queues(
        app, container, admin, uow, orders, client):
    for name in orders:
        ok(client.post(f"/api/v1/orders/{orders[name]['id']}/hold", json={"reason": "x"}))
    app_only = limited(admin, uow, app, container, "app@shop.example", channel=["app"])
    assert listed(app_only) == {"app-ber"}
    queues = app_only.get("/app/queues").text
    assert orders["app-ber"]["number"] in queues
    assert orders["web-ber"]["number"] not in queues
    assert app_only.get(f"/app/orders/{orders['web-ber']['number']}").status_code == 404
    everyone = signed_in(app, container, "viewer", "all@shop.example")
    assert listed(everyone) == set(orders)  # no scope: everything


def test_the_pack_station_shows_only_the_persons_locations(app, container, admin, uow,
                                                           client):
    packing_shop(client, {"BOOK": {"weight_grams": 600}})
    make_location(client, "muc")
    _, fo_id = picked_order(client, container, [("BOOK", 1)])
    number = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["number"]
    muc = limited(admin, uow, app, container, "muc@shop.example", "warehouse",
                  location=["muc"])
    station = muc.get("/app/pack").text
    assert 'value="muc"' in station and 'value="ber"' not in station
    assert muc.get("/app/pack?location=ber").status_code == 404
    assert muc.get(f"/app/pack/{number}").status_code == 404
    assert muc.get(f"/app/pack?fo={number}", follow_redirects=False).status_code == 404
    assert muc.get(f"/app/pack/{number}/packing-slip.pdf").status_code == 404
    ber = limited(admin, uow, app, container, "ber@shop.example", "warehouse",
                  location=["ber"])
    assert number in ber.get("/app/pack?location=ber").text
    assert ber.get(f"/app/pack/{number}").status_code == 200


def test_the_cli_creates_a_person_limited_to_a_location_and_a_channel(db_url, orders,
                                                                      container, uow):
    env = {"ORDERMESH_DATABASE_URL": db_url, "ORDERMESH_NEW_USER_PASSWORD": PASSWORD}
    made = CliRunner().invoke(cli, ["user", "create", "--email", "lea@shop.example",
                                    "--role", "warehouse", "--location", "ber",
                                    "--channel", "web"], env=env)
    assert made.exit_code == 0, made.output
    assert "limited to location ber, channel web" in made.output
    with uow(write=False) as u:
        assert scope_codes(u, user_id(uow, "lea@shop.example")) == (["ber"], ["web"])
    bad = CliRunner().invoke(cli, ["user", "create", "--email", "max@shop.example",
                                   "--location", "nowhere"], env=env)
    assert bad.exit_code == 1 and "no location 'nowhere'" in bad.output
    assert not rows(uow, select(backoffice_users.c.id)
                    .where(backoffice_users.c.email == "max@shop.example"))
