"""Savepoints of a unit of work (``UnitOfWork.savepoint``) and the per-transaction caches
that roll back with them (``UnitOfWork.keep``).

A savepoint undoes, on ``rollback()``, what was done since it began: in the database
(``ROLLBACK TO SAVEPOINT``) and in the unit of work's memory — outbox events recorded,
rows queued by ``defer_insert``/``defer_update``, the caches kept since (dropped) and the
changes made to the caches kept before (``TransactionCache.undo``).

A **lazy** savepoint (``savepoint(lazy=True)``) sends ``SAVEPOINT`` only just before the
first statement after it that may write (anything but a ``SELECT``, or a flush of queued
rows). A use case that changes only memory and queues until it succeeds or fails — a
planned order of a batch — then costs no statement at all for its savepoint, and a
rollback is done in memory. A statement run inside ``UnitOfWork.compensated(undo)``
does not send the ``SAVEPOINT``: a rollback of a savepoint that had not been sent before
it runs ``undo`` instead (an ``INSERT … ON CONFLICT DO NOTHING`` of one row, undone by
deleting that row).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ordermesh.kit.db import UnitOfWork


class TransactionCache(Protocol):
    """What a unit of work keeps for its transaction (``UnitOfWork.keep``): read from the
    database once, then changed in memory along with the writes it plans. A statement
    that writes one of ``tables`` (other than the queued rows) drops it: it no longer
    says what the database holds."""

    tables: frozenset[str]

    def mark(self) -> Any:
        """Where the cache stands now, for ``undo``."""

    def undo(self, mark: Any) -> None:
        """Take back every change made since ``mark``."""


class Savepoint:
    """A nested transaction of a unit of work (``UnitOfWork.savepoint``)."""

    def __init__(self, uow: UnitOfWork, lazy: bool = False) -> None:
        self._uow = uow
        self._events = len(uow._events)
        self._after = len(uow._after_commit)
        self._deferred, self._flushed = len(uow._deferred), uow._flushed
        self._config_changed = uow.config_changed
        self._caches = {name: (cache, cache.mark()) for name, cache in uow._caches.items()}
        self._undo: list[Any] = []
        self._nested: Any = None
        self._open = True
        uow._savepoints.append(self)
        if not lazy:
            uow._send_savepoints()  # lazy ones it is nested in first

    @property
    def sent(self) -> bool:
        """Whether ``SAVEPOINT`` was sent to the database."""
        return self._nested is not None

    def begin(self) -> None:
        """Send ``SAVEPOINT`` now, if it was not sent yet (``UnitOfWork`` calls it)."""
        if self._nested is None:
            self._nested = self._uow.conn.begin_nested()

    def compensate(self, undo: Any) -> None:
        """Run ``undo`` on rollback (a statement that was run without sending the
        savepoint first)."""
        self._undo.append(undo)

    def release(self) -> None:
        self._leave_stack()
        if self._nested is not None:
            self._nested.commit()

    def rollback(self) -> None:
        self._leave_stack()
        uow = self._uow
        if self._nested is not None:
            self._nested.rollback()
        for statement in self._undo:
            uow.conn.execute(statement)
        del uow._events[self._events:]
        del uow._after_commit[self._after:]
        # Rows queued since are dropped; rows queued before but flushed since were undone
        # by the database's rollback, so they wait to be written again.
        del uow._deferred[self._deferred:]
        uow._flushed = min(uow._flushed, self._flushed)
        uow._pending = {statement.table.name for statement, _ in uow._deferred[uow._flushed:]}
        uow.config_changed = self._config_changed
        uow._caches = {}
        for name, (cache, mark) in self._caches.items():
            cache.undo(mark)
            uow._caches[name] = cache

    def _leave_stack(self) -> None:
        if not self._open:
            raise RuntimeError("a savepoint is released or rolled back once")
        self._open = False
        stack = self._uow._savepoints
        if self in stack:  # the innermost ones first; an outer one ends the inner ones
            del stack[stack.index(self):]
