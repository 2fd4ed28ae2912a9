"""A real SMTP server for the tests: aiosmtpd's ``Controller`` in its own thread, keeping
what it receives.

``refuse`` makes it answer every MAIL FROM with that reply (``"451 4.3.0 try later"``),
so a sender sees a real refusal from a real server; a recipient in ``unknown`` is refused
at RCPT TO with a 550 (a hard bounce)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None
    unknown: set[str] = field(default_factory=set)  # recipients refused with a 550 (bounce)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mails(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails() if m["To"] == address]

    # aiosmtpd handler hooks
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse:
            with self.lock:
                self.refused += 1
            return self.refuse
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            with self.lock:
                self.refused += 1
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append(mail)
            self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        return "250 OK queued"


@contextmanager
def running_smtp_server() -> Iterator[Mailbox]:
    box = Mailbox(port=closed_port())
    controller = Controller(box, hostname=box.host, port=box.port, ready_timeout=10)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def closed_port() -> int:
    """A port nothing listens on (bound, then released): an SMTP server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
