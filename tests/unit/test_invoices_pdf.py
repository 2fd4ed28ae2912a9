"""The PDF says what the invoice says: read back from the PDF's own text.

No PDF reader is installed with the project, so ``pdf_text`` reads what reportlab wrote:
the document is rendered without page compression, every text-showing string of the
page streams is decoded through its font's ToUnicode map (embedded TrueType subsets) or
as UCS-2 (the CID font used for East Asian text), in drawing order; the strings of one
text object (a line of a paragraph, a table cell) are joined as they are drawn, text
objects with a space.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from ordermesh.invoices.model import (
    Address,
    Invoice,
    InvoiceKind,
    Party,
    TaxBreakdownLine,
    breakdown_by_rate,
    invoice_line,
    totals_of,
)
from ordermesh.invoices.pdf import REVERSE_CHARGE_TEXT, format_money, render_pdf
from ordermesh.kit.money import Money

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
_TOKEN = re.compile(rb"/(?P<font>[^\s/\[\]()<>]+)\s+[\d.]+\s+Tf|(?P<string>\((?:\\.|[^\\)])*\))"
                    rb"|(?P<end>\bET\b)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        ch = literal[i:i + 1]
        if ch != b"\\":
            out += ch
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            nxt = literal[i + 1:i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _cmap(stream: bytes) -> dict[int, str]:
    return {int(code, 16): chr(int(uni, 16)) for code, uni in
            re.findall(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4})>", stream)}


def pdf_text(pdf: bytes) -> str:
    objects = {int(m[1]): m[2] for m in _OBJECT.finditer(pdf)}
    by_object = {}
    for number, body in objects.items():
        if b"/Type /Font" not in body:
            continue
        if ref := re.search(rb"/ToUnicode (\d+) 0 R", body):
            cmap = _cmap(objects[int(ref[1])])
            by_object[number] = lambda raw, cmap=cmap: "".join(cmap.get(b, "?") for b in raw)
        elif b"UCS2" in body:
            by_object[number] = lambda raw: raw.decode("utf-16-be")
        else:
            by_object[number] = lambda raw: raw.decode("cp1252")
    decoders = {name: by_object[int(ref)] for body in objects.values()
                for name, ref in re.findall(rb"/([^\s/\[\]()<>]+) (\d+) 0 R", body)
                if int(ref) in by_object}
    shown: list[str] = []  # one entry per text object (BT ... ET): a line or a cell
    for body in objects.values():
        if b" Tf" not in body or b"stream" not in body:
            continue
        font, line = None, ""
        for token in _TOKEN.finditer(body):
            if token["font"]:
                font = token["font"]
            elif token["end"]:
                shown.append(line)
                line = ""
            elif font is not None:
                line += decoders[font](_unescape(token["string"][1:-1]))
    return " ".join(" ".join(shown).split())


def text_of(invoice: Invoice) -> str:
    return pdf_text(render_pdf(invoice, compress=False))


def contains(text: str, wanted: str) -> bool:
    return " ".join(wanted.split()) in text


SELLER = Party("ACME Handels GmbH", Address(("Friedrichstraße 1",), "Berlin", "DE", "10117"),
               "DE", vat_id="DE136695976", email="billing@acme.example",
               tax_ids={"EORI": "DE1234567890"})
BUYER = Party("Kunde B.V.", Address(("Keizersgracht 12",), "Amsterdam", "NL", "1015 CS"), "NL",
              vat_id="NL004495445B01")


def invoice(currency: str = "EUR", locale: str = "de_DE", *, rate: str = "19",
            nets: tuple[str, ...] = ("1000.00", "200.00", "34.56"), **overrides) -> Invoice:
    lines = tuple(
        invoice_line(f"Item {i}", 1 + i % 3, Money.of(net, currency),
                     Money.of(Decimal(net) * Decimal(rate) / 100, currency), Decimal(rate),
                     sku=f"SKU-{i}")
        for i, net in enumerate(nets))
    net, tax, gross = totals_of(lines, currency)
    fields = dict(
        id="inv_1", kind=InvoiceKind.INVOICE, number="ACME-INV-000042", sequence=42,
        series_id="ser_1", legal_entity_id="le_1", order_id="ord_1",
        order_number="OM-000042", corrects_invoice_id=None, corrects_number=None,
        issued_at=datetime(2026, 11, 26, 12, tzinfo=UTC), tax_point=date(2026, 11, 25),
        currency=currency, locale=locale, seller=SELLER, buyer=BUYER, lines=lines,
        tax_breakdown=breakdown_by_rate(lines), net=net, tax=tax, gross=gross,
        reverse_charge=False, note=None, reference=None)
    return Invoice(**{**fields, **overrides})


def test_the_pdf_shows_number_parties_with_vat_ids_lines_breakdown_and_totals():
    text = text_of(invoice())
    for wanted in ("Rechnung ACME-INV-000042", "ACME Handels GmbH", "Friedrichstraße 1",
                   "USt-IdNr.: DE136695976", "EORI: DE1234567890", "Kunde B.V.",
                   "USt-IdNr.: NL004495445B01", "OM-000042", "26.11.2026", "25.11.2026",
                   "Item 0", "Art.-Nr. SKU-0",
                   # Item 1: 2 x 100,00 € = 200,00 € net + 38,00 € tax = 238,00 €
                   "Item 1 Art.-Nr. SKU-1 2 100,00 € 200,00 € 19 % 38,00 € 238,00 €",
                   "VAT 19 % 1.234,56 € 234,57 €",
                   "Summe netto 1.234,56 €", "Summe Steuer 234,57 €",
                   "Gesamtbetrag 1.469,13 €"):
        assert contains(text, wanted), wanted
    assert "Steuerschuldnerschaft" not in text


def test_a_reverse_charge_invoice_says_the_recipient_accounts_for_the_vat():
    text = text_of(invoice(rate="0", reverse_charge=True))
    assert contains(text, "Steuerschuldnerschaft des Leistungsempfängers "
                          "(Artikel 196, Richtlinie 2006/112/EG)")
    assert contains(text, "Summe Steuer 0,00 €")
    english = text_of(invoice("USD", "en_US", rate="0", reverse_charge=True))
    assert contains(english, REVERSE_CHARGE_TEXT)


def test_a_credit_note_says_which_invoice_it_credits():
    note = invoice(kind=InvoiceKind.CREDIT_NOTE, number="ACME-CN-000003",
                   corrects_invoice_id="inv_0", corrects_number="ACME-INV-000042")
    text = text_of(note)
    assert contains(text, "Gutschrift ACME-CN-000003")
    assert contains(text, "Gutschrift zu Rechnung ACME-INV-000042")
    assert contains(text, "Gutschriftsbetrag 1.469,13 €")


def test_amounts_are_formatted_for_the_documents_locale_with_the_currencys_digits():
    assert format_money(Money.of("1234.56", "EUR"), "de_DE") == "1.234,56\xa0€"
    assert format_money(Money.of("1234.56", "USD"), "en_US") == "$1,234.56"
    assert format_money(Money.of("1235", "JPY"), "ja_JP") == "￥1,235"
    assert format_money(Money.of("1234567.50", "INR"), "en_IN") == "₹12,34,567.50"
    assert format_money(Money.of("1.005", "KWD"), "en_US") == "KWD1.005"  # as Babel does
    assert format_money(Money.of("1234.50", "HUF"), "hu_HU") == "1\xa0234,50\xa0Ft"


def test_a_us_and_a_japanese_invoice_print_their_own_formats():
    us = text_of(invoice("USD", "en_US"))
    assert contains(us, "Total $1,469.13") and contains(us, "Nov 26, 2026")
    jp = text_of(invoice("JPY", "ja_JP", rate="10", nets=("1235",)))
    # CLDR's full-width yen sign is printed as the yen sign the font has.
    assert contains(jp, "Total ¥1,359") and contains(jp, "2026/11/26")


def test_japanese_names_are_set_in_the_cjk_font_and_survive_in_the_text():
    buyer = replace(BUYER, name="山田太郎", country="JP",
                    address=Address(("東京都渋谷区1-1",), "東京", "JP"))
    pdf = render_pdf(invoice("JPY", "ja_JP", rate="10", nets=("1235",), buyer=buyer),
                     compress=False)
    assert b"HeiseiKakuGo-W5" in pdf
    text = pdf_text(pdf)
    assert "山田太郎" in text and "東京都渋谷区1-1" in text


def test_a_long_invoice_flows_onto_more_pages_with_the_header_repeated():
    text = text_of(invoice(nets=tuple(f"{n}.00" for n in range(1, 81))))
    assert "Seite 2" in text
    assert text.count("Beschreibung Menge Einzelpreis netto Netto Steuersatz Steuer "
                      "Brutto") >= 2


def test_text_that_looks_like_markup_is_printed_as_written():
    text = text_of(invoice(note="Paid <b>in full</b> & thank you", buyer=replace(
        BUYER, name="Müller & Söhne <GmbH>")))
    assert "Paid <b>in full</b> & thank you" in text
    assert "Müller & Söhne <GmbH>" in text


def test_an_invoice_renders_to_the_same_bytes_every_time():
    assert render_pdf(invoice()) == render_pdf(invoice())
    assert render_pdf(invoice()).startswith(b"%PDF-")


def test_headings_and_country_names_are_in_the_invoices_one_language():
    german = text_of(invoice())
    assert contains(german, "Niederlande") and contains(german, "Deutschland")
    assert "Netherlands" not in german and "Invoice" not in german
    french = text_of(invoice(locale="fr_FR"))
    assert contains(french, "Facture ACME-INV-000042") and contains(french, "Pays-Bas")
    english = text_of(invoice("USD", "en_US"))
    assert contains(english, "Invoice ACME-INV-000042") and contains(english, "Netherlands")
    # no Japanese headings: the country names are English like the headings
    japanese = text_of(invoice("JPY", "ja_JP", rate="10", nets=("1235",)))
    assert contains(japanese, "Invoice ACME-INV-000042") and contains(japanese, "Germany")
    assert "ドイツ" not in japanese


def test_a_line_whose_unit_net_was_rounded_shows_the_exact_computation():
    line = invoice_line("Socks", 3, Money.of("10.00", "EUR"), Money.of("1.90", "EUR"),
                        Decimal(19))
    assert line.unit_net == Money.of("3.33", "EUR")  # 3 x 3.33 is 9.99, not 10.00
    text = text_of(invoice(lines=(line,), net=line.net, tax=line.tax, gross=line.gross,
                           tax_breakdown=breakdown_by_rate((line,))))
    assert contains(text, "Socks 3 \N{MULTIPLICATION SIGN} 3,3333 EUR = 9,9999 EUR")
    assert contains(text, "gerundet auf 10,00 € 3 3,33 € 10,00 €")
    exact = text_of(invoice())
    assert "gerundet" not in exact


def test_a_replacement_invoice_names_the_invoice_it_replaces():
    text = text_of(invoice(replaces_number="ACME-INV-000041"))
    assert contains(text, "Ersetzt Rechnung ACME-INV-000041")
    assert "Ersetzt" not in text_of(invoice())


def test_an_export_invoice_prints_why_it_carries_no_tax():
    line = invoice_line("Tee", 1, Money.of("100.00", "EUR"), Money.zero("EUR"), Decimal(0))
    reason = "Export outside the EU: zero-rated (VAT Art. 146 Directive 2006/112/EC)"
    text = text_of(invoice(lines=(line,), net=line.net, tax=line.tax, gross=line.gross,
                           tax_breakdown=(TaxBreakdownLine("export", Decimal(0), line.net,
                                                           line.tax, "CH", reason),)))
    assert contains(text, reason)
