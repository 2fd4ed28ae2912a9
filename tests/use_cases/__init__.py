"""The use cases of the event contract (tests/event_contract.py), one module per area.

Each entry is one use case (an API operation, a worker job or a CLI command) in one
situation, the multiset of event types it must write in its transaction, and the
scenario test that performs it and asserts them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UseCase:
    name: str  # what the scenario test passes to assert_writes
    operation: str  # "POST /api/v1/orders/{order_id}/hold", "worker: …" or "cli: …"
    when: str  # the situation, as a reader of docs/events.md needs it
    events: tuple[str, ...]  # exactly these, in any order; a type may repeat
    test: str  # the scenario test that proves it, in tests/integration/test_events_*.py
