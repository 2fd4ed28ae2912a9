"""A purchase order as a PDF for the supplier (reportlab platypus, invariant mode like
the invoices: the same order gives the same bytes). Latin-1 text in reportlab's
Helvetica; amounts as plain decimals with the ISO currency code."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.service import get_location
from ordermesh.purchasing.model import PurchaseOrder
from ordermesh.purchasing.service import get_po
from ordermesh.suppliers.model import Supplier
from ordermesh.suppliers.service import get_supplier


def _text(value: object) -> str:
    return escape(str(value)).encode("latin-1", "replace").decode("latin-1")


def document_of(uow: UnitOfWork, po_id: str) -> tuple[PurchaseOrder, Supplier, str]:
    """What the PDF shows: the order, its supplier and where the goods go."""
    order = get_po(uow, po_id)
    supplier = get_supplier(uow, order.supplier_id)
    location = get_location(uow, order.location_id)
    return order, supplier, f"{location.name} ({location.code})"


def render_po_pdf(order: PurchaseOrder, supplier: Supplier, deliver_to: str, *,
                  compress: bool = True) -> bytes:
    """The order as an A4 PDF: supplier, delivery location, dates, lines at cost and the
    total. ``compress=False`` leaves the page content readable (for tests)."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=18 * mm,
                            title=f"Purchase order {order.number}", invariant=1,
                            pageCompression=int(compress))
    p = lambda text, style="Normal": Paragraph(_text(text), styles[style])  # noqa: E731
    address = supplier.addresses[0] if supplier.addresses else None
    supplier_lines = [supplier.name] + ([address.line1, f"{address.postal_code or ''} "
                                         f"{address.city}".strip(), address.country]
                                        if address else [])
    facts = [["Purchase order", order.number],
             ["Status", order.status.value],
             ["Supplier", " / ".join(supplier_lines)],
             ["Deliver to", deliver_to],
             ["Expected", order.expected_date.isoformat()],
             ["Currency", order.currency]]
    if supplier.payment_terms:
        facts.append(["Payment terms", supplier.payment_terms])
    if supplier.incoterm:
        facts.append(["Incoterm", supplier.incoterm])
    head = Table([[p(k), p(v)] for k, v in facts], colWidths=[40 * mm, doc.width - 40 * mm])
    rows = [["#", "SKU", "Qty", "Unit cost", "Line total", "Due"]]
    for ln in order.lines:
        rows.append([str(ln.line_no), _text(ln.sku), str(ln.due), str(ln.unit_cost.amount),
                     str(ln.unit_cost.times(ln.due).amount), ln.due_date.isoformat()])
    total = sum((ln.unit_cost.amount * ln.due for ln in order.lines), start=0)
    rows.append(["", "", "", "Total", f"{total} {order.currency}", ""])
    lines = Table(rows, colWidths=[10 * mm, 60 * mm, 18 * mm, 30 * mm, 36 * mm, 24 * mm],
                  repeatRows=1)
    lines.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
        ("ALIGN", (2, 0), (4, -1), "RIGHT"),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ]))
    story = [p(f"Purchase order {order.number}", "Title"), head, Spacer(1, 8 * mm), lines]
    if order.note:
        story += [Spacer(1, 6 * mm), p(order.note)]
    if supplier.terms:
        story += [Spacer(1, 6 * mm), p("Terms", "Heading4"), p(supplier.terms)]
    doc.build(story)
    return buffer.getvalue()
