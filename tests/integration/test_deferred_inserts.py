"""Rows queued with ``UnitOfWork.defer_insert``: written at commit, read back by the same
transaction as if they had been sent at once, and undone with the savepoint they were
queued in, lazy savepoints sent only before a write, and queued updates checked
(kit/db.py, kit/savepoints.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, delete, event, func, insert, select, update

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


def test_a_lazy_savepoint_is_sent_only_before_a_write_and_undone_in_memory_otherwise(
        uow, container):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement.upper())

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        with uow() as u:
            quiet = u.savepoint(lazy=True)
            u.defer_insert(_INSERT, _row("dropped"))
            quiet.rollback()  # nothing was sent: undone in memory
            undone = u.savepoint(lazy=True)
            with u.compensated(delete(idempotency_keys).where(idempotency_keys.c.key == "c")):
                u.execute(_INSERT, _row("c"))  # does not send the savepoint
            undone.rollback()  # deletes "c" instead
            sent = u.savepoint(lazy=True)
            u.defer_insert(_INSERT, _row("flushed"))
            assert _keys(u) == ["flushed"]  # the flush sent the savepoint first
            sent.rollback()
            assert _keys(u) == []
            u.commit()
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    assert sum(s.startswith("SAVEPOINT") for s in seen) == 1


def test_a_queued_update_that_misses_its_row_fails_the_write(uow):
    stmt = (update(idempotency_keys).where(idempotency_keys.c.key == bindparam("k"))
            .values(fingerprint=bindparam("f")))
    with uow() as u:
        u.defer_insert(_INSERT, _row("here"))
        u.defer_update(stmt, [{"k": "here", "f": "g"}, {"k": "missing", "f": "g"}])
        with pytest.raises(RuntimeError, match="changed 1 rows, not 2"):
            u.flush()
