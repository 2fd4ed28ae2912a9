"""Rendering a message: the built-in template of its type and language (package data,
``templates/<type>.<language>.jinja``), in a sandboxed Jinja2 environment, with money
and dates formatted by Babel in the customer's locale.

An SMS template (``<type>.<language>.sms.jinja``) defines one block, ``text``. An
e-mail template defines three blocks, ``subject``, ``text`` and ``html``; the HTML block
escapes what it inserts (``{% autoescape true %}``), the others are plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import FileSystemLoader, StrictUndefined, pass_context
from jinja2.sandbox import SandboxedEnvironment

from ordermesh.messaging.model import MessageType

TEMPLATES = Path(__file__).parent / "templates"
MAX_SUBJECT = 300


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@pass_context
def _money(ctx, amount: str | Decimal, currency: str) -> str:
    return format_currency(Decimal(str(amount)), currency, locale=ctx["locale"])


@pass_context
def _date(ctx, value: str | date | datetime) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, format="long", locale=ctx["locale"])


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=False,
                               undefined=StrictUndefined, trim_blocks=True,
                               lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


def _blocks(name: str, facts: dict, locale: str):
    template = environment().get_template(name)
    context = template.new_context({**facts, "locale": locale})
    return lambda block: "".join(template.blocks[block](context)).strip()


def render(message_type: MessageType, language: str, locale: str, facts: dict) -> Rendered:
    """The e-mail in ``language`` (a language there are templates for), formatted for
    ``locale``."""
    block = _blocks(f"{message_type.value}.{language}.jinja", facts, locale)
    # One line (a header), but Babel's no-break spaces ("5,00\u00a0€") stay.
    subject = re.sub(r"[ \t\r\n]+", " ", block("subject"))[:MAX_SUBJECT]
    return Rendered(subject, block("text") + "\n", block("html") + "\n")


def has_sms(message_type: MessageType, language: str) -> bool:
    return (TEMPLATES / f"{message_type.value}.{language}.sms.jinja").is_file()


def render_sms(message_type: MessageType, language: str, locale: str, facts: dict
               ) -> Rendered:
    """The SMS (``<type>.<language>.sms.jinja``, one block ``text``): one paragraph, no
    subject and no HTML."""
    block = _blocks(f"{message_type.value}.{language}.sms.jinja", facts, locale)
    return Rendered("", re.sub(r"\s*\n\s*", " ", block("text")), "")
