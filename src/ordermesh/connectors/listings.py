"""What a platform lists: its ids of each SKU, and the level it was last told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from ordermesh.connectors.tables import connector_accounts, connector_listings
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.upsert import upsert

L = connector_listings.c


def replace_listings(uow: UnitOfWork, account_id: str, found: dict[str, dict[str, Any]]
                     ) -> None:
    """The platform's SKUs as it lists them now (a SKU it no longer lists is dropped; the
    level last pushed of the others is kept). Does not commit."""
    uow.execute(delete(connector_listings).where(L.account_id == account_id,
                                                 L.sku.not_in(list(found) or [""])))
    for sku, ids in sorted(found.items()):
        uow.execute(upsert(uow, connector_listings, ["account_id", "sku"], {
            "account_id": account_id, "sku": sku, "platform_ids": ids,
            "pushed_available": None, "pushed_at": None}, ["platform_ids"]))
    uow.execute(update(connector_accounts).where(connector_accounts.c.id == account_id)
                .values(listings_refreshed_at=uow.clock.now()))


def listed(uow: UnitOfWork, account_id: str) -> dict[str, tuple[dict[str, Any], int | None]]:
    """SKU -> (the platform's ids, the level last pushed)."""
    return {r.sku: (r.platform_ids, r.pushed_available) for r in uow.execute(
        select(L.sku, L.platform_ids, L.pushed_available).where(L.account_id == account_id))}


def listing(uow: UnitOfWork, account_id: str, sku: str) -> dict[str, Any] | None:
    return uow.execute(select(L.platform_ids).where(L.account_id == account_id,
                                                    L.sku == sku)).scalar()


def note_pushed(uow: UnitOfWork, account_id: str, sku: str, available: int) -> None:
    uow.execute(update(connector_listings).where(L.account_id == account_id, L.sku == sku)
                .values(pushed_available=available, pushed_at=uow.clock.now()))


def refreshed_at(uow: UnitOfWork, account_id: str) -> tuple[datetime | None, datetime | None]:
    """When the listings were last read, and the stock last compared."""
    row = uow.execute(select(connector_accounts.c.listings_refreshed_at,
                             connector_accounts.c.stock_swept_at)
                      .where(connector_accounts.c.id == account_id)).one()
    return (as_utc(row.listings_refreshed_at) if row.listings_refreshed_at else None,
            as_utc(row.stock_swept_at) if row.stock_swept_at else None)


def mark_swept(uow: UnitOfWork, account_id: str) -> None:
    uow.execute(update(connector_accounts).where(connector_accounts.c.id == account_id)
                .values(stock_swept_at=uow.clock.now()))
