"""The feedback domain: kinds and their scales, signed single-use links, the topic
taxonomy, and the statistics behind the insights (NPS, CSAT, ratings with intervals)."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ordermesh.kit.errors import DomainError, InvalidInput


class Kind(enum.StrEnum):
    NPS = "nps"  # how likely to recommend us, 0-10
    CSAT = "csat"  # satisfaction with the delivery, 1-5
    PRODUCT_RATING = "product_rating"  # stars for one order line's product, 1-5
    TEXT = "text"  # free text only


class Source(enum.StrEnum):
    REQUEST = "request"  # answered through the link of a feedback request
    AGENT = "agent"  # entered by an agent (phone, chat, e-mail)
    IMPORT = "import"  # imported from a channel (marketplace ratings)


class Trigger(enum.StrEnum):
    DELIVERED = "delivered"  # a fulfilment order was delivered or picked up
    RETURN_RESOLVED = "return_resolved"


class RequestStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waits for its due time
    SENT = "sent"  # the link went out (feedback.requested)
    SUPPRESSED = "suppressed"  # not sent, with the reason
    ANSWERED = "answered"  # the link was used


SCALES: dict[Kind, tuple[int, int]] = {
    Kind.NPS: (0, 10), Kind.CSAT: (1, 5), Kind.PRODUCT_RATING: (1, 5)}
MAX_TEXT = 4000


def check_piece(kind: Kind, score: int | None, text: str | None, field: str = "") -> None:
    """A score inside its kind's scale (none for free text), and something said."""
    prefix = f"{field}." if field else ""
    if kind == Kind.TEXT:
        if score is not None:
            raise InvalidInput.for_field(f"{prefix}score", "free text carries no score")
        if not (text or "").strip():
            raise InvalidInput.for_field(f"{prefix}text", "free text needs a text")
    else:
        low, high = SCALES[kind]
        if score is None:
            raise InvalidInput.for_field(f"{prefix}score", f"{kind.value} needs a score "
                                         f"from {low} to {high}")
        if not low <= score <= high:
            raise InvalidInput.for_field(f"{prefix}score", f"{kind.value} is scored from "
                                         f"{low} to {high}, not {score}", "out_of_scale")
    if text is not None and len(text) > MAX_TEXT:
        raise InvalidInput.for_field(f"{prefix}text", f"at most {MAX_TEXT} characters")


def is_negative(kind: str, score: int | None, sentiment: float | None) -> bool:
    """Detractor NPS (0-6), CSAT or rating 1-2, or a text whose sentiment is negative."""
    if score is not None:
        return score <= 6 if kind == Kind.NPS else score <= 2
    return sentiment is not None and sentiment <= -0.05


# --- single-use signed links --------------------------------------------------------

class BadToken(DomainError):
    """A link that was forged, altered, has expired or was used already."""

    code = "feedback-link-invalid"
    title = "This feedback link cannot be used"


class UsedToken(BadToken):
    code = "feedback-link-used"
    title = "This feedback link was used already"


class ExpiredToken(BadToken):
    code = "feedback-link-expired"
    title = "This feedback link has expired"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), b"feedback:" + body.encode(),
                        hashlib.sha256).digest()[:24])


def sign_token(secret: str, request_id: str, expires_at: datetime) -> str:
    """``<request id>.<expiry, unix seconds>.<HMAC-SHA256>``: nothing to store, and
    nothing about the customer in it."""
    body = f"{request_id}.{int(expires_at.timestamp())}"
    return f"{body}.{_mac(secret, body)}"


def read_token(secret: str, token: str, now: datetime) -> str:
    """The request id of a genuine, unexpired token (BadToken / ExpiredToken otherwise).
    Whether it was used already is the request's state, checked by the caller."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(token) > 200:
        raise BadToken("This feedback link is not one we sent")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(secret, body), parts[2]):
        raise BadToken("This feedback link is not one we sent")
    if datetime.fromtimestamp(int(parts[1]), UTC) <= now:
        raise ExpiredToken("This feedback link has expired")
    return parts[0]


# --- topics -------------------------------------------------------------------------

@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    patterns: tuple[str, ...]  # regular expressions, matched case-insensitively


# The taxonomy is maintained here, reviewed like code: a pattern is a word stem or a
# phrase; the words that matched are kept as the classifier's evidence.
TAXONOMY: tuple[Topic, ...] = (
    Topic("delivery_speed", "Delivery speed", (
        r"\blate\b", r"\bslow(ly)?\b", r"\bdelay(ed|s)?\b", r"took (too )?(long|ages|forever)",
        r"\bfast\b", r"\bquick(ly)?\b", r"\bon time\b", r"\bearly\b", r"\bwaited?\b",
        r"\bnext day\b", r"\bdays? late\b")),
    Topic("damage", "Damage", (
        r"\bdamaged?\b", r"\bbroken\b", r"\bcrushed\b", r"\bdented\b", r"\bcracked\b",
        r"\btorn\b", r"\bsmashed\b", r"\bscratch(ed|es)?\b", r"\bleak(ed|ing)?\b")),
    Topic("packaging", "Packaging", (
        r"\bpackag(ing|ed|e)\b", r"\bbox(es)?\b", r"\bwrapp(ing|ed)\b", r"\bparcel\b",
        r"\bbubble wrap\b", r"\bplastic\b", r"\benvelope\b")),
    Topic("size_fit", "Size and fit", (
        r"\bsize[sd]?\b", r"\bfit(s|ted|ting)?\b", r"\btoo (small|big|large|tight|loose|"
        r"short|long)\b", r"\bruns (small|large|big)\b", r"\bsizing\b")),
    Topic("quality", "Quality", (
        r"\bquality\b", r"\bcheap(ly)?\b", r"\bflims(y|ily)\b", r"\bsturdy\b",
        r"\bwell made\b", r"\bfell apart\b", r"\bdurable\b", r"\bfabric\b",
        r"\bmaterial\b", r"\bfaded\b", r"\bdefect(ive|s)?\b")),
    Topic("price", "Price", (
        r"\bprice[sd]?\b", r"\bexpensive\b", r"\bcheaper\b", r"\boverpriced\b",
        r"\bvalue\b", r"\bworth\b", r"\bcost(s|ly)?\b", r"\bdiscount\b")),
    Topic("service", "Customer service", (
        r"\bservice\b", r"\bsupport\b", r"\bhelpful\b", r"\brude\b", r"\bagent\b",
        r"\bno (answer|reply|response)\b", r"\brefund\b", r"\breturn(s|ed|ing)?\b",
        r"\bcustomer care\b", r"\bresponsive\b")),
)
TOPIC_LABELS = {t.code: t.label for t in TAXONOMY}
_COMPILED = tuple((t.code, re.compile("|".join(f"(?:{p})" for p in t.patterns), re.I))
                  for t in TAXONOMY)


def match_topics(text: str | None) -> list[dict]:
    """``[{code, evidence: [matched words]}]`` of every topic the text mentions."""
    if not text:
        return []
    found = []
    for code, pattern in _COMPILED:
        words = sorted({m.group(0).lower() for m in pattern.finditer(text)})
        if words:
            found.append({"code": code, "evidence": words})
    return found


# --- statistics ---------------------------------------------------------------------

Z95 = 1.959964


def _round(value: float, places: int = 1) -> float:
    return round(value, places)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict:
        return {"value": self.value, "ci95": [self.low, self.high], "n": self.n}


def nps(scores: Iterable[int]) -> Estimate | None:
    """Net promoter score (-100..100): % promoters (9-10) minus % detractors (0-6); the
    interval from the variance of the per-answer values +1/0/-1 (normal approximation)."""
    values = [1 if s >= 9 else -1 if s <= 6 else 0 for s in scores]
    n = len(values)
    if not n:
        return None
    mean = sum(values) / n
    variance = sum(v * v for v in values) / n - mean * mean
    margin = Z95 * math.sqrt(variance / n)
    return Estimate(_round(100 * mean), _round(max(-100.0, 100 * (mean - margin))),
                    _round(min(100.0, 100 * (mean + margin))), n)


def wilson(successes: int, n: int) -> tuple[float, float]:
    """The Wilson score interval of a proportion, 95 %."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    denominator = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def csat(scores: Iterable[int]) -> Estimate | None:
    """CSAT: the % of answers that are 4 or 5, with its Wilson interval."""
    values = list(scores)
    if not values:
        return None
    happy = sum(1 for s in values if s >= 4)
    low, high = wilson(happy, len(values))
    return Estimate(_round(100 * happy / len(values)), _round(100 * low), _round(100 * high),
                    len(values))


def mean_rating(scores: Iterable[int]) -> Estimate | None:
    """Average stars with a 95 % interval (normal approximation, clamped to 1-5)."""
    values = list(scores)
    n = len(values)
    if not n:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    margin = Z95 * sd / math.sqrt(n)
    return Estimate(_round(mean, 2), _round(max(1.0, mean - margin), 2),
                    _round(min(5.0, mean + margin), 2), n)


def direction(earlier: Estimate | None, later: Estimate | None) -> str:
    """"better" or "worse" when the two periods' intervals do not overlap, else
    "no clear change" (or "not enough data")."""
    if earlier is None or later is None:
        return "not enough data"
    if later.low > earlier.high:
        return "better"
    if later.high < earlier.low:
        return "worse"
    return "no clear change"


# Alerts: a product, carrier or location turns negative when, over the last
# ALERT_WINDOW_DAYS, at least ALERT_MIN_SAMPLE pieces are about it and at least
# ALERT_SHARE of them are negative; raised at most once per subject and calendar month.
ALERT_WINDOW_DAYS = 30
ALERT_MIN_SAMPLE = 5
ALERT_SHARE = 0.4
