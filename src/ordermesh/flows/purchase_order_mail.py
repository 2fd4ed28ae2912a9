"""The worker e-mails purchase orders to their suppliers, the PDF attached.

The notification rows are written with the order (``purchasing.notifications``); this
job claims the due ones in one transaction, renders each order's PDF and speaks SMTP
through messaging's sender (``messaging.sending.deliver``: the same server, sender
address, timeout and retry settings as the customers' e-mails) holding no transaction,
and records each outcome in a transaction of its own. Registered in
``worker.default_jobs``; without ``ORDERMESH_SMTP_HOST`` it does nothing and the
notifications wait, ``queued``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.messaging.jobs import policy_of, server_of
from ordermesh.messaging.model import RetryPolicy
from ordermesh.messaging.sending import SmtpServer, deliver
from ordermesh.purchasing.model import PurchaseOrder
from ordermesh.purchasing.notifications import ClaimedNotification, claim_due, record
from ordermesh.purchasing.pdf import document_of, render_po_pdf
from ordermesh.suppliers.model import Supplier


def purchase_order_mail(claimed: ClaimedNotification, order: PurchaseOrder,
                        supplier: Supplier, deliver_to: str, sender: str) -> EmailMessage:
    """The e-mail: a short text naming the order, its total and where it goes, and the
    PDF. Its Message-ID derives from the notification id, so a retry after a crash is
    recognisably the same e-mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = claimed.recipient
    mail["Subject"] = f"Purchase order {order.number}"
    mail["Date"] = format_datetime(claimed.created_at)
    domain = sender.rpartition("@")[2].strip("> ") or "localhost"
    mail["Message-ID"] = f"<{claimed.id}@{domain}>"
    lines = "\n".join(f"  {ln.line_no}. {ln.sku}: {ln.due} at {ln.unit_cost.amount} "
                      f"{order.currency}, due {ln.due_date.isoformat()}" for ln in order.lines)
    mail.set_content(
        f"Dear {supplier.name},\n\n"
        f"please find attached our purchase order {order.number} "
        f"({order.total.amount} {order.currency}), to be delivered to {deliver_to} "
        f"by {order.expected_date.isoformat()}:\n\n{lines}\n\n"
        "Please confirm the quantities and dates.\n")
    mail.add_attachment(render_po_pdf(order, supplier, deliver_to), maintype="application",
                        subtype="pdf", filename=f"{order.number}.pdf")
    return mail


@dataclass(frozen=True)
class PurchaseOrderMailer:
    """Sends due purchase order e-mails, one attempt each, never inside a transaction."""

    name: str = "purchase-order-mailer"
    batch: int = 20
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        server = server_of(container.settings)
        if server is None:
            return 0
        policy = policy_of(container.settings)
        total = 0
        for _ in range(self.max_batches):
            with self._uow(container) as uow:
                claimed = claim_due(uow, self.batch, policy)
            self._send_claimed(container, server, policy, claimed)
            total += len(claimed)
            if len(claimed) < self.batch:
                break
        return total

    def _send_claimed(self, container: Container, server: SmtpServer, policy: RetryPolicy,
                      claimed: list[ClaimedNotification]) -> None:
        for one in claimed:
            if container.clock.now() >= one.lease_until:
                return  # too slow: the rest is another mailer's once the lease is over
            with self._uow(container) as uow:
                order, supplier, deliver_to = document_of(uow, one.po_id)
            outcome = deliver(server, purchase_order_mail(one, order, supplier, deliver_to,
                                                          server.sender))
            with self._uow(container) as uow:
                record(uow, one, order, outcome.error, outcome.permanent, policy)

    def _uow(self, container: Container) -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, actor=f"worker:{self.name}")
