"""``ordermesh db backup`` and ``ordermesh db restore`` (kit.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from ordermesh.kit.backup import BackupError, backup, restore
from ordermesh.kit.db import UnitOfWork

TIMEOUT = typer.Option("--timeout", min=1.0, help="Give up after this many seconds")


def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write")],
    overwrite: Annotated[bool, typer.Option("--overwrite",
                                            help="Replace the file if it exists")] = False,
    timeout: Annotated[float, TIMEOUT] = 3600.0,
) -> None:
    """Copy the whole database into one file, consistently, while it keeps serving."""
    from ordermesh.cli import _container, console

    container = _container()
    try:
        copied = backup(container.settings.database_url, file, timeout_s=timeout,
                        overwrite=overwrite)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Backed up the {copied.kind} database to {copied.path} "
                  f"({copied.size:,} bytes).")


def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by 'ordermesh db backup'")],
    timeout: Annotated[float, TIMEOUT] = 3600.0,
) -> None:
    """Put a backup into the (empty) database of ORDERMESH_DATABASE_URL and check it."""
    from ordermesh.cli import _container, console
    from ordermesh.migrations import current_revision, head_revision

    container = _container()
    try:
        restore(file, container.settings.database_url, container.engine, timeout_s=timeout)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    revision, head = current_revision(container.engine), head_revision()
    console.print(f"Restored {file} into the {container.engine.dialect.name} database "
                  f"(schema revision {revision}).")
    if revision != head:
        console.print(f"[yellow]This ordermesh needs revision {head}: run 'ordermesh db "
                      "upgrade', then 'ordermesh inventory verify'.[/yellow]")
        return
    _check(container, console)


def _check(container, console) -> None:
    """Say what came back, and whether the stock counters agree with the ledger."""
    from ordermesh.inventory.ledger import ledger_drift
    from ordermesh.kit.outbox import outbox
    from ordermesh.orders.tables import orders

    with UnitOfWork(container.engine, container.clock, actor="cli:db-restore",
                    write=False) as uow:
        order_count = uow.execute(select(func.count()).select_from(orders)).scalar_one()
        event_count = uow.execute(select(func.count()).select_from(outbox)).scalar_one()
        drift = ledger_drift(uow)
    console.print(f"{order_count:,} orders and {event_count:,} events.")
    if drift:
        console.print(f"[red]{len(drift)} stock counter(s) disagree with the ledger: run "
                      "'ordermesh inventory verify'.[/red]")
        raise typer.Exit(1)
    console.print("[green]Stock counters and ledger agree.[/green]")
