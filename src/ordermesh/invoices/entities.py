"""Legal entities (the sellers who issue invoices) and their invoice series.

A legal entity's tax registration (country, region, VAT id, other tax ids) is fixed once
it is created; its name, address, e-mail and locale may change. Issued invoices are not
affected by a change: each keeps the seller snapshot it was issued with.

Every legal entity has one active series per kind (invoice, credit note). Making a new
series active (a new year's prefix, say) takes the legal entity's row lock first, so two
concurrent switches cannot both leave a series active.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import insert, select, update

from ordermesh.invoices.identifiers import (
    check_country,
    check_locale,
    check_region,
    normalise_vat_id,
)
from ordermesh.invoices.model import Address, InvoiceKind, InvoiceSeries, LegalEntity
from ordermesh.invoices.records import address_json, legal_entity_of, series_of
from ordermesh.invoices.tables import invoice_series, legal_entities
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning

PREFIX_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,48}[A-Za-z_.\-]$"
_PREFIX = re.compile(PREFIX_PATTERN)
DEFAULT_PREFIXES = {InvoiceKind.INVOICE: "{code}-INV-", InvoiceKind.CREDIT_NOTE: "{code}-CN-"}
MAX_TAX_IDS = 10
UPDATABLE = frozenset({"name", "address", "email", "locale"})


@dataclass(frozen=True)
class CreateLegalEntity:
    code: str
    name: str
    address: Address
    country: str
    locale: str
    region: str | None = None
    vat_id: str | None = None
    tax_ids: dict[str, str] = field(default_factory=dict)
    email: str | None = None
    invoice_prefix: str | None = None  # default "{code}-INV-"
    credit_note_prefix: str | None = None  # default "{code}-CN-"


def check_prefix(prefix: str, field_name: str = "prefix") -> str:
    """Letters, digits, '-', '_' and '.', ending in something other than a digit, so that a
    number reads back unambiguously as prefix + sequence (``INV-2026-000042``)."""
    if not _PREFIX.match(prefix):
        raise InvalidInput.for_field(
            field_name, f"'{prefix}' is not a series prefix: 2 to 50 letters, digits, '-', '_' "
            "or '.', not ending in a digit (e.g. 'INV-2026-')", "invalid_prefix")
    return prefix


def check_address(address: Address, field_name: str = "address") -> Address:
    problems = []
    if not 1 <= len(address.lines) <= 4 or any(
            not ln.strip() or len(ln) > 200 for ln in address.lines):
        problems.append(("lines", "one to four non-empty lines of at most 200 characters"))
    if not address.city.strip() or len(address.city) > 100:
        problems.append(("city", "1 to 100 characters"))
    if address.postal_code is not None and len(address.postal_code) > 20:
        problems.append(("postal_code", "at most 20 characters"))
    if address.region is not None and len(address.region) > 100:
        problems.append(("region", "at most 100 characters"))
    if problems:
        name, message = problems[0]
        raise InvalidInput.for_field(f"{field_name}.{name}", message)
    check_country(address.country, f"{field_name}.country")
    return address


def _check_tax_ids(tax_ids: Mapping[str, str]) -> dict[str, str]:
    if len(tax_ids) > MAX_TAX_IDS:
        raise InvalidInput.for_field("tax_ids", f"at most {MAX_TAX_IDS} other tax ids")
    for name, value in tax_ids.items():
        if not 1 <= len(name.strip()) <= 40 or not 1 <= len(value.strip()) <= 60:
            raise InvalidInput.for_field(
                f"tax_ids.{name}", "names have 1 to 40 characters, values 1 to 60")
    return {name.strip(): value.strip() for name, value in tax_ids.items()}


def create_legal_entity(
    uow: UnitOfWork, cmd: CreateLegalEntity, idem: idempotency.IdempotencyKey | None = None
) -> LegalEntity:
    """Creates the legal entity with an active invoice and credit-note series."""
    if prior := idempotency.claim(uow, idem):
        return legal_entity(uow, prior.resource_id)
    check_country(cmd.country)
    prefixes = {
        InvoiceKind.INVOICE: check_prefix(
            cmd.invoice_prefix or DEFAULT_PREFIXES[InvoiceKind.INVOICE].format(code=cmd.code),
            "invoice_prefix"),
        InvoiceKind.CREDIT_NOTE: check_prefix(
            cmd.credit_note_prefix
            or DEFAULT_PREFIXES[InvoiceKind.CREDIT_NOTE].format(code=cmd.code),
            "credit_note_prefix"),
    }
    if prefixes[InvoiceKind.INVOICE] == prefixes[InvoiceKind.CREDIT_NOTE]:
        raise InvalidInput.for_field("credit_note_prefix", "invoices and credit notes need "
                                     "different prefixes: they never share a number")
    now = uow.clock.now()
    entity = LegalEntity(
        id=new_id("le"), code=cmd.code, name=cmd.name.strip(),
        address=check_address(cmd.address), country=cmd.country,
        region=check_region(cmd.country, cmd.region),
        vat_id=normalise_vat_id(cmd.country, cmd.vat_id) if cmd.vat_id else None,
        tax_ids=_check_tax_ids(cmd.tax_ids), email=cmd.email, locale=check_locale(cmd.locale),
        created_at=now, updated_at=now)
    inserted = insert_ignore_returning(uow, legal_entities, ("code",), "id", {
        "id": entity.id, "code": entity.code, "name": entity.name,
        "address": address_json(entity.address), "country": entity.country,
        "region": entity.region, "vat_id": entity.vat_id, "tax_ids": entity.tax_ids,
        "email": entity.email, "locale": entity.locale, "created_at": now, "updated_at": now})
    if inserted is None:
        raise Conflict(f"A legal entity with code '{cmd.code}' already exists")
    uow.execute(insert(invoice_series), [
        {"id": new_id("ser"), "legal_entity_id": entity.id, "kind": kind.value,
         "prefix": prefix, "next_number": 1, "active": True, "created_at": now}
        for kind, prefix in prefixes.items()])
    record_event(uow, "legal_entity.created", "legal_entity", entity.id, {
        "code": entity.code, "country": entity.country, "region": entity.region,
        "vat_id": entity.vat_id,
        "series": {kind.value: prefix for kind, prefix in prefixes.items()}})
    idempotency.complete(uow, idem, "legal_entity", entity.id, 201)
    uow.commit()
    return entity


def update_legal_entity(uow: UnitOfWork, entity_id_or_code: str,
                        changes: Mapping[str, Any]) -> LegalEntity:
    """Changes name, address, email and/or locale (``changes`` holds only those given;
    ``email`` may be None to remove it). Records ``legal_entity.updated`` when anything
    changed."""
    if unknown := sorted(set(changes) - UPDATABLE):
        raise InvalidInput.for_field(unknown[0], "cannot be changed once the legal entity "
                                     "exists (only name, address, email and locale can)")
    for required in ("name", "address", "locale"):
        if required in changes and changes[required] is None:
            raise InvalidInput.for_field(required, "cannot be removed", "missing")
    entity = legal_entity(uow, entity_id_or_code, for_update=True)
    wanted: dict[str, Any] = {}
    if "name" in changes:
        if not changes["name"].strip():
            raise InvalidInput.for_field("name", "must not be empty", "missing")
        wanted["name"] = changes["name"].strip()
    if "address" in changes:
        wanted["address"] = check_address(changes["address"])
    if "email" in changes:
        wanted["email"] = changes["email"]
    if "locale" in changes:
        wanted["locale"] = check_locale(changes["locale"])
    changed = sorted(k for k, v in wanted.items() if getattr(entity, k) != v)
    if not changed:
        return entity
    updated = replace(entity, **{k: wanted[k] for k in changed}, updated_at=uow.clock.now())
    values = {k: address_json(wanted[k]) if k == "address" else wanted[k] for k in changed}
    uow.execute(update(legal_entities).where(legal_entities.c.id == entity.id)
                .values(**values, updated_at=updated.updated_at))
    record_event(uow, "legal_entity.updated", "legal_entity", entity.id,
                 {"code": entity.code, "changed": changed})
    uow.commit()
    return updated


def legal_entity(uow: UnitOfWork, entity_id_or_code: str, *,
                 for_update: bool = False) -> LegalEntity:
    """A legal entity by id or code; NotFound otherwise."""
    for column in (legal_entities.c.id, legal_entities.c.code):
        query = select(legal_entities).where(column == entity_id_or_code)
        row = uow.execute(query.with_for_update() if for_update else query).first()
        if row is not None:
            return legal_entity_of(row)
    raise NotFound(f"Legal entity '{entity_id_or_code}' does not exist")


def list_legal_entities(uow: UnitOfWork) -> list[LegalEntity]:
    return [legal_entity_of(r) for r in
            uow.execute(select(legal_entities).order_by(legal_entities.c.code))]


def series_of_entity(uow: UnitOfWork, entity_id: str, *,
                     active_only: bool = False) -> list[InvoiceSeries]:
    s = invoice_series.c
    query = select(invoice_series).where(s.legal_entity_id == entity_id)
    if active_only:
        query = query.where(s.active)
    return [series_of(r) for r in uow.execute(query.order_by(s.kind, s.created_at, s.prefix))]


def active_series(uow: UnitOfWork, entity_ids: list[str]) -> dict[str, list[InvoiceSeries]]:
    """The active series of each legal entity, for listings."""
    s = invoice_series.c
    found: dict[str, list[InvoiceSeries]] = {entity_id: [] for entity_id in entity_ids}
    if entity_ids:
        for row in uow.execute(select(invoice_series).where(
                s.legal_entity_id.in_(entity_ids), s.active).order_by(s.kind)):
            found[row.legal_entity_id].append(series_of(row))
    return found


def start_series(
    uow: UnitOfWork, entity_id_or_code: str, kind: InvoiceKind, prefix: str,
    first_number: int = 1, idem: idempotency.IdempotencyKey | None = None,
) -> InvoiceSeries:
    """Makes a new series the active one for ``kind`` (the one before stays readable, its
    numbers stay taken). A prefix the legal entity has used before is refused: a series
    never restarts, so a number is never issued twice."""
    entity = legal_entity(uow, entity_id_or_code, for_update=True)
    if prior := idempotency.claim(uow, idem):
        return next(x for x in series_of_entity(uow, entity.id) if x.id == prior.resource_id)
    check_prefix(prefix)
    if not 1 <= first_number <= 10**12:
        raise InvalidInput.for_field("first_number", "must be from 1 to 10^12")
    s = invoice_series.c
    if uow.execute(select(s.id).where(s.legal_entity_id == entity.id,
                                      s.prefix == prefix)).first():
        raise Conflict(f"Legal entity '{entity.code}' already has a series with prefix "
                       f"'{prefix}'; a series is never restarted, choose a new prefix")
    before = uow.execute(
        update(invoice_series).where(s.legal_entity_id == entity.id, s.kind == kind.value,
                                     s.active)
        .values(active=False).returning(s.prefix)).scalar()
    series = InvoiceSeries(id=new_id("ser"), legal_entity_id=entity.id, kind=kind,
                           prefix=prefix, next_number=first_number, active=True,
                           created_at=uow.clock.now())
    uow.execute(insert(invoice_series).values(
        id=series.id, legal_entity_id=entity.id, kind=kind.value, prefix=prefix,
        next_number=first_number, active=True, created_at=series.created_at))
    record_event(uow, "invoice_series.activated", "legal_entity", entity.id, {
        "code": entity.code, "kind": kind.value, "prefix": prefix,
        "first_number": first_number, "replaces_prefix": before})
    idempotency.complete(uow, idem, "invoice_series", series.id, 201)
    uow.commit()
    return series
