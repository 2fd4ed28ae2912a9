"""What customers think of X, what the hitch is, and whether it is getting better.

Reads the pieces of feedback about the subject (a product, a category, a channel, a
carrier, a location, or everything) in a window, and answers with NPS, CSAT and average
rating (each with its sample size and 95 % interval), their trend per week or month and
whether the last period is better than the one before, the topics mentioned (with the
words that matched and the quotes behind them), the topics that drive detractors, and the
alerts raised about the subject.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ordermesh.catalog.service import get_product_by_sku
from ordermesh.channels.service import find_channel
from ordermesh.feedback.model import (
    TOPIC_LABELS,
    Estimate,
    Kind,
    csat,
    direction,
    is_negative,
    mean_rating,
    nps,
)
from ordermesh.feedback.tables import feedback, feedback_alerts
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.locations.service import find_location

MAX_ROWS = 50_000
QUOTES = 3
DEFAULT_WINDOW = timedelta(days=180)


@dataclass(frozen=True)
class About:
    sku: str | None = None
    category: str | None = None
    channel: str | None = None
    carrier: str | None = None
    location: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    period: str = "month"  # or "week"


def _known(field: str, look_up, ref: str):
    try:
        return look_up(ref)
    except NotFound as exc:
        raise InvalidInput.for_field(f"query.{field}", exc.detail, "unknown") from exc


def _resolve(uow: UnitOfWork, about: About) -> tuple[dict, dict]:
    """(column filters, subject as shown) with codes turned into ids; 422 if unknown."""
    where: dict = {}
    shown: dict = {}
    if about.sku:
        product = _known("sku", lambda ref: get_product_by_sku(uow, ref), about.sku)
        where["product_id"], shown["sku"] = product.id, product.sku
        shown["product_name"] = product.name
    if about.channel:
        channel = _known("channel", lambda ref: find_channel(uow, ref), about.channel)
        where["channel_id"], shown["channel"] = channel.id, channel.code
    if about.location:
        location = _known("location", lambda ref: find_location(uow, ref), about.location)
        where["location_id"], shown["location"] = location.id, location.code
    if about.category:
        where["category"] = shown["category"] = about.category
    if about.carrier:
        where["carrier"] = shown["carrier"] = about.carrier
    return where, shown


def _period(at: datetime, period: str) -> str:
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return at.strftime("%Y-%m")


def _scores(rows, kind: Kind) -> list[int]:
    return [r.score for r in rows if r.kind == kind and r.score is not None]


def _estimates(rows) -> dict:
    found = {"nps": nps(_scores(rows, Kind.NPS)), "csat": csat(_scores(rows, Kind.CSAT)),
             "rating": mean_rating(_scores(rows, Kind.PRODUCT_RATING))}
    return found


def _shown(estimate: Estimate | None) -> dict | None:
    return estimate.as_dict() if estimate else None


def _sentiment(row) -> float | None:
    return row.sentiment_milli / 1000 if row.sentiment_milli is not None else None


def _quote(row, topic: str) -> dict:
    evidence = next((t["evidence"] for t in row.topics if t["code"] == topic), [])
    return {"feedback_id": row.id, "text": row.text, "kind": row.kind, "score": row.score,
            "sentiment": _sentiment(row), "evidence": evidence, "sku": row.sku,
            "received_at": as_utc(row.received_at)}


def _themes(rows) -> list[dict]:
    by_topic: dict[str, list] = defaultdict(list)
    for row in rows:
        for topic in row.topics:
            by_topic[topic["code"]].append(row)
    themes = []
    for code, mentioned in by_topic.items():
        negative = [r for r in mentioned if is_negative(r.kind, r.score, _sentiment(r))]
        words = Counter(w for r in mentioned for t in r.topics if t["code"] == code
                        for w in t["evidence"])
        worst_first = sorted(mentioned, key=lambda r: (_sentiment(r) or 0.0, r.id))
        themes.append({
            "topic": code, "label": TOPIC_LABELS.get(code, code), "mentions": len(mentioned),
            "negative": len(negative),
            "negative_share": round(len(negative) / len(mentioned), 3),
            "evidence": dict(words.most_common(8)),
            "quotes": [_quote(r, code) for r in worst_first[:QUOTES]]})
    return sorted(themes, key=lambda t: (-t["negative"], -t["mentions"], t["topic"]))


def _detractor_themes(rows) -> tuple[int, list[dict]]:
    """Topics in the answers of detractors: an answer (the pieces of one request, or one
    piece entered alone) with an NPS of 0-6 or, without an NPS, a score of 1-2."""
    answers: dict[str, list] = defaultdict(list)
    for row in rows:
        answers[row.request_id or row.id].append(row)
    detractors = []
    for pieces in answers.values():
        scored_nps = [p.score for p in pieces if p.kind == Kind.NPS and p.score is not None]
        if scored_nps:
            if min(scored_nps) <= 6:
                detractors.append(pieces)
        elif any(p.score is not None and is_negative(p.kind, p.score, None) for p in pieces):
            detractors.append(pieces)
    counts: Counter[str] = Counter()
    quotes: dict[str, list] = defaultdict(list)
    for pieces in detractors:
        topics = {t["code"] for p in pieces for t in p.topics}
        counts.update(topics)
        for code in topics:
            quotes[code] += [p for p in pieces if any(t["code"] == code for t in p.topics)]
    return len(detractors), [
        {"topic": code, "label": TOPIC_LABELS.get(code, code), "detractors": count,
         "share_of_detractors": round(count / len(detractors), 3),
         "quotes": [_quote(r, code) for r in sorted(quotes[code], key=lambda r: r.id)[:QUOTES]]}
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _trend(rows, period: str) -> tuple[list[dict], dict]:
    buckets: dict[str, list] = defaultdict(list)
    for row in rows:
        buckets[_period(as_utc(row.received_at), period)].append(row)
    trend, series = [], []
    for key in sorted(buckets):
        estimates = _estimates(buckets[key])
        series.append(estimates)
        trend.append({"period": key, "pieces": len(buckets[key]),
                      **{name: _shown(e) for name, e in estimates.items()}})
    better = {}
    for name in ("nps", "csat", "rating"):
        with_data = [s[name] for s in series if s[name] is not None]
        better[name] = direction(*with_data[-2:]) if len(with_data) >= 2 else \
            "not enough data"
    return trend, better


def _alerts(uow: UnitOfWork, where: dict, since: datetime) -> list[dict]:
    query = select(feedback_alerts).where(feedback_alerts.c.raised_at >= since)
    subjects = [(kind, where[column]) for kind, column in (
        ("product", "product_id"), ("carrier", "carrier"), ("location", "location_id"))
        if column in where]
    if where and not subjects:
        return []  # alerts are about products, carriers and locations only
    rows = list(uow.execute(query.order_by(feedback_alerts.c.raised_at)))
    return [{"id": r.id, "subject_kind": r.subject_kind, "subject": r.subject,
             "negative": r.negative, "sample": r.sample, "raised_at": as_utc(r.raised_at)}
            for r in rows if not subjects or (r.subject_kind, r.subject) in subjects]


def _summary(shown: dict, estimates: dict, themes: list[dict], better: dict) -> str:
    subject = ", ".join(f"{k} {v}" for k, v in shown.items() if k != "product_name") or \
        "everything"
    parts = []
    if estimates["nps"]:
        parts.append(f"NPS {estimates['nps'].value:+g} (n={estimates['nps'].n})")
    if estimates["csat"]:
        parts.append(f"CSAT {estimates['csat'].value:g}% (n={estimates['csat'].n})")
    if estimates["rating"]:
        parts.append(f"rating {estimates['rating'].value:g}/5 (n={estimates['rating'].n})")
    text = f"About {subject}: " + ("; ".join(parts) if parts else "no scores yet") + "."
    hitch = next((t for t in themes if t["negative"]), None)
    if hitch:
        text += (f" The main hitch is {hitch['label'].lower()} ({hitch['negative']} of "
                 f"{hitch['mentions']} mentions negative).")
    trend = better["nps"] if better["nps"] != "not enough data" else better["rating"]
    return text + f" Since the period before: {trend}."


def insights(uow: UnitOfWork, about: About) -> dict:
    if about.period not in ("week", "month"):
        raise InvalidInput.for_field("query.period", "week or month")
    until = about.until or uow.clock.now()
    since = about.since or until - DEFAULT_WINDOW
    if since >= until:
        raise InvalidInput.for_field("query.since", "must be before until")
    where, shown = _resolve(uow, about)
    query = select(feedback).where(feedback.c.received_at >= since,
                                   feedback.c.received_at <= until)
    for column, value in where.items():
        query = query.where(feedback.c[column] == value)
    rows = list(uow.execute(query.order_by(feedback.c.received_at, feedback.c.id)
                            .limit(MAX_ROWS)))
    estimates = _estimates(rows)
    texts = [r for r in rows if r.sentiment_milli is not None]
    themes = _themes(rows)
    detractors, drivers = _detractor_themes(rows)
    trend, better = _trend(rows, about.period)
    return {
        "about": shown, "since": since, "until": until, "period": about.period,
        "pieces": len(rows), "summary": _summary(shown, estimates, themes, better),
        **{name: _shown(e) for name, e in estimates.items()},
        "sentiment": {
            "n": len(texts),
            "mean": round(sum(_sentiment(r) for r in texts) / len(texts), 3) if texts else None,
            "negative_share": round(sum(1 for r in texts if _sentiment(r) <= -0.05)
                                    / len(texts), 3) if texts else None},
        "trend": trend, "getting_better": better, "themes": themes,
        "detractors": detractors, "detractor_themes": drivers,
        "alerts": _alerts(uow, where, since)}
