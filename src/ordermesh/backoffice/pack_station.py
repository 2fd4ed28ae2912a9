"""The pack station's parcel being filled: what was scanned into it, and whether a scan fits.

The parcel lives in the page's address (``?parcel=1:2,3:1``, line number and units) and
in the forms' hidden fields, not in the database: nothing is recorded until the packer
closes the parcel, and then ``packing.service.pack`` checks it again against what is
picked and not yet packed. A reload, a second tablet or the back button cannot record a
unit twice; an abandoned parcel leaves nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ordermesh.kit.errors import InvalidInput

MAX_UNITS_PER_SCAN = 999
MAX_LINES = 500
_PAIR = re.compile(r"^(\d{1,6}):(\d{1,6})$")
OWN_PACKAGING = "-"  # in forms and addresses: no packaging, the goods' own box


@dataclass(frozen=True)
class StationLine:
    """A fulfilment-order line at the station."""

    line_no: int
    sku: str
    name: str
    open: int  # units this FO still has to send
    packed: int  # in closed parcels
    to_pack: int  # picked and not yet packed
    in_parcel: int  # scanned into the parcel being filled
    marks: tuple[str, ...] = ()  # what a package of it carries on its label
    notes: tuple[str, ...] = ()  # what the packer must do that packaging alone does not

    @property
    def left(self) -> int:
        """Units still to scan into this parcel or a later one."""
        return self.to_pack - self.in_parcel


def parse_parcel(raw: str) -> dict[int, int]:
    """``"1:2,3:1"`` as ``{1: 2, 3: 1}``; anything else is bad input."""
    raw = raw.strip()
    if not raw:
        return {}
    parcel: dict[int, int] = {}
    pairs = raw.split(",")
    if len(pairs) > MAX_LINES:
        raise InvalidInput.for_field("parcel", f"a parcel holds at most {MAX_LINES} lines")
    for pair in pairs:
        found = _PAIR.match(pair.strip())
        if found is None or int(found[2]) == 0:
            raise InvalidInput.for_field(
                "parcel", f"'{pair[:20]}' is not a line and a number of units (like 1:2)")
        line_no = int(found[1])
        parcel[line_no] = parcel.get(line_no, 0) + int(found[2])
    return parcel


def encode_parcel(parcel: dict[int, int]) -> str:
    return ",".join(f"{no}:{q}" for no, q in sorted(parcel.items()) if q > 0)


def parse_quantity(raw: str) -> int:
    raw = raw.strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_UNITS_PER_SCAN:
        raise InvalidInput.for_field(
            "quantity", f"the units of this item: a whole number from 1 to {MAX_UNITS_PER_SCAN}")
    return int(raw)


def scan_into(lines: list[StationLine], parcel: dict[int, int], code: str, quantity: int,
              fo_number: str) -> dict[int, int]:
    """The parcel with ``quantity`` units of the item scanned or typed as ``code`` (its
    SKU, any case) added. A SKU on two lines fills the first with room. Refused with a
    message for the packer: an item that is not on this fulfilment order, or more units
    than were picked and are not yet packed."""
    code = code.strip()
    if not code:
        raise InvalidInput.for_field("code", "scan an item's barcode or type its SKU")
    matching = [ln for ln in lines if ln.sku.casefold() == code.casefold()]
    if not matching:
        skus = ", ".join(dict.fromkeys(ln.sku for ln in lines if ln.left > 0)) or "nothing"
        raise InvalidInput.for_field(
            "code", f"Wrong item: '{code[:60]}' is not on {fo_number}. Put it aside; this "
            f"order still needs {skus}.", "wrong_item")
    room = sum(ln.left for ln in matching)
    if quantity > room:
        sku = matching[0].sku
        to_pack = sum(ln.to_pack for ln in matching)
        packed = sum(ln.packed for ln in matching)
        where = (f"{to_pack} picked and not yet packed, {to_pack - room} of them already in "
                 "this parcel")
        if packed:
            where += f"; {packed} packed in earlier parcels"
        raise InvalidInput.for_field(
            "code", f"Too many: {quantity} more unit(s) of {sku} do not fit this order "
            f"({where}). Put {'it' if quantity == 1 else 'them'} back.", "too_many")
    added = dict(parcel)
    for ln in matching:
        take = min(ln.left, quantity)
        if take:
            added[ln.line_no] = added.get(ln.line_no, 0) + take
            quantity -= take
    return added
