"""What customers said about some carriers and locations over a period, in the figures
a supplier's scorecard shows (``flows/supplier_service.py``): how many pieces, how many
negative, the mean score per kind of question and the topics mentioned."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select

from ordermesh.feedback.model import SCALES, TOPIC_LABELS, is_negative
from ordermesh.feedback.tables import feedback
from ordermesh.kit.db import UnitOfWork

_MEAN = Decimal("0.01")
_SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class KindScore:
    kind: str
    pieces: int
    mean_score: Decimal  # 2 decimals, on the kind's scale
    scale: tuple[int, int]


@dataclass(frozen=True)
class TopicCount:
    topic: str
    label: str
    mentions: int
    negative: int


@dataclass(frozen=True)
class FeedbackRecord:
    pieces: int
    negative: int  # detractor NPS, CSAT or rating 1-2, or negative text
    negative_share: Decimal | None
    scores: list[KindScore]  # per kind of question asked (NPS, CSAT, rating)
    topics: list[TopicCount]  # most negative first


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(_SHARE, ROUND_HALF_UP) if whole else None


def feedback_about(uow: UnitOfWork, carriers: list[str], location_ids: list[str],
                   start: date, end: date) -> FeedbackRecord:
    """Feedback tied to any of these carriers (codes) or locations, received from
    ``start`` to ``end`` (UTC days, inclusive). A piece about a parcel of one carrier
    from one location counts for both."""
    if not carriers and not location_ids:
        return FeedbackRecord(0, 0, None, [], [])
    f = feedback.c
    rows = list(uow.execute(
        select(f.kind, f.score, f.sentiment_milli, f.topics).where(
            or_(f.carrier.in_(carriers), f.location_id.in_(location_ids)),
            f.received_at >= datetime.combine(start, time(), UTC),
            f.received_at < datetime.combine(end + timedelta(days=1), time(), UTC))))
    negative = [is_negative(r.kind, r.score,
                            r.sentiment_milli / 1000 if r.sentiment_milli is not None else None)
                for r in rows]
    scores = []
    for kind, scale in SCALES.items():
        given = [r.score for r in rows if r.kind == kind.value and r.score is not None]
        if given:
            mean = (Decimal(sum(given)) / Decimal(len(given))).quantize(_MEAN, ROUND_HALF_UP)
            scores.append(KindScore(kind.value, len(given), mean, scale))
    mentions, against = Counter(), Counter()
    for row, bad in zip(rows, negative, strict=True):
        for topic in {t["code"] for t in row.topics}:
            mentions[topic] += 1
            against[topic] += bad
    topics = sorted((TopicCount(code, TOPIC_LABELS.get(code, code), n, against[code])
                     for code, n in mentions.items()),
                    key=lambda t: (-t.negative, -t.mentions, t.topic))
    return FeedbackRecord(len(rows), sum(negative), _share(sum(negative), len(rows)),
                          scores, topics)
