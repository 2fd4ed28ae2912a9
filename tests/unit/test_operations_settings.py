"""The settings of limits, metrics and fingerprints refuse what would not work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ordermesh.http.rate_limits import parse_limits
from ordermesh.settings import Settings


def test_a_rate_limit_that_does_not_parse_stops_the_start_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="rate_limit_per_key"):
        Settings(rate_limit_per_key="lots per second")


def test_several_limits_join_with_a_semicolon_and_an_empty_one_is_none() -> None:
    limits = parse_limits("10/second;600/minute")

    assert [(limit.amount, limit.GRANULARITY.name) for limit in limits] == [
        (10, "second"), (600, "minute")]
    assert parse_limits("") == []
    assert Settings(rate_limit_per_address="").rate_limit_per_address == ""


def test_a_short_metrics_token_or_idempotency_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="ORDERMESH_METRICS_TOKEN must be at least 24"):
        Settings(metrics_token="short")
    with pytest.raises(ValidationError, match="each of ORDERMESH_IDEMPOTENCY_SECRETS"):
        Settings(idempotency_secrets="a-long-enough-secret-0123456789abcdef,short")
