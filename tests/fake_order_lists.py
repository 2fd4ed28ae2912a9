"""The order lists of the simulated platforms, with each platform's own paging, and
Shopify's leaky-bucket rate limit: what polling for missed orders reads.

* Shopify ``GET orders.json``: ``updated_at_min`` (inclusive), ``status`` (``open`` by
  default, ``any``, ``closed``, ``cancelled``), ``limit`` (at most 250); further pages by
  the ``page_info`` cursor of the ``Link`` header, a request that may carry only
  ``limit`` and ``fields`` besides it (Shopify answers 400 otherwise).
* WooCommerce ``GET orders``: ``modified_after`` (exclusive, in GMT with
  ``dates_are_gmt=true``), ``orderby`` (``date``, ``id``, ``modified``), ``order``,
  ``per_page`` (at most 100, else 400) and ``page``; ``X-WP-Total`` and
  ``X-WP-TotalPages`` say how many there are.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PAGE_INFO_ALONE = {"page_info", "limit", "fields"}


def _when(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _first(query: dict, name: str, default: str | None = None) -> str | None:
    return query.get(name, [default])[0]


def shopify_orders(orders: dict[int, dict], base_url: str, path: str, query: dict
                   ) -> tuple[int, Any, dict]:
    """``orders.json`` by id, ascending; the cursor holds the filters and the last id."""
    try:
        limit = int(_first(query, "limit", "50"))
    except ValueError:
        return 400, {"errors": {"limit": "Invalid limit"}}, {}
    if not 1 <= limit <= 250:
        return 400, {"errors": {"limit": "Limit must be between 1 and 250"}}, {}
    if (token := _first(query, "page_info")) is not None:
        if set(query) - PAGE_INFO_ALONE:
            return 400, {"errors": {"page_info": "page_info cannot be combined with other "
                                                 "filter parameters"}}, {}
        try:
            cursor = json.loads(base64.urlsafe_b64decode(token))
        except ValueError:
            return 400, {"errors": {"page_info": "Invalid value."}}, {}
        updated_min, status, after = cursor["updated_at_min"], cursor["status"], cursor["after"]
    else:
        updated_min, status, after = _first(query, "updated_at_min"), \
            _first(query, "status", "open"), 0
    try:
        since = _when(updated_min) if updated_min else None
    except ValueError:
        return 400, {"errors": {"updated_at_min": "Invalid date"}}, {}
    chosen = [o for _, o in sorted(orders.items()) if o["id"] > after
              and (since is None or _when(o["updated_at"]) >= since)
              and (status == "any" or (status == "cancelled") == bool(o.get("cancelled_at")))]
    page, more = chosen[:limit], len(chosen) > limit
    headers = {}
    if more:
        token = base64.urlsafe_b64encode(json.dumps({
            "updated_at_min": updated_min, "status": status, "after": page[-1]["id"]}
        ).encode()).decode()
        headers["Link"] = f'<{base_url}{path}?limit={limit}&page_info={token}>; rel="next"'
    return 200, {"orders": page}, headers


def woo_orders(orders: dict[int, dict], query: dict) -> tuple[int, Any, dict]:
    try:
        per_page, page = int(_first(query, "per_page", "10")), int(_first(query, "page", "1"))
    except ValueError:
        per_page, page = 0, 0
    if not 1 <= per_page <= 100 or page < 1:
        return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                     "data": {"status": 400, "params": {
                         "per_page": "per_page must be between 1 (inclusive) and 100 "
                                     "(inclusive)"}}}, {}
    after = _first(query, "modified_after")  # this shop's time zone is GMT: either way
    try:
        since = _when(after) if after else None
    except ValueError:
        return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): "
                     "modified_after", "data": {"status": 400}}, {}
    chosen = [o for o in orders.values()
              if since is None or _when(o["date_modified_gmt"]) > since]
    key = {"id": "id", "modified": "date_modified_gmt", "date": "date_created"}.get(
        _first(query, "orderby", "date") or "date", "date_created")
    chosen.sort(key=lambda o: o[key], reverse=_first(query, "order", "desc") == "desc")
    pages = -(-len(chosen) // per_page)
    return 200, chosen[(page - 1) * per_page:page * per_page], {
        "X-WP-Total": str(len(chosen)), "X-WP-TotalPages": str(pages)}


@dataclass
class LeakyBucket:
    """Shopify's REST limit: a bucket of ``size`` calls that leaks ``per_second``; a call
    into a full bucket is answered 429 with ``Retry-After``."""

    size: int = 40
    per_second: float = 2.0
    level: float = 0.0
    at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[bool, str]:
        """Whether the call is let through, and the ``X-Shopify-Shop-Api-Call-Limit``."""
        with self.lock:
            now = time.monotonic()
            self.level = max(0.0, self.level - (now - self.at) * self.per_second)
            self.at = now
            if self.level + 1 > self.size:
                return False, f"{self.size}/{self.size}"
            self.level += 1
            return True, f"{int(self.level)}/{self.size}"
