"""Database engine, shared metadata and the unit of work.

SQLite and PostgreSQL behave differently under concurrent writers, and this module hides
the difference from the services:

* PostgreSQL runs at READ COMMITTED; conditional ``UPDATE``s re-check their ``WHERE`` on
  the latest row version, which is what the no-oversell invariant relies on.
* SQLite allows one writer at a time. A deferred transaction that reads and then writes
  can fail with ``SQLITE_BUSY`` without waiting, so every *writing* unit of work starts
  with ``BEGIN IMMEDIATE`` (take the write lock up front, wait up to ``busy_timeout``);
  read-only units of work use a plain ``BEGIN`` and never block writers (WAL mode).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url

from ordermesh.kit.clock import Clock
from ordermesh.kit.deferred import touches, write_queued
from ordermesh.kit.metrics import count_committed
from ordermesh.kit.savepoints import Savepoint, TransactionCache

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

T = TypeVar("T")
log = logging.getLogger("ordermesh.db")
_WRITE_FLAG = "ordermesh_write"
SQLITE_BUSY_TIMEOUT_MS = 10_000
LOCK_TIMEOUT_MS = 5_000
STATEMENT_TIMEOUT_MS = 60_000

# SQLite lets one writer in at a time, and its busy handler polls with naps of up to
# 100 ms, unfairly: under load a writer can lose the race again and again (p99 of
# seconds). Writers of one process therefore queue on a fair lock first; the busy
# handler only arbitrates between processes.
_sqlite_write_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = (
    weakref.WeakKeyDictionary())


def build_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 30, pool_timeout_s: float = 10.0,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    lock_timeout_ms: int = LOCK_TIMEOUT_MS, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
) -> Engine:
    """``lock_timeout_ms`` and ``statement_timeout_ms`` bound, on PostgreSQL, how long one
    statement may wait for a row or table lock and how long it may run at all (0: no
    limit); past them PostgreSQL cancels it and the request is answered 503."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout_s,
            pool_pre_ping=False, hide_parameters=True,
            json_serializer=_json_dumps, json_deserializer=orjson.loads,
        )
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        _sqlite_write_locks[engine] = threading.Lock()
        return engine
    return create_engine(
        url,
        connect_args=_postgres_timeouts(lock_timeout_ms, statement_timeout_ms),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=True,
        # Parameters hold customers' data and secrets: never in an error's text, so never
        # in a log line (a logged traceback prints the error).
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )


def _postgres_timeouts(lock_timeout_ms: int, statement_timeout_ms: int) -> dict[str, str]:
    # Set at connection start (libpq "options"): no extra round trip per checkout.
    options = [f"-c {name}={int(ms)}" for name, ms in (
        ("lock_timeout", lock_timeout_ms), ("statement_timeout", statement_timeout_ms))
        if ms > 0]
    return {"options": " ".join(options)} if options else {}


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.info.get(_WRITE_FLAG, True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


AfterCommit = Callable[[Callable[[], "UnitOfWork"]], None]


class UnitOfWork:
    """One database transaction. Rolls back unless ``commit()`` is called.

    ``actor`` names who acts (an API key, the CLI, the worker) and ends up in histories
    and the ledger; ``clock`` is the time source every service must use. ``request_id``
    and ``client_address`` say where a change made over HTTP came from; every
    event recorded in the unit of work carries them (the audit log).
    """

    def __init__(
        self, engine: Engine, clock: Clock, *, actor: str = "system", write: bool = True,
        request_id: str | None = None, client_address: str | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.actor = actor
        self.write = write
        self.request_id = request_id
        self.client_address = client_address
        self._conn: Connection | None = None
        self._lock: threading.Lock | None = None
        self.committed = False
        # Outbox rows of this transaction, written in one statement just before COMMIT
        # (kit.outbox.record_event): one round trip instead of one per event.
        self._events: list[dict[str, Any]] = []
        self._events_insert: Any = None
        # Rows of INSERTs deferred by ``defer_insert``; those from ``_flushed`` on are not
        # written yet, and ``_pending`` names their tables.
        self._deferred: list[tuple[Any, Mapping[str, Any]]] = []
        self._flushed = 0
        self._pending: set[str] = set()
        # kit.savepoints: the savepoints open now (outermost first), the caches kept for
        # this transaction, and whether a statement runs under ``compensated``
        self._savepoints: list[Savepoint] = []
        self._caches: dict[str, TransactionCache] = {}
        self._compensating = False
        # kit.config_cache: whether this transaction wrote configuration, and the
        # configuration generation it saw (read once per transaction)
        self.config_changed = False
        self.config_generation: int | None = None
        # ``after_commit``: what runs once the transaction that asked for it has committed
        self._after_commit: list[AfterCommit] = []

    def __enter__(self) -> UnitOfWork:
        lock = _sqlite_write_locks.get(self.engine) if self.write else None
        if lock is not None:
            lock.acquire()
        self._lock = lock
        conn = None
        try:
            conn = self.engine.connect()
            conn.info[_WRITE_FLAG] = self.write
            conn.begin()  # SQLite: BEGIN IMMEDIATE, which may time out waiting
        except BaseException:
            if conn is not None:
                conn.info.pop(_WRITE_FLAG, None)
                conn.close()
            self._release_lock()
            raise
        self._conn = conn
        self.committed = False
        self._events = []
        self._forget_deferred()
        self.config_changed = False
        self.config_generation = None
        self._after_commit = []
        return self

    def __exit__(self, *exc: object) -> None:
        conn = self._conn
        self._conn = None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                # A read-only unit has nothing to undo; COMMIT ends it just as well and,
                # unlike ROLLBACK, keeps psycopg's prepared statements on the connection.
                if self.write:
                    conn.rollback()
                else:
                    self.flush()
                    written = self._flush_events(conn)  # as before deferring: a read-only
                    conn.commit()  # unit commits
                    if written:
                        count_committed(written)
            self._events = []
            self._forget_deferred()
            self._after_commit = []  # never committed: nothing of it is to be followed up
        finally:
            conn.info.pop(_WRITE_FLAG, None)
            conn.close()
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("UnitOfWork used outside a 'with' block")
        return self._conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def execute(self, statement: Any, params: Mapping[str, Any] | list[Any] | None = None):
        if self._pending and touches(statement, self._pending):
            self.flush()
        if (self._savepoints or self._caches) and not getattr(statement, "is_select", False):
            self._before_write(statement)
        result = self.conn.execute(statement, params)
        if (not self.config_changed and getattr(statement, "is_dml", False)
                and getattr(getattr(statement, "table", None), "info", {}).get("config")
                and statement.get_execution_options().get("config", True)):
            self.config_changed = True  # kit.config_cache: raise the generation at commit
        return result

    def _before_write(self, statement: Any) -> None:
        """A statement that may write: lazy savepoints are sent first, and the caches
        of the tables it writes are dropped."""
        if not self._compensating:
            self._send_savepoints()
        for name, cache in list(self._caches.items()):
            if touches(statement, set(cache.tables)):
                del self._caches[name]

    def _send_savepoints(self) -> None:
        for savepoint in self._savepoints:
            savepoint.begin()

    @contextmanager
    def compensated(self, undo: Any) -> Iterator[None]:
        """Run statements that do not send the open lazy savepoints: a rollback of one of
        them that was not sent runs ``undo`` instead (kit/savepoints.py)."""
        unsent = [s for s in self._savepoints if not s.sent]
        self._compensating = True
        try:
            yield
        finally:
            self._compensating = False
        for savepoint in unsent:
            savepoint.compensate(undo)

    def keep(self, name: str, cache: TransactionCache) -> None:
        """Keep ``cache`` for the rest of the transaction (kit/savepoints.py)."""
        self._caches[name] = cache

    def kept(self, name: str) -> Any:
        """The cache kept under ``name``, or None (never kept, or dropped since)."""
        return self._caches.get(name)

    def defer_insert(self, statement: Any,
                     rows: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Queue the rows of an ``INSERT`` (without ``RETURNING``) instead of sending it.

        Queued rows are written with one statement per table and set of columns (an
        ``executemany``) just before ``COMMIT``, parents before children, or earlier by
        ``flush``, which ``execute`` calls before any statement that reads or writes a
        table with queued rows (or whose tables it cannot tell: ``text()``). So the
        transaction reads its own rows as before; what changes is that the rows of many
        use cases in one transaction (a batch of orders) cost one round trip per table,
        and that an error in such a row (a constraint) shows at the flush, not here.
        A savepoint rolled back drops the rows queued since it began."""
        if isinstance(rows, Mapping):
            rows = [rows]
        if rows:
            self._deferred.extend((statement, row) for row in rows)
            self._pending.add(statement.table.name)

    def defer_update(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue the rows of an ``UPDATE`` (``bindparam``s, one row each) like
        ``defer_insert``: sent with one ``executemany`` per statement after the queued
        ``INSERT``s of its table; each row must change exactly one row (the caller has
        it locked), else the write raises."""
        self.defer_insert(statement, rows)

    def flush(self) -> None:
        """Write the queued rows of ``defer_insert`` and ``defer_update`` now."""
        waiting = self._deferred[self._flushed:]
        if not waiting:
            return
        self._send_savepoints()
        self._flushed = len(self._deferred)
        self._pending = set()
        write_queued(self.conn, metadata, waiting)

    def _forget_deferred(self) -> None:
        self._deferred, self._flushed, self._pending = [], 0, set()
        self._savepoints, self._caches, self._compensating = [], {}, False

    def defer_event(self, insert_statement: Any, row: dict[str, Any]) -> None:
        """Queue an outbox row; ``commit`` writes the queue, in order, first."""
        self._events_insert = insert_statement
        self._events.append(row)

    def _flush_events(self, conn: Connection) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if self._events:
            rows, self._events = self._events, []
            conn.execute(self._events_insert, rows)
        return rows

    def commit(self) -> None:
        self.flush()
        written = self._flush_events(self.conn)
        if self.config_changed:
            from ordermesh.kit.config_cache import BUMP  # it imports this module

            self.conn.execute(BUMP)
            self.config_changed = False
        self.conn.commit()
        self._forget_deferred()  # a unit of work that commits again and again stays small
        self.committed = True
        self.config_generation = None
        if written:
            count_committed(written)
        if self._after_commit:
            self._run_after_commit()

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` right after this transaction commits (never if it rolls back),
        outside it: what must not happen inside a transaction that may be rerun, such
        as a call to a payment provider (``payments.gateway_calls.send_after_commit``).
        It gets a factory of new writing units of work as the same actor; it runs in
        ``commit``, with this one's SQLite write lock released meanwhile. An error of
        it is logged, never raised: the transaction is committed whatever it does."""
        self._after_commit.append(callback)

    def _run_after_commit(self) -> None:
        callbacks, self._after_commit = self._after_commit, []

        def new_uow() -> UnitOfWork:
            return UnitOfWork(self.engine, self.clock, actor=self.actor,
                              request_id=self.request_id, client_address=self.client_address)

        lock = self._lock
        if lock is not None:
            lock.release()  # the callbacks write in units of work of their own
        try:
            for callback in callbacks:
                try:
                    callback(new_uow)
                except Exception:
                    log.exception("a step after a commit failed; the commit stands")
        finally:
            if lock is not None:
                lock.acquire()

    def savepoint(self, lazy: bool = False) -> Savepoint:
        """Begin a SAVEPOINT: ``rollback()`` undoes what was done since, outbox events
        recorded since included; ``release()`` keeps it (a batch of use cases in one
        transaction, each of which may fail alone). ``lazy``: sent only before the first
        statement that may write (kit/savepoints.py)."""
        return Savepoint(self, lazy)

    def rollback(self) -> None:
        self._events = []
        self._after_commit = []
        self._forget_deferred()
        self.config_changed = False
        self.config_generation = None
        self.conn.rollback()


from ordermesh.kit.transactions import MAX_RUNS, Transactions  # noqa: E402,F401  (where they lived)
