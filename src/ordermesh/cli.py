"""The ``ordermesh`` command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleDimensions

from ordermesh.apikeys.model import Role, hash_secret
from ordermesh.apikeys.service import create_api_key
from ordermesh.bootstrap import build_container
from ordermesh.cli_backup import db_backup, db_restore
from ordermesh.cli_inventory import inventory_app
from ordermesh.cli_secrets import secrets_app
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork

if TYPE_CHECKING:
    from ordermesh.quickstart import PortUnavailable

app = typer.Typer(help="ordermesh: omnichannel order management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema, backup and restore.", no_args_is_help=True)
db_app.command("backup")(db_backup)
db_app.command("restore")(db_restore)
apikey_app = typer.Typer(help="API keys.", no_args_is_help=True)
user_app = typer.Typer(help="Back-office users (sign in at /app).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.add_typer(inventory_app, name="inventory")
app.add_typer(user_app, name="user")
app.add_typer(secrets_app, name="secrets")
UNWRAPPED_WIDTH = 10_000


class _Console(Console):
    """On a terminal, lines wrap at its width; written to a file or a pipe they are not
    cut at Rich's default of 80 columns (unless COLUMNS says otherwise), so tables stay
    whole and a line stays one line for grep and scripts."""

    def __init__(self) -> None:
        super().__init__()
        # Rich freezes COLUMNS as the width when the console is built (at import); read it
        # when printing instead, so the environment of each command decides.
        self._width = None

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self._width is None and "COLUMNS" not in self._environ and not self.is_terminal:
            return ConsoleDimensions(UNWRAPPED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


console = _Console()

LOCAL_KEY_FILE = Path("var/admin-api-key")
DEMO_USER_FILE = Path("var/demo-user")
DEMO_USER = "demo@ordermesh.example"


def _container() -> Container:
    """The composition root, or a short message (not a traceback) for a bad setting."""
    try:
        return build_container()
    except ValidationError as exc:
        for error in exc.errors():
            name = "ORDERMESH_" + "_".join(str(p) for p in error["loc"]).upper()
            console.print(f"[red]{name}: {error['msg']}[/red]")
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (creates it when empty)."""
    from ordermesh.migrations import head_revision, upgrade

    container = _container()
    upgrade(container.settings.database_url)
    console.print(f"Database at revision [bold]{head_revision()}[/bold] "
                  f"({container.engine.dialect.name})")


def _migrated_container():
    """The container, refusing (exit 2) a database whose schema is not the latest."""
    from ordermesh.migrations import SchemaOutOfDate, ensure_up_to_date

    container = _container()
    try:
        ensure_up_to_date(container.engine)
    except SchemaOutOfDate as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    return container


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the API and its docs. With several workers their metrics are summed through
    files in PROMETHEUS_MULTIPROC_DIR (a temporary directory unless set)."""
    import uvicorn

    from ordermesh.monitoring import prepare_multiprocess

    container = _migrated_container()
    settings = container.settings
    prepare_multiprocess(workers)
    uvicorn.run("ordermesh.bootstrap:app_from_env", factory=True, host=host or settings.host,
                port=port or settings.port, workers=workers, log_level="info",
                timeout_worker_healthcheck=settings.worker_healthcheck_s)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(
        "--once", help="Run every job once, then exit (for cron and tests)")] = False,
    interval: Annotated[float, typer.Option(
        min=0.1, help="Seconds to wait after a pass in which no job had work")] = 5.0,
    parent_pid: Annotated[int | None, typer.Option(
        hidden=True, help="Stop when the process with this id ends (quickstart's "
                          "worker)")] = None,
) -> None:
    """Run the background jobs (holds, payments, backorders, pickups, tracking, promises,
    forecasts) until stopped with SIGTERM or Ctrl-C."""
    from ordermesh.http import logs
    from ordermesh.worker import Worker

    container = _migrated_container()
    logs.configure(container.settings.log_format)
    running = Worker(container, interval=interval)
    if parent_pid is not None:
        from ordermesh.quickstart import stop_when_parent_changes

        stop_when_parent_changes(parent_pid, running.stop)
    try:
        result = running.run(once=once)
    finally:
        container.engine.dispose()
    if not once:
        return
    for name, done in result.done.items():
        console.print(f"{name}: {done} done")
    for name in result.busy:
        console.print(f"[yellow]{name}: database busy, not done[/yellow]")
    for name in result.failed:
        console.print(f"[red]{name}: failed (see the log)[/red]")
    if result.busy or result.failed:
        raise typer.Exit(1)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    role: Annotated[Role, typer.Option(help="admin, operator, viewer or supplier")
                    ] = Role.OPERATOR,
    supplier: Annotated[str | None, typer.Option(
        help="Role supplier: the supplier (id or code) the key speaks for")] = None,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    container = _container()
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        key, secret = create_api_key(uow, name, role, supplier=supplier)
    console.print(f"Created {key.role} key '{key.name}' ({key.id}). Store it now; "
                  "it is not shown again:")
    typer.echo(secret)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The e-mail the person signs in with")],
    role: Annotated[str, typer.Option(
        help="admin, operator, agent (orders and refunds), warehouse (stock) or viewer")
    ] = "viewer",
    password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, confirmation_prompt=True,
        envvar="ORDERMESH_NEW_USER_PASSWORD",
        help="At least 10 characters; asked for when not given")] = "",
    location: Annotated[list[str] | None, typer.Option(
        help="Limit the user to this location (its code); repeat for several")] = None,
    channel: Annotated[list[str] | None, typer.Option(
        help="Limit the user to this channel (its code); repeat for several")] = None,
) -> None:
    """Create a back-office user (the password is stored as an Argon2id hash)."""
    from ordermesh.backoffice.model import UserRole
    from ordermesh.backoffice.scopes import create_scoped_user
    from ordermesh.kit.errors import DomainError

    try:
        user_role = UserRole(role)
    except ValueError:
        console.print(f"[red]--role must be one of: {', '.join(UserRole)}[/red]")
        raise typer.Exit(2) from None
    container = _container()
    try:
        with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
            user = create_scoped_user(uow, email, password, user_role, location or [],
                                      channel or [])
    except DomainError as exc:
        console.print(f"[red]User not created: {exc.detail}[/red]")
        raise typer.Exit(1) from exc
    finally:
        container.engine.dispose()
    where = ", ".join([*(f"location {c}" for c in location or []),
                       *(f"channel {c}" for c in channel or [])])
    console.print(f"Created {user.role} user {user.email}"
                  f"{f' limited to {where}' if where else ''}; sign in at /app")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no orders")] = False,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Load realistic demo data: channels, locations, products, stock, customers, orders."""
    from ordermesh.demo import has_orders, load_demo
    from ordermesh.kit.errors import DomainError

    container = _container()
    try:
        if if_empty and has_orders(container):
            console.print("Database already has orders; demo data not loaded.")
            return
        summary = load_demo(container, seed=seed, progress=console)
    except DomainError as exc:
        console.print(f"[red]Demo data not loaded: {exc.detail}[/red]")
        raise typer.Exit(1) from exc
    finally:
        container.engine.dispose()
    console.print(f"Demo data loaded: {summary}")


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="JSON lines: one order per line, as for "
                                              "POST /api/v1/orders, each with external_id")],
    jobs: Annotated[int, typer.Option(min=1, max=32, help="Orders placed side by side "
                                      "(PostgreSQL; keep 1 on SQLite)")] = 1,
    errors: Annotated[Path | None, typer.Option(
        help="Write the refused lines here (JSON lines: line, code, detail)")] = None,
) -> None:
    """Import orders from a JSON-lines file, with the same checks, reservations and events
    as the API; orders already imported (channel + external_id) are skipped."""
    from rich.progress import Progress

    from ordermesh.flows.importing import import_orders

    container = _migrated_container()
    try:
        with path.open("rb") as source, Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"importing {path.name}", total=path.stat().st_size)
            report = import_orders(container, source, jobs=jobs,
                                   progress=lambda n: bar.advance(task, n))
    finally:
        container.engine.dispose()
    if errors is not None:
        errors.write_bytes(b"".join(r.as_json() + b"\n" for r in report.refusals))
    console.print(f"{report.lines} orders read: {report.placed} placed, {report.duplicates} "
                  f"already there, {len(report.refusals)} refused"
                  + (f" ({_counts(dict(report.reasons))})" if report.refusals else ""))
    for refusal in report.refusals[:20]:
        console.print(f"  line {refusal.line}: {refusal.code}: {refusal.detail}",
                      markup=False, highlight=False)
    if len(report.refusals) > 20:
        console.print(f"  ... and {len(report.refusals) - 20} more"
                      + (f" (all in {errors})" if errors else " (--errors FILE lists all)"))
    if report.refusals:
        raise typer.Exit(1)


def _counts(values: dict[str, int]) -> str:
    return ", ".join(f"{name} {value}" for name, value in values.items())


@app.command()
def quickstart(
    serve_after: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="Serve after the set-up")] = True,
    host: Annotated[str | None, typer.Option(
        help="Interface to bind (default: ORDERMESH_HOST, else 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(
        min=1, max=65535, help="Port (default: ORDERMESH_PORT, else 8000)")] = None,
    with_demo: Annotated[bool, typer.Option(
        "--demo/--no-demo", help="Load demo data when the database has no orders")] = True,
) -> None:
    """What `make run` does: migrate, load demo data when empty, print an admin key, serve
    (with a background worker beside the server; SIGTERM or Ctrl-C stops both)."""
    from ordermesh.apikeys.tables import api_keys
    from ordermesh.migrations import upgrade
    from ordermesh.quickstart import PortUnavailable, listen, serve_with_worker

    container = _container()
    settings = container.settings
    host, port = host or settings.host, port or settings.port
    listener = None
    if serve_after:
        # Taken before anything is printed: the address shown must be this server's.
        try:
            listener = listen(host, port)
        except PortUnavailable as exc:
            container.engine.dispose()
            _say_port_unavailable(exc)
            raise typer.Exit(1) from None
    try:
        upgrade(settings.database_url)
        if with_demo:
            demo(if_empty=True, seed=7)
        secret = _local_admin_key(container, api_keys)
        console.print(f"\n[bold]ordermesh[/bold] on http://{host}:{port} "
                      f"(docs: http://{host}:{port}/docs)")
        console.print(f"Admin API key (kept in {LOCAL_KEY_FILE}):\n  [bold]{secret}[/bold]",
                      soft_wrap=True)
        console.print(f"Try: curl -H 'Authorization: Bearer {secret}' "
                      f"http://{host}:{port}/api/v1/orders", soft_wrap=True)
        if with_demo:
            password = _demo_user(container)
            console.print(f"Back office: http://{host}:{port}/app/ - sign in as "
                          f"[bold]{DEMO_USER}[/bold] with password [bold]{password}[/bold] "
                          f"(kept in {DEMO_USER_FILE})", soft_wrap=True)
        console.print()
        container.engine.dispose()
        if listener is not None and not serve_with_worker(listener, host, port):
            raise typer.Exit(1)
    finally:
        if listener is not None:
            listener.close()


def _say_port_unavailable(exc: PortUnavailable) -> None:
    other = exc.port + 100 if exc.port + 100 <= 65535 else 8100
    if exc.busy:
        console.print(f"[red]Port {exc.port} on {exc.host} is already in use by another "
                      "program, so ordermesh cannot serve there.[/red]")
    else:
        console.print(f"[red]Cannot listen on {exc.host} port {exc.port}: {exc.reason}.[/red]")
    console.print(f"Choose another port: make run PORT={other}, or ordermesh quickstart "
                  f"--port {other}", soft_wrap=True)


def _local_admin_key(container: Container, api_keys) -> str:
    """The key kept in LOCAL_KEY_FILE if it still works, else a new admin key kept there."""
    secret = LOCAL_KEY_FILE.read_text().strip() if LOCAL_KEY_FILE.exists() else None
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        known = secret and uow.execute(
            api_keys.select().where(api_keys.c.key_hash == hash_secret(secret),
                                    api_keys.c.revoked_at.is_(None))).first()
        if not known:
            _, secret = create_api_key(uow, "local-admin", Role.ADMIN)
            LOCAL_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
            LOCAL_KEY_FILE.write_text(secret + "\n")
            os.chmod(LOCAL_KEY_FILE, stat.S_IRUSR | stat.S_IWUSR)
    return secret


def _demo_user(container: Container) -> str:
    """The demo's back-office admin: its password kept in DEMO_USER_FILE, or a new user
    with a random password when the file or the user is missing."""
    import secrets

    from ordermesh.backoffice.model import UserRole
    from ordermesh.backoffice.service import create_user, find_user

    password = DEMO_USER_FILE.read_text().strip() if DEMO_USER_FILE.exists() else None
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        exists = find_user(uow, DEMO_USER) is not None
    if password and exists:
        return password
    if exists:  # the password was lost with the file: sign in with another user
        return "(lost: create a user with 'ordermesh user create')"
    password = secrets.token_urlsafe(12)
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        create_user(uow, DEMO_USER, password, UserRole.ADMIN)
    DEMO_USER_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_USER_FILE.write_text(password + "\n")
    os.chmod(DEMO_USER_FILE, stat.S_IRUSR | stat.S_IWUSR)
    return password



if __name__ == "__main__":
    app()
