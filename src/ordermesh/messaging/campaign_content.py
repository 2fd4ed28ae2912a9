"""A campaign's content: a subject and a body per language, written by the seller as
sandboxed Jinja2 templates (the environment, filters and strictness of ``templates.py``),
checked at save by rendering them with a sample, and rendered per customer with the
unsubscribe footer every marketing message carries; and the links that footer points to.

Content, as stored and as the API takes it: ``{language: {"subject", "text", "html"}}``
for e-mail (``html`` optional: made from the text when missing), ``{language: {"text"}}``
for SMS. Templates see ``name`` (the customer's), ``unsubscribe_url`` and ``locale``, and
the filters ``money`` and ``date``; any other variable is an error.
"""

from __future__ import annotations

import hashlib
import html
import re
import secrets

from jinja2 import TemplateError

from ordermesh.kit.errors import FieldError, InvalidInput
from ordermesh.messaging.templates import MAX_SUBJECT, Rendered, environment

EMAIL, SMS = "email", "sms"
MEDIA = (EMAIL, SMS)
PARTS = {EMAIL: ("subject", "text", "html"), SMS: ("text",)}
REQUIRED = {EMAIL: ("subject", "text"), SMS: ("text",)}
MAX_TEMPLATE = 20_000
UNSUBSCRIBE_PATH = "/unsubscribe/"
SAMPLE = {"name": "Ada Lovelace"}

_FOOTER_TEXT = {
    "en": "You receive this because you agreed to hear from us. Unsubscribe: {url}",
    "de": "Sie erhalten diese Nachricht, weil Sie eingewilligt haben. Abmelden: {url}",
}
_FOOTER_LINK = {"en": "Unsubscribe", "de": "Abmelden"}
_SMS_FOOTER = {"en": "Stop: {url}", "de": "Abmelden: {url}"}


def new_token() -> tuple[str, str]:
    """(token for the link, what is stored of it): only its hash is kept."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unsubscribe_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + UNSUBSCRIBE_PATH + token


def check_content(medium: str, content: dict, default_language: str) -> None:
    """Refuse content that cannot be sent: no text for the default language, a part the
    medium has no place for, a template that does not render with a sample customer
    (an unknown variable, a syntax error)."""
    errors: list[FieldError] = []
    if default_language not in content:
        errors.append(FieldError("default_language", f"there is no content in "
                                 f"'{default_language}'", "missing_language"))
    for language, parts in content.items():
        where = f"content.{language}"
        if not re.fullmatch(r"[a-z]{2}", language):
            errors.append(FieldError(where, "a language is two lower-case letters "
                                     "(ISO 639-1)", "invalid_language"))
            continue
        for part in parts:
            if part not in PARTS[medium]:
                errors.append(FieldError(f"{where}.{part}", f"a {medium} message has no "
                                         f"{part} (only {', '.join(PARTS[medium])})",
                                         "unknown_part"))
        for part in REQUIRED[medium]:
            if not (parts.get(part) or "").strip():
                errors.append(FieldError(f"{where}.{part}", "missing", "missing"))
        for part, source in parts.items():
            if part in PARTS[medium] and source and len(source) > MAX_TEMPLATE:
                errors.append(FieldError(f"{where}.{part}", f"at most {MAX_TEMPLATE} "
                                         "characters", "too_long"))
            elif part in PARTS[medium] and source:
                problem = _render_error(source, language, part == "html")
                if problem:
                    errors.append(FieldError(f"{where}.{part}", problem, "template_error"))
    if errors:
        raise InvalidInput("The campaign's content cannot be sent", errors=errors)


def _render_error(source: str, language: str, escape: bool) -> str | None:
    try:
        _render(source, {**SAMPLE, "unsubscribe_url": "https://example.com/u/sample"},
                language, escape)
    except (TemplateError, ValueError, TypeError, LookupError, AttributeError) as exc:
        return f"does not render with a sample customer: {exc}"[:300]
    return None


def _render(source: str, facts: dict, locale: str, escape: bool = False) -> str:
    """``escape``: HTML, where what a variable inserts is escaped."""
    if escape:
        source = "{% autoescape true %}" + source + "{% endautoescape %}"
    template = environment().from_string(source)
    return template.render({**facts, "locale": locale}).strip()


def language_for(content: dict, default_language: str, customer_language: str | None,
                 customer_locale: str | None) -> tuple[str, str]:
    """(content language, formatting locale): the customer's language when the campaign
    is written in it, else the default; numbers and dates in their locale when it is of
    that language."""
    wanted = (customer_locale or customer_language or "").replace("-", "_")
    lang = wanted.split("_")[0].lower()
    if lang not in content:
        return default_language, default_language
    return lang, wanted if "_" in wanted else lang


def render_campaign(medium: str, content: dict, language: str, locale: str, name: str,
                    url: str) -> Rendered:
    """The message in ``language`` for a customer called ``name``, with the unsubscribe
    footer (``url``) after the seller's text."""
    parts = content[language]
    facts = {"name": name, "unsubscribe_url": url}
    footer_lang = language if language in _FOOTER_TEXT else "en"
    if medium == SMS:
        text = re.sub(r"\s*\n\s*", " ", _render(parts["text"], facts, locale))
        return Rendered("", f"{text} {_SMS_FOOTER[footer_lang].format(url=url)}", "")
    subject = re.sub(r"[ \t\r\n]+", " ", _render(parts["subject"], facts, locale))
    text = _render(parts["text"], facts, locale)
    body_html = (_render(parts["html"], facts, locale, True) if parts.get("html")
                 else "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                              for p in text.split("\n\n")))
    footer = _FOOTER_TEXT[footer_lang].format(url=url)
    link = (f'<a href="{html.escape(url)}">{_FOOTER_LINK[footer_lang]}</a>')
    footer_html = html.escape(_FOOTER_TEXT[footer_lang].split(". ")[0]) + ". " + link
    return Rendered(subject[:MAX_SUBJECT], f"{text}\n\n-- \n{footer}\n",
                    f"{body_html}\n<hr>\n<p style=\"font-size:12px;color:#666666\">"
                    f"{footer_html}</p>\n")
