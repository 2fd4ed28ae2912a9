"""What a package's label and packing instructions say, from the handling of its items.

Marks go on the label in a fixed order (FRAGILE, hazmat texts, KEEP COLD, PERISHABLE,
OVERSIZE); notes tell the packer what the packaging alone does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ordermesh.packing.model import PackItem

DEFAULT_HAZMAT_MARK = "DANGEROUS GOODS - see shipping documents"
COOLANT_NOTE = "Add coolant (gel packs) before closing: cold-chain goods"


def marks_for(items: Iterable[PackItem], oversize: bool = False) -> tuple[str, ...]:
    """Handling marks a package's label carries, in a fixed order. ``oversize``: the
    package exceeds its carrier service's parcel limits."""
    items = list(items)
    handling: set[str] = set().union(*(i.handling for i in items))
    marks: list[str] = []
    if "fragile" in handling:
        marks += ["FRAGILE", "THIS WAY UP"]
    for item in items:
        if "hazmat" in item.handling:
            mark = item.hazmat_mark or DEFAULT_HAZMAT_MARK
            if mark not in marks:
                marks.append(mark)
    if handling & {"cold_chain", "perishable"}:
        marks.append("KEEP COLD")
    if "perishable" in handling:
        marks.append("PERISHABLE")
    if oversize or "oversize" in handling:
        marks.append("OVERSIZE")
    return tuple(marks)


def notes_for(items: Iterable[PackItem], gift_wrap: bool) -> tuple[str, ...]:
    handling: set[str] = set().union(*(i.handling for i in items))
    notes = []
    if "hazmat" in handling:
        notes.append("Dangerous goods: certified packaging, nothing else in this package")
    if "cold_chain" in handling:
        notes.append(COOLANT_NOTE)
    if "high_value" in handling:
        notes.append("High value: plain packaging, no content description outside")
    if gift_wrap:
        notes.append("Gift wrap")
    return tuple(notes)
