"""Messaging rules that need no database: the language chosen, the retry schedule, and
templates that escape what they insert into HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.messaging.model import MessageType, RetryPolicy, choose_locale
from ordermesh.messaging.templates import TEMPLATES, render

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("language", "locale", "chosen"), [
    (None, None, ("en", "en")),
    ("de", None, ("de", "de")),
    ("de", "de_AT", ("de", "de_AT")),
    (None, "de-CH", ("de", "de_CH")),
    ("fr", "fr_FR", ("en", "en")),  # no French templates: English throughout
    ("EN", None, ("en", "en")),
])
def test_the_template_language_follows_the_profile_and_falls_back_to_english(
        language, locale, chosen):
    assert choose_locale(language, locale) == chosen


def test_retries_wait_twice_as_long_each_time_up_to_the_cap_then_give_up():
    policy = RetryPolicy(max_attempts=5, base=timedelta(minutes=1), cap=timedelta(minutes=5),
                         timeout_s=10)
    waits = [policy.next_attempt(NOW, n) - NOW for n in range(1, 5)]
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                     timedelta(minutes=5)]
    assert policy.next_attempt(NOW, 5) is None


def test_the_html_part_escapes_what_it_inserts_and_the_text_part_does_not():
    rendered = render(MessageType.DELIVERED, "en", "en", {
        "customer_name": "<b>Ada</b> & co", "order_number": "OM-000001",
        "delivered_at": NOW})
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; co" in rendered.html
    assert "Hello <b>Ada</b> & co," in rendered.text
    assert rendered.subject == "Your order OM-000001 was delivered"


def test_money_and_dates_follow_the_locale():
    facts = {"customer_name": None, "order_number": "OM-7", "refunded_at": NOW,
             "amount": "1234.50", "currency": "EUR"}
    assert render(MessageType.REFUND, "de", "de_AT", facts).subject == \
        "Erstattung von €\u00a01.234,50 zu Bestellung OM-7"  # Austrian: € first
    english = render(MessageType.REFUND, "en", "en", facts)
    assert english.subject == "Refund of €1,234.50 for order OM-7"
    assert "on December 1, 2026" in english.text
    assert english.text.startswith("Hello there,")


def test_every_message_type_has_english_and_german_templates():
    for message_type in MessageType:
        for language in ("en", "de"):
            assert (TEMPLATES / f"{message_type.value}.{language}.jinja").is_file()
