"""Resources addressed by id or by their natural key (SKU, code) alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, or_, select

from ordermesh.kit.db import UnitOfWork


def row_by_id_or_key(uow: UnitOfWork, table: Table, key: Column, ref: str) -> Any | None:
    """The row whose id or ``key`` is ``ref``, in one query. Should a key ever equal
    another row's id, the id wins: ids are what the API hands out."""
    rows = uow.execute(select(table).where(or_(table.c.id == ref, key == ref))).all()
    return next((r for r in rows if r.id == ref), rows[0] if rows else None)
