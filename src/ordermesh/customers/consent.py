"""Consent per purpose and medium: an append-only ledger; the current state is its newest
entry per (purpose, medium) over every record of the same person (a merge group).

``may_contact`` is what anything that contacts a customer asks first (feedback requests,
messaging). The rule: transactional messages are allowed unless the customer objected on
that medium; marketing, feedback and profiling need a current opt-in. A customer who was
erased, or does not exist, may not be contacted at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from ordermesh.channels.model import ChannelKind
from ordermesh.channels.service import channel_by_code
from ordermesh.customers.identities import group_of
from ordermesh.customers.model import (
    ConsentEntry,
    Medium,
    OptInLevel,
    Purpose,
    allows,
    current_consent,
    parse_medium,
    parse_purpose,
)
from ordermesh.customers.service import lock_customer
from ordermesh.customers.tables import customer_consents, customers
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

DIRECT = "direct"  # consent given to us, not through a sales channel (a form, the phone)


def _rows(db: Any, where) -> list[tuple[str, ConsentEntry]]:
    t = customer_consents
    rows = db.execute(select(t).where(where).order_by(t.c.seq))
    return [(r.customer_id, ConsentEntry(
        Purpose(r.purpose), Medium(r.medium), bool(r.granted),
        OptInLevel(r.level) if r.level else None, r.source_channel, r.proof,
        as_utc(r.recorded_at), r.recorded_by, r.id)) for r in rows]


def _entries(db: Any, where) -> list[ConsentEntry]:
    return [entry for _, entry in _rows(db, where)]


def entries_of(db: Any, customer_ids: list[str]) -> list[ConsentEntry]:
    return _entries(db, customer_consents.c.customer_id.in_(customer_ids))


def ledger_rows(db: Any, customer_ids: list[str]) -> list[tuple[str, ConsentEntry]]:
    """The ledger entries of many customer records in one read, oldest first, each with
    the record it was given to."""
    return _rows(db, customer_consents.c.customer_id.in_(customer_ids))


def consent_entry(db: Any, entry_id: str) -> ConsentEntry | None:
    """One ledger entry (what a retried ``POST …/consents`` answers)."""
    found = _entries(db, customer_consents.c.id == entry_id)
    return found[0] if found else None


def may_contact(conn: Connection, customer_id: str, purpose: str, medium: str) -> bool:
    """Whether the customer may be contacted for ``purpose`` by ``medium`` now.

    ``conn`` is the caller's connection (``uow.conn``), so the answer is read in the
    caller's transaction. An unknown purpose or medium is bad input (422)."""
    wanted_purpose, wanted_medium = parse_purpose(purpose), parse_medium(medium)
    erased = conn.execute(select(customers.c.erased_at)
                          .where(customers.c.id == customer_id)).first()
    if erased is None or erased.erased_at is not None:
        return False
    state = current_consent(entries_of(conn, group_of(conn, customer_id)))
    return allows(state, wanted_purpose, wanted_medium)


def consent_state(db: Any, customer_id: str) -> dict:
    """The current state of every purpose and medium, and the ledger it comes from."""
    entries = entries_of(db, group_of(db, customer_id))
    state = current_consent(entries)
    return {"current": [
        {"purpose": p.value, "medium": m.value, "allowed": allows(state, p, m),
         "since": state[(p, m)].recorded_at if (p, m) in state else None,
         "level": state[(p, m)].level if (p, m) in state and state[(p, m)].granted else None}
        for p in Purpose for m in Medium], "ledger": entries}


def record_consent(uow: UnitOfWork, customer_id: str, *, purpose: str, medium: str,
                   granted: bool, level: str | None, source_channel: str,
                   proof: dict | None) -> ConsentEntry:
    """Append an opt-in (``granted``) or a withdrawal. An opt-in names its level and a
    confirmed one its proof; marketing opt-ins cannot come through a marketplace, whose
    buyers are the marketplace's customers."""
    lock_customer(uow, customer_id)
    p, m = parse_purpose(purpose), parse_medium(medium)
    if source_channel != DIRECT:
        channel = channel_by_code(uow, source_channel, "source_channel")
        if granted and p is Purpose.MARKETING and channel.kind is ChannelKind.MARKETPLACE:
            raise InvalidInput.for_field(
                "source_channel", f"'{source_channel}' is a marketplace: its buyers cannot "
                "opt in to our marketing through it", "marketplace_marketing")
    opt_in = None
    if granted:
        if level is None:
            raise InvalidInput.for_field("level", "an opt-in names its level: single or "
                                         "confirmed", "missing")
        try:
            opt_in = OptInLevel(level)
        except ValueError:
            raise InvalidInput.for_field("level", f"Unknown opt-in level '{level}' (single "
                                         "or confirmed)", "unknown_level") from None
        if opt_in is OptInLevel.CONFIRMED and not proof:
            raise InvalidInput.for_field("proof", "a confirmed opt-in needs its proof (the "
                                         "confirmation, when and from where)", "missing")
    elif level is not None:
        raise InvalidInput.for_field("level", "a withdrawal has no opt-in level", "invalid")
    now = uow.clock.now()
    entry_id = new_id("cns")
    uow.execute(insert(customer_consents).values(
        id=entry_id, customer_id=customer_id, purpose=p.value, medium=m.value,
        granted=int(granted), level=opt_in.value if opt_in else None,
        source_channel=source_channel, proof=proof, recorded_at=now, recorded_by=uow.actor))
    record_event(uow, "customer.consent_recorded", "customer", customer_id, {
        "purpose": p.value, "medium": m.value, "granted": granted,
        "level": opt_in.value if opt_in else None, "source_channel": source_channel})
    return ConsentEntry(p, m, granted, opt_in, source_channel, proof, now, uow.actor,
                        entry_id)
