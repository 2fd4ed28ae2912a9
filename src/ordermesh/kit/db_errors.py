"""What a database error means for the caller: worth running the transaction again, the
database busy or gone for the moment, or a unique value already taken (and which).

SQLSTATEs are PostgreSQL's; SQLite's errors are recognised by their messages."""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError

_RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


def is_retryable(exc: DBAPIError) -> bool:
    """A transaction PostgreSQL aborted for concurrency reasons: running it again is safe
    and likely to succeed at once."""
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


# too_many_connections, and the slots PostgreSQL keeps for superusers being all that is left
_OUT_OF_CONNECTIONS_SQLSTATES = {"53300", "53400"}


# A refused connection reaches psycopg before any SQLSTATE does (``sqlstate`` is None), so
# PostgreSQL's messages for it are matched: max_connections, the slots reserved for
# superusers, and a role's or database's CONNECTION LIMIT.
_OUT_OF_CONNECTIONS_MESSAGES = ("too many clients", "remaining connection slots are reserved",
                                "too many connections for")


def is_busy(exc: DBAPIError) -> bool:
    """The database could not do the work now: aborted for concurrency, SQLite's write
    lock was not free within ``busy_timeout`` (retrying at once would wait as long again),
    or PostgreSQL has no connection slot left for us."""
    message = str(exc.orig)
    return (is_retryable(exc) or "database is locked" in message
            or getattr(exc.orig, "sqlstate", None) in _OUT_OF_CONNECTIONS_SQLSTATES
            or any(m in message for m in _OUT_OF_CONNECTIONS_MESSAGES) or is_transient(exc))


# lock_not_available (lock_timeout), query_canceled (statement_timeout), the server shutting
# down or restarting (admin/crash shutdown, cannot connect now)
_TRANSIENT_SQLSTATES = {"55P03", "57014", "57P01", "57P02", "57P03"}


def is_transient(exc: DBAPIError) -> bool:
    """The work failed for a reason of the moment, not of the request: a lock not granted
    within ``lock_timeout``, a statement cut off by ``statement_timeout``, the connection
    lost (SQLAlchemy invalidated it) or the server going away. Not rerun by
    ``RequestContext.run``: a lost connection may have lost it after COMMIT, and a lock
    held elsewhere is likely still held; the client retries (with its Idempotency-Key)."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return (exc.connection_invalidated or sqlstate in _TRANSIENT_SQLSTATES
            or sqlstate.startswith("08"))  # class 08: connection exception


def is_unique_violation(exc: DBAPIError) -> bool:
    """An INSERT or UPDATE met a row that already holds the same unique value: usually a
    create racing another create of the same code (both checked, neither had committed)."""
    if getattr(exc.orig, "sqlstate", None) == "23505":
        return True
    return is_sqlite_dialect_error(exc) and "UNIQUE constraint failed" in str(exc.orig)


def is_sqlite_dialect_error(exc: DBAPIError) -> bool:
    return type(exc.orig).__module__ == "sqlite3"


_PG_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")
_SQLITE_KEY = re.compile(r"UNIQUE constraint failed: (?P<columns>.*)$")


def unique_columns(exc: DBAPIError) -> list[str]:
    """The columns of the unique value that was taken, as the database names them."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and (found := _PG_KEY.search(diag.message_detail or "")):
        return [c.strip().strip('"') for c in found["columns"].split(",")]
    if found := _SQLITE_KEY.search(str(exc.orig)):
        return [c.strip().rsplit(".", 1)[-1] for c in found["columns"].split(",")]
    return []
