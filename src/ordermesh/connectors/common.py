"""What every platform's connector needs: reading its JSON, and answering for its calls."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ordermesh.connectors.model import Account, CallResult, WebhookRefused

MAX_DETAIL = 300


def text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def money(value: Any, field: str, errors: list[tuple[str, str]]) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append((field, "not a decimal amount"))
        return Decimal(0)
    if not amount.is_finite() or amount < 0:
        errors.append((field, "not a decimal amount of zero or more"))
        return Decimal(0)
    return amount


def line_item(raw: Any, i: int, errors: list[tuple[str, str]],
              names: tuple[str, str, str] = ("line_items", "sku", "quantity")
              ) -> tuple[str, str | None, int] | None:
    """A platform's order line: its field name, SKU and quantity (0 when not a positive
    integer), each fault added to ``errors``; None when it is not an object at all.
    ``names``: the platform's names of the lines, the SKU and the quantity."""
    lines, sku_name, quantity_name = names
    field = f"{lines}.{i}"
    if not isinstance(raw, dict):
        errors.append((field, "not a line item"))
        return None
    sku = text(raw.get(sku_name))
    if sku is None:
        errors.append((f"{field}.{sku_name}", "the line item has no SKU"))
    quantity = raw.get(quantity_name)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        errors.append((f"{field}.{quantity_name}", "a positive integer"))
        quantity = 0
    return field, sku, quantity


def result(response: httpx.Response) -> CallResult:
    detail = None if response.is_success else (response.text[:MAX_DETAIL].strip() or None)
    retry_after = None
    if response.status_code == 429:
        try:
            retry_after = float(response.headers.get("retry-after", "2"))
        except ValueError:
            retry_after = 2.0
    return CallResult(response.status_code, detail, retry_after)


def list_in(response: httpx.Response, key: str | None = None) -> list[dict] | None:
    """The answer's list of objects (under ``key`` when given); None when it is not one."""
    try:
        found = response.json()
    except ValueError:
        return None
    if key is not None:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, list) or not all(isinstance(o, dict) for o in found):
        return None
    return found


def failure(exc: httpx.HTTPError) -> CallResult:
    return CallResult(None, f"{type(exc).__name__}: {exc}"[:MAX_DETAIL])


def signature_matches(given: str | None, secret: str, raw: bytes) -> bool:
    """``given`` is base64 of the HMAC-SHA256 of ``raw`` with ``secret`` (Shopify's and
    WooCommerce's scheme), compared in constant time."""
    expected = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest())
    given_bytes = (given or "").strip().encode()
    return bool(given_bytes) and hmac.compare_digest(expected, given_bytes)


class SignedWebhooks:
    """The webhook side of a platform that signs with ``signature_matches``: the
    platform names its headers, the account holds the ``webhook_secret``."""

    signature_header: str
    delivery_header: str
    topic_header: str
    account: Account

    def verify(self, headers: Mapping[str, str], raw: bytes) -> None:
        if not signature_matches(headers.get(self.signature_header),
                                 self.account.credentials["webhook_secret"], raw):
            raise WebhookRefused(f"The {self.signature_header} signature does not match "
                                 "the body")

    def webhook_id(self, headers: Mapping[str, str]) -> str | None:
        return text(headers.get(self.delivery_header))

    def topic(self, headers: Mapping[str, str]) -> str:
        return text(headers.get(self.topic_header)) or ""

    def ignored_because(self, topic: str, payload: Any) -> str | None:
        return None
