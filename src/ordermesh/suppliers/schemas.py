"""Pydantic models of the suppliers API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.schemas import (
    CODE_PATTERN,
    SKU_PATTERN,
    AddressIn,
    CurrencyCode,
    Identifier,
    IsoDate,
    MoneyIn,
    MoneyOut,
)
from ordermesh.suppliers.model import (
    Address,
    Certification,
    Contact,
    PriceBreak,
    Supplier,
    SupplierKind,
    SupplierProduct,
    SupplierStatus,
)

Tag = Annotated[str, Field(min_length=1, max_length=60, examples=["organic-cotton"])]
Days = Annotated[int, Field(strict=True, ge=0, le=730)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(None, max_length=100, examples=["sales"])
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=40)


class CertificationIn(_Body):
    name: str = Field(min_length=1, max_length=100, examples=["GOTS"])
    expires_on: IsoDate | None = None


class SupplierFields(_Body):
    name: str = Field(min_length=1, max_length=200)
    kind: SupplierKind = SupplierKind.GOODS
    status: SupplierStatus = SupplierStatus.ACTIVE
    currency: CurrencyCode
    payment_terms: str | None = Field(None, max_length=100, examples=["30 days net"])
    incoterm: str | None = Field(None, pattern=r"^[A-Z]{3}$", examples=["FOB"])
    lead_time_days: Days | None = Field(None, description="Promised days from order to "
                                        "arrival, unless a product says otherwise")
    lead_time_variability_days: Days | None = Field(None, description="Usual deviation")
    minimum_order: MoneyIn | None = Field(None, description="Least value of one purchase "
                                          "order, in the supplier's currency")
    tags: list[Tag] = Field(default_factory=list, max_length=50,
                            description="Specialisations and strengths, searchable")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=10,
                                       description="The first is searched by country")
    certifications: list[CertificationIn] = Field(default_factory=list, max_length=30)
    terms: str | None = Field(None, max_length=10_000)


class SupplierCreate(SupplierFields):
    code: str = Field(pattern=CODE_PATTERN, examples=["LINEN-CO"])


class SupplierPatch(_Body):
    """Only the fields sent change; `null` clears an optional field."""

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: SupplierKind | None = None
    status: SupplierStatus | None = Field(None, description="`blocked` stops new purchase "
                                          "orders; `on_hold` stops sending them")
    currency: CurrencyCode | None = None
    payment_terms: str | None = Field(None, max_length=100)
    incoterm: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    lead_time_days: Days | None = None
    lead_time_variability_days: Days | None = None
    minimum_order: MoneyIn | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    contacts: list[ContactIn] | None = Field(None, max_length=20)
    addresses: list[AddressIn] | None = Field(None, max_length=10)
    certifications: list[CertificationIn] | None = Field(None, max_length=30)
    terms: str | None = Field(None, max_length=10_000)

    def changes(self) -> dict:
        sent = self.model_fields_set
        values = {k: getattr(self, k) for k in sent}
        for key in ("name", "kind", "status", "currency", "tags", "contacts", "addresses",
                    "certifications"):
            if key in values and values[key] is None:
                values.pop(key)  # required on a supplier: null means "leave as is"
        return convert(values)


def convert(values: dict) -> dict:
    """API values as the domain's."""
    out = dict(values)
    if "minimum_order" in out:
        m = out["minimum_order"]
        out["minimum_order"] = m.to_money("minimum_order.amount") if m else None
    if "contacts" in out:
        out["contacts"] = tuple(Contact(**c.model_dump()) for c in out["contacts"])
    if "addresses" in out:
        out["addresses"] = tuple(Address(**a.model_dump()) for a in out["addresses"])
    if "certifications" in out:
        out["certifications"] = tuple(Certification(c.name, c.expires_on)
                                      for c in out["certifications"])
    if "tags" in out:
        out["tags"] = tuple(out["tags"])
    return out


class CertificationRead(BaseModel):
    name: str
    expires_on: date | None
    valid: bool = Field(description="Not expired today")


class SupplierRead(BaseModel):
    id: str
    code: str
    name: str
    kind: SupplierKind
    status: SupplierStatus
    currency: str
    payment_terms: str | None
    incoterm: str | None
    lead_time_days: int | None
    lead_time_variability_days: int | None
    minimum_order: MoneyOut | None
    tags: list[str]
    contacts: list[ContactIn]
    addresses: list[AddressIn]
    certifications: list[CertificationRead]
    terms: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Supplier, today: date) -> SupplierRead:
        return cls(
            id=s.id, code=s.code, name=s.name, kind=s.kind, status=s.status,
            currency=s.currency, payment_terms=s.payment_terms, incoterm=s.incoterm,
            lead_time_days=s.lead_time_days,
            lead_time_variability_days=s.lead_time_variability_days,
            minimum_order=MoneyOut.of(s.minimum_order) if s.minimum_order else None,
            tags=list(s.tags),
            contacts=[ContactIn(**{k: v for k, v in vars(c).items()}) for c in s.contacts],
            addresses=[AddressIn(**vars(a)) for a in s.addresses],
            certifications=[CertificationRead(name=c.name, expires_on=c.expires_on,
                                              valid=c.valid_on(today))
                            for c in s.certifications],
            terms=s.terms, created_at=s.created_at, updated_at=s.updated_at)


class SupplierPage(BaseModel):
    items: list[SupplierRead]
    next_cursor: str | None


class SupplierPriceIn(_Body):
    cost: MoneyIn = Field(description="Unit cost, in the supplier's currency")
    min_quantity: int = Field(1, strict=True, ge=1, le=1_000_000,
                              description="From this many units per order (quantity break)")
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class SupplierProductIn(_Body):
    supplier_sku: Identifier | None = Field(None, max_length=64)
    pack_size: int = Field(1, strict=True, ge=1, le=100_000,
                           description="Units per pack: orders are whole packs")
    moq: int = Field(0, strict=True, ge=0, le=1_000_000, description="Minimum order quantity")
    lead_time_days: Days | None = Field(None, description="Promised lead time of this product")
    preferred: bool = Field(False, description="The product's one preferred supplier")
    prices: list[SupplierPriceIn] = Field(default_factory=list, max_length=50)

    def to_offer(self, sku: str) -> SupplierProduct:
        return SupplierProduct(
            supplier_id="", product_id="", sku=sku, supplier_sku=self.supplier_sku,
            pack_size=self.pack_size, moq=self.moq, lead_time_days=self.lead_time_days,
            preferred=self.preferred,
            prices=tuple(PriceBreak(p.cost.to_money(f"prices.{i}.cost.amount"),
                                    p.min_quantity, p.valid_from, p.valid_to)
                         for i, p in enumerate(self.prices)))


class PriceRead(BaseModel):
    cost: MoneyOut
    min_quantity: int
    valid_from: date | None
    valid_to: date | None


class SupplierProductRead(BaseModel):
    supplier_id: str
    sku: str
    product_id: str
    supplier_sku: str | None
    pack_size: int
    moq: int
    lead_time_days: int | None
    preferred: bool
    prices: list[PriceRead]

    @classmethod
    def of(cls, o: SupplierProduct) -> SupplierProductRead:
        return cls(supplier_id=o.supplier_id, sku=o.sku, product_id=o.product_id,
                   supplier_sku=o.supplier_sku, pack_size=o.pack_size, moq=o.moq,
                   lead_time_days=o.lead_time_days, preferred=o.preferred,
                   prices=[PriceRead(cost=MoneyOut.of(p.cost), min_quantity=p.min_quantity,
                                     valid_from=p.valid_from, valid_to=p.valid_to)
                           for p in o.prices])


SkuPath = Annotated[str, Field(pattern=SKU_PATTERN)]
