"""The ATP results: one Rich table on the console and a section of ``docs/benchmarks.md``."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from bench.atp import BATCH_SIZE, TARGETS_MS, AtpLevel, AtpRun
from bench.report import header_lines, markdown_table

TITLE = "Available to promise over HTTP (GET /api/v1/availability, POST …/batch)"
COLUMNS = ["request", "orders alongside", "clients", "req/s", "p50 ms", "p99 ms",
           "p99 target", "errors", "loadgen CPU", "server CPU", "server ms/req",
           "other load", "conns/worker"]

HOW_TO_READ = f"""\
Each row is one level: that many client tasks each send a request, wait for the full
answer and send the next, for the measured duration after a short warm-up (warm-up
requests are not counted). **single** is `GET /api/v1/availability?sku=…&channel=…` for
one random SKU; **batch** is `POST /api/v1/availability/batch` for {BATCH_SIZE} distinct
random SKUs. Each request asks for a random one of the three channels: `web` (every
location, no rules), `marketplace` (quotas on 5% of the SKUs, one category excluded) and
`stores` (only store locations and those in Germany, about a third of them). An answer
lists every location the channel may use, so a `web` batch answer carries
{BATCH_SIZE} x 50 location entries. **p50/p99** are latencies from send to the last byte
of the answer, so they include queueing in the server; **p99 target** compares p99 with
the issue's targets for a 2-core machine (single < 20 ms, batch < 50 ms). **errors** are
any status but 200, transport failures, and answers that do not answer the question
(every 25th answer of each client is parsed and checked: the SKUs asked, in order, the
channel, no negative number).

**orders alongside** is the order placement load (`bench.load`: 3-line orders on `web`,
over all SKUs, each reserving stock under the locks of its SKUs' 50 stock rows) run by a
separate process against the same server over the same window, at a set rate (see
Setup): the orders/s it got and their p99. When it gets less than the set rate, the
server could not keep up with both. The CPU columns are in % of one core (this machine has
two, so 200% is all of it). **loadgen CPU** is both load generators' own CPU time;
**server CPU** is the uvicorn processes plus their PostgreSQL backends; **server
ms/req** divides it by the ATP answers, for the rows without orders alongside (with
orders, the server's CPU serves both); **other load** is everything else on the machine
(other jobs, PostgreSQL's background processes): when it is far from 0% the machine was
not the benchmark's alone. **conns/worker** is how many client connections (ATP and
orders) each uvicorn worker held when the window began: a new connection goes to
whichever worker accepts first and a keep-alive connection stays there, so one worker
can hold them all while the other idles (e.g. `0/4`), which caps that level at one
core. The clients start 20 ms apart to avoid that, which makes it less likely, not
impossible. After the run the orders in the database are counted and
every stock and channel counter is compared with the sum of its movements, in SQL."""


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f}"  # NaN when nothing succeeded


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _row(level: AtpLevel) -> list[str]:
    r = level.result
    errors = str(r.error_count)
    if r.errors:
        errors += " (" + ", ".join(f"{k}: {n}" for k, n in r.errors.most_common(3)) + ")"
    if level.orders is None:
        alongside = "none"
    else:
        o = level.orders
        alongside = (f"{o.throughput:.0f}/s (p99 {o.percentile(99):.0f} ms"
                     + (f", {o.error_count} errors)" if o.error_count else ")"))
    per_request = level.server_ms_per_request
    return [level.kind, alongside, str(r.concurrency), f"{r.throughput:.0f}",
            _ms(r.percentile(50)), _ms(r.percentile(99)),
            f"{'met' if level.met else 'missed'} ({level.target_ms:g})", errors,
            _pct(100.0 * level.loadgen_cpu_s / r.duration_s if r.duration_s else None),
            _pct(level.server_percent),
            "n/a" if per_request is None else f"{per_request:.1f}",
            _pct(level.other_percent), "/".join(map(str, level.spread)) or "n/a"]


def rich_table(run: AtpRun) -> Table:
    table = Table(title=TITLE)
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="left" if i < 2 else "right")
    for level in run.levels:
        row = _row(level)
        style = None if level.met else "red"
        table.add_row(*row, style=style)
    return table


def data_line(run: AtpRun) -> str:
    data = run.data
    if data is None:
        return "no data generated"
    rows = data.rows
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in data.timings.items())
    return (f"{run.spec.skus:,} SKUs x {run.spec.locations} locations: "
            f"{rows.get('stock', 0):,} stock rows, {rows.get('inventory_movements', 0):,} "
            f"ledger movements, {rows.get('channel_reserved', 0):,} channel counters, "
            f"{rows.get('allocation_rules', 0):,} allocation rules, "
            f"{rows.get('expected_supply', 0):,} expected supply rows (seed {run.spec.seed}); "
            f"generated in {data.seconds:.1f} s ({steps})")


def verification_line(run: AtpRun) -> str:
    answers_ok = all(level.result.error_count == 0 for level in run.levels)
    verdict = "OK" if run.verified else "FAILED"
    drift = "not checked" if run.drift < 0 else f"{run.drift}"
    return (f"{verdict}: {run.answers_checked} ATP answers parsed and checked, "
            f"{'no' if answers_ok else 'some'} errors; {run.orders_in_db} orders in the "
            f"database ({run.orders_confirmed} confirmed with 201 alongside, warm-up "
            f"included); counters disagreeing with the ledger: {drift}")


def targets_line(run: AtpRun) -> str:
    parts = []
    for kind, target in TARGETS_MS.items():
        levels = [level for level in run.levels if level.kind == kind]
        if levels:
            worst = max(level.result.percentile(99) for level in levels)
            met = sum(level.met for level in levels)
            parts.append(f"{kind}: p99 < {target:g} ms at {met} of {len(levels)} levels "
                         f"(worst p99 {_ms(worst)} ms)")
    return "; ".join(parts)


def atp_section(run: AtpRun, *, command: str, repo: Path, python: str,
                settings: str) -> str:
    return "\n".join([
        "## Available to promise (ATP) over HTTP",
        "",
        *header_lines(repo, [f"Python {python}", f"PostgreSQL {run.version}"], command,
                      settings),
        f"- **Data:** {data_line(run)}",
        "",
        markdown_table(COLUMNS, [_row(level) for level in run.levels]),
        "",
        f"**Targets:** {targets_line(run)}.",
        "",
        f"**Correctness after the run:** {verification_line(run)}.",
        "",
        "### How to read this",
        "",
        HOW_TO_READ,
    ])
