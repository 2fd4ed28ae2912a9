"""A consistent copy of the whole database in one file, and putting it back.

SQLite: the online backup API of ``sqlite3`` copies the database page by page under a
read transaction, so the copy is one consistent moment even while the API writes.
PostgreSQL: ``pg_dump --format=custom`` (one snapshot, taken without blocking writers)
and ``pg_restore --single-transaction`` (all or nothing). A restore only goes into an
empty database, so it can never mix two histories. Both write to a temporary file first
and rename it into place, so a file named as a backup is always a whole one.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """What a person must fix before the backup or restore can run."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    kind: str  # "sqlite" or "postgresql"


def _kind(url: URL) -> str:
    name = url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups of {name} databases are not supported")
    return name


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database as a libpq URL without its password, and the environment that carries
    the password (never on a command line, where `ps` shows it)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], timeout_s: float) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (it comes with PostgreSQL's "
                          "client tools)") from exc
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{command[0]} took longer than {timeout_s:g} s") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def backup(database_url: str, target: Path, *, timeout_s: float = 3600.0,
           overwrite: bool = False) -> Copied:
    """Copy the database at ``database_url`` into the file ``target``."""
    url = make_url(database_url)
    kind = _kind(url)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already (choose another name or overwrite it)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"There is no database at {source_path}")
            source, copy = sqlite3.connect(source_path), sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            dsn, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={dsn}"], env, timeout_s)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(target, target.stat().st_size, kind)


def _file_kind(source: Path) -> str:
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{source} is not an ordermesh backup (neither a SQLite database nor "
                      "a pg_dump archive)")


def _require_empty(engine: Engine) -> None:
    tables = inspect(engine).get_table_names()
    if tables:
        raise BackupError(f"The target database is not empty ({len(tables)} tables): a "
                          "backup is restored only into an empty database")


def restore(source: Path, database_url: str, engine: Engine, *,
            timeout_s: float = 3600.0) -> Copied:
    """Put the backup ``source`` into the empty database at ``database_url``."""
    url = make_url(database_url)
    kind, file_kind = _kind(url), _file_kind(source)
    if kind != file_kind:
        raise BackupError(f"{source} is a {file_kind} backup; the target database is {kind}")
    _require_empty(engine)
    if kind == "sqlite":
        engine.dispose()  # no connection of ours may hold the file while it is written
        target_path = _sqlite_path(url)
        backup_copy, target = sqlite3.connect(source), sqlite3.connect(target_path)
        try:
            backup_copy.backup(target)
        finally:
            target.close()
            backup_copy.close()
    else:
        dsn, env = _libpq(url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={dsn}", str(source)], env, timeout_s)
    return Copied(source, source.stat().st_size, kind)
