"""SMS through an HTTP provider, behind the same interface as e-mail (``media.Medium``).

The provider interface (docs/messaging.md#sms): ``POST {base}/messages`` with a bearer
token, JSON ``{"to", "from", "text", "reference", "status_callback"}`` and the message id
as ``Idempotency-Key`` (a resend after a crash is the same request, so the provider can
drop it); it answers ``{"id": ...}`` with a 2xx. Later it reports the delivery to
``status_callback`` (``status_reports.py``).

What an answer means: a 2xx is ``sent`` (accepted); 408, 429, 5xx, a timeout or a lost
connection are retried by the sender's schedule (the transport itself retries a refused
connection twice first); another 4xx is permanent, and one whose error ``code`` says
the number cannot receive SMS is a hard bounce: the phone number is marked
undeliverable.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ordermesh.messaging.sending import MAX_ERROR, Claimed, Outcome

CONNECT_RETRIES = 2
RETRIED = {408, 425, 429}
# The provider's error codes for a number that will never receive an SMS.
BOUNCE_CODES = {"invalid_number", "unknown_number", "not_mobile", "unreachable_number"}


@dataclass(frozen=True)
class SmsProvider:
    url: str  # base URL, without the trailing /messages
    api_key: str
    sender: str
    timeout_s: float
    status_callback: str  # where the provider reports deliveries


@dataclass(frozen=True)
class SmsMedium:
    provider: SmsProvider
    name: str = "sms"

    def send(self, claimed: Claimed) -> Outcome:
        """Hand the SMS to the provider. Never raises for the provider's failure."""
        p = self.provider
        transport = httpx.HTTPTransport(retries=CONNECT_RETRIES)
        try:
            with httpx.Client(transport=transport, timeout=p.timeout_s) as client:
                response = client.post(
                    p.url.rstrip("/") + "/messages",
                    headers={"Authorization": f"Bearer {p.api_key}",
                             "Idempotency-Key": claimed.id},
                    json={"to": claimed.recipient, "from": p.sender, "text": claimed.text,
                          "reference": claimed.id, "status_callback": p.status_callback})
        except httpx.HTTPError as exc:
            return Outcome(f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
        return outcome_of(response)


def _error_code(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


def outcome_of(response: httpx.Response) -> Outcome:
    if response.is_success:
        try:
            provider_id = str(response.json()["id"])[:100]
        except (ValueError, KeyError, TypeError):
            return Outcome(f"{response.status_code}: the provider's answer has no id")
        return Outcome(None, provider_id=provider_id)
    error = f"{response.status_code} {response.text.strip()}"[:MAX_ERROR]
    if response.status_code >= 500 or response.status_code in RETRIED:
        return Outcome(error)
    return Outcome(error, permanent=True, bounced=_error_code(response) in BOUNCE_CODES)
