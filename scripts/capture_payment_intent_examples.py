"""Capture the examples of docs/payments.md, "Calls to the gateway: intents", by running
them: a fresh SQLite database under /tmp, the app as the server builds it with
``ORDERMESH_PAYMENT_GATEWAY_URL`` pointing at the test suite's HTTP card gateway
(tests/payment_gateway.py) served in a thread, which charges and then does not answer in
time:

    PYTHONPATH=src:. .venv/bin/python scripts/capture_payment_intent_examples.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.e2e.threaded_app import served_in_a_thread
from tests.helpers import capture_later, ok, order_body, shop
from tests.payment_gateway import APPROVED_CARD, CLIENT_TIMEOUT_S, FakeGateway

sys.path.insert(0, str(Path(__file__).parent))
from capture_operations_examples import show

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.db import UnitOfWork
from ordermesh.migrations import upgrade
from ordermesh.payments.tables import payment_intents
from ordermesh.settings import Settings

ADMIN_KEY = "docs-admin-key-0123456789abcdef"


def post(client: TestClient, label: str, path: str, body: dict, key: str) -> None:
    show(label, "POST", path, client.post(path, json=body, headers={"Idempotency-Key": key}),
         json.dumps(body), {"Idempotency-Key": key})


def main() -> None:
    gateway = FakeGateway()
    with served_in_a_thread(gateway.app()) as base_url:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='ordermesh-pay-')) / 'om.db'}"
        upgrade(url)
        container = build_container(Settings(
            database_url=url, admin_api_key=ADMIN_KEY, payment_gateway_url=base_url,
            payment_gateway_timeout_s=CLIENT_TIMEOUT_S))
        client = TestClient(create_app(container),
                            headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        shop(client, {"MUG": {"ber": 10}})
        capture_later(client)
        order = ok(client.post("/api/v1/orders", json=order_body([("MUG", 2, "12.50")])), 201)
        path = f"/api/v1/orders/{order['id']}/payments"
        body = {"provider": "gateway", "source": APPROVED_CARD}
        gateway.faults.append("charge_then_hang")
        post(client, "The gateway charges, then does not answer in time", path, body,
             "checkout-7731")
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            row = uow.execute(select(payment_intents)).one()
        print("#### The intent, meanwhile\n\n```json")
        print(json.dumps({k: row._mapping[k] for k in (
            "id", "operation", "provider_key", "amount", "currency", "status", "attempts",
            "last_error")}, indent=2, default=str))
        print("```\n")
        post(client, "The same request again", path, body, "checkout-7731")
        print(f"The gateway holds {len(gateway.charges)} charge; it was sent "
              f"{len(gateway.requests)} requests, with the keys "
              f"{sorted(set(k for _, k in gateway.requests))}.")


if __name__ == "__main__":
    main()
