"""``ordermesh inventory``: checking (and repairing) stock counters against the ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ordermesh.kit.db import UnitOfWork

inventory_app = typer.Typer(help="Inventory maintenance.", no_args_is_help=True)


@inventory_app.command("verify")
def inventory_verify(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Reset drifting counters to what the ledger says")] = False,
) -> None:
    """Check that every stock counter equals the sum of its ledger movements."""
    from ordermesh.cli import _container, _counts, console
    from ordermesh.inventory.ledger import ledger_drift, repair_drift

    container = _container()
    with UnitOfWork(container.engine, container.clock, actor="cli:inventory-verify",
                    write=repair) as uow:
        drift = repair_drift(uow) if repair else ledger_drift(uow)
        names = _drift_names(uow, drift)
    if not drift:
        console.print("[green]Stock counters and ledger agree.[/green]")
        return
    table = Table("counter", "of", "at / channel", "counters", "ledger")
    for d in drift:
        first, second = (d.key[1], d.key[0]) if d.kind == "channel" else d.key
        table.add_row(d.kind, names.get(first, first), names.get(second, second),
                      _counts(d.counters), _counts(d.ledger))
    console.print(table)
    if repair:
        console.print(f"[yellow]Repaired {len(drift)} counter row(s) from the ledger.[/yellow]")
        return
    raise typer.Exit(1)


def _drift_names(uow, drift) -> dict[str, str]:
    """SKUs, location codes and channel codes for the ids in a drift report."""
    from sqlalchemy import select

    from ordermesh.catalog.tables import products
    from ordermesh.channels.tables import channels
    from ordermesh.locations.tables import locations

    ids = {i for d in drift for i in d.key}
    if not ids:
        return {}
    names = {}
    for table, column in ((products, products.c.sku), (locations, locations.c.code),
                          (channels, channels.c.code)):
        for row in uow.execute(select(table.c.id, column).where(table.c.id.in_(ids))):
            names[row[0]] = row[1]
    return names
