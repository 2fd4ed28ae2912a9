"""The demo's packing set-up: a packaging catalogue and SSCC numbering, so that the demo's
fulfilment orders can be packed, labelled and shipped (with the built-in simulated
carrier) straight away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.packing.catalogue import create_packaging_type
from ordermesh.packing.model import PackagingHandling as H
from ordermesh.packing.model import PackagingType
from ordermesh.packing.sscc import put_settings

# GS1 reserves prefixes starting 0 for restricted circulation; 0614141 is the prefix GS1
# uses in its own examples, so demo labels never carry a real company's number.
DEMO_COMPANY_PREFIX = "0614141"

# code, name, inner mm (l, w, h), max gross g, own g, cost EUR, handling, gift wrap
PACKAGING = [
    ("MAILER", "Cardboard mailer", (250, 180, 40), 2000, 60, "0.25", (), False),
    ("BOX-S", "Box S", (250, 200, 150), 10000, 200, "0.60", (), False),
    ("BOX-M", "Box M", (400, 300, 250), 20000, 380, "0.95", (), False),
    ("BOX-L", "Box L", (600, 400, 400), 30000, 700, "1.60", (), False),
    ("PAD-M", "Padded box M", (400, 300, 300), 15000, 450, "1.60", (H.PADDED,), False),
    ("GIFT-M", "Gift box M", (350, 250, 150), 8000, 350, "2.40", (H.PADDED,), True),
    ("COLD-M", "Insulated box M with coolant", (350, 250, 250), 12000, 900, "4.90",
     (H.INSULATED,), False),
    ("UN-4G", "UN 4G certified box", (300, 200, 200), 25000, 500, "3.20", (H.CERTIFIED,),
     False),
    ("CRATE-XL", "Wooden crate XL", (1200, 800, 800), 70000, 9000, "18.00", (H.OVERSIZE,),
     False),
]


def set_up_packing(uow_at: Callable[[datetime], UnitOfWork], at: datetime) -> int:
    """Creates the catalogue and the SSCC settings; returns how many packaging types."""
    for code, name, (length, width, height), max_g, own_g, cost, handling, gift in PACKAGING:
        with uow_at(at) as uow:
            create_packaging_type(uow, PackagingType(
                code, name, length, width, height, max_g, own_g, Money.of(cost, "EUR"),
                frozenset(handling), gift))
    with uow_at(at) as uow:
        put_settings(uow, 0, DEMO_COMPANY_PREFIX)
    return len(PACKAGING)
