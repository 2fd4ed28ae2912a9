"""A simulated SMS provider for the tests: a real HTTP server (Starlette on uvicorn, in a
thread) speaking the provider interface ordermesh's adapter uses (docs/messaging.md#sms),
keeping what it receives, and sending signed delivery reports to the ``status_callback``
each SMS came with, over HTTP; and the fixtures ``provider`` and ``served`` (the app over
HTTP, where the reports go).

``fail_with`` makes it answer every request with that status; ``slow_s`` makes it wait
that long before answering (a timeout); a number in ``invalid`` is refused with a 422
``invalid_number`` (a hard bounce)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.messaging.status_reports import SIGNATURE_HEADER, sign
from tests.e2e.threaded_app import served_in_a_thread

API_KEY = "sms-test-key-0123456789"
CALLBACK_SECRET = "sms-callback-secret-0123456789abcdef"
BERND_BY_SMS = {"email": "bernd@example.de", "name": "Bernd Schulz",
                "phone": "+49 151 23456789"}


@dataclass
class SmsProvider:
    url: str = ""
    received: list[dict] = field(default_factory=list)  # every accepted request body
    requests: int = 0  # every request, refused ones too
    keys: list[str] = field(default_factory=list)  # the Idempotency-Key of each request
    fail_with: int | None = None
    slow_s: float = 0.0
    invalid: set[str] = field(default_factory=set)
    by_key: dict[str, str] = field(default_factory=dict)  # idempotency key -> our id
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def sent(self) -> list[dict]:
        with self.lock:
            return list(self.received)

    def report(self, provider_id: str, status: str, error: str | None = None,
               secret: str = CALLBACK_SECRET) -> httpx.Response:
        """Post the delivery report of one SMS to where it asked, signed as a provider
        does."""
        sms = next(s for s in self.sent() if s["id"] == provider_id)
        body = json.dumps({"id": provider_id, "reference": sms["reference"],
                           "status": status, "error": error}).encode()
        return httpx.post(sms["status_callback"], content=body, timeout=10, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)})

    async def _messages(self, request: Request) -> JSONResponse:
        with self.lock:
            self.requests += 1
            self.keys.append(request.headers.get("idempotency-key", ""))
        if self.slow_s:
            await asyncio.sleep(self.slow_s)
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return JSONResponse({"error": {"code": "unauthorized"}}, 401)
        if self.fail_with:
            return JSONResponse({"error": {"code": "unavailable"}}, self.fail_with)
        body = await request.json()
        if body["to"] in self.invalid:
            return JSONResponse({"error": {"code": "invalid_number",
                                           "message": "not a mobile number"}}, 422)
        key = request.headers.get("idempotency-key", "")
        with self.lock:
            if key in self.by_key:  # the same request again: the same answer, sent once
                return JSONResponse({"id": self.by_key[key], "status": "accepted"}, 200)
            provider_id = f"sim-{next(self._ids)}"
            self.by_key[key] = provider_id
            self.received.append({**body, "id": provider_id})
        return JSONResponse({"id": provider_id, "status": "accepted"}, 201)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/messages", self._messages, methods=["POST"])])


@contextmanager
def running_sms_provider() -> Iterator[SmsProvider]:
    provider = SmsProvider()
    with served_in_a_thread(provider.app()) as url:
        provider.url = url
        yield provider


@pytest.fixture
def provider():
    with running_sms_provider() as sim:
        yield sim


@pytest.fixture
def served(container):
    """The app over real HTTP (where the provider posts its delivery reports)."""
    settings = container.settings.model_copy(update={
        "sms_callback_secret": SecretStr(CALLBACK_SECRET)})
    app = create_app(Container(settings=settings, engine=container.engine,
                               clock=container.clock))
    with served_in_a_thread(app) as url:
        yield url
