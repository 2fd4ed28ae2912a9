"""Return policies per channel, and the reason taxonomy (data, not code)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, insert, select

from ordermesh.channels.service import find_channel, get_channel
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import upsert
from ordermesh.returns.model import (
    SELLER_FAULT_REASONS,
    ExchangeReserve,
    RefundRelease,
    Resolution,
    ReturnFees,
    ReturnPolicy,
)
from ordermesh.returns.tables import return_policies, return_reasons


def policy_for(uow: UnitOfWork, channel_id: str) -> ReturnPolicy:
    """The channel's stored policy, or the default one."""
    row = uow.execute(select(return_policies)
                      .where(return_policies.c.channel_id == channel_id)).first()
    if row is None:
        return ReturnPolicy()
    return ReturnPolicy(
        window_days=row.window_days,
        final_sale_categories=tuple(row.final_sale_categories),
        resolutions=tuple(Resolution(r) for r in row.resolutions),
        auto_authorise=row.auto_authorise,
        returnless_below=Decimal(row.returnless_below) if row.returnless_below is not None
        else None,
        fees=ReturnFees(
            return_shipping=None if row.return_shipping_fee is None
            else Money.of(row.return_shipping_fee, get_channel(uow, channel_id).currency).amount,
            restocking_percent=None if row.restocking_fee_percent is None
            else row.restocking_fee_percent.normalize(),
            free_reasons=tuple(row.fee_free_reasons) if row.fee_free_reasons is not None
            else SELLER_FAULT_REASONS),
        refund_release=RefundRelease(row.refund_release),
        exchange_reserve=ExchangeReserve(row.exchange_reserve))


def _amount(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else str(Money.of(value, currency).amount)


def policy_json(channel_code: str, currency: str, policy: ReturnPolicy, stored: bool) -> dict:
    fees = policy.fees
    return {"channel": channel_code, "stored": stored, "window_days": policy.window_days,
            "final_sale_categories": list(policy.final_sale_categories),
            "resolutions": [r.value for r in policy.resolutions],
            "auto_authorise": policy.auto_authorise,
            "returnless_below": _amount(policy.returnless_below, currency),
            "return_shipping_fee": _amount(fees.return_shipping, currency),
            "restocking_fee_percent": None if fees.restocking_percent is None
            else f"{fees.restocking_percent:f}",
            "fee_free_reasons": list(fees.free_reasons),
            "refund_release": policy.refund_release.value,
            "exchange_reserve": policy.exchange_reserve.value,
            "currency": currency}


def _check_fees(uow: UnitOfWork, fees: ReturnFees, currency: str) -> None:
    if fees.return_shipping is not None:
        Money.exact(fees.return_shipping, currency, "return_shipping_fee")
        if fees.return_shipping <= 0:
            raise InvalidInput.for_field("return_shipping_fee", "must be more than zero")
    percent = fees.restocking_percent
    if percent is not None and not (0 < percent <= 100 and percent == round(percent, 2)):
        raise InvalidInput.for_field("restocking_fee_percent",
                                     "a percentage above 0, at most 100, two decimals at most")
    if unknown := sorted(set(fees.free_reasons) - reason_codes(uow)):
        raise InvalidInput.for_field("fee_free_reasons", f"{', '.join(unknown)}: not a return "
                                     "reason (GET /api/v1/return-reasons)", "unknown_reason")


def get_policy(uow: UnitOfWork, channel_ref: str) -> dict:
    channel = find_channel(uow, channel_ref)
    stored = uow.execute(select(func.count()).select_from(return_policies).where(
        return_policies.c.channel_id == channel.id)).scalar_one() > 0
    return policy_json(channel.code, channel.currency, policy_for(uow, channel.id), stored)


def set_policy(uow: UnitOfWork, channel_ref: str, policy: ReturnPolicy) -> dict:
    """Replace the channel's return policy. Commits."""
    channel = find_channel(uow, channel_ref)
    if policy.returnless_below is not None:
        Money.exact(policy.returnless_below, channel.currency, "returnless_below")
        if policy.returnless_below <= 0:
            raise InvalidInput.for_field("returnless_below", "must be more than zero")
    _check_fees(uow, policy.fees, channel.currency)
    fees = policy.fees
    uow.execute(upsert(uow, return_policies, ["channel_id"], {
        "channel_id": channel.id, "window_days": policy.window_days,
        "final_sale_categories": sorted(set(policy.final_sale_categories)),
        "resolutions": [r.value for r in policy.resolutions],
        "auto_authorise": policy.auto_authorise, "returnless_below": policy.returnless_below,
        "return_shipping_fee": fees.return_shipping,
        "restocking_fee_percent": fees.restocking_percent,
        "fee_free_reasons": list(dict.fromkeys(fees.free_reasons)),
        "refund_release": policy.refund_release.value,
        "exchange_reserve": policy.exchange_reserve.value,
        "updated_at": uow.clock.now()},
        ["window_days", "final_sale_categories", "resolutions", "auto_authorise",
         "returnless_below", "return_shipping_fee", "restocking_fee_percent",
         "fee_free_reasons", "refund_release", "exchange_reserve", "updated_at"]))
    result = policy_json(channel.code, channel.currency, policy_for(uow, channel.id), True)
    record_event(uow, "return.policy_set", "channel", channel.id, result)
    uow.commit()
    return result


def list_reasons(uow: UnitOfWork) -> list[dict]:
    rows = uow.execute(select(return_reasons).order_by(return_reasons.c.position,
                                                       return_reasons.c.code))
    return [{"code": r.code, "label": r.label} for r in rows]


def reason_codes(uow: UnitOfWork) -> set[str]:
    return set(uow.execute(select(return_reasons.c.code)).scalars())


def add_reason(uow: UnitOfWork, code: str, label: str) -> dict:
    """A new return reason, listed after the others. Commits."""
    if code in reason_codes(uow):
        raise Conflict(f"The return reason {code!r} exists already")
    position = uow.execute(select(func.coalesce(func.max(return_reasons.c.position), 0))
                           ).scalar_one() + 1
    uow.execute(insert(return_reasons).values(code=code, label=label, position=position))
    record_event(uow, "return.reason_added", "return_reason", code,
                 {"code": code, "label": label})
    uow.commit()
    return {"code": code, "label": label}
