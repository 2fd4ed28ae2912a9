"""The words printed on an invoice, in the document's language.

A document is in one language: its headings and the country names in its addresses
(Babel's CLDR names) are both in the locale's language when ordermesh has the headings
in it, and both in English otherwise.
"""

from __future__ import annotations

from babel import Locale

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice", "credit_note": "Credit note", "number": "Number",
        "date": "Date", "tax_point": "Tax point", "order": "Order", "corrects": "Corrects",
        "credit_for": "Credit note for invoice {number}", "replaces": "Replaces",
        "replaces_line": "Replaces invoice {number}", "seller": "Seller", "bill_to": "Bill to",
        "vat_id": "VAT ID", "description": "Description", "qty": "Qty",
        "unit_net": "Unit net", "net": "Net", "tax_rate": "Tax rate", "tax": "Tax",
        "gross": "Gross", "sku": "SKU", "tax_breakdown": "Tax breakdown", "rate": "Rate",
        "taxable": "Taxable amount", "no_tax": "No tax", "net_total": "Net total",
        "tax_total": "Tax total", "total": "Total", "credit_total": "Credit total",
        "page": "Page",
        "rounding": "{qty} \N{MULTIPLICATION SIGN} {unit} = {exact}, rounded to {net}",
        "reverse_charge": "Reverse charge: VAT to be accounted for by the recipient "
                          "(Article 196, Directive 2006/112/EC)",
        "payment_line": "Payment: {status}. Method: {methods}.", "due_by": "Due by {date}.",
        "no_method": "None yet",
    },
    "de": {
        "invoice": "Rechnung", "credit_note": "Gutschrift", "number": "Nummer",
        "date": "Datum", "tax_point": "Leistungsdatum", "order": "Bestellung",
        "corrects": "Korrigiert", "credit_for": "Gutschrift zu Rechnung {number}",
        "replaces": "Ersetzt", "replaces_line": "Ersetzt Rechnung {number}",
        "seller": "Verkäufer", "bill_to": "Rechnungsempfänger", "vat_id": "USt-IdNr.",
        "description": "Beschreibung", "qty": "Menge", "unit_net": "Einzelpreis netto",
        "net": "Netto", "tax_rate": "Steuersatz", "tax": "Steuer", "gross": "Brutto",
        "sku": "Art.-Nr.", "tax_breakdown": "Steueraufstellung", "rate": "Satz",
        "taxable": "Bemessungsgrundlage", "no_tax": "Keine Steuer",
        "net_total": "Summe netto", "tax_total": "Summe Steuer", "total": "Gesamtbetrag",
        "credit_total": "Gutschriftsbetrag", "page": "Seite",
        "rounding": "{qty} \N{MULTIPLICATION SIGN} {unit} = {exact}, gerundet auf {net}",
        "reverse_charge": "Steuerschuldnerschaft des Leistungsempfängers "
                          "(Artikel 196, Richtlinie 2006/112/EG)",
        "payment_line": "Zahlung: {status}. Zahlungsart: {methods}.",
        "due_by": "Fällig bis {date}.", "no_method": "noch keine",
    },
    "fr": {
        "invoice": "Facture", "credit_note": "Avoir", "number": "Numéro", "date": "Date",
        "tax_point": "Date de livraison", "order": "Commande", "corrects": "Corrige",
        "credit_for": "Avoir sur la facture {number}", "replaces": "Remplace",
        "replaces_line": "Remplace la facture {number}", "seller": "Vendeur",
        "bill_to": "Facturé à", "vat_id": "N° TVA", "description": "Désignation",
        "qty": "Qté", "unit_net": "Prix unitaire HT", "net": "HT", "tax_rate": "Taux TVA",
        "tax": "TVA", "gross": "TTC", "sku": "Réf.", "tax_breakdown": "Détail des taxes",
        "rate": "Taux", "taxable": "Base imposable", "no_tax": "Aucune taxe",
        "net_total": "Total HT", "tax_total": "Total TVA", "total": "Total TTC",
        "credit_total": "Total de l'avoir", "page": "Page",
        "rounding": "{qty} \N{MULTIPLICATION SIGN} {unit} = {exact}, arrondi à {net}",
        "reverse_charge": "Autoliquidation : TVA due par le preneur "
                          "(article 196, directive 2006/112/CE)",
        "payment_line": "Paiement : {status}. Mode : {methods}.",
        "due_by": "À payer avant le {date}.", "no_method": "aucun pour l'instant",
    },
}


# An order's payment status and the methods of its payments, as printed.
PAYMENT_WORDS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "en": ({"unpaid": "Not paid", "authorised": "Authorised, not yet collected",
            "partly_paid": "Partly paid", "paid": "Paid", "partly_refunded": "Partly refunded",
            "refunded": "Refunded"},
           {"card": "Card", "cash_on_delivery": "Cash on delivery",
            "bank_transfer": "Bank transfer", "cash": "Cash", "other": "Other",
            "invoice_terms": "On account (invoice terms)", "store_credit": "Store credit"}),
    "de": ({"unpaid": "nicht bezahlt", "authorised": "autorisiert, noch nicht eingezogen",
            "partly_paid": "teilweise bezahlt", "paid": "bezahlt",
            "partly_refunded": "teilweise erstattet", "refunded": "erstattet"},
           {"card": "Karte", "cash_on_delivery": "Nachnahme",
            "bank_transfer": "Überweisung", "cash": "bar", "other": "sonstige",
            "invoice_terms": "auf Rechnung", "store_credit": "Guthaben"}),
    "fr": ({"unpaid": "non payé", "authorised": "autorisé, pas encore encaissé",
            "partly_paid": "payé en partie", "paid": "payé",
            "partly_refunded": "remboursé en partie", "refunded": "remboursé"},
           {"card": "carte", "cash_on_delivery": "contre-remboursement",
            "bank_transfer": "virement", "cash": "espèces", "other": "autre",
            "invoice_terms": "sur facture (à terme)", "store_credit": "avoir"}),
}


def language(locale: str) -> str:
    """The language a document in ``locale`` is printed in: the locale's own when the
    headings exist in it, else English."""
    lang = Locale.parse(locale).language
    return lang if lang in LABELS else "en"


def labels(locale: str) -> dict[str, str]:
    return LABELS[language(locale)]


def country_name(code: str, locale: str) -> str:
    """The country's name in the document's language (CLDR via Babel)."""
    return Locale.parse(language(locale)).territories.get(code, code)


def payment_words(locale: str) -> tuple[dict[str, str], dict[str, str]]:
    """The printed names of payment statuses and methods in the document's language."""
    return PAYMENT_WORDS[language(locale)]
