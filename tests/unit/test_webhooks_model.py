"""Event type patterns, secrets and the retry schedule of webhooks (no database)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.webhooks.model import (
    RetryPolicy,
    is_pattern,
    matches,
    new_secret,
    secret_problem,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("patterns, event_type, expected", [
    (["*"], "order.created", True),
    (["order.*"], "order.created", True),
    (["order.*"], "order.lines_cancelled", True),
    (["order.*"], "orders.created", False),
    (["order.*"], "order", False),
    (["order.created"], "order.created", True),
    (["order.created"], "order.cancelled", False),
    (["refund.issued", "order.*"], "refund.issued", True),
    (["tracking.*"], "tracking.event_parked", True),
])
def test_a_pattern_matches_its_exact_type_its_prefix_or_everything(patterns, event_type,
                                                                   expected):
    assert matches(patterns, event_type) is expected


@pytest.mark.parametrize("pattern, ok", [
    ("*", True), ("order.*", True), ("order.created", True), ("a.b.c", True),
    ("order*", False), ("*.created", False), ("Order.created", False), ("order.", False),
    ("order created", False), ("", False), ("order.*.x", False),
])
def test_only_types_prefixes_and_the_star_are_patterns(pattern, ok):
    assert is_pattern(pattern) is ok


def test_a_new_secret_is_a_standard_webhooks_secret_of_32_random_bytes():
    one, two = new_secret(), new_secret()
    assert one != two and secret_problem(one) is None
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32


@pytest.mark.parametrize("secret, problem", [
    ("s3cr3t", "must start with 'whsec_'"),
    ("whsec_not base64!", "base64"),
    ("whsec_" + base64.b64encode(b"x" * 10).decode(), "24 to 64 bytes"),
    ("whsec_" + base64.b64encode(b"x" * 65).decode(), "24 to 64 bytes"),
])
def test_a_secret_that_is_not_whsec_base64_of_24_to_64_bytes_is_refused(secret, problem):
    assert problem in secret_problem(secret)


@given(failures=st.integers(1, 1000), seed=st.integers(0, 2**32))
def test_each_retry_waits_four_times_longer_within_the_jitter_up_to_the_cap(failures, seed):
    policy = RetryPolicy()
    wait = policy.delay(failures, random.Random(seed))
    base = min(timedelta(seconds=min(10 * 4 ** (failures - 1), 8 * 3600)), timedelta(hours=8))
    assert base * 0.75 <= wait <= base * 1.25 <= policy.longest_delay


def test_a_delivery_is_given_up_once_the_retry_period_since_it_was_queued_is_over():
    policy = RetryPolicy(give_up_after=timedelta(days=3))
    rng = random.Random(3)
    assert policy.next_attempt(T0 + timedelta(days=2, hours=23), T0, 12, rng) is not None
    assert policy.next_attempt(T0 + timedelta(days=3), T0, 13, rng) is None
