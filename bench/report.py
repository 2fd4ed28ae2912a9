"""The results: one Rich table on the console and ``docs/benchmarks.md``.

The Markdown file has a generated part and a hand-kept part below ``NOTES_MARKER``. The
generated part has one section per benchmark part (orders, ATP); a run rewrites the
sections of the parts it ran and keeps the others and the notes.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from bench.load import LevelResult

NOTES_MARKER = "<!-- notes: kept by hand below -->"
DEFAULT_NOTES = """
## Notes

Hand-written observations (profiles, tuning, comparisons) go here; `python -m bench`
keeps this section when it rewrites the results above.
"""

HOW_TO_READ = """\
Each row is one concurrency level: that many client tasks each post an order, wait for
the answer and post the next, for the measured duration after a short warm-up (warm-up
requests are not counted). **orders/s** counts only `201 Created` answers completed
inside the measured window; **p50/p99** are their latencies from send to full response,
so they include queueing in the server. **errors** are any other status or a transport
failure. Every order has 3 lines of distinct SKUs, a customer (matched or created by
e-mail) and a shipping address, and a unique `Idempotency-Key`; each one reserves stock
and writes the order, the ledger and the outbox in one transaction.

The load generator, the server and the database share this machine, so read the CPU
columns with the throughput. They are in % of one core (a machine with N cores has N
times 100%). **loadgen CPU** is the load generator's own CPU time over wall time:
capacity taken away from the server. **server CPU ms/order** is the CPU time of the
uvicorn processes plus their PostgreSQL backends, divided by the orders confirmed: the
cost of one order, steadier than orders/s when other work runs (though on a VM it still
moves with the host's load); for SQLite the database work happens inside the server.
**other load** is the CPU everything else on the machine used meanwhile (other jobs, and
PostgreSQL's background writers); when it is far from 0% the throughput is lower than
the machine could do alone. After each database run the stock of every SKU is read back
over the API and compared with what the 201s confirmed, the orders in the database are
counted, and the ledger is checked for drift."""


@dataclass
class DatabaseRun:
    kind: str  # sqlite | postgres
    version: str
    levels: list[LevelResult] = field(default_factory=list)
    orders_confirmed: int = 0  # 201s seen by the load generator, warm-up included
    orders_in_db: int = 0
    drift: int = 0
    stock_mismatches: int = 0
    skus_checked: int = 0
    peak_rss_mb: float | None = None  # the largest API worker's peak resident memory
    pgbench_tps: float | None = None  # the order-shaped SQL transaction alone (PostgreSQL)
    pgbench_clients: int | None = None

    @property
    def best_throughput(self) -> float:
        return max((level.throughput for level in self.levels), default=0.0)

    @property
    def verified(self) -> bool:
        return self.drift == 0 and self.stock_mismatches == 0 and self.skus_checked > 0


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> str:
    models = [line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
              if line.startswith("model name")]
    cpu = models[0] if models else (platform.processor() or platform.machine())
    ram = next((line.split()[1] for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), None)
    ram_text = f"{int(ram) / 1024 / 1024:.1f} GiB RAM" if ram else "RAM unknown"
    return f"{cpu}, {os.cpu_count()} cores, {ram_text} ({platform.system()} {platform.release()})"


def git_commit(repo: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                              check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # The report itself does not make the code under test "uncommitted".
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                ":!docs/benchmarks.md")
    return f"{commit} (with uncommitted changes)" if dirty else commit


def _fmt_ms(value: float) -> str:
    return "n/a" if value != value else f"{value:.1f}"  # NaN when nothing succeeded


def _rows(runs: list[DatabaseRun]) -> list[list[str]]:
    rows = []
    for run in runs:
        for level in run.levels:
            errors = str(level.error_count)
            if level.errors:
                top = level.errors.most_common(3)
                errors += " (" + ", ".join(f"{kind}: {n}" for kind, n in top) + ")"
            server = level.server_ms_per_order
            other = level.other_percent
            rows.append([run.kind, str(level.concurrency), f"{level.throughput:.0f}",
                         _fmt_ms(level.percentile(50)), _fmt_ms(level.percentile(99)),
                         errors, f"{level.cpu_percent:.0f}%",
                         "n/a" if server is None else f"{server:.1f}",
                         "n/a" if other is None else f"{other:.0f}%"])
    return rows


COLUMNS = ["database", "concurrency", "orders/s", "p50 ms", "p99 ms", "errors", "loadgen CPU",
           "server CPU ms/order", "other load"]


def rich_table(runs: list[DatabaseRun], title: str) -> Table:
    table = Table(title=title)
    for i, name in enumerate(COLUMNS):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in _rows(runs):
        table.add_row(*row)
    return table


def _markdown_table(runs: list[DatabaseRun]) -> str:
    return markdown_table(COLUMNS, _rows(runs))


def verification_lines(runs: list[DatabaseRun]) -> list[str]:
    out = []
    for run in runs:
        verdict = "OK" if run.verified else "FAILED"
        out.append(
            f"{run.kind}: {verdict}: {run.orders_in_db} orders placed in total "
            f"({run.orders_confirmed} confirmed with 201, warm-up included); "
            f"stock of {run.skus_checked} SKUs read back, {run.stock_mismatches} mismatches; "
            f"ledger drift in {run.drift} stock rows")
    return out


def resource_lines(runs: list[DatabaseRun]) -> list[str]:
    """Memory per API process and, on PostgreSQL, the efficiency against pgbench."""
    out = []
    for run in runs:
        if run.peak_rss_mb is not None:
            out.append(f"{run.kind}: peak resident memory of an API worker process "
                       f"{run.peak_rss_mb:.0f} MB (target: under 200 MB)")
        if run.pgbench_tps:
            out.append(
                f"{run.kind}: the same machine and database run the order-shaped SQL "
                f"transaction (2 conditional stock updates, an order, 2 lines, an outbox "
                f"row) through pgbench at {run.pgbench_tps:.0f}/s with {run.pgbench_clients} "
                f"clients; the API's best rate {run.best_throughput:.0f} orders/s is "
                f"{run.best_throughput / run.pgbench_tps:.3f} of it (target: 0.25)")
    return out


def orders_section(runs: list[DatabaseRun], *, command: str, repo: Path, python: str,
                   settings: str) -> str:
    versions = [f"Python {python}"] + [
        f"{'SQLite' if r.kind == 'sqlite' else 'PostgreSQL'} {r.version}" for r in runs]
    return "\n".join([
        "## Order placement over HTTP",
        "",
        *header_lines(repo, versions, command, settings),
        "",
        _markdown_table(runs),
        "",
        "**Correctness after each run:**",
        "",
        *[f"- {line}" for line in verification_lines(runs)],
        "",
        "**Memory and the database's own limit:**",
        "",
        *[f"- {line}" for line in resource_lines(runs)],
        "",
        "### How to read this",
        "",
        HOW_TO_READ,
    ])


def header_lines(repo: Path, versions: list[str], command: str, settings: str) -> list[str]:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- **Machine:** {machine()}",
        f"- **Date:** {now}",
        f"- **Commit:** {git_commit(repo)}",
        f"- **Versions:** {', '.join(versions)}",
        f"- **Command:** `{command}`",
        f"- **Setup:** {settings}",
    ]


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    right = [":--"] + ["--:"] * (len(columns) - 1)
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(right) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


HEADER = ("# Benchmarks\n\n<!-- results: generated by `python -m bench`; a part's section is"
          " rewritten when that part runs, everything else down to the notes marker is kept"
          " -->")
SECTIONS = ("orders", "hot", "import", "growth", "atp", "overload")  # in the order they appear
_SECTION = re.compile(r"^<!-- section: (\w+) -->\n", re.MULTILINE)


def _sections(generated: str) -> dict[str, str]:
    parts = _SECTION.split(generated)
    if len(parts) > 1:
        return {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts), 2)}
    # Written before there were sections: all of it was the order placement results.
    start = generated.find("## Order placement over HTTP")
    return {"orders": generated[start:].strip("\n")} if start >= 0 else {}


def write_markdown(path: Path, sections: dict[str, str]) -> None:
    """Replace the given sections (by name, see ``SECTIONS``) of ``path``; keep the other
    sections and everything from the notes marker on."""
    existing = path.read_text() if path.exists() else ""
    generated, marker, notes = existing.partition(NOTES_MARKER)
    merged = {**_sections(generated), **sections}
    kept = marker + notes if marker else NOTES_MARKER + "\n" + DEFAULT_NOTES
    body = "\n\n".join([HEADER] + [f"<!-- section: {name} -->\n{merged[name].rstrip()}"
                                   for name in SECTIONS if name in merged])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body + "\n\n" + kept.rstrip("\n") + "\n")
