"""Steps registered with ``UnitOfWork.after_commit`` (kit/db.py): run once the transaction
commits, outside it, in units of work of their own; never when it rolls back, nor when
the savepoint they were registered in rolls back; an error in one leaves the commit and
the other steps standing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import insert, select

from ordermesh.kit.idempotency import idempotency_keys

_AT = datetime(2026, 12, 8, tzinfo=UTC)
_KEYS = (select(idempotency_keys.c.key).where(idempotency_keys.c.principal == "after")
         .order_by(idempotency_keys.c.key))


def _insert(u, key: str) -> None:
    u.execute(insert(idempotency_keys).values(principal="after", key=key, endpoint="test",
                                              fingerprint="f", created_at=_AT))


def _keys(u) -> list[str]:
    return list(u.execute(_KEYS).scalars())


def test_a_step_runs_after_the_commit_and_writes_in_a_transaction_of_its_own(uow):
    seen: list[list[str]] = []

    def step(new_uow) -> None:
        with new_uow() as other:  # on SQLite: the committed one's write lock is free
            seen.append(_keys(other))
            _insert(other, "written-after")
            other.commit()

    with uow() as u:
        _insert(u, "committed")
        u.after_commit(step)
        assert seen == []  # not before the commit
        u.commit()
    assert seen == [["committed"]]
    with uow() as u:
        assert _keys(u) == ["committed", "written-after"]


def test_a_step_never_runs_when_its_transaction_rolls_back(uow):
    ran = []
    with uow() as u:
        _insert(u, "lost")
        u.after_commit(lambda new_uow: ran.append(True))
    assert ran == []
    with uow() as u:
        assert _keys(u) == []


def test_a_step_registered_in_a_rolled_back_savepoint_is_dropped_with_it(uow):
    ran: list[str] = []
    with uow() as u:
        u.after_commit(lambda new_uow: ran.append("before"))
        for lazy in (False, True):
            savepoint = u.savepoint(lazy=lazy)
            _insert(u, f"undone-{lazy}")
            u.after_commit(lambda new_uow, lazy=lazy: ran.append(f"undone-{lazy}"))
            savepoint.rollback()
        kept = u.savepoint(lazy=True)
        u.after_commit(lambda new_uow: ran.append("released"))
        kept.release()
        u.commit()
    assert ran == ["before", "released"]


def test_a_failing_step_is_logged_and_leaves_the_commit_and_the_next_steps(uow, caplog):
    ran = []

    def failing(new_uow) -> None:
        raise RuntimeError("the gateway went away")

    with caplog.at_level(logging.ERROR, logger="ordermesh.db"), uow() as u:
        _insert(u, "kept")
        u.after_commit(failing)
        u.after_commit(lambda new_uow: ran.append("next"))
        u.commit()
    assert ran == ["next"]
    assert "a step after a commit failed" in caplog.text
    with uow() as u:
        assert _keys(u) == ["kept"]
