"""Tax rates (read and change), tax quotes for a basket, and the tax report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.http.schemas import AmountOut, CountryCode, CurrencyCode, IsoDate, MoneyString
from ordermesh.invoices.entities import legal_entity as legal_entity_of
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.money import Money
from ordermesh.tax import report, service
from ordermesh.tax.model import (
    ComponentTax,
    Place,
    PricingMode,
    TaxableLine,
    TaxClass,
    components_for,
    compute_tax,
    reverse_charge_applies,
)
from ordermesh.tax.registering import sale_rates

router = APIRouter(prefix="/api/v1/tax", tags=["tax"])

REGION = r"^[A-Z0-9]{1,3}$"
RegionCode = Annotated[str, Field(pattern=REGION, examples=["CA"],
                                  description="ISO 3166-2 subdivision code without the "
                                  "country: a US state ('CA'), Canadian province ('QC'), "
                                  "Indian state ('KA')")]
Percent = Annotated[Decimal, Field(ge=0, lt=100, max_digits=8, decimal_places=4,
                                   allow_inf_nan=False, examples=["19"])]
MAX_QUOTE_LINES = 500


class RateOut(BaseModel):
    id: str
    country: str
    region: str | None
    tax_class: TaxClass
    jurisdiction: str = Field(description="Who levies it: ISO 3166 country or subdivision")
    name: str = Field(description="VAT, GST, HST, PST, QST, IGST, Sales tax, ...")
    rate_percent: AmountOut
    valid_from: date
    valid_to: date | None = Field(description="Last day the rate applies; null: open-ended")
    source: str = Field(description="Where the rate was checked")

    @classmethod
    def of(cls, p: service.RatePeriod) -> RateOut:
        return cls(id=p.id, country=p.country, region=p.region, tax_class=p.tax_class,
                   jurisdiction=p.jurisdiction, name=p.name, rate_percent=p.rate_percent,
                   valid_from=p.valid_from, valid_to=p.valid_to, source=p.source)


class ComponentOut(BaseModel):
    jurisdiction: str
    name: str
    rate_percent: AmountOut


class ClassRates(BaseModel):
    tax_class: TaxClass
    rate_percent: AmountOut = Field(description="Sum of the components' rates")
    components: list[ComponentOut]


class ResolvedRates(BaseModel):
    country: str
    region: str | None
    on: date
    classes: list[ClassRates] = Field(
        description="What each tax class is taxed with there and then, after falling back "
        "to the next higher class where the country has no rate of its own")


class RateList(BaseModel):
    items: list[RateOut]
    resolved: ResolvedRates | None = Field(
        description="The rates an order to country/region would get on the day; null "
        "without a country, or without the region a country needs (US, CA, IN)")


class RateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: CountryCode
    region: RegionCode | None = None
    tax_class: Literal["standard", "reduced", "super_reduced"]
    name: str = Field(min_length=1, max_length=40, examples=["VAT"],
                      description="The component's name; a new name adds a component")
    jurisdiction: str | None = Field(None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
                                     description="Defaults to country or country-region")
    rate_percent: Percent
    valid_from: IsoDate = Field(description="First day of the new rate; the open-ended "
                                "period before it ends the day before")
    valid_to: IsoDate | None = Field(None, description="Last day, if the rate is temporary")
    source: str = Field(min_length=1, max_length=300,
                        description="Where the rate was published (law, tax authority)")


class RateAddedOut(BaseModel):
    rate: RateOut
    closed: RateOut | None = Field(description="The period the new one ended, if any")


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: CountryCode
    region: RegionCode | None = None


class QuoteLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=64, description="Your id for the line")
    amount: MoneyString = Field(description="What the customer pays for the line after "
                                "discounts: gross when inclusive, net when exclusive")
    tax_class: TaxClass = TaxClass.STANDARD


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    destination: PlaceIn = Field(description="Where the goods go (the shipping address)")
    origin: PlaceIn | None = Field(None, description="Where they ship from; in India the "
                                   "same state means CGST + SGST instead of IGST")
    currency: CurrencyCode
    pricing_mode: PricingMode
    tax_point: IsoDate | None = Field(None, description="Day whose rates apply; default "
                                      "today (UTC)")
    lines: list[QuoteLine] = Field(min_length=1, max_length=MAX_QUOTE_LINES)
    buyer_vat_id: str | None = Field(None, min_length=4, max_length=20,
                                     examples=["FR40303265045"],
                                     description="Business buyer's EU VAT id")
    seller_country: CountryCode | None = Field(None, description="Seller's country; with "
                                               "buyer_vat_id decides EU reverse charge")
    legal_entity: str | None = Field(
        None, max_length=40, description="The seller (code or id): its tax registrations "
        "decide as at placement (exports zero-rated, EU distance sales); its country is "
        "the seller_country")


class ComponentTaxOut(BaseModel):
    jurisdiction: str
    name: str
    rate_percent: AmountOut
    taxable: AmountOut
    tax: AmountOut
    reason_code: str | None = Field(None, description="Why it is taxed so, with a "
                                    "legal_entity: `export_outside_eu`, `not_registered`, "
                                    "`distance_sale_below_threshold`, `oss_opt_in`, "
                                    "`oss_threshold`")
    reason: str | None = Field(None, description="The same for people")

    @classmethod
    def of(cls, c: ComponentTax) -> ComponentTaxOut:
        return cls(jurisdiction=c.jurisdiction, name=c.name, rate_percent=c.rate_percent,
                   taxable=c.taxable.amount, tax=c.tax.amount,
                   reason_code=c.note.code if c.note else None,
                   reason=c.note.text if c.note else None)


class LineTaxOut(BaseModel):
    key: str
    tax_class: TaxClass
    net: AmountOut
    tax: AmountOut
    gross: AmountOut
    rate_percent: AmountOut
    components: list[ComponentTaxOut]


class QuoteOut(BaseModel):
    destination: PlaceIn
    tax_point: date
    pricing_mode: PricingMode
    currency: str
    reverse_charge: bool = Field(description="EU reverse charge: no tax is charged, the "
                                 "buyer accounts for it; invoices must say so")
    buyer_vat_id: str | None = Field(description="The VAT id in compact form")
    net: AmountOut
    tax: AmountOut
    gross: AmountOut
    lines: list[LineTaxOut]
    breakdown: list[ComponentTaxOut] = Field(description="Per jurisdiction, tax and rate")


class ReportRowOut(BaseModel):
    jurisdiction: str
    country: str
    name: str
    rate_percent: AmountOut
    currency: str
    taxable: AmountOut = Field(description="Taxable amount, net of refunds")
    tax_collected: AmountOut = Field(description="Tax of orders and edits that added tax")
    tax_refunded: AmountOut = Field(description="Tax given back, as a positive amount")
    net_tax: AmountOut = Field(description="Collected minus refunded")


class ReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    country: str | None
    legal_entity: str | None = Field(None, description="The seller reported on, if one")
    rows: list[ReportRowOut]


@router.get("/rates", summary="Tax rate periods, and what a destination pays on a day")
def list_rates(
    ctx: ReadContext,
    country: Annotated[CountryCode | None, Query(description="ISO 3166-1 alpha-2")] = None,
    region: Annotated[str | None, Query(pattern=REGION, description="ISO 3166-2 "
                                        "subdivision without the country, e.g. CA")] = None,
    on: Annotated[date | None, Query(description="Only periods in force on this day "
                                     "(default: all periods)")] = None,
) -> RateList:
    with ctx.read_uow() as uow:
        items = [RateOut.of(p) for p in service.list_rates(uow, country, region, on)]
        resolved = None
        if country:
            day = on or uow.clock.now().date()
            try:
                rates = service.rates_for(uow, Place(country, region), day, field="query")
            except InvalidInput as exc:
                if not exc.errors or exc.errors[0].code != "region_required":
                    raise
            else:
                resolved = ResolvedRates(
                    country=country, region=rates.destination.region, on=day,
                    classes=[_class_rates(rates, c) for c in TaxClass])
    return RateList(items=items, resolved=resolved)


def _class_rates(rates, tax_class: TaxClass) -> ClassRates:
    parts = components_for(rates, tax_class)
    return ClassRates(
        tax_class=tax_class, rate_percent=sum((p.rate_percent for p in parts), Decimal(0)),
        components=[ComponentOut(jurisdiction=p.jurisdiction, name=p.name,
                                 rate_percent=p.rate_percent) for p in parts])


@router.post(
    "/rates", status_code=201, summary="Add a rate period (admin)",
    responses={409: {"description": "A period of this component overlaps or follows it"},
               422: {"description": "Invalid input; nothing was changed"}},
)
def add_rate(body: RateCreate, ctx: AdminContext) -> RateAddedOut:
    """A rate that applies from `valid_from` for one component of a tax class in a country
    (or region). The component's open-ended period ends the day before. Records
    `tax.rate_added`. Retries are safe with an `Idempotency-Key`."""
    cmd = service.NewRate(
        country=body.country, region=body.region, tax_class=TaxClass(body.tax_class),
        name=body.name, jurisdiction=body.jurisdiction, rate_percent=body.rate_percent,
        valid_from=body.valid_from, valid_to=body.valid_to, source=body.source)
    idem = ctx.idempotency(body)
    added = ctx.run(lambda uow: service.add_rate(uow, cmd, idem))
    return RateAddedOut(rate=RateOut.of(added.rate),
                        closed=RateOut.of(added.closed) if added.closed else None)


@router.post("/quote", summary="Compute the tax of a basket",
             responses={422: {"description": "Unknown country or region, invalid VAT id, "
                                             "amounts that do not fit the currency"}})
def quote(body: QuoteRequest, ctx: ReadContext) -> QuoteOut:
    """For storefronts and checkouts: the tax per line, per rate and in total, exactly as
    an order placed now would get it. Changes nothing."""
    lines = [TaxableLine(ln.key, Money.exact(ln.amount, body.currency, f"lines.{i}.amount"),
                         ln.tax_class) for i, ln in enumerate(body.lines)]
    destination = Place(body.destination.country, body.destination.region)
    origin = Place(body.origin.country, body.origin.region) if body.origin else None
    vat_id = (service.normalise_vat_id(body.buyer_vat_id, destination.country)
              if body.buyer_vat_id else None)
    with ctx.read_uow() as uow:
        day = body.tax_point or uow.clock.now().date()
        seller = _seller(uow, body.legal_entity) if body.legal_entity else None
        seller_place = (Place(seller.country, seller.region) if seller
                        else Place(body.seller_country) if body.seller_country else None)
        reverse = seller_place is not None and reverse_charge_applies(
            seller_place, destination, vat_id)
        if seller is not None:
            rates, destination = sale_rates(uow, seller.id, seller_place, destination, day,
                                  origin or seller_place, reverse_charge=reverse,
                                  field="destination")
        else:
            rates = service.rates_for(uow, destination, day, origin, field="destination")
            destination = rates.destination
    result = compute_tax(lines, rates, body.pricing_mode, reverse_charge=reverse)
    return QuoteOut(
        destination=PlaceIn(country=destination.country, region=destination.region),
        tax_point=day, pricing_mode=body.pricing_mode, currency=body.currency,
        reverse_charge=result.reverse_charge, buyer_vat_id=vat_id,
        net=result.net.amount, tax=result.tax.amount, gross=result.gross.amount,
        lines=[LineTaxOut(key=t.key, tax_class=t.tax_class, net=t.net.amount,
                          tax=t.tax.amount, gross=t.gross.amount, rate_percent=t.rate_percent,
                          components=[ComponentTaxOut.of(c) for c in t.components])
               for t in result.lines],
        breakdown=[ComponentTaxOut.of(c) for c in result.breakdown])


def _seller(uow, code: str):
    try:
        return legal_entity_of(uow, code)
    except NotFound as exc:
        raise InvalidInput.for_field("legal_entity", exc.detail,
                                     "unknown_legal_entity") from exc


@router.get("/report", summary="Tax collected and refunded per jurisdiction and period")
def tax_report(
    ctx: ReadContext,
    date_from: Annotated[date, Query(alias="from", description="First tax point day")],
    date_to: Annotated[date, Query(alias="to", description="Last tax point day (included)")],
    country: Annotated[CountryCode | None, Query(description="Only this country")] = None,
    legal_entity: Annotated[str | None, Query(max_length=40, description="Only the sales "
                                              "of this legal entity (code or id)")] = None,
) -> ReportOut:
    """Sums the tax ledger (every order, edit, refund and cancellation booked with its tax
    point) per jurisdiction, tax name, rate and currency. Exports appear as `export`
    rows (rate 0) of the destination; an EU distance sale below the threshold is in the
    seller's own country's VAT."""
    with ctx.read_uow() as uow:
        entity_id = None
        if legal_entity:
            try:
                entity_id = legal_entity_of(uow, legal_entity).id
            except NotFound as exc:
                raise InvalidInput.for_field("query.legal_entity", exc.detail,
                                             "unknown_legal_entity") from exc
        result = report.tax_report(uow, date_from, date_to, country, entity_id)
    return ReportOut(
        date_from=result.date_from, date_to=result.date_to, country=result.country,
        legal_entity=legal_entity,
        rows=[ReportRowOut(jurisdiction=r.jurisdiction, country=r.country, name=r.name,
                           rate_percent=r.rate_percent, currency=r.currency,
                           taxable=r.taxable.amount, tax_collected=r.collected.amount,
                           tax_refunded=r.refunded.amount, net_tax=r.net_tax.amount)
              for r in result.rows])
