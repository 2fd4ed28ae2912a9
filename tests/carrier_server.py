"""A parcel carrier served over real HTTP in a thread of the test process, speaking the
API of ``ordermesh.shipping.http_carrier``, with faults to inject.

It keeps its bookings in memory and answers a repeated ``Idempotency-Key`` with its
first booking, printing no second label, as a real carrier's API does. Each fault in
``faults`` is used by one booking request, in order:

* ``slow``: answer after ``slow_s`` (less than the client's timeout);
* ``hang``: wait past the client's timeout, having booked nothing;
* ``book_then_hang``: book (a label, a charge) and remember the answer, then wait past
  the timeout (the client never hears that it booked);
* ``error``: answer 503 without booking;
* ``refuse``: answer 422 without booking (the carrier refuses the shipment itself).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.e2e.threaded_app import served_in_a_thread
from tests.helpers import ok

CLIENT_TIMEOUT_S = 0.5
SHIPMENTS = "/v1/shipments"


@dataclass
class FakeCarrier:
    base_url: str = ""
    faults: list[str] = field(default_factory=list)
    slow_s: float = 0.2
    hang_s: float = CLIENT_TIMEOUT_S * 3
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> booking
    answers: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # path, key
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: count(1))

    def keys_sent(self, path_part: str = SHIPMENTS) -> list[str | None]:
        with self.lock:
            return [key for path, key in self.requests if path_part in path]

    def _next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def _book(self, key: str | None, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append((SHIPMENTS, key))
            if key is not None and key in self.answers:
                first_body, answer = self.answers[key]
                if first_body != body:
                    return 422, {"message": "Idempotency-Key used for another shipment"}
                return 200, answer
            if not (body.get("destination") or {}).get("postal_code"):
                return 422, {"message": "the destination has no postal code"}
            number = next(self._ids)
            booked_at = datetime.fromisoformat(body["ready_at"])
            label = f"NETLBL-{number:06d}"
            answer = {
                "label_reference": label, "booked_at": booked_at.isoformat(),
                "pickup": {"start": (booked_at + timedelta(hours=2)).isoformat(),
                           "end": (booked_at + timedelta(hours=4)).isoformat()},
                "parcels": [{"package_id": p["package_id"],
                             "tracking_number": f"NET{number:06d}{i:02d}"}
                            for i, p in enumerate(body["packages"], start=1)]}
            self.labels[label] = answer
            if key is not None:
                self.answers[key] = (body, answer)
            return 201, answer

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(SHIPMENTS)
        async def book(request: Request) -> JSONResponse:
            fault = self._next_fault()
            if fault == "error":
                return JSONResponse({"message": "unavailable"}, status_code=503)
            if fault == "refuse":
                return JSONResponse({"message": "we do not serve that address"},
                                    status_code=422)
            if fault == "hang":
                await asyncio.sleep(self.hang_s)
            if fault == "slow":
                await asyncio.sleep(self.slow_s)
            status, answer = self._book(request.headers.get("Idempotency-Key"),
                                        await request.json())
            if fault == "book_then_hang":
                await asyncio.sleep(self.hang_s)
            return JSONResponse(answer, status_code=status)

        @app.post("/v1/rates")
        async def rates(request: Request) -> JSONResponse:
            body = await request.json()
            return JSONResponse({"rates": [
                {"service": "sim-standard", "price": f"{4.5 * len(body['packages']):.2f}",
                 "currency": body["currency"], "transit_days": 2}]})

        return app


@contextmanager
def running_carrier() -> Iterator[FakeCarrier]:
    """The carrier served on a free port until the block ends."""
    carrier = FakeCarrier()
    with served_in_a_thread(carrier.app()) as base_url:
        carrier.base_url = base_url
        yield carrier


def add_http_carrier(client, carrier: FakeCarrier, code: str = "net") -> dict:
    """A carrier account of adapter ``http`` for ``carrier``, with the tests' timeout."""
    return ok(client.post("/api/v1/carriers", json={
        "code": code, "name": "Net Parcel", "adapter": "http",
        "settings": {"base_url": carrier.base_url, "timeout_s": CLIENT_TIMEOUT_S,
                     "api_key": "net-secret"}}), 201)
