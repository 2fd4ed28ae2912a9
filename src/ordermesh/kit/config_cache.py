"""Configuration every order reads, remembered per process until it changes.

Placing an order reads settings that change rarely: the channel's money settings, its
sourcing settings, tax rates, the seller's legal entity, locations, carrier accounts.
Reading them cost a fifth of an order's server time (docs/benchmarks.md, "Profile"),
so each process keeps what it read, tagged with the *configuration generation*: one
counter in the database that every transaction writing a configuration table raises
before it commits (``UnitOfWork.commit``). A unit of work reads the counter once; when it
differs from what the process cached under, the cache is dropped.

A table is configuration when it is declared with ``info={"config": True}``; a write to
it through ``UnitOfWork.execute`` (SQLAlchemy ``insert``/``update``/``delete``) marks the
unit of work. Writes by raw SQL text do not, so configuration tables must be written
through table statements. A unit of work that has changed configuration reads it fresh
(its changes are not committed yet) and caches nothing.

Cached values must be immutable: callers share them across threads.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import BigInteger, Column, Integer, Table, select, update

from ordermesh.kit.db import metadata

if TYPE_CHECKING:
    from ordermesh.kit.db import UnitOfWork

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Entries one process keeps at most; then it starts over. Tax rates are kept per
# destination and day, so without a bound a process that sees no configuration change
# for months would keep every day it ever priced.
MAX_ENTRIES = 10_000

config_generation = Table(
    "config_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("generation", BigInteger, nullable=False),
)

_READ = select(config_generation.c.generation).where(config_generation.c.id == 1)
BUMP = (update(config_generation).where(config_generation.c.id == 1)
        .values(generation=config_generation.c.generation + 1))


class _Cache:
    __slots__ = ("entries", "generation")

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.entries: dict[Hashable, Any] = {}


_caches: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()


def _current(uow: UnitOfWork) -> _Cache | None:
    """This process's cache for the generation the unit of work sees; None when nothing
    may be cached (the unit of work changed configuration, or there is no counter)."""
    if uow.config_changed:
        return None
    generation = uow.config_generation
    if generation is None:
        generation = uow.config_generation = uow.execute(_READ).scalar()
    if generation is None:  # a database without the counter row
        return None
    cache = _caches.get(uow.engine)
    if cache is None or cache.generation != generation:
        cache = _caches[uow.engine] = _Cache(generation)
    return cache


def cached(uow: UnitOfWork, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s result for ``key``, from this process's cache while the configuration
    generation is unchanged. Exceptions are not cached: bad input is refused each time."""
    cache = _current(uow)
    if cache is None:
        return load()
    try:
        return cache.entries[key]
    except KeyError:
        value = load()
        _keep(cache, key, value)
        return value


def _keep(cache: _Cache, key: Hashable, value: Any) -> None:
    if len(cache.entries) >= MAX_ENTRIES:
        cache.entries = {}
    cache.entries[key] = value


def cached_many(uow: UnitOfWork, kind: str, keys: Iterable[K],
                load: Callable[[list[K]], dict[K, T]]) -> dict[K, T | None]:
    """Like ``cached`` for many keys of one kind, with one ``load`` of the missing ones
    (sorted); a key ``load`` leaves out is remembered as None."""
    cache = _current(uow)
    if cache is None:
        loaded = load(sorted(set(keys)))
        return {key: loaded.get(key) for key in keys}
    out: dict[K, T | None] = {}
    missing = []
    for key in keys:
        try:
            out[key] = cache.entries[(kind, key)]
        except KeyError:
            missing.append(key)
    if missing:
        loaded = load(sorted(set(missing)))
        for key in missing:
            out[key] = loaded.get(key)
            _keep(cache, (kind, key), out[key])
    return out
