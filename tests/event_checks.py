"""Assert that a request writes exactly the events the contract declares, or none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.event_contract import by_name
from tests.helpers import ok


def log_end(client: TestClient) -> int:
    """The position of the last event in the log."""
    after = 0
    while True:
        page = ok(client.get("/api/v1/events", params={"after": after, "limit": 1000}))
        if not page["items"]:
            return after
        after = page["next_after"]


def events_after(client: TestClient, after: int) -> list[dict]:
    found = []
    while True:
        page = ok(client.get("/api/v1/events", params={"after": after, "limit": 1000}))
        if not page["items"]:
            return found
        found += page["items"]
        after = page["next_after"]


def written_by(client: TestClient, action: Callable[[], Any]) -> tuple[Any, list[dict]]:
    """What ``action`` answered and the events written while it ran."""
    start = log_end(client)
    result = action()
    return result, events_after(client, start)


def assert_writes(client: TestClient, use_case: str, action: Callable[[], Any]
                  ) -> tuple[Any, list[dict]]:
    """Run ``action`` (one request); its events must be exactly the contract's."""
    declared = by_name()[use_case]
    result, written = written_by(client, action)
    got = Counter(e["type"] for e in written)
    assert got == Counter(declared.events), (
        f"{use_case} ({declared.operation}, {declared.when}) wrote {sorted(got.elements())}, "
        f"the contract in tests/event_contract.py says {sorted(declared.events)}")
    return result, written


def assert_writes_nothing(client: TestClient, action: Callable[[], Any]) -> Any:
    result, written = written_by(client, action)
    assert written == [], f"a refused change wrote {[e['type'] for e in written]}"
    return result


def of_type(written: list[dict], type_: str) -> dict:
    [event] = [e for e in written if e["type"] == type_]
    return event
