"""Creating, listing, revoking and checking API keys. Only a hash of a key is stored."""

from __future__ import annotations

import hmac

from sqlalchemy import insert, select, update

from ordermesh.apikeys.model import ApiKey, Principal, Role, generate_secret, hash_secret
from ordermesh.apikeys.tables import api_keys
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event

ENV_ADMIN = Principal(id="env-admin", name="env-admin", role=Role.ADMIN)


def _to_key(row) -> ApiKey:
    return ApiKey(
        id=row.id, name=row.name, role=Role(row.role), prefix=row.prefix,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        supplier_id=row.supplier_id,
    )


def create_api_key(
    uow: UnitOfWork, name: str, role: Role, idem: idempotency.IdempotencyKey | None = None,
    supplier: str | None = None,
) -> tuple[ApiKey, str]:
    """Returns the key record and its secret; the secret is never retrievable again, so a
    retry with the same Idempotency-Key is a conflict naming the key already created.
    A key of role ``supplier`` names its supplier (id or code), no other key does."""
    if prior := idempotency.claim(uow, idem):
        raise Conflict(
            f"This Idempotency-Key already created API key {prior.resource_id}; its secret "
            "was shown once and cannot be shown again (revoke it and create a new one if "
            "it was lost)", extra={"existing_key_id": prior.resource_id})
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput.for_field("name", "name must be 1 to 100 characters")
    # the name is the actor (``apikey:<name>``) of every change made with the key: unique
    # for good, revoked keys included, and never the environment's admin key
    if name == ENV_ADMIN.name or uow.execute(
            select(api_keys.c.id).where(api_keys.c.name == name)).first():
        raise Conflict(f"An API key named '{name}' exists or existed already: names stay "
                       "with their key, revoked ones too, so choose another")
    supplier_id = _supplier_of_key(uow, role, supplier)
    secret = generate_secret()
    key_id = new_id("key")
    now = uow.clock.now()
    uow.execute(insert(api_keys).values(
        id=key_id, name=name, role=role.value, prefix=secret[:10],
        key_hash=hash_secret(secret), created_at=now, supplier_id=supplier_id,
    ))
    payload = {"name": name, "role": role.value}
    if supplier_id:
        payload["supplier_id"] = supplier_id
    record_event(uow, "apikey.created", "apikey", key_id, payload)
    idempotency.complete(uow, idem, "apikey", key_id, 201)
    uow.commit()
    return ApiKey(key_id, name, role, secret[:10], now, None, supplier_id), secret


def _supplier_of_key(uow: UnitOfWork, role: Role, supplier: str | None) -> str | None:
    if role is not Role.SUPPLIER:
        if supplier is not None:
            raise InvalidInput.for_field("supplier", "only a key of role supplier names a "
                                         "supplier", "not_a_supplier_key")
        return None
    if not supplier:
        raise InvalidInput.for_field("supplier", "a key of role supplier names its supplier "
                                     "(id or code)", "missing")
    from ordermesh.suppliers.service import find_supplier

    try:
        return find_supplier(uow, supplier).id
    except NotFound as exc:
        raise InvalidInput.for_field("supplier", str(exc), "unknown_supplier") from exc


def list_api_keys(uow: UnitOfWork) -> list[ApiKey]:
    return [_to_key(r) for r in uow.execute(select(api_keys).order_by(api_keys.c.created_at))]


def revoke_api_key(uow: UnitOfWork, key_id: str) -> ApiKey:
    row = uow.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"API key '{key_id}' does not exist")
    if row.revoked_at is None:
        uow.execute(update(api_keys).where(api_keys.c.id == key_id)
                    .values(revoked_at=uow.clock.now()))
        record_event(uow, "apikey.revoked", "apikey", key_id, {"name": row.name})
        uow.commit()
    return _to_key(uow.execute(select(api_keys).where(api_keys.c.id == key_id)).one())


def authenticate(uow: UnitOfWork, secret: str, env_admin_key: str | None) -> Principal:
    if env_admin_key and hmac.compare_digest(secret.encode(), env_admin_key.encode()):
        return ENV_ADMIN
    row = uow.execute(
        select(api_keys.c.id, api_keys.c.name, api_keys.c.role, api_keys.c.revoked_at,
               api_keys.c.supplier_id)
        .where(api_keys.c.key_hash == hash_secret(secret))
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("The API key is not valid (unknown or revoked)")
    return Principal(id=row.id, name=row.name, role=Role(row.role), supplier_id=row.supplier_id)
