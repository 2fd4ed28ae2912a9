"""What the capture scripts share: prose between the examples, set-up calls that are not
shown, and the app on a fresh, migrated SQLite database with a fixed clock."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from typing import Any

from capture_examples import ADMIN_KEY
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import Clock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings


def say(text: str) -> None:
    """Prose of the page, between the recorded exchanges."""
    print()
    print(text.strip("\n"))


def quietly(client: TestClient, method: str, path: str, body: object = None,
            status: tuple[int, ...] = (200, 201), **kwargs: Any) -> dict:
    """A call the page does not show (set-up); it must succeed."""
    response = client.request(method, path, json=body,
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"}, **kwargs)
    assert response.status_code in status, response.text
    return response.json() if response.content else {}


@contextlib.contextmanager
def app_on_fresh_database(name: str, clock: Clock, **settings: Any) -> Iterator[TestClient]:
    """The app as the server builds it, on a new SQLite database that is gone afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/{name}.db"
        with contextlib.redirect_stdout(io.StringIO()):
            upgrade(url)
        container = build_container(
            Settings(database_url=url, admin_api_key=ADMIN_KEY, **settings), clock=clock)
        try:
            with TestClient(create_app(container)) as client:
                yield client
        finally:
            container.engine.dispose()
