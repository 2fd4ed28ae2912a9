"""Matching the customers of a batch of orders (``flows.placement``): the rules of
``customers.service.match_or_create``, with the reads done once per batch and the writes
queued.

``BatchMatcher.read`` (once per batch) reads the owner of every identity the batch gives
(one query) and locks the customers that own them or hold one of its e-mails (one
``SELECT … FOR UPDATE`` in id order; SQLite holds its write lock). ``match`` then decides
each order at its turn, in arrival order, in memory: a customer created for an earlier
order of the batch is found by the later ones as if it had been committed. Its writes
are queued (``UnitOfWork.defer_insert``/``defer_update``: the new customers, their
identities and what an order adds to a customer), so they go with one statement per
table per batch and a refused order's savepoint drops them with everything else.

The matcher is kept by the unit of work (``UnitOfWork.keep``): a rolled-back savepoint
takes back what its order changed in memory, and a statement that writes the customer
tables otherwise drops it (then each order is matched by ``match_or_create``).

A new customer is written when the batch commits, after its orders' headers, so the
headers' foreign key to it is checked at the commit (``defer_customer_checks``).
Concurrent first orders of one person: the other transaction's rows are not visible
until it commits, so both may plan a new customer; the second to write its identities
or e-mail waits on the unique index and fails with a unique violation, and its batch is
run again (``flows.placement.run_batch``), when it finds the first one's customer —
what ``match_or_create`` does by waiting on ``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, text, update

from ordermesh.customers import identities as ids
from ordermesh.customers.model import Identity, IdentityKind, normalise_email, normalise_phone
from ordermesh.customers.tables import customer_identities, customers
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

KEPT_AS = "customers.matching"
_INSERT_CUSTOMER = insert(customers)
_INSERT_IDENTITY = insert(customer_identities)
# Phone and name only where the customer has none: one statement shape for every order.
_FILL_IN = (update(customers).where(customers.c.id == bindparam("cid"))
            .values(phone=func.coalesce(customers.c.phone, bindparam("new_phone")),
                    name=func.coalesce(customers.c.name, bindparam("new_name")),
                    updated_at=bindparam("now")))


@dataclass(frozen=True)
class Buyer:
    """What an order says about its buyer."""

    email: str | None
    phone: str | None
    name: str | None
    channel: str | None
    account_id: str | None
    region: str | None  # the shipping country: a national phone number is read in it


def given_identities(email: str | None, phone: str | None, channel: str | None,
                     account_id: str | None) -> list[Identity]:
    """The order's identities, strongest first (``match_or_create``)."""
    given = []
    if account_id and channel:
        given.append(Identity(IdentityKind.ACCOUNT, channel, account_id))
    if email:
        given.append(Identity(IdentityKind.EMAIL, "", email))
    if phone:
        given.append(Identity(IdentityKind.PHONE, "", phone))
    return given


class BatchMatcher:
    """The customers a batch knows: read once, changed in memory at each order's turn."""

    tables = frozenset({"customers", "customer_identities"})

    def __init__(self) -> None:
        self.owner: dict[Identity, str] = {}  # identity -> customer, read or planned
        self.by_email: dict[str, str] = {}  # customers.email -> customer
        self.contact: dict[str, list[str | None]] = {}  # customer -> [phone, name]
        self.known: set[Identity] = set()  # identities whose owner was read
        self.erased: set[str] = set()
        self.state: dict[str, bool] = {"checks_deferred": False}
        self._journal: list[tuple[str, Any, Any]] = []  # (map, key, value before)

    # --- kit.savepoints.TransactionCache
    def mark(self) -> int:
        return len(self._journal)

    def undo(self, mark: int) -> None:
        while len(self._journal) > mark:
            name, key, before = self._journal.pop()
            target = getattr(self, name)
            if before is None:
                target.pop(key, None)
            else:
                target[key] = before

    def _set(self, name: str, key: Any, value: Any) -> None:
        target = getattr(self, name)
        before = target.get(key)
        self._journal.append((name, key, list(before) if isinstance(before, list) else before))
        target[key] = value

    # --- once per batch
    def read(self, uow: UnitOfWork, buyers: Sequence[Buyer | None]) -> None:
        """The owners of every identity and e-mail of ``buyers``, their rows locked."""
        wanted: set[Identity] = set()
        emails: set[str] = set()
        for buyer in buyers:
            if buyer is None:
                continue
            try:
                email = normalise_email(buyer.email)
                phone = normalise_phone(buyer.phone, buyer.region, "customer.phone")
            except DomainError:  # answered at the order's turn
                continue
            wanted.update(given_identities(email, phone, buyer.channel, buyer.account_id))
            if email:
                emails.add(email)
        self._read_owners(uow, wanted)
        owners = set(self.owner.values())
        if owners or emails:
            c = customers.c
            for row in uow.execute(
                    select(c.id, c.email, c.phone, c.name, c.erased_at)
                    .where(or_(c.id.in_(sorted(owners)), c.email.in_(sorted(emails))))
                    .order_by(c.id).with_for_update()):
                self._locked(row)
            self._forget_erased()
        if any(self._may_create(buyer) for buyer in buyers if buyer is not None):
            defer_customer_checks(uow)
            self.state["checks_deferred"] = True

    def _may_create(self, buyer: Buyer) -> bool:
        try:
            email = normalise_email(buyer.email)
            phone = normalise_phone(buyer.phone, buyer.region, "customer.phone")
        except DomainError:
            return False
        given = given_identities(email, phone, buyer.channel, buyer.account_id)
        deciding = [i for i in given if not (email and i.kind is IdentityKind.PHONE)]
        return not any(i in self.owner for i in deciding) and email not in self.by_email

    def _read_owners(self, uow: UnitOfWork, wanted: set[Identity]) -> None:
        self.owner.update(ids.owners(uow, wanted))
        self.known |= wanted

    def _locked(self, row: Any) -> None:
        if row.erased_at is not None:
            self.erased.add(row.id)
            return
        self.contact[row.id] = [row.phone, row.name]
        if row.email:
            self.by_email[row.email] = row.id

    def _forget_erased(self) -> None:
        # Erased while we looked: its identities are gone, the person starts afresh
        # (match_or_create). Their rows are locked now, so no more erasures cross us.
        for identity, owner in list(self.owner.items()):
            if owner in self.erased:
                del self.owner[identity]

    # --- each order, at its turn
    def match(self, uow: UnitOfWork, buyer: Buyer) -> str:
        """The customer of the order (``match_or_create``'s rules), created when nobody
        matches; raises ``InvalidInput`` for a phone that is not one."""
        email = normalise_email(buyer.email)
        phone = normalise_phone(buyer.phone, buyer.region, "customer.phone")
        given = given_identities(email, phone, buyer.channel, buyer.account_id)
        unread = [i for i in given if i not in self.known]
        if unread:  # a phone read in another region than the batch guessed
            self._read_owners(uow, set(unread))
            self._lock_new_owners(uow, {self.owner[i] for i in unread if i in self.owner})
        found = {i: self.owner[i] for i in given if i in self.owner}
        deciding = [i for i in given if not (email and i.kind is IdentityKind.PHONE)]
        owner = next((found[i] for i in deciding if i in found), None)
        if owner is None and deciding and email and email in self.by_email:
            owner = self.by_email[email]  # a customer with the e-mail but not its identity
        if owner is None:
            if not self.state.get("checks_deferred"):  # not foreseen by the batch's read
                defer_customer_checks(uow)
                self._set("state", "checks_deferred", True)
            return self._create(uow, given if deciding else [], found, email, phone,
                                buyer.name, buyer.channel)
        self._fill_in(uow, owner, given, found, phone, buyer.name, buyer.channel)
        return owner

    def _lock_new_owners(self, uow: UnitOfWork, owners: set[str]) -> None:
        owners -= self.contact.keys() | self.erased
        if owners:
            c = customers.c
            for row in uow.execute(select(c.id, c.email, c.phone, c.name, c.erased_at)
                                   .where(c.id.in_(sorted(owners))).order_by(c.id)
                                   .with_for_update()):
                self._locked(row)
            self._forget_erased()

    def _create(self, uow: UnitOfWork, given: list[Identity], found: dict[Identity, str],
                email: str | None, phone: str | None, name: str | None,
                channel: str | None) -> str:
        now = uow.clock.now()
        new = new_id("cus")
        uow.defer_insert(_INSERT_CUSTOMER, {
            "id": new, "email": email, "phone": phone, "name": name, "created_at": now,
            "updated_at": now, "source_channel": channel, "tags": [], "preferences": {}})
        self._set("contact", new, [phone, name])
        if email:
            self._set("by_email", email, new)
        self._claim(uow, new, [i for i in given if i not in found], channel)
        record_event(uow, "customer.created", "customer", new, {"email": email})
        return new

    def _fill_in(self, uow: UnitOfWork, owner: str, given: list[Identity],
                 found: dict[Identity, str], phone: str | None, name: str | None,
                 channel: str | None) -> None:
        added = {i.kind.value for i in self._claim(
            uow, owner, [i for i in given if i not in found], channel)}
        has_phone, has_name = self.contact[owner]
        missing = {k: v for k, v, has in (("phone", phone, has_phone), ("name", name, has_name))
                   if v and not has}
        if missing:
            uow.defer_update(_FILL_IN, [{"cid": owner, "new_phone": missing.get("phone"),
                                         "new_name": missing.get("name"),
                                         "now": uow.clock.now()}])
            self._set("contact", owner, [has_phone or phone, has_name or name])
        added |= set(missing)
        if added:
            record_event(uow, "customer.updated", "customer", owner, {"added": sorted(added)})

    def _claim(self, uow: UnitOfWork, customer_id: str, wanted: list[Identity],
               channel: str | None) -> list[Identity]:
        now = uow.clock.now()
        uow.defer_insert(_INSERT_IDENTITY, [{
            "id": new_id("cid"), "customer_id": customer_id, "kind": i.kind.value,
            "channel": i.channel, "value": i.value, "source": channel or "api",
            "created_at": now} for i in wanted])
        for identity in wanted:
            self._set("owner", identity, customer_id)
        return wanted


def defer_customer_checks(uow: UnitOfWork) -> None:
    """Check the orders' foreign key to their customer at the commit, not at each
    header: a customer created for the batch is written with the batch's queued rows.
    (PostgreSQL: the constraint is ``DEFERRABLE``, migration 0047; SQLite defers every
    foreign key of the transaction.)"""
    # Sent as it is: it neither writes a row nor needs a savepoint sent before it.
    if uow.dialect == "sqlite":
        uow.conn.execute(text("PRAGMA defer_foreign_keys = ON"))
    else:
        uow.conn.execute(text("SET CONSTRAINTS fk_orders_customer_id_customers DEFERRED"))
