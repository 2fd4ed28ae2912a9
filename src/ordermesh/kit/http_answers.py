"""What a remote JSON API's answer means for a call that may have done something there.

Shared by the adapters that call out with an idempotency key (the HTTP payment gateway,
the HTTP carrier): a timeout, a refused or dropped connection, a 5xx, a 409 (a request
with the same key still under way), a 429 or a body that is not JSON is *no answer*:
the caller does not know what happened and asks again later with the same key. Any
other status comes back with its JSON for the adapter to read (a 4xx: refused).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


def json_answer(send: Callable[[], httpx.Response], timeout_s: float,
                unavailable: type[Exception], who: str) -> tuple[int, Any]:
    """``send()`` once; its status and JSON body, or ``unavailable`` raised."""
    try:
        response = send()
    except httpx.TimeoutException as exc:
        raise unavailable(f"no answer within {timeout_s:g} s") from exc
    except httpx.TransportError as exc:
        raise unavailable(f"could not reach the {who}: {exc}") from exc
    if response.status_code >= 500 or response.status_code in (409, 429):
        raise unavailable(f"the {who} answered {response.status_code}")
    try:
        return response.status_code, response.json()
    except ValueError as exc:
        raise unavailable(f"the {who} answered something that is not JSON") from exc
