"""What the API answers when the database says no: a unique value taken by a concurrent
create is a 409, a lock held elsewhere or a lost connection a fast 503 with Retry-After,
and anything unexpected a 500 whose request id finds its traceback in the log."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from ordermesh.http.deps import Container
from ordermesh.kit.db import build_engine
from ordermesh.settings import Settings
from ordermesh.shipping import accounts
from ordermesh.shipping.tables import carrier_accounts
from tests.conftest import ADMIN_KEY, START, app_for
from tests.helpers import ok

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
CARRIER = {"code": "dhl", "name": "DHL", "adapter": "simulated"}
FAST_MS = 300  # lock and busy timeouts of the impatient servers below


def carrier_row(code: str = "dhl") -> dict:
    return dict(id=f"car_{code}_{time.monotonic_ns()}", code=code, name="Elsewhere",
                adapter="simulated", webhook_secret=None, settings={}, active=True,
                booking_seq=0, created_at=START, updated_at=START)


@contextmanager
def writer_elsewhere(db_url: str):
    """Another process's transaction: whatever it writes or locks stays held until the
    block ends, then it commits."""
    engine = create_engine(db_url, poolclass=NullPool)
    conn = engine.connect()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's one write lock
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()
        engine.dispose()


@pytest.fixture
def impatient(db_url: str, clock) -> TestClient:
    """A server whose statements wait at most FAST_MS for a lock (PostgreSQL lock_timeout,
    SQLite busy_timeout)."""
    settings = Settings(database_url=db_url, admin_api_key=ADMIN_KEY,
                        db_lock_timeout_ms=FAST_MS, sqlite_busy_timeout_ms=FAST_MS)
    engine = build_engine(db_url, pool_size=2, max_overflow=2, sqlite_busy_timeout_ms=FAST_MS,
                          lock_timeout_ms=FAST_MS)
    container = Container(settings=settings, engine=engine, clock=clock)
    with TestClient(app_for(container), headers=AUTH) as client:
        yield client
    engine.dispose()


# Every create of something with a unique code: (path, body, where to read it back).
CREATES = {
    "carrier": ("/api/v1/carriers", CARRIER, "/api/v1/carriers/dhl"),
    "channel": ("/api/v1/channels", {"code": "web", "name": "Web", "kind": "web",
                                     "currency": "EUR"}, "/api/v1/channels/web"),
    "location": ("/api/v1/locations", {"code": "ber", "name": "Berlin",
                                       "kind": "warehouse"}, "/api/v1/locations/ber"),
    "product": ("/api/v1/products", {"sku": "MUG", "name": "Mug"}, "/api/v1/products/MUG"),
    "supplier": ("/api/v1/suppliers", {"code": "LINEN", "name": "Linen Ltd",
                                       "currency": "EUR", "lead_time_days": 10},
                 "/api/v1/suppliers/LINEN"),
    "legal entity": ("/api/v1/legal-entities", {
        "code": "ACME", "name": "ACME GmbH", "address": {
            "lines": ["Friedrichstraße 1"], "postal_code": "10117", "city": "Berlin",
            "country": "DE"}, "email": "billing@acme.example", "locale": "de-DE"},
        "/api/v1/legal-entities/ACME"),
}


@pytest.mark.parametrize("kind", list(CREATES))
def test_a_race_to_create_one_code_gives_one_201_and_the_rest_409(client, kind):
    path, body, one = CREATES[kind]
    start = threading.Barrier(6)

    def create(_: int) -> int:
        start.wait()
        return client.post(path, json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = Counter(pool.map(create, range(6)))
    assert statuses == Counter({201: 1, 409: 5})
    ok(client.get(one))


@pytest.mark.parametrize("kind", list(CREATES))
def test_creating_a_code_again_is_a_409_problem(client, kind):
    path, body, _ = CREATES[kind]
    ok(client.post(path, json=body), 201)
    again = client.post(path, json=body)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"


def test_a_race_to_create_a_price_list_code_gives_one_201_and_the_rest_409(client):
    ok(client.post("/api/v1/channels", json=CREATES["channel"][1]), 201)
    start = threading.Barrier(6)

    def create(_: int) -> int:
        start.wait()
        return client.post("/api/v1/price-lists", json={
            "code": "eu", "name": "EU", "channel": "web"}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = Counter(pool.map(create, range(6)))
    assert statuses == Counter({201: 1, 409: 5})


def test_a_carrier_committed_by_another_transaction_mid_create_is_a_409(client, db_url):
    ok(client.get("/api/v1/carriers"))  # connected (SQLite: in WAL mode) before the writer
    answers: list = []
    with writer_elsewhere(db_url) as other:
        other.execute(insert(carrier_accounts).values(**carrier_row()))
        request = threading.Thread(target=lambda: answers.append(
            client.post("/api/v1/carriers", json=CARRIER)))
        request.start()
        request.join(0.5)  # PostgreSQL: its INSERT waits on our unique key; SQLite: BEGIN
    request.join(10)
    (answer,) = answers
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert ok(client.get("/api/v1/carriers/dhl"))["name"] == "Elsewhere"


def test_a_unique_value_no_use_case_checked_is_a_409_naming_the_field(client, monkeypatch):
    ok(client.post("/api/v1/carriers", json=CARRIER), 201)

    def careless_create(uow, *args, **kwargs):  # inserts without looking first
        uow.execute(insert(carrier_accounts).values(**carrier_row()))
        uow.commit()

    monkeypatch.setattr(accounts, "create_account", careless_create)
    refused = client.post("/api/v1/carriers", json={**CARRIER, "name": "Again"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "already-exists"
    assert refused.json()["fields"] == ["code"]
    assert ok(client.get("/api/v1/carriers/dhl"))["name"] == "DHL"


def test_a_lock_held_elsewhere_is_a_fast_503_with_retry_after(impatient, db_url):
    ok(impatient.post("/api/v1/carriers", json=CARRIER), 201)
    answers: list = []
    with writer_elsewhere(db_url) as other:
        other.execute(text("UPDATE carrier_accounts SET name = 'Held' WHERE code = 'dhl'"))
        began = time.monotonic()
        request = threading.Thread(target=lambda: answers.append(
            impatient.patch("/api/v1/carriers/dhl", json={"name": "Mine"})))
        request.start()
        request.join(10)  # without a lock timeout it would wait here until we commit
        waited = time.monotonic() - began
    request.join(10)
    (answer,) = answers
    assert answer.status_code == 503, answer.text
    assert waited < 5
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["code"] == "database-busy"
    assert answer.json()["request_id"] == answer.headers["X-Request-Id"]
    assert ok(impatient.get("/api/v1/carriers/dhl"))["name"] == "Held"


def test_a_statement_running_past_the_statement_timeout_is_cut_off_with_a_503(
        db_url, clock, monkeypatch):
    if db_url.startswith("sqlite"):
        pytest.skip("an embedded SQLite database has no statement timeout")
    settings = Settings(database_url=db_url, admin_api_key=ADMIN_KEY,
                        db_statement_timeout_ms=FAST_MS)
    engine = build_engine(db_url, pool_size=2, max_overflow=2, statement_timeout_ms=FAST_MS)
    container = Container(settings=settings, engine=engine, clock=clock)

    def slow(uow, *args, **kwargs):  # a report scanning far too much, say
        uow.execute(text("SELECT pg_sleep(5)"))

    monkeypatch.setattr(accounts, "create_account", slow)
    began = time.monotonic()
    with TestClient(app_for(container), headers=AUTH) as client:
        answer = client.post("/api/v1/carriers", json=CARRIER)
    engine.dispose()
    assert answer.status_code == 503, answer.text
    assert time.monotonic() - began < 4
    assert answer.headers["Retry-After"] == "1"


def test_a_connection_lost_mid_request_is_a_503_not_a_500(client, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("an embedded SQLite database has no server connection to lose")
    ok(client.post("/api/v1/carriers", json=CARRIER), 201)
    answers: list = []
    with writer_elsewhere(db_url) as other:
        other.execute(text("UPDATE carrier_accounts SET name = 'Held' WHERE code = 'dhl'"))
        request = threading.Thread(target=lambda: answers.append(
            client.patch("/api/v1/carriers/dhl", json={"name": "Mine"})))
        request.start()
        waiting = text("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        for _ in range(100):
            if pids := other.execute(waiting).scalars().all():
                break
            time.sleep(0.05)
        for pid in pids:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        request.join(10)
    (answer,) = answers
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_answers_request_id(
        container, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the adapter fell over")

    monkeypatch.setattr(accounts, "list_accounts", broken)
    app = app_for(container)
    with (TestClient(app, headers=AUTH, raise_server_exceptions=False) as client,
          caplog.at_level(logging.ERROR, logger="ordermesh.http")):
        answer = client.get("/api/v1/carriers")
        given = client.get("/api/v1/carriers", headers={"X-Request-Id": "lb-42.7"})
    assert answer.status_code == 500
    request_id = answer.headers["X-Request-Id"]
    assert answer.json()["request_id"] == request_id
    assert given.headers["X-Request-Id"] == given.json()["request_id"] == "lb-42.7"
    first = caplog.records[0]
    assert request_id in first.getMessage()
    assert "RuntimeError: the adapter fell over" in caplog.text
    assert "NoneType: None" not in caplog.text


def test_every_answer_carries_a_request_id_and_a_bad_one_given_is_replaced(client):
    answer = client.get("/api/v1/carriers", headers={"X-Request-Id": "no spaces\tplease"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] not in ("", "no spaces\tplease")
    assert len(answer.headers["X-Request-Id"]) == 32
