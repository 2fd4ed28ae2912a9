"""Requesting and deciding a return, with the units it brings back expected in stock,
one unit of work each.

An authorised return (at once by the channel's policy, or by an operator) expects its
units back as supply of kind ``return`` (``inventory.return_supply``): availability
shows them as ``returns_expected`` and never promises them. Each line is expected at
the location its units shipped from (the fulfilment location that shipped most of the
order line); a line whose units left no fulfilment order behind is expected nowhere. A
returnless return brings nothing back and expects nothing. Receiving settles the
supply (``flows.returns_receiving``); cancelling, and resolving a return before all its
units came back, withdraw the rest.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.inventory.return_supply import (
    ReturningUnits,
    expect_returned_units,
    withdraw_returned_units,
)
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import RequestReturn, record_decision, record_request

S = ReturnStatus


def _origins(uow: UnitOfWork, order_id: str) -> dict[int, str]:
    """Order line -> code of the location that shipped most of its units."""
    shipped: dict[int, Counter] = defaultdict(Counter)
    for fo in fulfilment_for_order(uow, order_id):
        for line in fo.lines:
            if line.shipped_quantity:
                shipped[line.line_no][fo.location_code] += line.shipped_quantity
    return {no: counts.most_common(1)[0][0] for no, counts in shipped.items()}


def expect_return(uow: UnitOfWork, ret: dict) -> None:
    """The authorised return's units are expected back where they shipped from."""
    if ret["returnless"]:
        return
    origins = _origins(uow, ret["order_id"])
    units = [ReturningUnits(ln["sku"], origins[ln["order_line_no"]], ln["quantity"])
             for ln in ret["lines"] if ln["order_line_no"] in origins]
    expect_returned_units(uow, ret["id"], units, uow.clock.now().date())


def request_return(uow: UnitOfWork, cmd: RequestReturn,
                   idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Request a return (``returns.service.record_request``); when the policy authorises
    it at once its units are expected. Commits."""
    return_id, created = record_request(uow, cmd, idem)
    ret = get_return(uow, return_id)
    if created and ret["status"] == S.AUTHORISED:
        expect_return(uow, ret)
    uow.commit()
    return get_return(uow, return_id)


def decide(uow: UnitOfWork, return_id: str, target: ReturnStatus, reason: str | None) -> dict:
    """Authorise (its units are expected), reject or cancel (what was expected is
    withdrawn) a return. Commits."""
    decided = record_decision(uow, return_id, target, reason)
    if target is S.AUTHORISED:
        expect_return(uow, get_return(uow, decided))
    else:
        withdraw_returned_units(uow, decided)
    uow.commit()
    return get_return(uow, decided)
