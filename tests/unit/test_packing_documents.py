"""Labels and packing slips: page size, content and barcodes that decode.

The barcodes are decoded from the label PDF itself (tests/barcodes.py).
"""

import re

from ordermesh.packing.documents import (
    LABEL_SIZE,
    LabelData,
    SlipData,
    SlipPackage,
    render_label,
    render_packing_slip,
    sscc_barcode,
)
from tests.barcodes import FNC1, START_C, STOP, bars_in, decode_code128

SSCC = "354123450000000014"


def label(**changes) -> LabelData:
    base = dict(
        sender=["Berlin warehouse", "Lagerstr. 1", "10115 Berlin", "DE"],
        recipient=["Erika Mustermann", "Musterweg 5", "80331 München", "DE"],
        carrier="simulated", service="SIM-STANDARD", service_level="standard",
        weight_g=1234, weight_estimated=False, seq=1, count=2, sscc=SSCC,
        tracking_number="SIM0000123456", reference="FO-000001-1 / order 000001",
        marks=["FRAGILE", "THIS WAY UP", "UN3481 Lithium ion batteries packed with equipment",
               "KEEP COLD"])
    return LabelData(**{**base, **changes})


def test_the_label_is_one_4_by_6_inch_page():
    pdf = render_label(label())
    assert pdf.startswith(b"%PDF")
    assert LABEL_SIZE == (288, 432)
    text = pdf.decode("latin-1")
    assert re.findall(r"MediaBox \[ 0 0 288 432 \]", text)
    assert len(re.findall(r"/Type /Page\b(?!s)", text)) == 1


def test_the_sscc_barcode_decodes_to_fnc1_ai_00_and_the_sscc():
    pdf = render_label(label(), compress=False)
    values, text = decode_code128(bars_in(pdf, 60))
    assert text == "\xf1" + "00" + SSCC  # GS1-128: FNC1, then the element string
    assert values[:2] == [START_C, FNC1]
    assert r"\(00\) 354123450000000014" in pdf.decode("latin-1")  # as printed below


def test_the_tracking_number_barcode_decodes_to_the_tracking_number():
    pdf = render_label(label(), compress=False)
    _, text = decode_code128(bars_in(pdf, 40))
    assert text == "SIM0000123456"


def test_without_a_tracking_number_only_the_sscc_barcode_is_printed():
    pdf = render_label(label(tracking_number=None), compress=False)
    assert bars_in(pdf, 40) == []
    assert bars_in(pdf, 60)


def test_the_label_shows_sender_recipient_service_weight_count_and_marks():
    text = render_label(label(), compress=False).decode("latin-1")
    for expected in ("FROM", "Berlin warehouse", "TO", "Musterweg 5", "SIMULATED",
                     "SIM-STANDARD", "1.23 kg", "Package 1 of 2", "FRAGILE", "THIS WAY UP",
                     "UN3481 Lithium ion batteries packed with equipment", "KEEP COLD"):
        assert expected in text, expected


def test_reportlab_encodes_the_sscc_as_gs1_128_symbols():
    barcode = sscc_barcode(SSCC)
    barcode.validate()
    encoded = barcode.encode()
    pairs = [int(("00" + SSCC)[i:i + 2]) for i in range(0, 20, 2)]
    body = [START_C, FNC1, *pairs]
    check = (body[0] + sum(i * v for i, v in enumerate(body[1:], 1))) % 103
    assert encoded == [*body, check, STOP]


def test_the_same_label_renders_to_the_same_bytes():
    assert render_label(label()) == render_label(label())


def test_the_packing_slip_lists_lines_and_packages():
    slip = render_packing_slip(SlipData(
        fo_number="FO-000001-1", order_number="000001",
        ship_to=["Erika Mustermann", "Musterweg 5"], ship_from=["Berlin warehouse"],
        lines=[("MUG", "Mug", 2, 2)],
        packages=[SlipPackage(1, SSCC, "BOX-S", 900, None, ["FRAGILE"],
                              [("MUG", "Mug", 2)])], gift=True))
    assert slip.startswith(b"%PDF") and len(slip) > 1000
