"""A card gateway served over real HTTP in a thread of the test process, speaking the API
of ``ordermesh.payments.providers.http_gateway``, with faults to inject.

It keeps its charges in memory and answers a repeated ``Idempotency-Key`` with its
first answer, moving no money twice, as a real gateway does. Each fault in ``faults`` is
used by one request, in order:

* ``slow``: answer after ``slow_s`` (less than the client's timeout);
* ``hang``: wait past the client's timeout, having done nothing;
* ``charge_then_hang``: do the work and remember the answer, then wait past the timeout
  (the client never hears that money moved);
* ``error``: answer 503 without doing anything;
* ``busy``: answer 409, as for a request with the same key still under way;
* ``garbage``: do the work, then answer 200 with a body that is not JSON.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import OperationalError

from ordermesh.kit.db import Transactions
from ordermesh.payments import providers
from ordermesh.payments.providers.http_gateway import HttpGateway
from tests.e2e.threaded_app import served_in_a_thread

APPROVED_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
CLIENT_TIMEOUT_S = 0.5


@dataclass
class Charge:
    currency: str
    authorised: Decimal
    last4: str
    captured: Decimal = Decimal(0)
    voided: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)


@dataclass
class FakeGateway:
    base_url: str = ""
    faults: list[str] = field(default_factory=list)
    slow_s: float = 0.2
    hang_s: float = CLIENT_TIMEOUT_S * 3
    charges: dict[str, Charge] = field(default_factory=dict)
    answers: dict[str, tuple[Any, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # path, key
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: count(1))

    def keys_sent(self, path_part: str) -> list[str | None]:
        with self.lock:
            return [key for path, key in self.requests if path_part in path]

    def _next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def _answer(self, path: str, key: str | None, body: dict[str, Any]) -> tuple[int, dict]:
        with self.lock:
            self.requests.append((path, key))
            if key is not None and key in self.answers:
                first_body, answer = self.answers[key]
                if first_body != body:
                    return 422, {"message": "Idempotency-Key used for another request"}
                return 200, answer
            status, answer = self._work(path, body)
            if key is not None and status == 200:
                self.answers[key] = (body, answer)
            return status, answer

    def _work(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        amount = Decimal(body["amount"])
        parts = path.strip("/").split("/")  # v1, authorisations[, ref, operation]
        if len(parts) == 2:
            source = str(body.get("source") or "")
            if source not in (APPROVED_CARD, DECLINED_CARD):
                return 422, {"message": "not a test card number"}
            card = {"last4": source[-4:], "brand": "visa"}
            if source == DECLINED_CARD:
                return 200, {"reference": None, "outcome": "declined",
                             "code": "card_declined", "message": "declined", "card": card}
            reference = f"gw_{next(self._ids)}"
            self.charges[reference] = Charge(body["currency"], amount, source[-4:])
            return 200, {"reference": reference, "outcome": "approved", "card": card}
        charge = self.charges.get(parts[2])
        if charge is None:
            return 404, {"message": "no such authorisation"}
        operation = parts[3]
        fits = {"captures": charge.captured + charge.voided + amount <= charge.authorised,
                "voids": charge.captured + charge.voided + amount <= charge.authorised,
                "refunds": charge.refunded + amount <= charge.captured}[operation]
        if not fits:
            return 200, {"reference": None, "outcome": "declined", "code": "amount_too_large"}
        column = {"captures": "captured", "voids": "voided", "refunds": "refunded"}[operation]
        setattr(charge, column, getattr(charge, column) + amount)
        return 200, {"reference": f"gw{operation[:3]}_{next(self._ids)}",
                     "outcome": "approved"}

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/{path:path}")
        async def post(path: str, request: Request) -> JSONResponse:
            fault = self._next_fault()
            if fault == "error":
                return JSONResponse({"message": "unavailable"}, status_code=503)
            if fault == "busy":
                return JSONResponse({"message": "a request with this key is under way"},
                                    status_code=409)
            if fault == "hang":
                await asyncio.sleep(self.hang_s)
            if fault == "slow":
                await asyncio.sleep(self.slow_s)
            status, answer = self._answer(f"/v1/{path}", request.headers.get(
                "Idempotency-Key"), await request.json())
            if fault == "charge_then_hang":
                await asyncio.sleep(self.hang_s)
            if fault == "garbage":
                return PlainTextResponse("<html>proxy error</html>")
            return JSONResponse(answer, status_code=status)

        return app


@contextmanager
def running_gateway() -> Iterator[FakeGateway]:
    """The gateway served on a free port, registered as provider ``gateway`` until the
    block ends."""
    gateway = FakeGateway()
    with served_in_a_thread(gateway.app()) as base_url:
        gateway.base_url = base_url
        providers.register(HttpGateway(base_url, timeout_s=CLIENT_TIMEOUT_S))
        try:
            yield gateway
        finally:
            providers.use_http_gateway(None, CLIENT_TIMEOUT_S, None)


class _Deadlock(Exception):
    sqlstate = "40P01"


class DeadlockingFirstCommits(Transactions):
    """Each use case's first commit fails as a deadlock would: it is rolled back and run
    again, as ``RequestContext.run`` does."""

    def run(self, work):
        attempts = []

        def flaky(uow):
            attempts.append(1)
            if len(attempts) == 1:
                def deadlock():
                    raise OperationalError("COMMIT", {}, _Deadlock("deadlock detected"))
                uow.commit = deadlock
            return work(uow)

        return super().run(flaky)
