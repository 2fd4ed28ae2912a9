"""A card gateway reached over HTTP: the adapter a real payment service plugs into.

Registered as provider ``gateway`` when ``ORDERMESH_PAYMENT_GATEWAY_URL`` is set (see
docs/payments.md, "Calls to the gateway: intents"). The gateway's API, JSON both ways:

* ``POST /v1/authorisations`` ``{amount, currency, method, source, description}``
* ``POST /v1/authorisations/{reference}/captures`` (``/voids``, ``/refunds``)
  ``{amount, currency}``
* ``GET /v1/authorisations/{reference}``: the authorisation's outcome now

Every POST carries an ``Idempotency-Key`` header: the same key gets the first answer
and moves no money twice. An answer is ``{"reference", "outcome": "approved" |
"declined" | "pending" | "failed", "code", "message", "card": {"last4", "brand"}}``.

Every call has a timeout. No answer (a timeout, a refused or dropped connection, a 5xx,
a 409 for a request with the same key still under way) raises ``ProviderUnavailable``:
the caller does not know whether money moved, and asks again with the same key. A 4xx
is the gateway refusing the request itself: ``InvalidInput``, nothing moved.
"""

from __future__ import annotations

from typing import Any

import httpx

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.http_answers import json_answer
from ordermesh.kit.money import Money
from ordermesh.payments.model import (
    AuthoriseCall,
    Outcome,
    PaymentMethod,
    ProviderResult,
    ProviderUnavailable,
)

MAX_MESSAGE = 300


class HttpGateway:
    """One gateway at ``base_url``; ``timeout_s`` bounds each call as a whole."""

    name = "gateway"
    remote = True
    methods = frozenset({PaymentMethod.CARD})
    default_method = PaymentMethod.CARD

    def __init__(self, base_url: str, timeout_s: float = 10.0, api_key: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout_s)
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.transport = transport

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=self.timeout,
                            headers=self.headers, transport=self.transport)

    def _send(self, method: str, path: str, key: str | None = None,
              body: dict[str, Any] | None = None) -> ProviderResult:
        headers = {"Idempotency-Key": key} if key else {}

        def send() -> httpx.Response:
            with self._client() as client:
                return client.request(method, path, json=body, headers=headers)

        status, answer = json_answer(send, self.timeout.read or 0, ProviderUnavailable,
                                     "gateway")
        if status >= 400:
            message = str(answer.get("message") or answer.get("detail") or "refused")
            raise InvalidInput.for_field("source", f"The gateway refused the request: "
                                         f"{message}"[:MAX_MESSAGE], "gateway_refused")
        return _result(answer)

    def authorise(self, uow: object, call: AuthoriseCall) -> ProviderResult:
        return self._send("POST", "/v1/authorisations", call.key, {
            "amount": str(call.amount.amount), "currency": call.amount.currency,
            "method": call.method.value, "source": call.source,
            "description": call.description})

    def _move(self, operation: str, reference: str, amount: Money, key: str
              ) -> ProviderResult:
        return self._send("POST", f"/v1/authorisations/{reference}/{operation}", key, {
            "amount": str(amount.amount), "currency": amount.currency})

    def capture(self, uow: object, reference: str, amount: Money, key: str) -> ProviderResult:
        return self._move("captures", reference, amount, key)

    def void(self, uow: object, reference: str, amount: Money, key: str) -> ProviderResult:
        return self._move("voids", reference, amount, key)

    def refund(self, uow: object, reference: str, amount: Money, key: str) -> ProviderResult:
        return self._move("refunds", reference, amount, key)

    def status(self, uow: object, reference: str) -> ProviderResult:
        return self._send("GET", f"/v1/authorisations/{reference}")


def _result(answer: dict[str, Any]) -> ProviderResult:
    try:
        outcome = Outcome(answer["outcome"])
    except (KeyError, ValueError) as exc:
        raise ProviderUnavailable(f"the gateway's answer has no outcome: {answer}"[:200]) \
            from exc
    card = answer.get("card") or {}
    return ProviderResult(outcome, answer.get("reference"), answer.get("code"),
                          str(answer.get("message") or "")[:MAX_MESSAGE],
                          card.get("last4"), card.get("brand"))
