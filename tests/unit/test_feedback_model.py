"""The feedback domain: signed single-use links, scales, topics with their evidence, and
the statistics (NPS, CSAT, ratings with their intervals, better or worse)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.feedback.collation import sentiment_milli
from ordermesh.feedback.model import (
    BadToken,
    Estimate,
    ExpiredToken,
    Kind,
    check_piece,
    csat,
    direction,
    is_negative,
    match_topics,
    mean_rating,
    nps,
    read_token,
    sign_token,
    wilson,
)
from ordermesh.kit.errors import InvalidInput

SECRET = "s" * 32
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_a_signed_link_names_its_request_until_it_expires():
    token = sign_token(SECRET, "fbr_abc", NOW + timedelta(days=30))
    assert read_token(SECRET, token, NOW) == "fbr_abc"
    with pytest.raises(ExpiredToken):
        read_token(SECRET, token, NOW + timedelta(days=30))


@pytest.mark.parametrize("change", [
    lambda t: t.replace("fbr_abc", "fbr_abd"),  # another request
    lambda t: ".".join([t.split(".")[0], str(int(t.split(".")[1]) + 1), t.split(".")[2]]),
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
    lambda t: t.split(".")[0],
    lambda t: "",
])
def test_a_forged_or_altered_link_is_refused(change):
    token = sign_token(SECRET, "fbr_abc", NOW + timedelta(days=30))
    with pytest.raises(BadToken):
        read_token(SECRET, change(token), NOW)
    with pytest.raises(BadToken):
        read_token("t" * 32, token, NOW)  # signed with another secret


@pytest.mark.parametrize(("kind", "score", "text"), [
    (Kind.NPS, 11, None), (Kind.NPS, -1, None), (Kind.CSAT, 0, None), (Kind.CSAT, 6, None),
    (Kind.PRODUCT_RATING, 6, None), (Kind.NPS, None, "why"), (Kind.TEXT, 3, "hi"),
    (Kind.TEXT, None, "  "), (Kind.TEXT, None, "x" * 4001)])
def test_a_score_off_its_scale_or_a_piece_saying_nothing_is_refused(kind, score, text):
    with pytest.raises(InvalidInput):
        check_piece(kind, score, text)


def test_scores_at_the_ends_of_each_scale_are_accepted():
    for kind, score in ((Kind.NPS, 0), (Kind.NPS, 10), (Kind.CSAT, 1), (Kind.CSAT, 5),
                        (Kind.PRODUCT_RATING, 1), (Kind.PRODUCT_RATING, 5)):
        check_piece(kind, score, None)
    check_piece(Kind.TEXT, None, "fine")


def test_topics_are_matched_with_the_words_that_matched_as_evidence():
    found = match_topics("Arrived two days LATE, box crushed; the size runs small.")
    assert found == [
        {"code": "delivery_speed", "evidence": ["days late"]},
        {"code": "damage", "evidence": ["crushed"]},
        {"code": "packaging", "evidence": ["box"]},
        {"code": "size_fit", "evidence": ["runs small", "size"]},
    ]
    assert match_topics("Lovely") == [] and match_topics(None) == []


def test_sentiment_is_negative_for_complaints_and_positive_for_praise():
    assert sentiment_milli("The parcel was late and the mug broken") < -50
    assert sentiment_milli("Great quality, I love it") > 500
    assert sentiment_milli("   ") is None


def test_nps_is_promoters_less_detractors_with_an_interval_around_it():
    found = nps([10, 9, 9, 8, 7, 6, 0, 10, 3, 10])
    assert (found.value, found.n) == (20.0, 10)  # 5 promoters, 3 detractors
    assert found.low < 20.0 < found.high and found.low >= -100
    assert nps([10] * 5) == Estimate(100.0, 100.0, 100.0, 5)
    assert nps([]) is None


def test_csat_is_the_share_of_fours_and_fives_with_a_wilson_interval():
    found = csat([5, 4, 4, 3, 1])
    assert (found.value, found.n) == (60.0, 5)
    low, high = wilson(3, 5)
    assert (found.low, found.high) == (round(100 * low, 1), round(100 * high, 1))
    assert 0 < found.low < 60 < found.high < 100
    assert wilson(0, 0) == (0.0, 0.0)


def test_the_average_rating_interval_narrows_as_the_sample_grows():
    few = mean_rating([1, 5, 3, 4])
    many = mean_rating([1, 5, 3, 4] * 25)
    assert few.value == many.value == 3.25
    assert many.high - many.low < few.high - few.low


def test_better_or_worse_only_when_the_intervals_are_apart():
    low = Estimate(1.5, 1.2, 1.8, 10)
    high = Estimate(4.5, 4.2, 4.8, 10)
    overlapping = Estimate(1.9, 1.5, 2.3, 10)
    assert direction(low, high) == "better"
    assert direction(high, low) == "worse"
    assert direction(low, overlapping) == "no clear change"
    assert direction(None, high) == "not enough data"


def test_negative_means_detractor_low_stars_or_negative_words():
    assert is_negative("nps", 6, None) and not is_negative("nps", 7, None)
    assert is_negative("csat", 2, None) and not is_negative("csat", 3, None)
    assert is_negative("text", None, -0.3) and not is_negative("text", None, 0.0)
