"""Request and response bodies of the packing API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN, MoneyIn, MoneyOut
from ordermesh.packing.model import PackagingHandling, PackagingType, ProposedPackage
from ordermesh.packing.service import MAX_PACKAGES, Package, PackResult
from ordermesh.packing.sscc import SsccSettings

MAX_MM = 100_000
MAX_G = 10_000_000


class PackagingTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN, examples=["BOX-M"])
    name: str = Field(min_length=1, max_length=200)
    length_mm: int = Field(gt=0, le=MAX_MM, description="Inner length")
    width_mm: int = Field(gt=0, le=MAX_MM, description="Inner width")
    height_mm: int = Field(gt=0, le=MAX_MM, description="Inner height")
    max_weight_g: int = Field(gt=0, le=MAX_G, description="Gross: contents plus packaging")
    own_weight_g: int = Field(ge=0, le=MAX_G)
    cost: MoneyIn
    handling: list[PackagingHandling] = Field(
        default_factory=list, max_length=len(PackagingHandling),
        description="What it is made for: padded (fragile), certified (hazmat), insulated "
        "(cold chain, perishable), oversize")
    gift_wrap: bool = False
    material_sku: str | None = Field(None, pattern=SKU_PATTERN, description=(
        "Catalogue SKU of the packaging material: its stock at the packing location goes "
        "down by one per package"))
    active: bool = True


class PackagingTypePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    length_mm: int | None = Field(None, gt=0, le=MAX_MM)
    width_mm: int | None = Field(None, gt=0, le=MAX_MM)
    height_mm: int | None = Field(None, gt=0, le=MAX_MM)
    max_weight_g: int | None = Field(None, gt=0, le=MAX_G)
    own_weight_g: int | None = Field(None, ge=0, le=MAX_G)
    cost: MoneyIn | None = None
    handling: list[PackagingHandling] | None = Field(None, max_length=len(PackagingHandling))
    gift_wrap: bool | None = None
    material_sku: str | None = Field(None, pattern=r"^(|[A-Za-z0-9][A-Za-z0-9_.\-]{0,63})$",
                                     description="Empty string: no material tracked")
    active: bool | None = None


class PackagingTypeOut(BaseModel):
    id: str
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_weight_g: int
    own_weight_g: int
    cost: MoneyOut
    handling: list[PackagingHandling]
    gift_wrap: bool
    material_sku: str | None
    active: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, t: PackagingType) -> PackagingTypeOut:
        return cls(id=t.id, code=t.code, name=t.name, length_mm=t.length_mm,
                   width_mm=t.width_mm, height_mm=t.height_mm, max_weight_g=t.max_weight_g,
                   own_weight_g=t.own_weight_g, cost=MoneyOut.of(t.cost),
                   handling=sorted(t.handling), gift_wrap=t.gift_wrap,
                   material_sku=t.material_sku, active=t.active, created_at=t.created_at,
                   updated_at=t.updated_at)


class PackagingTypeList(BaseModel):
    items: list[PackagingTypeOut]


class HazmatMarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mark: str = Field(min_length=1, max_length=200,
                      examples=["UN3481 Lithium ion batteries packed with equipment"])


class LineQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, strict=True)
    quantity: int = Field(gt=0, le=1_000_000, strict=True)


class ProposedPackageOut(BaseModel):
    packaging_code: str | None = Field(description="null: no packaging fits, ships in its "
                                       "own box (oversize)")
    packaging_name: str | None
    lines: list[LineQuantity]
    weight_g: int
    weight_estimated: bool
    dimensions_mm: list[int] | None
    requires: list[PackagingHandling]
    marks: list[str]
    notes: list[str]
    gift_wrap: bool
    cost: MoneyOut | None
    why: str
    warnings: list[str]

    @classmethod
    def of(cls, p: ProposedPackage) -> ProposedPackageOut:
        t = p.packaging
        return cls(packaging_code=p.packaging_code, packaging_name=t.name if t else None,
                   lines=[LineQuantity(line_no=no, quantity=q) for no, q in p.lines],
                   weight_g=p.weight_g, weight_estimated=p.weight_estimated,
                   dimensions_mm=list(p.dimensions_mm) if p.dimensions_mm else None,
                   requires=sorted(p.requires), marks=list(p.marks), notes=list(p.notes),
                   gift_wrap=p.gift_wrap, cost=MoneyOut.of(t.cost) if t else None, why=p.why,
                   warnings=list(p.warnings))


class ProposalOut(BaseModel):
    fulfilment_order_id: str
    fulfilment_order_number: str
    units_to_pack: list[LineQuantity] = Field(description="Picked and not yet packed")
    packages: list[ProposedPackageOut]
    warnings: list[str]


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packaging_code: str | None = Field(None, pattern=CODE_PATTERN,
                                       description="null: no packaging (goods' own box)")
    lines: list[LineQuantity] = Field(min_length=1, max_length=500)


class PackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[PackageIn] | None = Field(
        None, max_length=MAX_PACKAGES,
        description="Omit (or null) to pack as proposed; otherwise the packer's packages")
    gift_wrap: bool = False
    allow_packaging_shortage: bool = Field(
        False, description="Pack even when the packaging material is not in stock at the "
        "location (what is there is consumed; the shortfall is recorded on the package)")


class PackageOut(BaseModel):
    id: str
    fulfilment_order_id: str
    seq: int
    source: str = Field(description="`packed` here or `external` (reported by a 3PL)")
    sscc: str | None
    packaging_code: str | None
    weight_g: int | None
    weight_estimated: bool
    dimensions_mm: list[int] | None
    lines: list[LineQuantity]
    marks: list[str]
    notes: list[str]
    warnings: list[str]
    gift_wrap: bool
    why: str | None
    cost: MoneyOut | None
    packaging_shortfall: int
    tracking_number: str | None
    label_url: str
    created_at: datetime

    @classmethod
    def of(cls, p: Package) -> PackageOut:
        return cls(id=p.id, fulfilment_order_id=p.fulfilment_order_id, seq=p.seq,
                   source=p.source, sscc=p.sscc, packaging_code=p.packaging_code,
                   weight_g=p.weight_g, weight_estimated=p.weight_estimated,
                   dimensions_mm=list(p.dimensions_mm) if p.dimensions_mm else None,
                   lines=[LineQuantity(line_no=no, quantity=q) for no, q in p.lines],
                   marks=p.marks, notes=p.notes, warnings=p.warnings, gift_wrap=p.gift_wrap,
                   why=p.why, cost=MoneyOut.of(p.cost) if p.cost else None,
                   packaging_shortfall=p.packaging_shortfall,
                   tracking_number=p.tracking_number,
                   label_url=f"/api/v1/packages/{p.id}/label.pdf", created_at=p.created_at)


class PackOut(BaseModel):
    fulfilment_order_id: str
    fulfilment_order_status: str
    complete: bool = Field(description="Every picked unit is packed")
    packages: list[PackageOut]
    warnings: list[str]

    @classmethod
    def of(cls, r: PackResult) -> PackOut:
        return cls(fulfilment_order_id=r.fulfilment_order.id,
                   fulfilment_order_status=r.fulfilment_order.status.value,
                   complete=r.complete, packages=[PackageOut.of(p) for p in r.packages],
                   warnings=r.warnings)


class PackageList(BaseModel):
    items: list[PackageOut]


class SsccSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    company_prefix: str = Field(pattern=r"^[0-9]{7,10}$", examples=["0614141"],
                                description="GS1 company prefix, 7 to 10 digits")
    extension_digit: int = Field(0, ge=0, le=9, strict=True)
    next_serial: int | None = Field(None, ge=0, description="Only forward: serials are "
                                    "never reused")
    serial_limit: int | None = Field(None, ge=0, description="Last serial this system may "
                                     "use (default: the largest that fits)")


class SsccSettingsOut(BaseModel):
    company_prefix: str
    extension_digit: int
    next_serial: int
    last_serial: int
    remaining: int
    updated_at: datetime | None

    @classmethod
    def of(cls, s: SsccSettings) -> SsccSettingsOut:
        return cls(company_prefix=s.company_prefix, extension_digit=s.extension_digit,
                   next_serial=s.next_serial, last_serial=s.last_serial,
                   remaining=s.remaining, updated_at=s.updated_at)
