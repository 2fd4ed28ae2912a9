"""What the customers feature holds about a person, for an export, and its erasure.

Orders, invoices and tax records are not this feature's: the flow in
``flows/customer_privacy.py`` adds them to an export and keeps them through an erasure."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import delete, update

from ordermesh.customers import identities as ids
from ordermesh.customers.consent import entries_of
from ordermesh.customers.merging import audit, audit_of, merges_of
from ordermesh.customers.profile import addresses_of
from ordermesh.customers.service import get_customer, lock_customer
from ordermesh.customers.tables import (
    customer_addresses,
    customer_consents,
    customer_identities,
    customers,
)
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event, redact_payloads

# Personal data that customer events carried (customer.created names the e-mail).
EVENT_KEYS = ("email",)


def customer_data(db: Any, customer_id: str) -> dict:
    """Everything this feature holds about the person: each customer record of the merge
    group, identities, addresses, the consent ledger, merges and the audit trail."""
    group = ids.group_of(db, customer_id)
    return {
        "customers": [asdict(get_customer(db, member)) for member in group],
        "identities": ids.identities_of(db, group),
        "addresses": addresses_of(db, group),
        "consents": [asdict(e) for e in entries_of(db, group)],
        "merges": merges_of(db, group),
        "audit": audit_of(db, group),
    }


def record_export(uow: UnitOfWork, customer_id: str, group: list[str], orders: int) -> None:
    detail = {"customers": group, "orders": orders}
    audit(uow, customer_id, "exported", detail)
    record_event(uow, "customer.exported", "customer", customer_id, detail)


def lock_group(uow: UnitOfWork, customer_id: str) -> list[str]:
    """Lock every customer record of the person, in id order; the group's ids."""
    group = ids.group_of(uow, customer_id)
    for member in sorted(group):
        lock_customer(uow, member)
    return group


def erase(uow: UnitOfWork, customer_id: str, reason: str) -> list[str]:
    """Anonymise every customer record of the person: contact data, profile, identities,
    addresses and consent proofs are removed; the records stay (orders point at them) and
    so does the consent ledger without its proofs. Returns the group's ids."""
    group = lock_group(uow, customer_id)
    now = uow.clock.now()
    uow.execute(update(customers).where(customers.c.id.in_(group)).values(
        email=None, phone=None, name=None, language=None, locale=None,
        preferred_channel=None, preferred_contact=None, contact_hours=None, notes=None,
        tags=[], preferences={}, erased_at=now, updated_at=now,
        version=customers.c.version + 1))
    uow.execute(delete(customer_identities).where(customer_identities.c.customer_id.in_(group)))
    uow.execute(delete(customer_addresses).where(customer_addresses.c.customer_id.in_(group)))
    uow.execute(update(customer_consents).where(customer_consents.c.customer_id.in_(group))
                .values(proof=None))
    redacted = redact_payloads(uow, "customer", group, EVENT_KEYS)
    detail = {"customers": group, "reason": reason, "events_redacted": redacted}
    audit(uow, customer_id, "erased", detail)
    record_event(uow, "customer.erased", "customer", customer_id,
                 {"customers": group, "reason": reason})
    return group
