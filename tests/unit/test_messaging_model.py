"""Messaging rules that need no database: the language chosen, the retry schedule, and
templates that escape what they insert into HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.messaging.model import TRIGGERS, MessageType, RetryPolicy, choose_locale
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


def test_every_message_type_an_event_causes_has_english_and_german_templates():
    # a campaign's content is the seller's, stored with it (campaign_content.py)
    for message_type in set(TRIGGERS.values()):
        for language in ("en", "de"):
            assert (TEMPLATES / f"{message_type.value}.{language}.jinja").is_file()


def _shipment(day: int, numbers: list[str]) -> dict:
    return {"order_number": "OM-9", "carrier": "dhl", "tracking_numbers": numbers,
            "shipped_at": datetime(2026, 12, day, 9, tzinfo=UTC).isoformat()}


def test_a_coalesced_shipping_notice_lists_every_shipment_in_each_language_and_by_sms():
    from ordermesh.messaging.coalescing import render_parts

    parts = [_shipment(1, ["A1"]), _shipment(2, ["B1", "<B2>"])]
    english = render_parts(MessageType.SHIPPED, "email", "en", "en", "Ada", parts)
    assert "left us in 2 shipments" in english.text
    assert "- December 1, 2026 with dhl, tracking number A1\n" in english.text
    assert "- December 2, 2026 with dhl, tracking numbers B1, <B2>\n" in english.text
    assert "&lt;B2&gt;" in english.html and "<B2>" not in english.html
    german = render_parts(MessageType.SHIPPED, "email", "de", "de", "Ada", parts)
    assert "- am 2. Dezember 2026 mit dhl, Sendungsnummern B1, <B2>" in german.text
    sms = render_parts(MessageType.SHIPPED, "sms", "en", "en", "Ada", parts)
    assert sms.text == "Order OM-9 is on its way in 2 shipments. Tracking: A1, B1, <B2>"
    alone = render_parts(MessageType.SHIPPED, "email", "en", "en", "Ada", parts[:1])
    assert "your order OM-9 left us on December 1, 2026 with dhl." in alone.text


def test_a_delay_notice_gives_the_new_date_and_the_promised_one():
    from ordermesh.messaging.coalescing import render_parts

    facts = {"order_number": "OM-9", "carrier": "dhl", "tracking_numbers": ["A1"],
             "promised_date": "2026-12-03", "estimated_delivery": "2026-12-05"}
    german = render_parts(MessageType.DELAYED, "email", "de", "de", "Bernd", [facts])
    assert german.subject == "Ihre Bestellung OM-9 verspätet sich"
    assert "jetzt am 5. Dezember 2026 statt am 3. Dezember 2026" in german.text
    sms = render_parts(MessageType.DELAYED, "sms", "en", "en", "Ada", [facts])
    assert sms.text == ("Sorry: order OM-9 is delayed. Now expected on December 5, 2026 "
                        "instead of December 3, 2026.")
