"""Shipping label (4x6 in) and packing slip (A4) as PDF, drawn with reportlab.

The label carries the sender (the location's address), the recipient, the carrier
service, the weight, "package n of m", the handling marks and two Code 128 barcodes:
the SSCC as GS1-128 (FNC1, AI 00, 18 digits; printed below as "(00) 3541..."), and the
carrier's tracking number once the package is booked. Same bytes for the same data
(reportlab's invariant mode). Fonts come from the invoice renderer (DejaVu Sans when the
system has it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, inch
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ordermesh.invoices import pdf as invoice_pdf
from ordermesh.packing.sscc import gs1_element, human_readable

LABEL_SIZE = (4 * inch, 6 * inch)  # 288 x 432 pt
FNC1 = "\xf1"
FONT, BOLD = invoice_pdf.FONT, invoice_pdf.FONT_BOLD


@dataclass(frozen=True)
class LabelData:
    sender: list[str]  # name, address lines
    recipient: list[str]
    carrier: str | None
    service: str | None
    service_level: str
    weight_g: int | None
    weight_estimated: bool
    seq: int
    count: int
    sscc: str | None
    tracking_number: str | None
    marks: list[str]
    reference: str  # FO number and order number


def sscc_barcode(sscc: str, bar_width: float = 1.41, bar_height: float = 60) -> Code128:
    """GS1-128 of the SSCC: FNC1 then the element string "00" + 18 digits. Module width
    1.41 pt = 0.497 mm, the GS1 minimum X-dimension for logistic labels (0.495 mm)."""
    return Code128(FNC1 + gs1_element(sscc), barWidth=bar_width, barHeight=bar_height,
                   humanReadable=False, quiet=True)


def tracking_barcode(number: str, bar_width: float = 1.0, bar_height: float = 40) -> Code128:
    return Code128(number, barWidth=bar_width, barHeight=bar_height, humanReadable=False,
                   quiet=True)


def _text(value: str) -> str:
    return invoice_pdf._printable(value)


def address_lines(address: dict | None, fallback: str = "") -> list[str]:
    if not address:
        return [fallback] if fallback else []
    lines = [address.get("name") or fallback, address.get("line1"), address.get("line2"),
             " ".join(x for x in (address.get("postal_code"), address.get("city")) if x),
             address.get("region"), address.get("country")]
    return [x for x in lines if x]


def _fit(c: Canvas, text: str, font: str, size: float, width: float) -> float:
    while size > 5 and c.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def render_label(d: LabelData, *, compress: bool = True) -> bytes:
    """The label as a one-page 4x6 in PDF. ``compress=False`` leaves the page content
    readable (tests decode the barcodes from it)."""
    invoice_pdf._glyphs()
    buffer = io.BytesIO()
    w, h = LABEL_SIZE
    c = Canvas(buffer, pagesize=LABEL_SIZE, invariant=1, pageCompression=int(compress))
    c.setTitle(f"Label {d.sscc or d.reference}")
    m = 10
    y = h - m - 7
    c.setFont(BOLD, 7)
    c.drawString(m, y, "FROM")
    c.setFont(FONT, 7)
    for line in d.sender[:5]:
        y -= 8.5
        c.drawString(m, y, _text(line)[:60])
    # carrier box, top right
    c.setFont(BOLD, 12)
    c.drawRightString(w - m, h - m - 12, _text((d.carrier or "CARRIER").upper())[:18])
    c.setFont(FONT, 8)
    c.drawRightString(w - m, h - m - 23, _text(d.service or d.service_level)[:30])
    c.drawRightString(w - m, h - m - 33, _text(d.service_level.upper()))
    y -= 8
    c.line(m, y, w - m, y)
    y -= 12
    c.setFont(BOLD, 7)
    c.drawString(m, y, "TO")
    for i, line in enumerate(d.recipient[:6]):
        font, size = (BOLD, 13) if i == 0 else (FONT, 11)
        text = _text(line)
        size = _fit(c, text, font, size, w - 2 * m)
        y -= size + 2
        c.setFont(font, size)
        c.drawString(m, y, text)
    y -= 8
    c.line(m, y, w - m, y)
    y -= 14
    weight = (f"{d.weight_g / 1000:.2f} kg" + (" (est.)" if d.weight_estimated else "")
              if d.weight_g is not None else "weight n/a")
    c.setFont(BOLD, 11)
    c.drawString(m, y, weight)
    c.drawRightString(w - m, y, f"Package {d.seq} of {d.count}")
    y -= 10
    c.setFont(FONT, 7)
    c.drawString(m, y, _text(d.reference)[:70])
    y -= 6
    # handling marks: white on black boxes, wrapped
    x, row_h = m, 16
    y -= row_h
    for mark in d.marks:
        text = _text(mark)
        size = _fit(c, text, BOLD, 9, w - 2 * m - 6)
        bw = c.stringWidth(text, BOLD, size) + 8
        if x + bw > w - m:
            x, y = m, y - row_h - 3
        c.setFillColor(colors.black)
        c.rect(x, y, bw, row_h, fill=1, stroke=0)
        c.setFillColor(colors.white)
        c.setFont(BOLD, size)
        c.drawString(x + 4, y + 4.5, text)
        c.setFillColor(colors.black)
        x += bw + 4
    if not d.marks:
        y += row_h
    # tracking barcode (once booked), then the SSCC at the bottom
    if d.tracking_number:
        barcode = tracking_barcode(d.tracking_number)
        top = y - 12
        c.setFont(BOLD, 7)
        c.drawString(m, top, "TRACKING")
        barcode.drawOn(c, (w - barcode.width) / 2, top - 4 - barcode.height)
        c.setFont(FONT, 9)
        c.drawCentredString(w / 2, top - 14 - barcode.height, _text(d.tracking_number))
    if d.sscc:
        barcode = sscc_barcode(d.sscc)
        c.setFont(BOLD, 7)
        c.drawString(m, m + 92, "SSCC")
        barcode.drawOn(c, (w - barcode.width) / 2, m + 24)
        c.setFont(BOLD, 11)
        c.drawCentredString(w / 2, m + 10, human_readable(d.sscc))
    c.showPage()
    c.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class SlipPackage:
    seq: int
    sscc: str | None
    packaging_code: str | None
    weight_g: int | None
    tracking_number: str | None
    marks: list[str]
    contents: list[tuple[str, str, int]]  # sku, name, quantity


@dataclass(frozen=True)
class SlipData:
    fo_number: str
    order_number: str
    ship_to: list[str]
    ship_from: list[str]
    lines: list[tuple[str, str, int, int]]  # sku, name, ordered on this FO, packed
    packages: list[SlipPackage]
    gift: bool


def render_packing_slip(d: SlipData) -> bytes:
    invoice_pdf._glyphs()
    base = ParagraphStyle("b", fontName=FONT, fontSize=9, leading=11.5)
    bold = ParagraphStyle("bb", base, fontName=BOLD)
    title = ParagraphStyle("t", base, fontName=BOLD, fontSize=16, leading=20)
    p = lambda t, s=base: Paragraph(escape(_text(t)), s)  # noqa: E731
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm, invariant=1,
                            title=f"Packing slip {d.fo_number}")
    width = doc.width
    story: list = [p(f"Packing slip {d.fo_number}", title),
                   p(f"Order {d.order_number}", bold), Spacer(0, 4 * mm)]
    parties = Table([[[p("Ship to", bold), *[p(x) for x in d.ship_to]],
                      [p("From", bold), *[p(x) for x in d.ship_from]]]],
                    colWidths=[width / 2, width / 2])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [parties, Spacer(0, 6 * mm)]
    grid_style = [("FONT", (0, 0), (-1, -1), FONT, 9), ("FONT", (0, 0), (-1, 0), BOLD, 9),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                  ("ALIGN", (2, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    rows: list[list] = [["SKU", "Item", "Quantity", "Packed"]]
    rows += [[p(sku), p(name), str(q), str(packed)] for sku, name, q, packed in d.lines]
    table = Table(rows, colWidths=[width * 0.22, width * 0.54, width * 0.12, width * 0.12],
                  repeatRows=1)
    table.setStyle(TableStyle(grid_style))
    story += [table, Spacer(0, 6 * mm), p("Packages", bold), Spacer(0, 2 * mm)]
    rows = [["#", "SSCC", "Packaging", "Weight", "Contents"]]
    for pk in d.packages:
        contents = ", ".join(f"{q} x {sku}" for sku, _, q in pk.contents)
        rows.append([str(pk.seq), pk.sscc or "-", pk.packaging_code or "own",
                     f"{pk.weight_g / 1000:.2f} kg" if pk.weight_g is not None else "-",
                     p(contents + (f" [{', '.join(pk.marks)}]" if pk.marks else ""))])
    table = Table(rows, colWidths=[width * 0.06, width * 0.3, width * 0.14, width * 0.12,
                                   width * 0.38], repeatRows=1)
    table.setStyle(TableStyle([*grid_style, ("ALIGN", (0, 0), (-1, -1), "LEFT")]))
    story.append(table)
    if d.gift:
        story += [Spacer(0, 6 * mm), p("A gift for you: prices are not shown.", bold)]
    doc.build(story)
    return buffer.getvalue()
