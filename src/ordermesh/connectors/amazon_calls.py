"""Calls to Amazon's Selling Partner API: a Login with Amazon access token, kept until it
runs out, and each call retried on throttling and server errors.

* **Access token.** ``POST <token_url>`` (``https://api.amazon.com/auth/o2/token``), a form
  of ``grant_type=refresh_token``, the ``refresh_token`` the seller authorised the app
  with and the app's ``client_id`` and ``client_secret``, answers ``{"access_token":
  "Atza|...", "token_type": "bearer", "expires_in": 3600}``. The token is kept in the
  worker's memory per (token URL, client, refresh token) until a minute before it runs
  out, and sent as ``x-amz-access-token`` on every SP-API call. A ``403`` on a kept token
  (revoked, or expired early) drops it and the call is made once more with a new one.
* **Restricted data token.** The buyer's name, e-mail and street address are personal
  data: ``getOrders`` shows them only under a restricted data token,
  ``POST /tokens/2021-03-01/restrictedDataToken`` for ``GET /orders/v0/orders`` with the
  data elements ``buyerInfo`` and ``shippingAddress``; kept the same way.
* **Retries.** A ``429`` (Amazon sends no Retry-After; ``x-amzn-RateLimit-Limit`` names
  the operation's rate, requests a second), a ``5xx`` or a transport error is tried
  again up to ``ATTEMPTS`` times within the call, waiting one request's share of the rate
  (at most ``MAX_WAIT_S``); what is still refused then is answered as a ``CallResult``
  whose ``retry_after_s`` is that share, and the worker tries again later. Every
  request has the worker's timeout (the ``httpx.Client`` it is made with).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ordermesh.connectors.common import MAX_DETAIL, failure
from ordermesh.connectors.model import Account, CallResult

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
ATTEMPTS = 3
MAX_WAIT_S = 2.0  # the longest wait within one call; a longer one is the worker's
RENEW_EARLY_S = 60.0
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
USER_AGENT = "ordermesh/1 (Language=Python)"

sleep: Callable[[float], None] = time.sleep  # the tests listen to the waits
_tokens: dict[tuple[str, ...], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class Refused(Exception):
    """Amazon did not answer with a success, after the retries a call gets."""

    def __init__(self, result: CallResult) -> None:
        super().__init__(result.detail or str(result.status_code))
        self.result = result


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def rate_share(response: httpx.Response) -> float:
    """One request's share of the operation's rate (``x-amzn-RateLimit-Limit``, requests
    a second): how long to wait after a 429. One second when the header is missing."""
    try:
        rate = float(response.headers.get("x-amzn-ratelimit-limit", "1"))
    except ValueError:
        rate = 1.0
    return 1.0 / rate if rate > 0 else 60.0


def _detail(response: httpx.Response) -> str | None:
    """Amazon's ``errors`` (code: message), LWA's ``error_description``, or the text."""
    if response.is_success:
        return None
    try:
        body = response.json()
    except ValueError:
        return response.text[:MAX_DETAIL].strip() or None
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        said = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in body["errors"]
                         if isinstance(e, dict))
        return said[:MAX_DETAIL] or None
    if isinstance(body, dict) and body.get("error"):
        return f"{body['error']}: {body.get('error_description', '')}"[:MAX_DETAIL]
    return response.text[:MAX_DETAIL].strip() or None


def answer(response: httpx.Response) -> CallResult:
    retry_after = rate_share(response) if response.status_code == 429 else None
    return CallResult(response.status_code, _detail(response), retry_after)


def _retryable(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


@dataclass
class SellingPartner:
    """The SP-API of one connector account (``base_url``: its region's endpoint,
    ``https://sellingpartnerapi-eu.amazon.com``)."""

    account: Account

    @property
    def token_url(self) -> str:
        return self.account.settings.get("token_url") or LWA_TOKEN_URL

    def _key(self, *more: str) -> tuple[str, ...]:
        c = self.account.credentials
        secret = hashlib.sha256(c["refresh_token"].encode()).hexdigest()
        return (self.token_url, c["client_id"], secret, *more)

    def _kept(self, key: tuple[str, ...], fetch: Callable[[], tuple[str, float]]) -> str:
        now = time.monotonic()
        with _tokens_lock:
            found = _tokens.get(key)
        if found is not None and found[1] - RENEW_EARLY_S > now:
            return found[0]
        token, lifetime = fetch()
        with _tokens_lock:
            _tokens[key] = (token, now + lifetime)
        return token

    def _drop_all(self) -> None:
        """Every token kept for this seller's authorisation."""
        mine = self._key()
        with _tokens_lock:
            for key in [k for k in _tokens if k[:len(mine)] == mine]:
                del _tokens[key]

    def access_token(self, client: httpx.Client) -> str:
        def fetch() -> tuple[str, float]:
            c = self.account.credentials
            response = self._retried(lambda: client.post(self.token_url, data={
                "grant_type": "refresh_token", "refresh_token": c["refresh_token"],
                "client_id": c["client_id"], "client_secret": c["client_secret"]},
                headers={"user-agent": USER_AGENT}))
            return _token_of(response, "access_token", "expires_in")
        return self._kept(self._key(), fetch)

    def restricted_token(self, client: httpx.Client, path: str, elements: list[str]) -> str:
        """A restricted data token for ``GET path`` showing ``elements``."""
        def fetch() -> tuple[str, float]:
            body = {"restrictedResources": [{"method": "GET", "path": path,
                                             "dataElements": elements}]}
            response = self.call(client, "POST", RDT_PATH, json=body)
            return _token_of(response, "restrictedDataToken", "expiresIn")
        return self._kept(self._key("rdt", path, *elements), fetch)

    def call(self, client: httpx.Client, method: str, path: str, *,
             params: dict[str, Any] | None = None, json: Any = None,
             token: Callable[[], str] | None = None) -> httpx.Response:
        """The SP-API's successful answer to ``method path``; ``Refused`` otherwise.
        ``token``: the token to send (a restricted one), the access token by default."""
        sent = token or (lambda: self.access_token(client))
        renewed = False
        while True:
            response = self._retried(lambda: client.request(
                method, f"{self.account.base_url}{path}", params=params, json=json,
                headers={"x-amz-access-token": sent(), "user-agent": USER_AGENT,
                         "accept": "application/json"}))
            if response.status_code != 403 or renewed:
                break
            renewed = True  # a kept token Amazon no longer takes: once with a new one
            self._drop_all()
        if not response.is_success:
            raise Refused(answer(response))
        return response

    @staticmethod
    def _retried(send: Callable[[], httpx.Response]) -> httpx.Response:
        """``send`` until it is neither throttled nor a server error, ``ATTEMPTS`` times
        at most; the last answer is returned (a transport error raised as ``Refused``)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = send()
            except httpx.HTTPError as exc:
                if attempt == ATTEMPTS:
                    raise Refused(failure(exc)) from exc
                sleep(min(0.25 * 2 ** attempt, MAX_WAIT_S))
                continue
            if not _retryable(response) or attempt == ATTEMPTS:
                return response
            wait = rate_share(response) if response.status_code == 429 \
                else 0.25 * 2 ** attempt
            sleep(min(wait, MAX_WAIT_S))
        raise AssertionError("unreachable")


def _token_of(response: httpx.Response, name: str, lifetime: str) -> tuple[str, float]:
    if not response.is_success:
        raise Refused(answer(response))
    try:
        body = response.json()
        return str(body[name]), float(body.get(lifetime) or 3600)
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(CallResult(response.status_code, f"no {name} in the answer")) from exc
