"""Messages: their types, statuses, the retry schedule and the choice of language."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class MessageType(enum.StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    REFUND = "refund"
    FEEDBACK_REQUEST = "feedback_request"
    DELAYED = "delayed"  # the carrier's estimate passed the promised date
    CAMPAIGN = "campaign"  # a campaign to a segment (``campaigns.py``), not from an event


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender; a lease, so a crash is picked up again
    SENT = "sent"  # handed over: the SMTP server or the SMS provider accepted it
    DELIVERED = "delivered"  # the SMS provider reported it delivered to the phone
    FAILED = "failed"  # every attempt failed
    BOUNCED = "bounced"  # the recipient was refused for good: the address is undeliverable
    SUPPRESSED = "suppressed"  # a rule said no; never sent


# The event that causes each message, and the consent purpose it is sent under.
TRIGGERS: dict[str, MessageType] = {
    "order.created": MessageType.ORDER_CONFIRMATION,
    "fulfilment.shipped": MessageType.SHIPPED,
    "fulfilment.delivered": MessageType.DELIVERED,
    "refund.issued": MessageType.REFUND,
    "feedback.requested": MessageType.FEEDBACK_REQUEST,
    "fulfilment.delivery_delayed": MessageType.DELAYED,
}
PURPOSE = {t: "feedback" if t == MessageType.FEEDBACK_REQUEST else "transactional"
           for t in MessageType} | {MessageType.CAMPAIGN: "marketing"}

# A delay notice goes out by itself: it must not wait for, or hide in, another message.
NEVER_COALESCED = frozenset({MessageType.DELAYED, MessageType.CAMPAIGN})
MAX_COALESCE_S = 3600


def coalescing_errors(windows: dict[str, int]) -> list[str]:
    """What is wrong with coalescing windows per message type (seconds)."""
    errors = []
    for name, seconds in windows.items():
        if name not in MessageType.__members__.values():
            errors.append(f"unknown message type '{name}' (known: "
                          f"{', '.join(t.value for t in MessageType)})")
        elif MessageType(name) in NEVER_COALESCED:
            errors.append(f"'{name}' messages are never coalesced")
        if not 0 <= seconds <= MAX_COALESCE_S:
            errors.append(f"the window of '{name}' must be 0 to {MAX_COALESCE_S} seconds")
    return errors

_MEDIUM_NOUNS = {"email": "e-mails", "sms": "SMS"}


def consent_reason(purpose: str, medium: str = "email") -> str:
    return f"the customer's consent does not allow {purpose} {_MEDIUM_NOUNS[medium]}"


# The replies one SMTP conversation waits for: greeting, EHLO, MAIL, RCPT, DATA, the data.
SMTP_STEPS = 6
LANGUAGES = ("en", "de")  # the built-in templates
DEFAULT_LANGUAGE = "en"


def choose_locale(language: str | None, locale: str | None) -> tuple[str, str]:
    """(template language, formatting locale) for a customer's profile: the language of
    their locale or language if there are templates in it, else English; numbers and dates
    in their locale when it is of that language ("de_AT"), else in the language."""
    wanted = (locale or language or "").replace("-", "_")
    lang = wanted.split("_")[0].lower()
    if lang not in LANGUAGES:
        return DEFAULT_LANGUAGE, DEFAULT_LANGUAGE
    return lang, wanted if "_" in wanted else lang


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` attempts, the n-th retry ``base * 2**(n-1)`` after the failure
    (at most ``cap``). A claim of ``n`` messages is a lease long enough to send them one
    after the other, each SMTP step taking up to ``timeout_s``; after it another sender may
    take them (the first one crashed), and the first sends none of those it has not sent
    by then."""

    max_attempts: int
    base: timedelta
    cap: timedelta
    timeout_s: float

    def lease(self, n: int) -> timedelta:
        return timedelta(seconds=self.timeout_s * SMTP_STEPS * n + 60)

    def next_attempt(self, now: datetime, attempts_done: int) -> datetime | None:
        """When to try again after ``attempts_done`` failed attempts; None: give up."""
        if attempts_done >= self.max_attempts:
            return None
        return now + min(self.base * 2 ** (attempts_done - 1), self.cap)
