"""Changing a customer's profile: contact preferences, notes and tags, structured
treatment preferences, the address book and the identities they use."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete, insert, select, update

from ordermesh.channels.service import channel_by_code
from ordermesh.customers import identities as ids
from ordermesh.customers.model import Customer, identity_of
from ordermesh.customers.service import get_customer, lock_customer
from ordermesh.customers.tables import customer_addresses, customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

PROFILE_FIELDS = ("name", "language", "locale", "preferred_channel", "preferred_contact",
                  "contact_hours", "notes", "tags", "preferences")


def _check_locale(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise InvalidInput.for_field(field, f"Unknown {field} '{value}'", "unknown_locale"
                                     ) from None
    return parsed.language if field == "language" else str(parsed)


def update_profile(uow: UnitOfWork, customer_id: str, changes: dict[str, Any]) -> Customer:
    """Set the given profile fields (a field given as null is cleared); writes
    ``customer.updated`` naming the fields that changed, nothing when none did."""
    current = lock_customer(uow, customer_id)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput.for_field(sorted(unknown)[0], "not a profile field", "unknown_field")
    values = dict(changes)
    for field in ("language", "locale"):
        if field in values:
            values[field] = _check_locale(field, values[field])
    if values.get("preferred_channel") is not None:
        channel_by_code(uow, values["preferred_channel"], "preferred_channel")
    hours = values.get("contact_hours")
    if hours and hours.get("time_zone"):
        try:
            ZoneInfo(hours["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput.for_field("contact_hours.time_zone", f"Unknown time zone "
                                         f"'{hours['time_zone']}'", "unknown_time_zone"
                                         ) from None
    if "tags" in values:
        values["tags"] = sorted(set(values["tags"] or []))
    if "preferences" in values:
        values["preferences"] = values["preferences"] or {}
    changed = sorted(k for k, v in values.items() if getattr(current, k) != v)
    if not changed:
        return current
    uow.execute(update(customers).where(customers.c.id == customer_id).values(
        **{k: values[k] for k in changed}, updated_at=uow.clock.now(),
        version=customers.c.version + 1))
    record_event(uow, "customer.updated", "customer", customer_id, {"changed": changed})
    return get_customer(uow, customer_id)


def addresses_of(db: Any, customer_ids: list[str]) -> list[dict]:
    t = customer_addresses
    rows = db.execute(select(t).where(t.c.customer_id.in_(customer_ids))
                      .order_by(t.c.created_at, t.c.id))
    return [{"id": r.id, "customer_id": r.customer_id, "label": r.label,
             "address": r.address, "is_default": bool(r.is_default),
             "created_at": as_utc(r.created_at)} for r in rows]


def add_address(uow: UnitOfWork, customer_id: str, address: dict, label: str | None,
                is_default: bool) -> dict:
    lock_customer(uow, customer_id)
    t = customer_addresses
    if is_default:
        uow.execute(update(t).where(t.c.customer_id == customer_id).values(is_default=0))
    address_id = new_id("adr")
    uow.execute(insert(t).values(id=address_id, customer_id=customer_id, label=label,
                                 address=address, is_default=int(is_default),
                                 created_at=uow.clock.now()))
    record_event(uow, "customer.updated", "customer", customer_id,
                 {"changed": ["addresses"], "address_id": address_id})
    return next(a for a in addresses_of(uow, [customer_id]) if a["id"] == address_id)


def remove_address(uow: UnitOfWork, customer_id: str, address_id: str) -> None:
    lock_customer(uow, customer_id)
    t = customer_addresses
    gone = uow.execute(delete(t).where(t.c.id == address_id, t.c.customer_id == customer_id))
    if gone.rowcount == 0:
        raise NotFound(f"Customer '{customer_id}' has no address '{address_id}'")
    record_event(uow, "customer.updated", "customer", customer_id,
                 {"changed": ["addresses"], "address_id": address_id})


def add_identity(uow: UnitOfWork, customer_id: str, kind: str, value: str,
                 channel: str | None) -> dict:
    """An identity the customer uses (a second e-mail, a marketplace buyer id); one that
    belongs to another customer is a conflict: merge them instead."""
    lock_customer(uow, customer_id)
    if channel is not None:
        channel_by_code(uow, channel, "channel")
    identity = identity_of(kind, value, channel)
    ids.add_identity(uow, customer_id, identity, "api")
    record_event(uow, "customer.updated", "customer", customer_id,
                 {"changed": ["identities"], "added": [identity.kind.value]})
    return next(i for i in ids.identities_of(uow, [customer_id])
                if (i["kind"], i["channel"] or "", i["value"])
                == (identity.kind.value, identity.channel, identity.value))


def remove_identity(uow: UnitOfWork, customer_id: str, identity_id: str) -> None:
    lock_customer(uow, customer_id)
    removed = ids.remove_identity(uow, customer_id, identity_id)
    if removed is None:
        raise NotFound(f"Customer '{customer_id}' has no identity '{identity_id}'")
    record_event(uow, "customer.updated", "customer", customer_id,
                 {"changed": ["identities"], "removed": [removed["kind"]]})
