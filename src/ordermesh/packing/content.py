"""What goes into packages: fulfilment-order lines as packable items (with what the
catalogue says about them), and the packer's own packages checked against them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ordermesh.catalog.service import get_product
from ordermesh.fulfilment.model import FulfilmentOrder
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import FieldError, InvalidInput, NotFound
from ordermesh.packing.catalogue import get_packaging_type, marks_for_skus
from ordermesh.packing.model import (
    PackagingType,
    PackItem,
    ProposedPackage,
    SizeLimits,
    check_override,
)


@dataclass(frozen=True)
class PackSpec:
    """One package as the packer wants it: packaging code (None: no packaging, the goods'
    own box) and units per line."""

    packaging_code: str | None
    lines: dict[int, int]


def items_for(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int]) -> dict[int, PackItem]:
    by_line = {ln.line_no: ln for ln in fo.lines}
    products = {no: get_product(uow, by_line[no].product_id) for no in units}
    marks = marks_for_skus(uow, {p.sku for p in products.values()
                                 if any(h.value == "hazmat" for h in p.handling)})
    items = {}
    for no, quantity in units.items():
        p = products[no]
        dims = p.dimensions
        items[no] = PackItem(
            line_no=no, sku=p.sku, name=p.name, quantity=quantity,
            dimensions_mm=(dims.length_mm, dims.width_mm, dims.height_mm) if dims else None,
            weight_g=p.weight_grams, handling=frozenset(h.value for h in p.handling),
            hazmat_mark=marks.get(p.sku))
    return items


def check_request(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                   specs: list[PackSpec], gift_wrap: bool,
                   limits: SizeLimits | None = None) -> list[ProposedPackage]:
    """The packer's packages, checked: known lines, known packaging, no more than picked
    and not yet packed per line. Bad input: InvalidInput naming each field."""
    errors: list[FieldError] = []
    lines_on_fo = {ln.line_no for ln in fo.lines}
    totals: Counter[int] = Counter()
    types: dict[str, PackagingType] = {}
    for i, spec in enumerate(specs):
        if spec.packaging_code is not None and spec.packaging_code not in types:
            try:
                types[spec.packaging_code] = get_packaging_type(uow, spec.packaging_code)
            except NotFound:
                errors.append(FieldError(f"packages.{i}.packaging_code",
                                         f"Unknown packaging type '{spec.packaging_code}'",
                                         "unknown_packaging"))
        for no, quantity in spec.lines.items():
            if no not in lines_on_fo:
                errors.append(FieldError(f"packages.{i}.lines",
                                         f"Fulfilment order {fo.number} has no line {no}",
                                         "unknown_line"))
            totals[no] += quantity
    for no, total in sorted(totals.items()):
        if no in lines_on_fo and total > units.get(no, 0):
            errors.append(FieldError(
                "packages", f"Line {no}: {total} unit(s) to pack but only {units.get(no, 0)} "
                "picked and not yet packed", "more_than_picked"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), errors=errors)
    items = items_for(uow, fo, dict(totals))
    checked = []
    for i, spec in enumerate(specs):
        t = types.get(spec.packaging_code) if spec.packaging_code else None
        try:
            content = [(items[no], q) for no, q in sorted(spec.lines.items())]
            checked.append(check_override(t, content, gift_wrap, limits=limits))
        except ValueError as exc:
            raise InvalidInput.for_field(f"packages.{i}", str(exc), "handling") from None
    return checked
