"""Rows queued with ``UnitOfWork.defer_insert``: written at commit, read back by the same
transaction as if they had been sent at once, and undone with the savepoint they were
queued in (kit/db.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from ordermesh.kit.idempotency import idempotency_keys

_INSERT = insert(idempotency_keys)
_KEYS = select(idempotency_keys.c.key).order_by(idempotency_keys.c.key)
_AT = datetime(2026, 12, 7, tzinfo=UTC)


def _row(key: str) -> dict:
    return {"principal": "deferred", "key": key, "endpoint": "test", "fingerprint": "f",
            "created_at": _AT}


def _keys(u) -> list[str]:
    return list(u.execute(_KEYS.where(idempotency_keys.c.principal == "deferred")).scalars())


def test_queued_rows_are_read_back_by_their_own_transaction_and_kept_by_the_commit(uow):
    with uow() as u:
        u.defer_insert(_INSERT, [_row("a"), _row("b")])
        assert _keys(u) == ["a", "b"]  # the read wrote them first
        u.defer_insert(_INSERT, _row("c"))
        u.commit()
    with uow() as u:
        assert _keys(u) == ["a", "b", "c"]


def test_a_rolled_back_savepoint_drops_its_rows_and_keeps_the_earlier_ones_even_if_written(
        uow):
    with uow() as u:
        u.defer_insert(_INSERT, _row("before"))
        savepoint = u.savepoint()
        u.defer_insert(_INSERT, _row("inside"))
        assert _keys(u) == ["before", "inside"]  # both written inside the savepoint
        savepoint.rollback()  # undoes both in the database; "before" is queued again
        assert _keys(u) == ["before"]
        kept = u.savepoint()
        u.defer_insert(_INSERT, _row("released"))
        kept.release()
        u.commit()
    with uow() as u:
        assert _keys(u) == ["before", "released"]


def test_queued_rows_are_gone_when_the_transaction_is_not_committed(uow):
    with uow() as u:
        u.defer_insert(_INSERT, _row("lost"))
    with uow() as u:
        count = u.execute(select(func.count()).select_from(idempotency_keys)
                          .where(idempotency_keys.c.principal == "deferred")).scalar_one()
        assert count == 0
