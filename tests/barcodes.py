"""Reads Code 128 barcodes back out of a PDF page drawn by reportlab.

No barcode scanner (zbar) is installed, so the bars are the filled rectangles of the page
content: their widths and the gaps between them are turned into module widths and looked
up in the Code 128 symbol table below (ISO/IEC 15417, typed in from the standard, not
taken from reportlab).
"""

import re

# Code 128 symbol values 0..106 as bar/space module widths (ISO/IEC 15417, table 1).
PATTERNS = re.findall(r"\d+", """
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232
122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122
321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311
211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113
213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422
121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111
241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121
412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412
211214 211232 2331112
""")
SYMBOL = {p: v for v, p in enumerate(PATTERNS)}
assert len(SYMBOL) == 107 and all(sum(map(int, p)) == 11 for p in PATTERNS[:-1])
START_B, START_C, FNC1, CODE_B, CODE_C, STOP = 104, 105, 102, 100, 99, 106

def bars_in(pdf: bytes, height: float) -> list[tuple[float, float]]:
    """(x, width) of the filled rectangles of this height, left to right."""
    text = pdf.decode("latin-1")
    found = [(float(x), float(w)) for x, _, w, h in re.findall(
        r"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re", text) if float(h) == height]
    return sorted(found)


def decode_code128(bars: list[tuple[float, float]]) -> tuple[list[int], str]:
    """Symbol values and the text (FNC1 as '\\xf1') of a Code 128 symbol drawn as bars."""
    widths = []
    for i, (x, w) in enumerate(bars):
        widths.append(w)
        if i + 1 < len(bars):
            widths.append(bars[i + 1][0] - (x + w))
    module = min(widths)
    modules = [round(w / module) for w in widths]
    assert sum(modules) % 11 == 2  # n symbols of 11 modules and a 13-module stop
    values, i = [], 0
    while i < len(modules):
        size = 7 if len(modules) - i == 7 else 6
        values.append(SYMBOL["".join(map(str, modules[i:i + size]))])
        i += size
    assert values[-1] == STOP
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:-2], 1))) % 103
    assert values[-2] == check, "Code 128 check symbol"
    text, mode = "", values[0]
    for v in values[1:-2]:
        if v == FNC1:
            text += "\xf1"
        elif v in (CODE_B, CODE_C) and not (mode == START_C and v == CODE_C):
            mode = START_B if v == CODE_B else START_C
        elif mode == START_C:
            text += f"{v:02d}"
        else:
            text += chr(v + 32)
    return values, text


def page_content(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (Flate, optionally ASCII85 first) inflated, so
    that ``bars_in`` can read the page content of a compressed PDF."""
    import base64
    import zlib

    def inflate(match: re.Match) -> bytes:
        filters, data = match.group(1), match.group(2)
        if b"FlateDecode" not in filters:
            return match.group(0)
        if b"ASCII85Decode" in filters:
            data = base64.a85decode(data.strip().removesuffix(b"~>"))
        return match.group(1) + b"stream\n" + zlib.decompress(data) + b"\nendstream"

    return re.sub(rb"(<<[^>]*>>\s*)stream\r?\n(.*?)\r?\n?endstream", inflate, pdf,
                  flags=re.DOTALL)
