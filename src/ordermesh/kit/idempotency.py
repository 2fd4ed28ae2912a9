"""Exactly-once creates: an ``Idempotency-Key`` is claimed inside the create's transaction.

The claim is an ``INSERT ... ON CONFLICT DO NOTHING`` issued first in the transaction:
on PostgreSQL a concurrent request with the same key waits on the unique index until the
first one commits or rolls back; on SQLite writers are serialised by ``BEGIN IMMEDIATE``.
So either this request owns the key, or the earlier request has committed and we replay
its result. A request that fails rolls back its claim with everything else, and may be
retried with the same key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    select,
    tuple_,
    update,
)

from ordermesh.kit.db import UnitOfWork, metadata
from ordermesh.kit.errors import Conflict, IdempotencyKeyReused
from ordermesh.kit.types import UtcDateTime
from ordermesh.kit.upsert import dialect_insert, insert_ignore_returning

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(40), nullable=False),
    Column("key", String(255), nullable=False),
    Column("endpoint", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("resource_type", String(40)),
    Column("resource_id", String(40)),
    Column("status_code", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("principal", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)


HMAC_PREFIX = "h1:"  # 3 + 43 characters of base64: fits the 64 of the fingerprint column
_DERIVATION = b"ordermesh idempotency fingerprint v1"


def _canonical(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)


def fingerprint(body: Any) -> str:
    """A stable, unkeyed hash of a request body (already parsed), independent of key
    order: how Idempotency-Key fingerprints were stored before they were keyed (and still
    are without any secret), and what order content is compared by."""
    return hashlib.sha256(_canonical(body)).hexdigest()


class Fingerprints:
    """Fingerprints of Idempotency-Key request bodies, keyed: an HMAC-SHA256 under a server
    secret, so a stored fingerprint of a body that held a card number cannot be checked
    against guesses by whoever reads the table.

    Stored as ``h1:`` + the HMAC in unpadded base64url. The first key makes new ones; each
    key, and the unkeyed SHA-256 of rows stored before, is accepted when a key is replayed,
    so rotating keys (new first, old kept for the retention period) breaks no retry.
    """

    def __init__(self, keys: list[bytes]) -> None:
        self.keys = keys

    @classmethod
    def from_secrets(cls, secrets: str | None, fernet_keys: str | None) -> Fingerprints:
        """From ``ORDERMESH_IDEMPOTENCY_SECRETS``; failing that, one HMAC key derived from
        each of ``ORDERMESH_SECRET_KEYS`` (so rotating those rotates these alike);
        failing both, unkeyed."""
        if secrets:
            return cls([part.strip().encode() for part in secrets.split(",") if part.strip()])
        if fernet_keys:
            return cls([hmac.new(part.strip().encode(), _DERIVATION, hashlib.sha256).digest()
                        for part in fernet_keys.split(",") if part.strip()])
        return cls([])  # the server warns of it when it starts (bootstrap.app_from_env)

    def _made(self, key: bytes, canonical: bytes) -> str:
        digest = hmac.new(key, canonical, hashlib.sha256).digest()
        return HMAC_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def key(self, principal: str, key: str, endpoint: str, body: Any) -> IdempotencyKey:
        canonical = _canonical(body)
        accepted = [self._made(k, canonical) for k in self.keys]
        accepted.append(hashlib.sha256(canonical).hexdigest())
        return IdempotencyKey(principal, key, endpoint, accepted[0], tuple(accepted[1:]))


@dataclass(frozen=True)
class IdempotencyKey:
    principal: str
    key: str
    endpoint: str
    fingerprint: str  # stored with a new claim
    also_accepted: tuple[str, ...] = ()  # under older keys, and as stored before keying

    def matches(self, stored: str) -> bool:
        return any(hmac.compare_digest(stored, mine)
                   for mine in (self.fingerprint, *self.also_accepted))


@dataclass(frozen=True)
class PriorResult:
    resource_type: str
    resource_id: str
    status_code: int


def claim(
    uow: UnitOfWork, idem: IdempotencyKey | None, result: PriorResult | None = None
) -> PriorResult | None:
    """Own ``idem`` for this transaction, or return what the earlier request produced.

    A use case that already knows what it will create may pass ``result`` and skip
    ``complete``: it is stored with the claim, and rolled back with it on failure.
    """
    if idem is None:
        return None
    inserted = insert_ignore_returning(uow, idempotency_keys, ("principal", "key"), "key", {
        "principal": idem.principal, "key": idem.key, "endpoint": idem.endpoint,
        "fingerprint": idem.fingerprint,
        "resource_type": result.resource_type if result else None,
        "resource_id": result.resource_id if result else None,
        "status_code": result.status_code if result else None,
        "created_at": uow.clock.now(),
    })
    if inserted is not None:
        return None
    row = uow.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.principal == idem.principal, idempotency_keys.c.key == idem.key
        )
    ).one()
    if row.endpoint != idem.endpoint or not idem.matches(row.fingerprint):
        raise IdempotencyKeyReused(
            f"Idempotency-Key '{idem.key}' was first used for a different request "
            f"({row.endpoint}); use a new key for a new request"
        )
    if row.resource_id is None:
        raise Conflict(f"The request with Idempotency-Key '{idem.key}' did not complete")
    return PriorResult(row.resource_type, row.resource_id, row.status_code)


def claim_many(uow: UnitOfWork, claims: list[tuple[IdempotencyKey, PriorResult]]
               ) -> set[tuple[str, str]]:
    """Claim several keys in one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (in
    (principal, key) order, so that two transactions claiming overlapping keys wait on
    each other in the same order), each with the result it will produce; returns the
    (principal, key) pairs this transaction now owns. A key not returned was there
    already: ``claim`` it at its turn to replay or refuse it. Each key at most once."""
    if not claims:
        return set()
    now = uow.clock.now()
    rows = [{"principal": idem.principal, "key": idem.key, "endpoint": idem.endpoint,
             "fingerprint": idem.fingerprint, "resource_type": result.resource_type,
             "resource_id": result.resource_id, "status_code": result.status_code,
             "created_at": now}
            for idem, result in sorted(claims, key=lambda c: (c[0].principal, c[0].key))]
    stmt = (dialect_insert(uow, idempotency_keys).values(rows)
            .on_conflict_do_nothing(index_elements=["principal", "key"])
            .returning(idempotency_keys.c.principal, idempotency_keys.c.key))
    return {(r.principal, r.key) for r in uow.execute(stmt)}


def complete(
    uow: UnitOfWork, idem: IdempotencyKey | None, resource_type: str, resource_id: str,
    status_code: int,
) -> None:
    if idem is None:
        return
    uow.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.principal == idem.principal, idempotency_keys.c.key == idem.key)
        .values(resource_type=resource_type, resource_id=resource_id, status_code=status_code)
    )


def release(uow: UnitOfWork, idem: IdempotencyKey | None) -> None:
    """Give up the claim of this transaction, for a use case that commits some
    bookkeeping and then refuses the request: the key may be used again, as after a
    rollback."""
    if idem is None:
        return
    uow.execute(delete(idempotency_keys).where(idempotency_keys.c.principal == idem.principal,
                                               idempotency_keys.c.key == idem.key))


def forget_older_than(uow: UnitOfWork, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` keys stored before ``before``, oldest first; how many.
    A request repeated with a forgotten key runs again as a new request."""
    oldest = (select(idempotency_keys.c.principal, idempotency_keys.c.key)
              .where(idempotency_keys.c.created_at < before)
              .order_by(idempotency_keys.c.created_at).limit(limit))
    rows = list(uow.execute(oldest))
    if rows:
        uow.execute(delete(idempotency_keys).where(
            tuple_(idempotency_keys.c.principal, idempotency_keys.c.key).in_(rows)))
    return len(rows)
