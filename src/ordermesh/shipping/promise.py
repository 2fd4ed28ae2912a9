"""The promise made at placement: which carrier service, hand-over day and delivery date.

``promise_for`` is called for every fulfilment order released (sourcing hands
fulfilment's release the function ``promises`` makes). The
carrier is the location's ``fulfilment.carrier`` (default: the built-in simulated
carrier ``sim``); the service is the location's ``carrier_service`` for standard orders
when set, otherwise the carrier's service of the requested level. Cut-offs are read in
the carrier account's ``timezone`` setting (default UTC). The date rules are in
``model.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.locations.model import Location
from ordermesh.locations.service import get_location
from ordermesh.shipping.accounts import BUILTIN_CARRIER, CarrierAccount, find_account
from ordermesh.shipping.carriers import limits_of, service_by_code, service_for_level
from ordermesh.shipping.model import (
    CarrierService,
    ParcelLimits,
    ServiceLevel,
    pickup_ready_date,
    promise_dates,
)

log = logging.getLogger("ordermesh.shipping")

PICKUP_CARRIER = "pickup"


@dataclass(frozen=True)
class Promise:
    carrier: str
    service: str
    ship_by: date
    promised_date: date


def carrier_for(uow: UnitOfWork, carrier_code: str | None) -> CarrierAccount:
    """The account of ``carrier_code`` (None: the built-in one). A location configured
    with a carrier that has no (active) account falls back to the built-in carrier, so
    that a configuration mistake never stops orders from being placed (logged)."""
    account = find_account(uow, carrier_code or BUILTIN_CARRIER)
    if account is None or not account.active:
        log.warning("carrier %r has no active account: using %r", carrier_code,
                    BUILTIN_CARRIER)
        account = find_account(uow, BUILTIN_CARRIER)
        assert account is not None
    return account


def parcel_limits_for(uow: UnitOfWork, carrier_code: str | None,
                      service_code: str | None) -> ParcelLimits:
    """The parcel limits of a fulfilment order's carrier and service: packing marks a
    package OVERSIZE beyond them."""
    code = carrier_code if carrier_code != PICKUP_CARRIER else None
    return limits_of(carrier_for(uow, code).adapter(), service_code)


def promises(uow: UnitOfWork) -> Callable[[Location, dict | None, str, str, datetime], Promise]:
    """``promise_for`` as one release uses it: ``(location, destination, service_level,
    kind, now) -> Promise``, reading each carrier account once."""
    accounts: dict[str | None, CarrierAccount] = {}

    def promise(location: Location, destination: dict | None, service_level: str,
                kind: str, now: datetime) -> Promise:
        code = location.fulfilment.carrier
        if code not in accounts:
            accounts[code] = carrier_for(uow, code)
        return promise_for(uow, location.id, destination, service_level, kind, now,
                           location, accounts[code])

    return promise


def choose_service(account: CarrierAccount, service_level: str,
                   default_service: str | None) -> CarrierService:
    adapter = account.adapter()
    if default_service and service_level == ServiceLevel.STANDARD:
        try:
            return service_by_code(adapter, default_service)
        except InvalidInput:
            log.warning("carrier %r has no service %r", account.code, default_service)
    return service_for_level(adapter, service_level)


def promise_for(uow: UnitOfWork, location_id: str, destination: dict | None,
                service_level: str, kind: str, now: datetime,
                location: Location | None = None,
                account: CarrierAccount | None = None) -> Promise:
    """Promise for a fulfilment order released ``now`` at ``location_id``.

    ``kind`` "ship": carrier, service, ``ship_by`` (hand-over day) and the promised
    delivery date. ``kind`` "pickup": carrier and service "pickup", and the day the
    order is ready to collect in both dates. ``destination`` is the shipping address
    (unused by the simulated carrier's promise; kept for adapters with zone-dependent
    transit times)."""
    location = location or get_location(uow, location_id)  # the caller's, when it has it
    settings = location.fulfilment
    level = service_level or ServiceLevel.STANDARD
    if level not in ServiceLevel.__members__.values():
        raise InvalidInput.for_field("service_level", f"Unknown service level '{level}'")
    account = account or carrier_for(uow, settings.carrier)  # the caller's, when it has it
    adapter = account.adapter()
    if kind == "pickup":
        service = service_for_level(adapter, ServiceLevel.STANDARD)
        ready = pickup_ready_date(adapter.calendar, service.cutoff, now,
                                  settings.processing_days)
        return Promise(PICKUP_CARRIER, PICKUP_CARRIER, ready, ready)
    if kind != "ship":
        raise InvalidInput.for_field("kind", f"Unknown fulfilment kind '{kind}'")
    service = choose_service(account, level, settings.carrier_service)
    dates = promise_dates(adapter.calendar, service, now, settings.processing_days)
    return Promise(account.code, service.code, dates.ship_by, dates.promised_date)
