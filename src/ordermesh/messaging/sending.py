"""Sending messages: claim in one transaction, send after commit, record in another.

``claim_due`` takes due messages (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so senders
side by side take different rows; the claim itself is conditional on the attempt count,
so even without the lock one attempt is claimed once), counts the attempt, marks it
``sending`` with a lease and commits. ``send`` speaks SMTP with a timeout, holding no
transaction. ``record`` stores the outcome: ``sent``, a retry after an exponential delay,
or ``failed`` after the last attempt or a permanent (5xx) refusal. A crash after the
claim loses nothing: the lease runs out and the message is sent again, with the same
``Message-ID`` so the receiving side can tell.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from sqlalchemy import insert, select, update

from ordermesh.customers.identities import mark_undeliverable
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event
from ordermesh.messaging.checks import held, recipient_identity
from ordermesh.messaging.model import MessageStatus, RetryPolicy
from ordermesh.messaging.rules import SendRules
from ordermesh.messaging.tables import message_history, messages

MAX_ERROR = 300
_DUE = (MessageStatus.QUEUED.value, MessageStatus.SENDING.value)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str  # the From address
    timeout_s: float


@dataclass(frozen=True)
class Claimed:
    id: str
    attempt: int  # the number of this attempt, 1 for the first
    recipient: str
    subject: str
    text: str
    html: str
    language: str
    created_at: datetime
    lease_until: datetime  # not sent after this: another sender may have claimed it
    medium: str = "email"
    unsubscribe_url: str | None = None  # a marketing message's one-click unsubscribe link


def claim_due(uow: UnitOfWork, limit: int, policy: RetryPolicy, rules: SendRules,
              media: frozenset[str] = frozenset({"email"})) -> list[Claimed]:
    """Up to ``limit`` due messages on ``media`` (those configured) that every rule lets
    go now (``checks.held``), each claimed for one attempt; commits."""
    now = uow.clock.now()
    m = messages.c
    query = (select(m.id, m.attempts, m.recipient, m.subject, m.body_text, m.body_html,
                    m.language, m.created_at, m.customer_id, m.order_id, m.type,
                    m.source_event_id, m.medium, m.parts, m.unsubscribe_url)
             .where(m.status.in_(_DUE), m.next_attempt_at <= now, m.medium.in_(media))
             .order_by(m.next_attempt_at, m.seq).limit(limit))
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    rows = uow.execute(query).all()
    until = now + policy.lease(len(rows))
    for row in rows:
        if held(uow, row, rules):
            continue
        # as read: an event that joined it since (coalescing) must not go unsent
        taken = uow.execute(update(messages).where(
            m.id == row.id, m.attempts == row.attempts, m.status.in_(_DUE),
            m.parts == row.parts,
        ).values(status=MessageStatus.SENDING.value, attempts=row.attempts + 1,
                 next_attempt_at=until)).rowcount
        if taken == 1:
            claimed.append(Claimed(row.id, row.attempts + 1, row.recipient, row.subject,
                                   row.body_text, row.body_html, row.language,
                                   as_utc(row.created_at), until, row.medium,
                                   row.unsubscribe_url))
    uow.commit()
    return claimed


def email_of(claimed: Claimed, sender: str) -> EmailMessage:
    """The e-mail: plain text with an HTML alternative; its Message-ID derives from the
    message id, so a resend after a crash is recognisably the same e-mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = claimed.recipient
    mail["Subject"] = claimed.subject
    mail["Date"] = format_datetime(claimed.created_at)
    domain = sender.rpartition("@")[2].strip("> ") or "localhost"
    mail["Message-ID"] = f"<{claimed.id}@{domain}>"
    if claimed.unsubscribe_url:  # RFC 2369 and RFC 8058: one-click unsubscribe
        mail["List-Unsubscribe"] = f"<{claimed.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(claimed.text)
    mail.add_alternative(claimed.html, subtype="html")
    mail["Content-Language"] = claimed.language  # after: setting content clears Content-*
    return mail


@dataclass(frozen=True)
class Outcome:
    error: str | None  # None: the server accepted the e-mail
    permanent: bool = False  # a 5xx answer: trying again would be refused again
    bounced: bool = False  # the recipient itself was refused for good (5xx to RCPT)
    provider_id: str | None = None  # the provider's id of an accepted message (SMS)

    @property
    def ok(self) -> bool:
        return self.error is None


class Medium(Protocol):
    """A way to reach a customer: e-mail here, SMS in ``sms.py``. ``send`` makes one
    attempt, with a timeout, outside any transaction, and never raises for the other
    side's failure."""

    name: str

    def send(self, claimed: Claimed) -> Outcome: ...


@dataclass(frozen=True)
class EmailMedium:
    server: SmtpServer
    name: str = "email"

    def send(self, claimed: Claimed) -> Outcome:
        return send(self.server, claimed)


def send(server: SmtpServer, claimed: Claimed) -> Outcome:
    """Hand the e-mail to the SMTP server. Never raises for the server's failure."""
    return deliver(server, email_of(claimed, server.sender))


def deliver(server: SmtpServer, mail: EmailMessage) -> Outcome:
    """One SMTP conversation with a timeout, for any e-mail (a purchase order to its
    supplier, ``flows/purchase_order_mail.py``, too). Never raises for the server's
    failure: a 5xx answer is a permanent refusal."""
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        permanent = _permanent(exc)
        return Outcome(_describe(exc)[:MAX_ERROR], permanent,
                       permanent and isinstance(exc, smtplib.SMTPRecipientsRefused))
    return Outcome(None)


def _permanent(exc: Exception) -> bool:
    """RFC 5321: a 5yz reply is a permanent refusal; 4yz and a lost connection are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _describe(exc: Exception) -> str:
    """The server's answer ("451 4.3.0 try later") where there is one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{to}: {code} {text.decode(errors='replace')}"
                         for to, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return f"{type(exc).__name__}: {exc}"


def record(uow: UnitOfWork, claimed: Claimed, outcome: Outcome, policy: RetryPolicy) -> str:
    """Store the attempt and what follows from it: sent, a retry, failed after the last
    attempt or a permanent refusal, or bounced (the recipient refused for good: the
    customer's address is marked undeliverable); commits. Returns the message's status."""
    error = outcome.error
    now = uow.clock.now()
    m = messages.c
    row = uow.execute(select(m.status, m.attempts, m.customer_id, m.order_id, m.type)
                      .where(m.id == claimed.id).with_for_update()).first()
    if row is None or row.status != MessageStatus.SENDING or row.attempts != claimed.attempt:
        uow.commit()  # the lease ran out and another sender claimed it: that claim decides
        return row.status if row else "deleted"
    payload = {"id": claimed.id, "type": row.type, "customer_id": row.customer_id,
               "order_id": row.order_id, "attempts": claimed.attempt}
    if error is None:
        status = MessageStatus.SENT
        # an SMS is not done when the provider took it: its delivery report follows
        values = {"sent_at": now, "finished_at": None if outcome.provider_id else now,
                  "next_attempt_at": None, "last_error": None,
                  "provider_id": outcome.provider_id}
        record_event(uow, "message.sent", "message", claimed.id, payload)
    else:
        retry_at = None if outcome.permanent else policy.next_attempt(now, claimed.attempt)
        values = {"last_error": error, "next_attempt_at": retry_at}
        if outcome.bounced:
            status = MessageStatus.BOUNCED
            values["finished_at"] = now
            record_event(uow, "message.bounced", "message", claimed.id,
                         {**payload, "medium": claimed.medium, "error": error})
            if row.customer_id is not None:  # not a test send
                mark_undeliverable(uow, row.customer_id,
                                   recipient_identity(claimed.medium, claimed.recipient),
                                   error)
        elif retry_at is None:
            status = MessageStatus.FAILED
            values["finished_at"] = now
            record_event(uow, "message.failed", "message", claimed.id,
                         {**payload, "error": error})
        else:
            status = MessageStatus.QUEUED
    uow.execute(update(messages).where(m.id == claimed.id).values(status=status.value,
                                                                   **values))
    uow.execute(insert(message_history).values(
        message_id=claimed.id, attempt=claimed.attempt, at=now, detail=error,
        status="retry" if status == MessageStatus.QUEUED else status.value))
    uow.commit()
    return status.value
