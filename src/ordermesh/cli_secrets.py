"""``ordermesh secrets``: the keys that encrypt stored secrets (kit.secrets)."""

from __future__ import annotations

import typer

from ordermesh.kit.db import UnitOfWork

secrets_app = typer.Typer(help="Keys that encrypt stored secrets.", no_args_is_help=True)


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new key for ORDERMESH_SECRET_KEYS (put it first to rotate)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Encrypt every stored secret again with the first key of ORDERMESH_SECRET_KEYS."""
    from ordermesh.cli import _migrated_container, console
    from ordermesh.connectors.accounts import reseal_credentials
    from ordermesh.shipping.accounts import reseal_secrets

    container = _migrated_container()
    if container.settings.secret_keys is None:
        console.print("[red]ORDERMESH_SECRET_KEYS is not set: nothing to encrypt with[/red]")
        raise typer.Exit(2)
    with UnitOfWork(container.engine, container.clock, actor="cli:secrets-rotate") as uow:
        count = reseal_secrets(uow)
    with UnitOfWork(container.engine, container.clock, actor="cli:secrets-rotate") as uow:
        connectors = reseal_credentials(uow)
    console.print(f"Secrets of {count} carrier account(s) and {connectors} connector(s) "
                  "encrypted with the first key.")

