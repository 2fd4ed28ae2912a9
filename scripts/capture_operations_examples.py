"""Capture the examples of docs/operations.md by running them against the app.

A fresh SQLite database under /tmp, the app built as the server builds it (with a
generated ``ORDERMESH_SECRET_KEYS`` and a 0.2 s busy timeout), driven in-process:

    .venv/bin/python scripts/capture_operations_examples.py > /tmp/operations.md

The ``503`` comes from a second connection holding SQLite's write lock while the request
waits; on PostgreSQL ``ORDERMESH_DB_LOCK_TIMEOUT_MS`` gives the same answer.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.db import UnitOfWork
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings
from ordermesh.shipping.tables import carrier_accounts

ADMIN_KEY = "docs-admin-key-0123456789abcdef"
SHOWN = ("content-type", "retry-after", "x-request-id")


def show(label: str, method: str, path: str, answer, body: str | None = None,
         headers: dict[str, str] | None = None, shown: tuple[str, ...] = SHOWN) -> None:
    print(f"#### {label}\n\n```http\n{method} {path}")
    for name, value in (headers or {}).items():
        print(f"{name}: {value}")
    if body is not None:
        print(f"\n{body}")
    print("```\n\n```http")
    print(f"HTTP/1.1 {answer.status_code}")
    for name in shown:
        if name in answer.headers:
            print(f"{name}: {answer.headers[name]}")
    print(f"\n{json.dumps(answer.json(), indent=2, ensure_ascii=False)}\n```\n")


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="ordermesh-ops-")) / "ordermesh.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    container = build_container(Settings(
        database_url=url, admin_api_key=ADMIN_KEY, sqlite_busy_timeout_ms=200,
        secret_keys=Fernet.generate_key().decode()))
    client = TestClient(create_app(container),
                        headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    carrier = {"code": "dhl", "name": "DHL", "adapter": "simulated",
               "webhook_secret": "whsec-0123456789abcdef",
               "settings": {"delay_days": 1, "api_key": "ak-live-1234",
                            "auth_header": "Basic dXNlcjpwYXNz"}}
    body = json.dumps(carrier)
    show("A carrier with credentials", "POST", "/api/v1/carriers",
         client.post("/api/v1/carriers", content=body,
                     headers={"Content-Type": "application/json"}), body,
         {"Content-Type": "application/json"})
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        row = uow.execute(select(carrier_accounts.c.webhook_secret, carrier_accounts.c.settings)
                          .where(carrier_accounts.c.code == "dhl")).one()
    print("#### What the database holds\n\n```json")
    print(json.dumps({"webhook_secret": row.webhook_secret[:40] + "…",
                      "settings": {k: (v[:40] + "…" if isinstance(v, str) else v)
                                   for k, v in row.settings.items()}}, indent=2))
    print("```\n")
    show("The same code again", "POST", "/api/v1/carriers",
         client.post("/api/v1/carriers", content=body,
                     headers={"Content-Type": "application/json"}), body,
         {"Content-Type": "application/json"})
    raw = json.dumps({"events": [{"event_id": "e1", "tracking_number": "X", "status": "DEP",
                                  "occurred_at": "2026-11-26T19:00:00Z"}]})
    for code in ("dhl", "nobody"):
        headers = {"Content-Type": "application/json",
                   "X-Ordermesh-Signature": "sha256=" + "0" * 64}
        show(f"Tracking webhook of '{code}', wrongly signed", "POST",
             f"/api/v1/tracking/{code}", client.post(f"/api/v1/tracking/{code}", content=raw,
                                                     headers=headers), raw, headers)
    latin = {"Content-Type": "application/json; charset=iso-8859-1"}
    body = '{"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}'
    show("A body in another charset", "POST", "/api/v1/channels",
         client.post("/api/v1/channels", content=body.encode(), headers=latin), body, latin)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    patch = '{"name": "DHL Express"}'
    show("A lock held elsewhere", "PATCH", "/api/v1/carriers/dhl",
         client.patch("/api/v1/carriers/dhl", content=patch, headers={
             "Content-Type": "application/json", "X-Request-Id": "lb-7f3a"}), patch,
         {"Content-Type": "application/json", "X-Request-Id": "lb-7f3a"})
    holder.execute("ROLLBACK")
    holder.close()


if __name__ == "__main__":
    main()
