"""A seller's tax registrations: read and replace (``/api/v1/tax/registrations``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.http.schemas import AmountOut
from ordermesh.invoices.entities import legal_entity
from ordermesh.kit.db import UnitOfWork
from ordermesh.tax.model import EU_MEMBERS, Place
from ordermesh.tax.registering import distance_sales, registrations_of, set_registrations
from ordermesh.tax.registrations import EU_THRESHOLD_EUR, MAX_REGISTRATIONS, Registrations

router = APIRouter(prefix="/api/v1/tax/registrations", tags=["tax"])

EntityCode = Annotated[str, Path(description="Legal entity code (or id)")]
Jurisdiction = Annotated[str, Field(pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
                                    examples=["CH", "US-CA"])]


class DistanceSalesOut(BaseModel):
    year: int
    this_year: AmountOut = Field(description="Net EUR of cross-border B2C sales to other EU "
                                 "member states this calendar year (refunds taken off)")
    last_year: AmountOut
    threshold: AmountOut = Field(description="EUR 10,000, EU-wide per calendar year")
    passed: bool = Field(description="Above the threshold this or last year: distance "
                         "sales carry the destination's VAT (OSS)")


class RegistrationsOut(BaseModel):
    legal_entity: str = Field(description="The legal entity's code")
    home: str = Field(description="Its own country (or US/CA/IN state or province): always "
                      "registered")
    registrations: list[str] = Field(
        description="Every jurisdiction it collects tax in, home included; a sale "
        "elsewhere is an export, zero-rated")
    oss: bool = Field(description="Opted into the EU One-Stop-Shop: every EU distance "
                      "sale carries the destination's VAT")
    eu_distance_sales: DistanceSalesOut | None = Field(
        description="For sellers in the EU; null otherwise")


class RegistrationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    registrations: list[Jurisdiction] = Field(
        max_length=MAX_REGISTRATIONS, description="Where it is registered besides home: "
        "countries ('CH', 'GB') and, in the US, Canada and India, states or provinces "
        "('US-CA', 'CA-QC', 'IN-KA'; 'US' alone means every state)")
    oss: bool = Field(False, description="EU One-Stop-Shop opt-in")


def _out(uow: UnitOfWork, code: str, regs: Registrations) -> RegistrationsOut:
    sales = None
    if regs.home.country in EU_MEMBERS:
        entity = legal_entity(uow, code)
        found = distance_sales(uow, entity.id, regs.home.country, uow.clock.now().date())
        sales = DistanceSalesOut(year=found.year, this_year=found.this_year.amount,
                                 last_year=found.last_year.amount, threshold=EU_THRESHOLD_EUR,
                                 passed=found.passed)
    return RegistrationsOut(legal_entity=code, home=regs.home_code,
                            registrations=list(regs.all), oss=regs.oss,
                            eu_distance_sales=sales)


@router.get("/{code}", summary="Where a seller is registered for tax",
            responses={404: {"description": "No such legal entity"}})
def get_registrations(code: EntityCode, ctx: ReadContext) -> RegistrationsOut:
    """The jurisdictions the legal entity collects tax in, its OSS opt-in and, for an EU
    seller, its EU distance sales against the EUR 10,000 threshold."""
    with ctx.read_uow() as uow:
        entity = legal_entity(uow, code)
        home = Place(entity.country, entity.region)
        return _out(uow, entity.code, registrations_of(uow, entity.id, home))


@router.put("/{code}", summary="Replace where a seller is registered (admin)",
            responses={404: {"description": "No such legal entity"},
                       422: {"description": "A code that is not a country or a US/CA/IN "
                                            "state or province; nothing was changed"}})
def put_registrations(code: EntityCode, body: RegistrationsUpdate,
                      ctx: AdminContext) -> RegistrationsOut:
    """The list replaces the one before (home is always kept). Orders placed from then on
    are taxed by it; placed orders keep their tax. Records
    `tax.registrations_changed` when anything changed."""
    def work(uow: UnitOfWork) -> RegistrationsOut:
        entity = legal_entity(uow, code, for_update=True)
        regs = set_registrations(uow, entity.id, Place(entity.country, entity.region),
                                 body.registrations, body.oss)
        return _out(uow, entity.code, regs)

    return ctx.run(work)
