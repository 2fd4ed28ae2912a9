"""Capture the audit-log example of docs/operations.md by running it against the app.

A fresh SQLite database under /tmp, driven in-process; the caller's address is set to
203.0.113.7 (an address reserved for documentation), as a server would see it:

    .venv/bin/python scripts/capture_audit_examples.py > /tmp/audit.md
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

ADMIN_KEY = "docs-admin-key-0123456789abcdef"
ADDRESS = ("203.0.113.7", 50000)


def main() -> None:
    from scripts.capture_operations_examples import show

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='ordermesh-audit-')) / 'ordermesh.db'}"
    upgrade(url)
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY))
    admin = TestClient(create_app(container), client=ADDRESS,
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    key = admin.post("/api/v1/api-keys", json={"name": "catalogue-team", "role": "operator"})
    operator = TestClient(admin.app, client=ADDRESS,
                          headers={"Authorization": f"Bearer {key.json()['key']}"})
    product = operator.post("/api/v1/products", json={"sku": "TEE-RED-M", "name": "Tee"},
                            headers={"X-Request-Id": "lb-7f3a9c01"}).json()
    print("```http")
    for request_id, body in (("lb-7f3a9c02", {"name": "Tee, red, M", "weight_grams": 180}),
                             ("lb-7f3a9c03", {"category": "shirts"})):
        answer = operator.patch(f"/api/v1/products/{product['id']}", json=body,
                                headers={"X-Request-Id": request_id})
        assert answer.status_code == 200, answer.text
        print(f"PATCH /api/v1/products/{product['id']}  (X-Request-Id: {request_id})  "
              f"{json.dumps(body)}  ->  {answer.status_code}")
    print("```\n")
    path = f"/api/v1/audit?aggregate_id={product['id']}&limit=2"
    page = admin.get(path)
    show("Its audit entries, newest first", "GET", path, page, shown=())
    path += f"&cursor={page.json()['next_cursor']}"
    show("The next page", "GET", path, admin.get(path), shown=())
    path = "/api/v1/audit?actor=apikey:catalogue-team"
    show("An operator key's call", "GET", path,
         operator.get("/api/v1/audit", params={"actor": "apikey:catalogue-team"}), shown=())


if __name__ == "__main__":
    main()
