"""A real SMTP server in a thread (the standard library's ``socketserver``; aiosmtpd is
not installed) that speaks enough SMTP for ``smtplib`` and keeps what it receives.

``refuse`` makes it answer every MAIL FROM with that reply (``"451 4.3.0 try later"``),
so a sender sees a real refusal from a real server."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mails(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails() if m["To"] == address]


def _address(arg: str) -> str:
    return arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")


@contextmanager
def running_smtp_server() -> Iterator[Mailbox]:
    box = Mailbox()

    class Handler(socketserver.StreamRequestHandler):
        timeout = 10

        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 test-smtp ready")
            sender, recipients = None, []
            while line := self.rfile.readline():
                verb, _, arg = line.decode().rstrip("\r\n").partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 test-smtp")
                elif verb == "MAIL":
                    if box.refuse:
                        with box.lock:
                            box.refused += 1
                        self.reply(box.refuse)
                        continue
                    sender, recipients = _address(arg), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(_address(arg))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    self._data(sender, recipients)
                    self.reply("250 OK queued")
                elif verb == "RSET":
                    sender, recipients = None, []
                    self.reply("250 OK")
                elif verb == "NOOP":
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 command not implemented")

        def _data(self, sender: str | None, recipients: list[str]) -> None:
            lines = []
            while (line := self.rfile.readline()) not in (b".\r\n", b""):
                lines.append(line[1:] if line.startswith(b"..") else line)
            mail = message_from_bytes(b"".join(lines), policy=policy.default)
            with box.lock:
                box.received.append(mail)
                box.envelopes.append((sender or "", recipients))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def closed_port() -> int:
    """A port nothing listens on (bound, then released): an SMTP server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
