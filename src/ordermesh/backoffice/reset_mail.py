"""The password reset e-mail: sent after the request committed, through the SMTP server
customer e-mails use (``ORDERMESH_SMTP_HOST``, ``messaging.sending``), with its timeout
and a few quick retries, holding no transaction; the outcome is recorded afterwards in a
new one (``password_resets.record_mail``).

The page that asked answers first: the e-mail goes out in the response's background task,
so how long the SMTP server takes says nothing about whether the e-mail exists.
"""

from __future__ import annotations

import logging
import time
from html import escape

from ordermesh.backoffice.password_resets import ResetMail, record_mail
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.messaging.jobs import server_of
from ordermesh.messaging.sending import Claimed, send

log = logging.getLogger(__name__)
ATTEMPTS = 3
RETRY_PAUSE_S = 1.0  # after attempt n, n times this
NO_SERVER = "no SMTP server is configured (ORDERMESH_SMTP_HOST)"


def reset_link(container: Container, token: str) -> str:
    return f"{container.settings.public_url.rstrip('/')}/app/reset-password?token={token}"


def compose(container: Container, mail: ResetMail) -> tuple[str, str, str]:
    """Subject, text and HTML of the e-mail."""
    link = reset_link(container, mail.token)
    minutes = int((mail.expires_at - mail.requested_at).total_seconds() // 60)
    why = ("An administrator asked for your ordermesh back-office password to be reset; "
           "your old password no longer works." if mail.forced else
           "Someone (hopefully you) asked to reset the password of your ordermesh "
           "back-office account.")
    text = (f"{why}\n\nChoose a new password here (the link works once, for {minutes} "
            f"minutes):\n\n{link}\n\nIf you did not ask for this, ignore this e-mail: "
            "your password stays as it is.\n")
    html = (f"<p>{escape(why)}</p><p><a href=\"{escape(link)}\">Choose a new password</a> "
            f"(the link works once, for {minutes} minutes).</p><p>If you did not ask for "
            "this, ignore this e-mail: your password stays as it is.</p>")
    return "Reset your ordermesh back-office password", text, html


def send_reset_mail(container: Container, mail: ResetMail) -> str | None:
    """Send the e-mail (up to ``ATTEMPTS`` tries while the server refuses for now) and
    record the outcome; returns the last error, ``None`` when the server took it."""
    server = server_of(container.settings)
    attempts, error = 0, NO_SERVER
    if server is not None:
        subject, text, html = compose(container, mail)
        claimed = Claimed(mail.reset_id, 1, mail.email, subject, text, html, "en",
                          mail.requested_at, mail.expires_at)
        while attempts < ATTEMPTS:
            attempts += 1
            outcome = send(server, claimed)
            error = outcome.error
            if outcome.ok or outcome.permanent:
                break
            if attempts < ATTEMPTS:
                time.sleep(RETRY_PAUSE_S * attempts)
    if error is not None:
        log.warning("password reset e-mail %s to %s not sent: %s", mail.reset_id,
                    mail.email, error)
    with UnitOfWork(container.engine, container.clock, actor="system:password-reset") as uow:
        record_mail(uow, mail.reset_id, attempts, error)
    return error
