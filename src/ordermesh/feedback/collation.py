"""What a text says: its sentiment (VADER, whose lexicon ships with the package, so
nothing is downloaded) and its topics (``model.TAXONOMY``)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ordermesh.feedback.model import match_topics


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # reads its lexicon file once, on first use


def sentiment_milli(text: str | None) -> int | None:
    """VADER's compound score (-1..1) in thousandths; None without a text."""
    if not text or not text.strip():
        return None
    return round(_analyzer().polarity_scores(text)["compound"] * 1000)


def collate(text: str | None) -> tuple[int | None, list[dict]]:
    return sentiment_milli(text), match_topics(text)
