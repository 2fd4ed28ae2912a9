"""Packing: packaging types and the packing proposal.

The proposal decides, for the units of a fulfilment order that were picked and not yet
packed, how many packages to make, which packaging each gets and what goes in it, and
explains every choice. It is pure: the service loads products and packaging types and
hands them in.

Rules, in order:

1. Handling that cannot share a box goes in separate packages. Each hazmat SKU is
   packed on its own (never with other goods, never gift-wrapped) in packaging that is
   ``certified``, and the package carries the SKU's hazmat mark text. Cold-chain and
   perishable goods go together in ``insulated`` packaging (cold chain: with coolant).
   Products flagged ``oversize`` get one package per unit in ``oversize`` packaging.
   Everything else shares packages; a package with a fragile item needs ``padded``
   packaging (its other items travel padded too: one box is cheaper than two).
2. Within a group, units are placed first-fit decreasing (largest volume first): a unit
   joins the first open package for which some packaging still fits everything, unless
   the bigger packaging that needs costs more extra than a package of its own would
   (its packaging plus ``package_cost``, the carrier fee and labour of one more parcel);
   otherwise it opens a new package.
3. A packaging type fits when it satisfies every handling the package needs, each item
   fits inside it (item dimensions sorted against the box's sorted inner dimensions:
   so the largest item dimension fits the box's largest), the items' volume is at most
   ``fill_factor`` of its inner volume, and items plus the packaging's own weight stay
   within its maximum weight. Among those the cheapest wins (ties: the smaller, then
   the code).
4. A unit that fits no packaging at all ships in a package of its own, without
   packaging (its own box), and the proposal says why.
5. With no active packaging type at all, what may travel together (rule 1) shares one
   package without packaging, not marked OVERSIZE.
6. Gift wrap, when asked for, chooses among gift-wrap capable packaging; when none fits,
   the package is proposed without gift wrap and a warning says so.

OVERSIZE is the carrier's word, not the catalogue's: a package is marked OVERSIZE when
it exceeds the parcel limits of the fulfilment order's carrier service (length, length +
girth, weight; ``limits``), or holds goods flagged ``oversize`` in the catalogue. A
30x20x45 cm item that fits no box of the catalogue is just a package in its own box.

Missing product data: a unit without dimensions counts as zero volume and fits any box
(the size is not checked: a warning asks the packer to verify); a unit without weight
counts as zero grams, so the package weight is the packaging's own weight plus the known
weights and is flagged as an estimate.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ordermesh.kit.money import Money
from ordermesh.packing.marks import marks_for, notes_for

FILL_FACTOR = Decimal("0.80")
# What one more package costs beyond its packaging (carrier fee per parcel, labour), in the
# packaging's currency: fewer packages usually win over slightly cheaper packaging.
PACKAGE_COST = Decimal("5.00")


class SizeLimits(Protocol):
    """A carrier service's parcel limits (shipping's ``ParcelLimits``)."""

    def exceeded_by(self, dimensions_mm: tuple[int, int, int] | None,
                    weight_g: int | None) -> str | None: ...


class PackagingHandling(enum.StrEnum):
    """What a packaging type is made for."""

    PADDED = "padded"  # fragile goods
    CERTIFIED = "certified"  # UN-certified dangerous-goods packaging (hazmat)
    INSULATED = "insulated"  # cold chain and perishable goods
    OVERSIZE = "oversize"  # goods beyond parcel size


# Product handling flags (catalog.model.Handling values) -> the packaging they need.
REQUIRES = {
    "fragile": PackagingHandling.PADDED,
    "hazmat": PackagingHandling.CERTIFIED,
    "cold_chain": PackagingHandling.INSULATED,
    "perishable": PackagingHandling.INSULATED,
    "oversize": PackagingHandling.OVERSIZE,
}


@dataclass(frozen=True)
class PackagingType:
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_g: int
    own_weight_g: int
    cost: Money
    handling: frozenset[PackagingHandling] = frozenset()
    gift_wrap: bool = False
    material_sku: str | None = None
    active: bool = True
    id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def dims(self) -> tuple[int, int, int]:
        return tuple(sorted((self.length_mm, self.width_mm, self.height_mm)))  # type: ignore

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True)
class PackItem:
    """Units of one fulfilment-order line, with what the product says about them."""

    line_no: int
    sku: str
    name: str
    quantity: int
    dimensions_mm: tuple[int, int, int] | None = None
    weight_g: int | None = None
    handling: frozenset[str] = frozenset()
    hazmat_mark: str | None = None

    @property
    def dims(self) -> tuple[int, int, int]:
        return tuple(sorted(self.dimensions_mm)) if self.dimensions_mm else (0, 0, 0)  # type: ignore

    @property
    def volume_mm3(self) -> int:
        d = self.dims
        return d[0] * d[1] * d[2]

    @property
    def requires(self) -> frozenset[PackagingHandling]:
        return frozenset(REQUIRES[h] for h in self.handling if h in REQUIRES)


@dataclass(frozen=True)
class ProposedPackage:
    packaging: PackagingType | None  # None: ships in the item's own packaging
    lines: tuple[tuple[int, int], ...]  # (line_no, quantity)
    weight_g: int
    weight_estimated: bool
    dimensions_mm: tuple[int, int, int] | None
    requires: frozenset[PackagingHandling]
    marks: tuple[str, ...]
    notes: tuple[str, ...]
    gift_wrap: bool
    why: str
    warnings: tuple[str, ...] = ()

    @property
    def packaging_code(self) -> str | None:
        return self.packaging.code if self.packaging else None


@dataclass(frozen=True)
class Proposal:
    packages: tuple[ProposedPackage, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class _Box:
    """A package being filled: its units and running totals."""

    group: str
    requires: frozenset[PackagingHandling]
    gift_wrap: bool
    units: list[PackItem] = field(default_factory=list)
    volume: int = 0
    weight: int = 0
    bound: tuple[int, int, int] = (0, 0, 0)
    packaging: PackagingType | None = None

    def with_unit(self, item: PackItem) -> tuple[int, int, tuple[int, int, int]]:
        bound = tuple(max(a, b) for a, b in zip(self.bound, item.dims, strict=True))
        return self.volume + item.volume_mm3, self.weight + (item.weight_g or 0), bound  # type: ignore


def _refusal(t: PackagingType, needs: frozenset[PackagingHandling], gift: bool, volume: int,
             weight: int, bound: tuple[int, int, int], fill: Decimal) -> str | None:
    """Why ``t`` cannot take this content, or None when it fits."""
    if not t.active:
        return "inactive"
    if missing := needs - t.handling:
        return "not " + ", ".join(sorted(missing))
    if gift and not t.gift_wrap:
        return "no gift wrap"
    if any(b > d for b, d in zip(bound, t.dims, strict=True)):
        return (f"too small (item {'x'.join(map(str, bound))} mm, box "
                f"{'x'.join(map(str, t.dims))} mm)")
    if volume > t.volume_mm3 * fill:
        return f"too full ({_litres(volume)} of {_litres(int(t.volume_mm3 * fill))} usable)"
    if weight + t.own_weight_g > t.max_weight_g:
        return f"too heavy ({weight + t.own_weight_g} g > {t.max_weight_g} g)"
    return None


def _litres(mm3: int) -> str:
    return f"{Decimal(mm3) / Decimal(1_000_000):.2f} l"


def _by_cost(types: Iterable[PackagingType]) -> list[PackagingType]:
    return sorted(types, key=lambda t: (t.cost.amount, t.volume_mm3, t.code))


def _cheapest(types: Sequence[PackagingType], needs, gift, volume, weight, bound, fill
              ) -> PackagingType | None:
    return next((t for t in types
                 if _refusal(t, needs, gift, volume, weight, bound, fill) is None), None)


def _group(item: PackItem) -> str:
    if "hazmat" in item.handling:
        return f"hazmat:{item.sku}"
    if "oversize" in item.handling:
        return "oversize"
    if item.handling & {"cold_chain", "perishable"}:
        return "cold"
    return "general"


def _lines(units: Iterable[PackItem]) -> tuple[tuple[int, int], ...]:
    counts: dict[int, int] = {}
    for u in units:
        counts[u.line_no] = counts.get(u.line_no, 0) + 1
    return tuple(sorted(counts.items()))


def _explain(box: _Box, types: Sequence[PackagingType], fill: Decimal) -> str:
    needs = ", ".join(sorted(box.requires)) or "no special handling"
    n = len(box.units)
    content = f"{n} unit{'s' if n != 1 else ''}, {_litres(box.volume)}, {box.weight} g"
    t = box.packaging
    if t is None and not types:
        return (f"No packaging types in the catalogue: {content} ship together in their own "
                "packaging")
    if t is None:
        return (f"No packaging fits ({content}; needs {needs}; largest item "
                f"{'x'.join(map(str, box.bound))} mm): ships in its own packaging")
    cheaper = [c for c in types if (c.cost.amount, c.volume_mm3, c.code)
               < (t.cost.amount, t.volume_mm3, t.code)]
    rejected = [f"{c.code}: {_refusal(c, box.requires, box.gift_wrap, box.volume, box.weight, box.bound, fill)}"  # noqa: E501
                for c in cheaper][:4]
    why = (f"{t.code} ({t.name}, {t.cost.amount} {t.cost.currency}): the cheapest packaging "
           f"that is {needs if box.requires else 'suitable'}"
           f"{' and gift-wrap capable' if box.gift_wrap else ''} and holds {content} "
           f"(usable {_litres(int(t.volume_mm3 * fill))} at {fill:.0%} fill, max "
           f"{t.max_weight_g} g incl. {t.own_weight_g} g packaging)")
    if rejected:
        why += "; cheaper ones rejected: " + "; ".join(rejected)
    return why


def _finish(box: _Box, types: Sequence[PackagingType], fill: Decimal,
            limits: SizeLimits | None, warnings: tuple[str, ...] = (),
            why: str | None = None) -> ProposedPackage:
    t = box.packaging
    estimated = any(u.weight_g is None for u in box.units)
    weight = box.weight + (t.own_weight_g if t else 0)
    if t is not None:
        dims: tuple[int, int, int] | None = (t.length_mm, t.width_mm, t.height_mm)
    else:
        dims = box.units[0].dimensions_mm if len(box.units) == 1 else None
    why = why or _explain(box, types, fill)
    oversize = limits.exceeded_by(dims, weight) if limits is not None else None
    if oversize:
        why += f"; oversize for the carrier service ({oversize})"
    return ProposedPackage(
        packaging=t, lines=_lines(box.units), weight_g=weight, weight_estimated=estimated,
        dimensions_mm=dims, requires=box.requires,
        marks=marks_for(box.units, oversize=oversize is not None),
        notes=notes_for(box.units, box.gift_wrap), gift_wrap=box.gift_wrap,
        why=why, warnings=warnings)


def _data_warnings(items: Iterable[PackItem]) -> list[str]:
    warnings = []
    for item in items:
        if item.dimensions_mm is None:
            warnings.append(f"{item.sku}: no dimensions in the catalogue, counted as fitting "
                            "any box (size not checked: verify when packing)")
        if item.weight_g is None:
            warnings.append(f"{item.sku}: no weight in the catalogue, counted as 0 g (package "
                            "weight is an estimate: packaging plus known weights)")
    return warnings


def propose(items: Sequence[PackItem], packaging: Sequence[PackagingType], *,
            gift_wrap: bool = False, fill_factor: Decimal = FILL_FACTOR,
            package_cost: Decimal = PACKAGE_COST,
            limits: SizeLimits | None = None) -> Proposal:
    """Packages for ``items`` (see the module docstring for the rules)."""
    types = _by_cost(t for t in packaging if t.active)
    units = sorted((item for item in items for _ in range(item.quantity)),
                   key=lambda u: (-u.volume_mm3, -(u.weight_g or 0), u.line_no))
    boxes: list[_Box] = []
    warned: dict[int, str] = {}
    for unit in units:
        group = _group(unit)
        gift = gift_wrap and not group.startswith("hazmat")
        placed = False
        alone = _cheapest(types, unit.requires, gift, unit.volume_mm3, unit.weight_g or 0,
                          unit.dims, fill_factor)
        for box in boxes:
            if box.group != group or group == "oversize":
                continue
            if not types:  # no catalogue: what may travel together shares one package
                box.units.append(unit)
                box.requires = box.requires | unit.requires
                box.volume, box.weight, box.bound = box.with_unit(unit)
                placed = True
                break
            if box.packaging is None:
                continue
            needs = box.requires | unit.requires
            volume, weight, bound = box.with_unit(unit)
            choice = _cheapest(types, needs, box.gift_wrap, volume, weight, bound, fill_factor)
            # Joining may need a bigger box: worth it only if that costs no more than a
            # package of its own for this unit.
            if choice is not None and (
                    alone is None or choice.cost.amount - box.packaging.cost.amount
                    <= alone.cost.amount + package_cost):
                box.units.append(unit)
                box.requires, box.volume, box.weight, box.bound = needs, volume, weight, bound
                box.packaging = choice
                placed = True
                break
        if placed:
            continue
        box = _Box(group, unit.requires, gift)
        volume, weight, bound = box.with_unit(unit)
        choice = _cheapest(types, unit.requires, gift, volume, weight, bound, fill_factor)
        if choice is None and gift:
            choice = _cheapest(types, unit.requires, False, volume, weight, bound, fill_factor)
            if choice is not None:
                box.gift_wrap = False
                warned[id(box)] = (f"{unit.sku}: no gift-wrap capable packaging fits; "
                                   "proposed without gift wrap")
        if choice is None:
            box.gift_wrap = False
        box.units.append(unit)
        box.volume, box.weight, box.bound, box.packaging = volume, weight, bound, choice
        boxes.append(box)
    packages = tuple(_finish(b, types, fill_factor, limits,
                             (warned[id(b)],) if id(b) in warned else ()) for b in boxes)
    warnings = _data_warnings(items)
    for p in packages:
        if p.packaging is None and PackagingHandling.CERTIFIED in p.requires:
            warnings.append(f"No certified packaging fits line(s) "
                            f"{', '.join(str(no) for no, _ in p.lines)}: dangerous goods "
                            "cannot ship in their own box; add certified packaging")
    if not types:
        warnings.append("No active packaging types: units that may travel together are "
                        "proposed in one package without packaging; add packaging types "
                        "(POST /api/v1/packaging-types) for a real proposal")
    return Proposal(packages, tuple(warnings))


def check_override(packaging: PackagingType | None, content: Sequence[tuple[PackItem, int]],
                   gift_wrap: bool, fill_factor: Decimal = FILL_FACTOR,
                   limits: SizeLimits | None = None) -> ProposedPackage:
    """A package the packer chose: its weight, marks and notes, with warnings for what does
    not look right (too full, too heavy, missing padding...). Refuses (ValueError with the
    reason) only what would be unlawful to ship: hazmat with other goods or in packaging
    that is not certified."""
    units = [item for item, quantity in content for _ in range(quantity)]
    hazmat = {item.sku for item in units if "hazmat" in item.handling}
    if hazmat and len({item.sku for item in units}) > 1:
        raise ValueError(f"hazmat goods ({', '.join(sorted(hazmat))}) must be packed alone")
    if hazmat and (packaging is None or PackagingHandling.CERTIFIED not in packaging.handling):
        raise ValueError(f"hazmat goods ({', '.join(sorted(hazmat))}) need certified packaging")
    box = _Box("override", frozenset().union(*(u.requires for u in units)),
               gift_wrap and not hazmat, units=units, packaging=packaging)
    for unit in units:
        box.volume, box.weight, box.bound = box.with_unit(unit)
    warnings = []
    if packaging is not None:
        if gift_wrap and not packaging.gift_wrap:
            warnings.append(f"{packaging.code} is not gift-wrap capable")
        if reason := _refusal(packaging, box.requires, False, box.volume, box.weight,
                              box.bound, fill_factor):
            warnings.append(f"{packaging.code}: {reason}")
    why = ("Chosen by the packer" + (f": {packaging.code} ({packaging.name})" if packaging
                                     else ": no packaging (own packaging)"))
    return _finish(box, [packaging] if packaging else [], fill_factor, limits,
                   tuple(warnings), why)
