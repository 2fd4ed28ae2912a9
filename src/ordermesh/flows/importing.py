"""Bulk import of orders from a JSON-lines file (``ordermesh import``).

Every line is one order in the JSON of ``POST /api/v1/orders`` and goes through the same
use case, with the same guarantees: validated, priced, taxed, every line reserved (or the
order refused), sourced and released, its events in the outbox. Lines are placed in
batches of ``BATCH`` orders, each batch one transaction of the placement flow
(``ordermesh.flows.placement.place_orders``: keys and stock rows claimed and locked once
per batch, every order answered as if placed alone, in file order). Imports are made to
be run again: every order must carry its channel's ``external_id``, and an order the
channel already has with the same content is counted as a duplicate and changes nothing
(the same content rule as the API; other content under the same id is refused); the
batch reads the external ids already there in one query, so a second run skips them
without pricing or reserving anything. A line that is refused is reported with its
number and reason, and the import goes on with the next one.

Side by side (``jobs``): batches on PostgreSQL in worker *processes*, each with its own
connection, because placing an order is Python work that threads of one process cannot
share (the GIL; measured in docs/benchmarks.md); on SQLite, which has one writer at a
time, in threads of this process that queue for the write lock fairly.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import islice

import orjson
from pydantic import ValidationError

from ordermesh.flows.placement import Placement, run_batch
from ordermesh.http.deps import Container
from ordermesh.kit.clock import Clock
from ordermesh.kit.db import UnitOfWork, build_engine, is_sqlite
from ordermesh.kit.errors import DomainError
from ordermesh.orders.schemas import OrderCreate

BATCH = 256  # orders placed in one transaction
BATCHES = 4  # batches handed to the workers at a time


@dataclass(frozen=True)
class Refusal:
    line: int
    code: str
    detail: str

    def as_json(self) -> bytes:
        return orjson.dumps({"line": self.line, "code": self.code, "detail": self.detail})


@dataclass
class ImportReport:
    placed: int = 0
    duplicates: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def lines(self) -> int:
        return self.placed + self.duplicates + len(self.refusals)


def _order_from(text: bytes, number: int) -> OrderCreate | Refusal:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return Refusal(number, "invalid-json", f"not JSON: {exc}")
    try:
        body = OrderCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        return Refusal(number, "invalid-input", f"{where}: {first['msg']}{more}")
    if body.external_id is None:
        return Refusal(number, "invalid-input", "external_id is required: imported orders "
                       "are told apart by channel and external_id, so that a file can be "
                       "imported again")
    if body.reservation_id is not None:
        return Refusal(number, "invalid-input", "reservation_id cannot be imported")
    return body


Outcome = bool | Refusal  # True: placed; False: a duplicate of an order already there


def _batch(container: Container, items: list[tuple[int, bytes]], actor: str
           ) -> list[Outcome]:
    """Place one batch of numbered lines: each line's outcome, in order."""
    from ordermesh.orders.api import command_from

    outcomes: list[Outcome | None] = []
    placements, numbers = [], []
    for number, text in items:
        body = _order_from(text, number)
        if isinstance(body, Refusal):
            outcomes.append(body)
            continue
        outcomes.append(None)
        placements.append(Placement(command_from(body)))
        numbers.append(number)
    placed = iter(run_batch(
        lambda: UnitOfWork(container.engine, container.clock, actor=actor), placements))
    answers = {}
    for number, result in zip(numbers, placed, strict=True):
        if isinstance(result, DomainError):
            answers[number] = Refusal(number, result.code, result.detail)
        elif isinstance(result, Exception):  # the database refused this order's data
            raise result
        else:
            answers[number] = not result.replayed
    return [outcome if outcome is not None else answers[number]
            for (number, _text), outcome in zip(items, outcomes, strict=True)]


# A worker process's own container, built once by _start_process.
_process_container: Container | None = None


def _start_process(url: str, clock: Clock) -> None:
    from ordermesh.settings import Settings

    global _process_container
    settings = Settings(database_url=url)
    _process_container = Container(settings=settings, clock=clock,
                                   engine=build_engine(url, pool_size=1, max_overflow=0))


def _batch_in_process(items: list[tuple[int, bytes]], actor: str) -> list[Outcome]:
    assert _process_container is not None, "worker process not started"
    return _batch(_process_container, items, actor)


def _pool(container: Container, jobs: int, actor: str) -> tuple[Executor, Callable]:
    """Threads on SQLite, processes (spawned: no inherited connections) elsewhere; and
    the function that places one batch of numbered lines in it."""
    if is_sqlite(container.engine):
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="import")
        return pool, lambda items: _batch(container, items, actor)
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_process,
        initargs=(container.settings.database_url, container.clock))
    return pool, partial(_batch_in_process, actor=actor)


def import_orders(container: Container, lines: Iterable[bytes], *, jobs: int = 1,
                  actor: str = "cli:import",
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Place every non-blank line of ``lines`` as an order; ``jobs`` workers place orders
    side by side (processes on PostgreSQL, threads on SQLite: see the module). ``progress``
    is told the bytes of each line done."""
    report = ImportReport()
    lock = threading.Lock()

    def numbered() -> Iterator[tuple[int, bytes]]:
        for number, text in enumerate(lines, 1):
            if progress is not None and not text.strip():
                progress(len(text))
            if text.strip():
                yield number, text

    def record(item: tuple[int, bytes], outcome: Outcome) -> None:
        with lock:
            if isinstance(outcome, Refusal):
                report.refusals.append(outcome)
                report.reasons[outcome.code] += 1
            elif outcome:
                report.placed += 1
            else:
                report.duplicates += 1
            if progress is not None:
                progress(len(item[1]))

    def batches() -> Iterator[list[tuple[int, bytes]]]:
        items = numbered()
        while batch := list(islice(items, BATCH)):
            yield batch

    if jobs <= 1:
        for batch in batches():
            for item, outcome in zip(batch, _batch(container, batch, actor), strict=True):
                record(item, outcome)
        return report
    pool, place = _pool(container, jobs, actor)
    with pool:
        pending = batches()
        while chunk := list(islice(pending, BATCHES * jobs)):
            for batch, outcomes in zip(chunk, pool.map(place, chunk), strict=True):
                for item, outcome in zip(batch, outcomes, strict=True):
                    record(item, outcome)
    report.refusals.sort(key=lambda r: r.line)
    return report
