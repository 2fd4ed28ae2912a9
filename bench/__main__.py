"""``python -m bench``: order placement, the hot SKU and available to promise over HTTP.

``--part orders``: for each database (SQLite and/or PostgreSQL): a fresh, migrated
database; a seeded shop (fixed random seed); a real uvicorn server with N workers; one
load level per concurrency; then the stock is read back over the API and the ledger is
checked for drift; the largest API worker's peak memory is read, and on PostgreSQL
``pgbench`` runs the order-shaped SQL transaction alone on the same database
(``bench.pgbench``) for the efficiency API / database.

``--part hot``: the same SKU in every order against the spread-out load, and a
sell-out that must never oversell (``bench.hot``).

``--part import``: ``ordermesh import`` of a generated JSON-lines file, and again
(``bench.bulk_import``).

``--part growth`` (PostgreSQL only): placement and reads with 10,000 and with a million
stored orders (``bench.growth``).

``--part atp`` (PostgreSQL only): a fresh database filled with 100,000 SKUs x 50
locations by ``bench.atp_data``, then single-SKU and 100-SKU batch ATP requests per
concurrency level, alone and while orders are placed (``bench.atp``).

``--part overload``: the sustainable concurrency, then 4x it with load shedding on: p99 of
accepted orders and clean 503s (``bench.overload``).

``--part all`` (the default) runs them all. Results go to the console and to
``docs/benchmarks.md`` (unless ``--no-write``), one section per part.

Not part of the run: ``python -m bench.profile`` profiles the placement path in-process
and summarises py-spy profiles of a server worker (see its docstring).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy.engine import make_url

from bench import atp_report, pgbench
from bench.atp import BATCH_SIZE, AtpOptions, run_atp
from bench.atp_data import AtpSpec
from bench.bulk_import import ImportRun, import_lines, run_import
from bench.cpu import CpuMeter, postgres_backends
from bench.database import DEFAULT_POSTGRES_URL, fresh_database, postgres_version, sqlite_version
from bench.growth import BASE_ORDERS, READ_CONCURRENCY, READS, growth_lines, run_growth
from bench.hot import hot_lines, run_hot_database
from bench.load import Ledger, check_stock, run_level
from bench.overload import overload_lines, overload_section, run_overload_database
from bench.report import (
    DatabaseRun,
    header_lines,
    orders_section,
    resource_lines,
    rich_table,
    verification_lines,
    write_markdown,
)
from bench.seed import check_ledger, seed_shop
from bench.server import REPO_ROOT, running_server

SEED = 20_261_126
PGBENCH_CLIENTS = 16  # as many as the API level the reference point used
# Piped output (make bench | tee) would otherwise get 80 columns and a squeezed table.
console = Console(width=None if sys.stdout.isatty() else 140)


def _concurrency_list(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from exc
    if not levels or any(level < 1 for level in levels):
        raise argparse.ArgumentTypeError("concurrency levels must be positive integers")
    return levels


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark placing orders and available to promise through the HTTP "
        "API against a real server.",
    )
    parser.add_argument("--part", choices=["orders", "hot", "import", "growth", "atp",
                                           "overload", "all"], default="all",
                        help="which benchmark: order placement, the hot SKU (flash sale), "
                        "bulk import, growth, ATP (the last two PostgreSQL only), overload "
                        "(4x the sustainable concurrency), or all (default: all)")
    parser.add_argument("--overload-base", type=int, default=16, metavar="N",
                        help="the sustainable concurrency the overload part multiplies "
                        "by 4 (default: 16)")
    parser.add_argument("--growth-base", type=int, default=BASE_ORDERS, metavar="N",
                        help="orders placed before the first growth measurement "
                        "(default: %(default)s)")
    parser.add_argument("--growth-orders", type=int, default=1_000_000, metavar="N",
                        help="stored orders the growth part grows to (default: %(default)s)")
    parser.add_argument("--import-orders", type=int, default=20_000, metavar="N",
                        help="orders in the bulk import file (default: %(default)s)")
    parser.add_argument("--import-jobs", type=int, default=2, metavar="N",
                        help="ordermesh import --jobs on PostgreSQL; SQLite uses 1 "
                        "(default: %(default)s)")
    parser.add_argument("--hot-concurrency", type=int, default=16, metavar="N",
                        help="clients for the hot SKU part's two loads (default: 16)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both",
                        help="which database(s) the order benchmark runs against; ATP "
                        "always uses PostgreSQL and is skipped with sqlite (default: both)")
    parser.add_argument("--concurrency", type=_concurrency_list, default=[1, 4, 16, 32],
                        metavar="N,N,...", help="concurrent clients per order level "
                        "(default: 1,4,16,32)")
    parser.add_argument("--atp-concurrency", type=_concurrency_list, default=[1, 4, 16],
                        metavar="N,N,...", help="concurrent clients per ATP level "
                        "(default: 1,4,16)")
    parser.add_argument("--atp-order-rate", type=float, default=50.0, metavar="N",
                        help="orders/s placed alongside the ATP levels; 0: back to back "
                        "from every order client (default: 50)")
    parser.add_argument("--atp-order-concurrency", type=int, default=8, metavar="N",
                        help="order clients alongside the ATP levels, at most this many "
                        "orders in flight (default: 8)")
    parser.add_argument("--atp-skus", type=int, default=AtpSpec.skus, metavar="N",
                        help="SKUs in the ATP data set (default: %(default)s)")
    parser.add_argument("--atp-locations", type=int, default=AtpSpec.locations, metavar="N",
                        help="locations in the ATP data set, every SKU stocked at each "
                        "(default: %(default)s)")
    parser.add_argument("--duration", type=float, default=10.0, metavar="SECONDS",
                        help="measured seconds per level (default: 10)")
    parser.add_argument("--warmup", type=float, default=2.0, metavar="SECONDS",
                        help="unmeasured seconds before each level (default: 2)")
    parser.add_argument("--workers", type=int, default=2,
                        help="uvicorn worker processes (default: 2)")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("ORDERMESH_BENCH_POSTGRES_URL",
                                               DEFAULT_POSTGRES_URL),
                        help="admin URL; a database ordermesh_bench_<random> is created "
                        "next to it and dropped afterwards (default: "
                        "$ORDERMESH_BENCH_POSTGRES_URL or %(default)s)")
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"),
                        help="Markdown file to (re)write (default: docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the results only; leave the Markdown file alone")
    parser.add_argument("--batching", choices=["on", "off"], default="on",
                        help="natural batching of placements in the API processes "
                        "(ORDERMESH_PLACEMENT_BATCHING); the setup line records it")
    parser.add_argument("--hold", type=float, default=0.0, metavar="SECONDS",
                        help="after the order levels, keep the last level's load running this "
                        "long, e.g. to attach py-spy to a worker pid (not measured)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.warmup < 0 or args.workers < 1:
        parser.error("--duration must be > 0, --warmup >= 0 and --workers >= 1")
    if not BATCH_SIZE <= args.atp_skus <= 1_000_000 or args.atp_locations < 1:
        parser.error(f"--atp-skus must be between {BATCH_SIZE} (one batch) and 1,000,000 "
                     "(six-digit SKUs), --atp-locations >= 1")
    if args.atp_order_concurrency < 1 or args.atp_order_rate < 0:
        parser.error("--atp-order-concurrency must be >= 1 and --atp-order-rate >= 0")
    return args


def _batching(args: argparse.Namespace) -> str:
    if args.batching == "off":
        return "natural batching off (each order its own transaction)"
    limit = os.environ.get("ORDERMESH_PLACEMENT_BATCH_MAX", "256")
    return f"natural batching on (at most {limit} orders per transaction)"


def _opt(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def run_database(kind: str, args: argparse.Namespace) -> DatabaseRun:
    version = sqlite_version() if kind == "sqlite" else postgres_version(args.postgres_url)
    run = DatabaseRun(kind, version)
    console.rule(f"[bold]{kind}[/bold] {version}")
    with fresh_database(kind, args.postgres_url) as url:
        started = time.perf_counter()
        with console.status("seeding 1,000 SKUs x 3 locations...") as status:
            shop = seed_shop(url, SEED, progress=lambda done, total: status.update(
                f"seeding: {done}/{total} SKUs"))
        console.print(f"seeded in {time.perf_counter() - started:.1f}s")
        with running_server(url, args.workers) as server:
            console.print(f"server {server.base_url}: supervisor pid {server.pid}, "
                          f"workers {server.worker_pids()}")
            ledger = Ledger()
            pg_name = make_url(url).database if kind == "postgres" else None
            meter = CpuMeter(lambda: server.process_ids()
                             + (postgres_backends(pg_name) if pg_name else []))
            for level_no, concurrency in enumerate(args.concurrency):
                level = asyncio.run(run_level(
                    server.base_url, shop, ledger, concurrency=concurrency,
                    duration_s=args.duration, warmup_s=args.warmup,
                    seed=SEED + level_no, meter=meter))
                run.levels.append(level)
                console.print(
                    f"  c={concurrency:<3} {level.throughput:7.1f} orders/s  "
                    f"p50 {level.percentile(50):7.1f} ms  p99 {level.percentile(99):7.1f} ms  "
                    f"errors {level.error_count}  loadgen CPU {level.cpu_percent:.0f}%  "
                    f"server CPU/order {_opt(level.server_ms_per_order, ' ms')}  "
                    f"other load {_opt(level.other_percent, '%')}")
                if level.errors:
                    console.print(f"    errors: {dict(level.errors)}\n{server.log_tail(10)}")
            if args.hold > 0:
                console.print(f"holding load at c={args.concurrency[-1]} for {args.hold:.0f}s")
                asyncio.run(run_level(server.base_url, shop, ledger,
                                      concurrency=args.concurrency[-1], duration_s=args.hold,
                                      warmup_s=0, seed=SEED - 1))
            run.peak_rss_mb = server.peak_rss_mb()
            stock = asyncio.run(check_stock(server.base_url, shop, ledger))
        checked = check_ledger(url)
        if kind == "postgres" and pgbench.available():
            clients = PGBENCH_CLIENTS
            with console.status(f"pgbench, {clients} clients..."):
                result = pgbench.run_pgbench(url, clients, args.duration)
            run.pgbench_tps, run.pgbench_clients = result.tps, clients
            console.print(f"  pgbench, order-shaped transaction, {clients} clients: "
                          f"{result.tps:.0f}/s, {result.latency_ms:.1f} ms average")
    run.orders_confirmed = ledger.orders
    run.orders_in_db = checked.orders_in_db
    run.drift = checked.drift
    run.skus_checked = stock.skus_checked
    run.stock_mismatches = len(stock.mismatches)
    for mismatch in stock.mismatches[:10]:
        console.print(f"[red]stock mismatch[/red] {mismatch}")
    if ledger.transport_errors == 0 and checked.orders_in_db != ledger.orders:
        run.stock_mismatches += 1
        console.print(f"[red]{checked.orders_in_db} orders in the database but "
                      f"{ledger.orders} confirmed[/red]")
    return run


def run_orders(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """The order placement part: (verified, its Markdown section)."""
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = [run_database(kind, args) for kind in kinds]
    setup = (f"uvicorn --workers {args.workers}, server, database and load generator "
             f"(aiohttp, one keep-alive connection per client task) on this machine; "
             f"{args.duration:g}s measured after {args.warmup:g}s warm-up per level; "
             f"3-line orders over 1,000 SKUs in 3 locations; {_batching(args)}")
    console.print(rich_table(runs, "Order placement over HTTP (POST /api/v1/orders)"))
    console.print(setup)
    for run, line in zip(runs, verification_lines(runs), strict=True):
        console.print(line, style="green" if run.verified else "bold red")
    for line in resource_lines(runs):
        console.print(line)
    section = orders_section(runs, command=command, repo=REPO_ROOT,
                             python=platform.python_version(), settings=setup)
    return all(run.verified for run in runs), section


def run_hot_part(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """The hot SKU part: (verified, its Markdown section)."""
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = []
    for kind in kinds:
        version = sqlite_version() if kind == "sqlite" else postgres_version(args.postgres_url)
        console.rule(f"[bold]hot SKU[/bold] {kind} {version}")
        with fresh_database(kind, args.postgres_url) as url:
            runs.append(run_hot_database(
                kind, version, url, SEED, concurrency=args.hot_concurrency,
                duration_s=args.duration, warmup_s=args.warmup, workers=args.workers,
                say=console.print))
    lines = hot_lines(runs)
    for run, line in zip(runs, lines, strict=True):
        console.print(line, style="green" if run.verified else "bold red")
    setup = (f"uvicorn --workers {args.workers}; {args.duration:g}s measured after "
             f"{args.warmup:g}s warm-up per load; 3-line orders, in the hot load one of the "
             "3 lines is always the same SKU (stocked at all 3 locations); "
             f"{_batching(args)}")
    versions = [f"Python {platform.python_version()}"] + [
        f"{'SQLite' if r.kind == 'sqlite' else 'PostgreSQL'} {r.version}" for r in runs]
    section = "\n".join(["## Hot SKU (flash sale) over HTTP", "",
                         *header_lines(REPO_ROOT, versions, command, setup), "",
                         *[f"- {line}" for line in lines]])
    return all(run.verified for run in runs), section


def run_import_part(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """The bulk import part: (verified, its Markdown section)."""
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    runs = []
    for kind in kinds:
        version = sqlite_version() if kind == "sqlite" else postgres_version(args.postgres_url)
        console.rule(f"[bold]bulk import[/bold] {kind} {version}")
        jobs = 1 if kind == "sqlite" else args.import_jobs
        with fresh_database(kind, args.postgres_url) as url, \
                tempfile.TemporaryDirectory(prefix="ordermesh-import-") as tmp:
            shop = seed_shop(url, SEED)
            run = ImportRun(kind, version, args.import_orders, jobs)
            with console.status(f"importing {args.import_orders:,} orders..."):
                runs.append(run_import(run, url, shop, Path(tmp) / "orders.jsonl", SEED))
    lines = import_lines(runs)
    for run, line in zip(runs, lines, strict=True):
        console.print(line, style="green" if run.verified else "bold red")
    setup = (f"`ordermesh import` in its own process on this machine, {args.import_orders:,} "
             "generated 3-line orders (`bench/bulk_import.py`) into the seeded shop "
             "(1,000 SKUs x 3 locations), then the same file again")
    versions = [f"Python {platform.python_version()}"] + [
        f"{'SQLite' if r.kind == 'sqlite' else 'PostgreSQL'} {r.version}" for r in runs]
    section = "\n".join(["## Bulk import", "",
                         *header_lines(REPO_ROOT, versions, command, setup), "",
                         *[f"- {line}" for line in lines]])
    return all(run.verified for run in runs), section


def run_overload_part(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """Load shedding at 4x the sustainable concurrency: (verified, its Markdown section)."""
    runs = []
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        version = sqlite_version() if kind == "sqlite" else postgres_version(args.postgres_url)
        console.rule(f"[bold]overload[/bold] {kind} {version}")
        with fresh_database(kind, args.postgres_url) as url:
            runs.append(run_overload_database(
                kind, version, url, SEED, base=args.overload_base, duration_s=args.duration,
                warmup_s=args.warmup, workers=args.workers, say=console.print))
    for run, line in zip(runs, overload_lines(runs), strict=True):
        console.print(line, style="green" if run.verified else "bold red")
    return all(run.verified for run in runs), overload_section(
        runs, command=command, python=platform.python_version(), workers=args.workers,
        duration_s=args.duration, warmup_s=args.warmup, batching=_batching(args))


def run_growth_part(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """The growth part, on PostgreSQL: (verified, its Markdown section)."""
    version = postgres_version(args.postgres_url)
    console.rule(f"[bold]growth[/bold] postgres {version}")
    with fresh_database("postgres", args.postgres_url) as url, \
            tempfile.TemporaryDirectory(prefix="ordermesh-growth-") as tmp:
        shop = seed_shop(url, SEED)
        run = run_growth(url, version, shop, Path(tmp), base=args.growth_base,
                         target=args.growth_orders,
                         workers=args.workers, concurrency=16, duration_s=args.duration,
                         warmup_s=args.warmup, seed=SEED, say=console.print)
    lines = growth_lines(run)
    console.print(lines[-1])
    setup = (f"uvicorn --workers {args.workers}; {args.growth_base:,} orders placed by "
             f"`ordermesh import`, then copied in SQL up to {args.growth_orders:,}; "
             f"placement at c=16 for {args.duration:g}s; {READS:,} reads of random stored "
             f"orders and {READS:,} customer order lists (full pages of 20, repeat customers) at "
             f"c={READ_CONCURRENCY}")
    section = "\n".join(["## Growth: the cost of a long history", "",
                         *header_lines(REPO_ROOT, [f"Python {platform.python_version()}",
                                                   f"PostgreSQL {version}"], command, setup),
                         "", *lines])
    return True, section


def run_atp_part(args: argparse.Namespace, command: str) -> tuple[bool, str]:
    """The ATP part, on PostgreSQL: (verified, its Markdown section)."""
    version = postgres_version(args.postgres_url)
    console.rule(f"[bold]ATP[/bold] postgres {version}")
    spec = AtpSpec(skus=args.atp_skus, locations=args.atp_locations, seed=SEED)
    options = AtpOptions(args.postgres_url, spec, args.atp_concurrency,
                         args.atp_order_concurrency, args.atp_order_rate, args.duration,
                         args.warmup, args.workers)
    run = run_atp(options, version, fresh_database, console.print)
    pace = f"{args.atp_order_rate:g}/s" if args.atp_order_rate else "back to back"
    setup = (f"uvicorn --workers {args.workers}, server, PostgreSQL and load generators "
             f"(aiohttp, one keep-alive connection per client task) on this machine; "
             f"{args.duration:g}s measured after {args.warmup:g}s warm-up per level; "
             f"orders alongside: {pace} from up to {args.atp_order_concurrency} clients in a "
             f"separate process")
    console.print(atp_report.rich_table(run))
    console.print(setup)
    console.print(f"data: {atp_report.data_line(run)}")
    console.print(f"targets: {atp_report.targets_line(run)}")
    console.print(atp_report.verification_line(run),
                  style="green" if run.verified else "bold red")
    section = atp_report.atp_section(run, command=command, repo=REPO_ROOT,
                                     python=platform.python_version(), settings=setup)
    return run.verified, section


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = ("python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
               ).strip()
    # the API servers inherit the environment (bench.server)
    os.environ["ORDERMESH_PLACEMENT_BATCHING"] = "true" if args.batching == "on" else "false"
    parts = {"orders": run_orders, "hot": run_hot_part, "import": run_import_part,
             "growth": run_growth_part, "atp": run_atp_part, "overload": run_overload_part}
    chosen = list(parts) if args.part == "all" else [args.part]
    for pg_only in ("growth", "atp"):
        if pg_only in chosen and args.db == "sqlite":
            console.print(f"[yellow]{pg_only}: PostgreSQL only, skipped with --db sqlite"
                          "[/yellow]")
            chosen.remove(pg_only)
    verified = True
    try:
        for part in chosen:
            ok, section = parts[part](args, command)
            verified = verified and ok
            if not args.no_write:  # after each part: a later failure loses nothing
                write_markdown(args.output, {part: section})
                console.print(f"wrote the {part} section of {args.output}")
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: server stopped, database dropped[/yellow]")
        return 130
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
