"""An invoice or credit note as a PDF (reportlab platypus), amounts and dates formatted
for the document's locale with Babel.

The PDF of a document is always the same bytes (reportlab's invariant mode: no creation
time or random id inside), like the document itself.

Fonts: DejaVu Sans (Latin, Greek, Cyrillic, the currency signs incl. ₹ and ₩) when the
system has it, otherwise reportlab's bundled Bitstream Vera (Latin-1 and €). A character
the font lacks is printed in its compatibility form when that has a glyph (the full-width
yen sign ￥ that CLDR uses for ja_JP becomes ¥); anything else shows the font's
missing-glyph box, except East Asian text, which is set in Adobe's standard Japanese CID
font (HeiseiKakuGo-W5, not embedded: the PDF viewer supplies it). Right-to-left shaping
(Arabic, Hebrew) is not supported. Headings and country names are in one language
(``invoices.labels``).
"""

from __future__ import annotations

import copy
import io
import threading
import unicodedata
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, parse_pattern
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ordermesh.invoices.labels import LABELS, country_name, labels, payment_words
from ordermesh.invoices.model import Invoice, InvoiceKind, InvoiceLine, Party
from ordermesh.kit.money import Money, minor_unit

REVERSE_CHARGE_TEXT = LABELS["en"]["reverse_charge"]
FONT, FONT_BOLD = "OrdermeshSans", "OrdermeshSans-Bold"
CJK_FONT = "HeiseiKakuGo-W5"
CJK_START = 0x2E80  # CJK radicals, kana, ideographs, Hangul, full-width forms and beyond
_FONT_CANDIDATES = [
    (Path(d) / "DejaVuSans.ttf", Path(d) / "DejaVuSans-Bold.ttf")
    for d in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/usr/share/fonts/TTF", "/usr/local/share/fonts", "/opt/homebrew/share/fonts")
] + [(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
      Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf")]
_font_lock = threading.Lock()
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#bbbbbb")


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Registers the fonts once per process; the code points the regular font can draw."""
    with _font_lock:
        regular, bold = next((r, b) for r, b in _FONT_CANDIDATES if r.exists() and b.exists())
        font = TTFont(FONT, str(regular))
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
        return frozenset(font.face.charToGlyph)


def _printable(text: str) -> str:
    glyphs = _glyphs()
    out = []
    for ch in text:
        if ord(ch) not in glyphs:
            compat = unicodedata.normalize("NFKC", ch)
            if all(ord(c) in glyphs for c in compat):
                ch = compat
        out.append(ch)
    return "".join(out)


def _drawable(text: str) -> bool:
    glyphs = _glyphs()
    return all(ord(c) in glyphs or c.isspace() for c in _printable(text))


def format_money(money: Money, locale: str) -> str:
    """``1.234,56 €`` (de_DE), ``$1,234.56`` (en_US), ``￥1,235`` (ja_JP): the locale's
    currency pattern with exactly the currency's minor-unit digits (ISO 4217), so what is
    printed is exactly the amount on the document."""
    loc = Locale.parse(locale)
    pattern = copy.copy(parse_pattern(loc.currency_formats["standard"]))
    digits = minor_unit(money.currency)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(money.amount, loc, currency=money.currency, currency_digits=False)


def format_rate(rate: Decimal, locale: str) -> str:
    return format_percent(rate / 100, locale=locale, decimal_quantization=False)


def _country_name(code: str, locale: str) -> str:
    name = country_name(code, locale)
    return name if _drawable(name) else Locale.parse("en").territories.get(code, code)


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7.5, leading=9.5, textColor=GREY)
        self.right = ParagraphStyle("right", base, alignment=TA_RIGHT)
        self.bold = ParagraphStyle("bold", base, fontName=FONT_BOLD)
        self.title = ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=16, leading=20)
        self.heading = ParagraphStyle("heading", base, fontName=FONT_BOLD, fontSize=10,
                                      leading=13, spaceBefore=4, spaceAfter=2)


@lru_cache(maxsize=1)
def _cjk_font() -> str:
    """Adobe's standard Japanese CID font: not embedded, PDF viewers supply the glyphs."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _markup(text: str) -> str:
    """Paragraph markup for ``text``: runs of East Asian characters the main font has no
    glyphs for are set in the CJK font."""
    glyphs, parts, run, run_cjk = _glyphs(), [], "", False
    for ch in _printable(text):
        cjk = ord(ch) >= CJK_START and ord(ch) not in glyphs
        if cjk != run_cjk and run:
            parts.append(f'<font face="{_cjk_font()}">{escape(run)}</font>' if run_cjk
                         else escape(run))
            run = ""
        run, run_cjk = run + ch, cjk
    if run:
        parts.append(f'<font face="{_cjk_font()}">{escape(run)}</font>' if run_cjk
                     else escape(run))
    return "".join(parts)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text), style)


def _party(title: str, party: Party, locale: str, st: _Styles) -> list[Paragraph]:
    words = labels(locale)
    rows = [_p(title, st.small), _p(party.name, st.bold)]
    if party.address is not None:
        a = party.address
        rows += [_p(line, st.body) for line in a.lines]
        rows.append(_p(" ".join(x for x in (a.postal_code, a.city) if x), st.body))
        if a.region:
            rows.append(_p(a.region, st.body))
        rows.append(_p(_country_name(a.country, locale), st.body))
    else:
        rows.append(_p(_country_name(party.country, locale), st.body))
    if party.vat_id:
        rows.append(_p(f"{words['vat_id']}: {party.vat_id}", st.body))
    rows += [_p(f"{name}: {value}", st.body) for name, value in sorted(party.tax_ids.items())]
    if party.email:
        rows.append(_p(party.email, st.small))
    return rows


def _grid(rows: list[list], widths: list[float], *, header: bool = True,
          total_rows: int = 0) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONT", (0, 0), (-1, -1), FONT, 8.5), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if header:
        style += [("FONT", (0, 0), (-1, 0), FONT_BOLD, 8.5),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                  ("LINEBELOW", (0, 1), (-1, -1 - total_rows), 0.25, RULE)]
    if total_rows:
        style += [("FONT", (0, -1), (-1, -1), FONT_BOLD, 9.5),
                  ("LINEABOVE", (0, -total_rows), (-1, -total_rows), 0.6, colors.black)]
    table.setStyle(TableStyle(style))
    return table


def payment_block(invoice: Invoice, st: _Styles) -> list:
    """Payment method(s) and status when the document was issued, and a due date for
    invoice terms, in the document's language."""
    p = invoice.payment
    if p is None:
        return []
    words = labels(invoice.locale)
    statuses, methods_text = payment_words(invoice.locale)
    methods = ", ".join(methods_text.get(m, m) for m in p.methods) or words["no_method"]
    text = words["payment_line"].format(status=statuses.get(p.status, p.status),
                                        methods=methods)
    if p.due_date is not None:
        text += " " + words["due_by"].format(
            date=format_date(p.due_date, "medium", locale=invoice.locale))
    return [Spacer(0, 2 * mm), _p(text, st.body)]


def _rounding(line: InvoiceLine, locale: str) -> str | None:
    """When the rounded unit net times the quantity is not the line's net, the exact
    computation, so the line visibly reconciles: ``3 x 3,3333 € = 9,9999 €, gerundet
    auf 10,00 €``."""
    if line.unit_net.amount * line.quantity == line.net.amount:
        return None
    exact = line.net.amount / line.quantity
    unit = exact.quantize(Decimal("0.0001")) if exact != exact.quantize(Decimal("0.0001")) \
        else exact
    loc = Locale.parse(locale)
    symbol = lambda d: format_decimal(d, locale=locale, decimal_quantization=False)  # noqa: E731
    return _printable(labels(locale)["rounding"].format(
        qty=format_decimal(line.quantity, locale=locale),
        unit=f"{symbol(unit)} {line.net.currency}",
        exact=f"{symbol(unit * line.quantity)} {line.net.currency}",
        net=format_money(line.net, str(loc))))


def _tax_reasons(invoice: Invoice) -> list[str]:
    """Why the document is taxed as it is (an export's zero rating, OSS), once each."""
    return list(dict.fromkeys(b.reason for b in invoice.tax_breakdown if b.reason))


def render_pdf(invoice: Invoice, *, compress: bool = True) -> bytes:
    """The document as an A4 PDF. ``compress=False`` leaves the page content readable
    (for tests)."""
    _glyphs()
    loc, st = invoice.locale, _Styles()
    money = lambda m: _printable(format_money(m, loc))  # noqa: E731
    is_credit = invoice.kind is InvoiceKind.CREDIT_NOTE
    words = labels(loc)
    title = words["credit_note"] if is_credit else words["invoice"]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=18 * mm, title=f"{title} {invoice.number}", author=invoice.seller.name,
        subject=f"{words['order']} {invoice.order_number}", invariant=1,
        pageCompression=int(compress))
    width = doc.width

    facts = [[words["number"], invoice.number],
             [words["date"], format_date(invoice.issued_at.date(), "medium", locale=loc)],
             [words["tax_point"], format_date(invoice.tax_point, "medium", locale=loc)],
             [words["order"], invoice.order_number]]
    if is_credit:
        facts.append([words["corrects"], invoice.corrects_number or ""])
    if invoice.replaces_number:
        facts.append([words["replaces"], invoice.replaces_number])
    story: list = [_p(f"{title} {invoice.number}", st.title)]
    if is_credit:
        story.append(_p(words["credit_for"].format(number=invoice.corrects_number), st.bold))
    if invoice.replaces_number:
        story.append(_p(words["replaces_line"].format(number=invoice.replaces_number),
                        st.bold))
    story.append(Spacer(0, 4 * mm))
    parties = Table([[_party(words["seller"], invoice.seller, loc, st),
                      _party(words["bill_to"], invoice.buyer, loc, st),
                      _grid([[_p(k, st.small), _p(v, st.right)] for k, v in facts],
                            [20 * mm, width * 0.34 - 22 * mm], header=False)]],
                    colWidths=[width * 0.33, width * 0.33, width * 0.34])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [parties, Spacer(0, 6 * mm)]

    head = [words[k] for k in ("description", "qty", "unit_net", "net", "tax_rate", "tax",
                               "gross")]
    rows: list[list] = [head]
    for line in invoice.lines:
        described = [_p(line.description, st.body)]
        if line.sku:
            described.append(_p(f"{words['sku']} {line.sku}", st.small))
        if rounded := _rounding(line, loc):
            described.append(_p(rounded, st.small))
        rows.append([described, format_decimal(line.quantity, locale=loc),
                     money(line.unit_net), money(line.net),
                     format_rate(line.tax_rate_percent, loc), money(line.tax), money(line.gross)])
    shares = (0.30, 0.06, 0.13, 0.13, 0.10, 0.13, 0.15)
    story += [_grid(rows, [width * share for share in shares]), Spacer(0, 5 * mm)]

    story.append(_p(words["tax_breakdown"], st.heading))
    breakdown: list[list] = [[words["tax"], words["rate"], words["taxable"], words["tax"]]]
    for entry in invoice.tax_breakdown:
        name = f"{entry.name} ({entry.jurisdiction})" if entry.jurisdiction else entry.name
        breakdown.append([_printable(name), format_rate(entry.rate_percent, loc),
                          money(entry.taxable), money(entry.tax)])
    if len(breakdown) == 1:
        breakdown.append([words["no_tax"], "", money(invoice.net), money(invoice.tax)])
    story += [_grid(breakdown, [width * 0.40, width * 0.16, width * 0.22, width * 0.22]),
              Spacer(0, 5 * mm)]

    totals = [[words["net_total"], money(invoice.net)],
              [words["tax_total"], money(invoice.tax)],
              [words["credit_total"] if is_credit else words["total"], money(invoice.gross)]]
    totals_table = _grid(totals, [width * 0.25, width * 0.22], header=False, total_rows=1)
    totals_table.hAlign = "RIGHT"
    story += [totals_table, Spacer(0, 6 * mm)]
    if invoice.reverse_charge:
        story.append(_p(words["reverse_charge"], st.bold))
    story += [_p(reason, st.bold) for reason in _tax_reasons(invoice)]
    if invoice.note:
        story += [Spacer(0, 2 * mm), _p(invoice.note, st.body)]
    story += payment_block(invoice, st)

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        seller = invoice.seller.name if _drawable(invoice.seller.name) else ""
        canvas.drawString(document.leftMargin, 10 * mm,
                          _printable(f"{seller} · {title} {invoice.number}".lstrip(" ·")))
        canvas.drawRightString(document.leftMargin + document.width, 10 * mm,
                               f"{words['page']} {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
