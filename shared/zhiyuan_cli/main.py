"""The ``zhiyuan`` command: run a local install and operate it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from . import district
from .demo import demo_command
from .install import data_dir, load

app = typer.Typer(
    help="志愿 Zhiyuan: run and operate a local install.", no_args_is_help=True, add_completion=False
)
relay_app = typer.Typer(help="The outbox relays that feed JetStream.", no_args_is_help=True)
app.add_typer(relay_app, name="relay")
recognition_app = typer.Typer(help="Recognition's read models.", no_args_is_help=True)
app.add_typer(recognition_app, name="recognition")
clock_app = typer.Typer(
    help="The simulated clock of a local install (ZHIYUAN_SIMULATED_CLOCK=true).", no_args_is_help=True
)
app.add_typer(clock_app, name="clock")
app.add_typer(district.app, name="district")
app.command("demo")(demo_command)


@clock_app.command("show")
def clock_show() -> None:
    """The time the install's commands see."""
    from datetime import UTC, datetime

    from zhiyuan_platform.clock import read_offset

    offset = read_offset(data_dir())
    typer.echo(f"{(datetime.now(UTC) + offset).isoformat()}  (offset {offset})")


@clock_app.command("set")
def clock_set(
    moment: Annotated[str, typer.Argument(help="RFC 3339, e.g. 2026-03-05T08:00:00+08:00")],
) -> None:
    """Move the simulated clock to MOMENT (it keeps running from there)."""
    from datetime import UTC, datetime

    from zhiyuan_platform.clock import write_offset

    target = datetime.fromisoformat(moment)
    if target.tzinfo is None:
        console.print("[red]give a time with its offset, e.g. 2026-03-05T08:00:00+08:00[/red]")
        raise typer.Exit(2)
    write_offset(data_dir(), target - datetime.now(UTC))
    clock_show()


@clock_app.command("reset")
def clock_reset() -> None:
    """Back to real time."""
    from datetime import timedelta

    from zhiyuan_platform.clock import write_offset

    write_offset(data_dir(), timedelta(0))
    clock_show()


console = Console()
if not console.is_terminal:
    console = Console(width=160)  # piped or captured: do not squeeze tables to 80 columns
CONTEXT_SERVICES = ("registry", "activities", "recognition")


def _gateway_url() -> str:
    host = os.environ.get("ZHIYUAN_GATEWAY_HOST", "127.0.0.1")
    port = os.environ.get("ZHIYUAN_GATEWAY_PORT", "8000")
    return f"http://{host}:{port}"


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Gateway port", envvar="ZHIYUAN_GATEWAY_PORT")] = 8000,
    host: Annotated[str, typer.Option(help="Gateway address", envvar="ZHIYUAN_GATEWAY_HOST")] = "127.0.0.1",
    nats_url: Annotated[
        str | None,
        typer.Option(help="Use this NATS instead of starting one", envvar="ZHIYUAN_EXTERNAL_NATS_URL"),
    ] = None,
    postgres_url: Annotated[
        str | None,
        typer.Option(
            help="Use this PostgreSQL server (databases zhiyuan_<service>) instead of SQLite",
            envvar="ZHIYUAN_POSTGRES_URL",
        ),
    ] = None,
) -> None:
    """Start the whole system: NATS with JetStream, the three services and the gateway."""
    from .supervisor import ChildDied, System

    root = data_dir()
    system = System(
        root,
        gateway_host=host,
        gateway_port=port,
        external_nats=nats_url,
        postgres_url=postgres_url,
        echo=lambda line: console.print(line),
    )

    def _terminate(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    console.print(f"[bold]志愿 Zhiyuan[/bold] starting in {root}")
    if postgres_url:
        _create_postgres_databases(postgres_url)
    try:
        system.start()
        assert system.install is not None
        console.print(
            f"  NATS       {nats_url or system.install.nats_url} (JetStream, sync_interval: always)"
        )
        with console.status("waiting for the services to report healthy…"):
            services = system.wait_ready()
        console.print(f"  services   {', '.join(f'{k}: {v}' for k, v in sorted(services.items()))}")
        console.print(f"  databases  {postgres_url or root} ({'PostgreSQL' if postgres_url else 'SQLite'})")
        console.print(f"  logs       {root / 'logs'}")
        console.print(f"\n[green]ready[/green]  portals  {system.gateway_url}/")
        console.print(f"  API      {system.gateway_url}/api/v1  ·  docs {system.gateway_url}/api/v1/docs")
        console.print(
            "  next     ./zhiyuan demo (a believable city)  ·  ./zhiyuan token --role city_admin  ·  "
            "./zhiyuan status  ·  Ctrl-C stops"
        )
        while True:
            system.check_children()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nstopping…")
    except ChildDied as died:
        console.print(
            f"[red]{died.name} stopped (exit {died.code})[/red]; last lines of {died.log_path}:\n{died.tail}"
        )
        system.stop()
        raise typer.Exit(1) from None
    except (TimeoutError, SystemExit) as exc:
        console.print(f"[red]{exc}[/red]")
        system.stop()
        raise typer.Exit(1) from None
    system.stop()
    console.print("stopped; data kept in " + str(root))


def _create_postgres_databases(postgres_url: str) -> None:
    from zhiyuan_platform.testing.servers import _admin_sql

    admin = f"{postgres_url.rstrip('/')}/postgres"
    for service in CONTEXT_SERVICES:
        try:
            _admin_sql(admin, f'CREATE DATABASE "zhiyuan_{service}"')
        except Exception as exc:
            if "already exists" not in str(exc):
                raise


@app.command()
def token(
    role: Annotated[
        str, typer.Option(help="city_admin, district_admin, organizer, volunteer or district_system")
    ],
    district: Annotated[str | None, typer.Option(help="Six-digit district code")] = None,
    volunteer: Annotated[str | None, typer.Option(help="Volunteer id (role volunteer)")] = None,
    team: Annotated[str | None, typer.Option(help="Team id (role organizer)")] = None,
    hours: Annotated[float, typer.Option(help="Validity in hours")] = 12.0,
) -> None:
    """Print a bearer token for the local install, signed with the install's key."""
    from datetime import timedelta

    from zhiyuan_gateway.core.config import load_or_create_token_key
    from zhiyuan_gateway.core.security import issue_token

    secret = os.environ.get("ZHIYUAN_TOKEN_SECRET") or load_or_create_token_key(data_dir())
    try:
        value = issue_token(
            secret, role, district=district, team=team, volunteer=volunteer, ttl=timedelta(hours=hours)
        )  # type: ignore[arg-type]
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(value)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Each service's health, its outbox and each consumer's lag, through the gateway."""
    try:
        reply = httpx.get(f"{_gateway_url()}/api/v1/health/services", timeout=5)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]gateway not reachable at {_gateway_url()}: {exc}[/red]  (is `zhiyuan up` running?)"
        )
        raise typer.Exit(1) from None
    body = reply.json()
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    table = Table("service", "status", "outbox pending", "consumer", "position", "lag", "dead letters")
    for name, info in sorted(body.get("services", {}).items()):
        consumers = info.get("consumers") or [{}]
        for i, consumer in enumerate(consumers):
            table.add_row(
                name if i == 0 else "",
                str(info.get("status")) if i == 0 else "",
                str(info.get("outbox_pending", "")) if i == 0 else "",
                str(consumer.get("name", "")),
                str(consumer.get("position", "")),
                str(consumer.get("lag", "")),
                str(consumer.get("dead_lettered", "")) if consumer else "",
            )
    console.print(table)
    if reply.status_code != 200:
        raise typer.Exit(1)


@app.command()
def migrate(
    service: Annotated[list[str] | None, typer.Option(help="Only this service (repeatable)")] = None,
) -> None:
    """Run each service's Alembic migrations against ZHIYUAN_<SERVICE>_DATABASE_URL (or the local SQLite)."""
    from zhiyuan_platform.migrate import upgrade

    for name in service or CONTEXT_SERVICES:
        url = _database_url(name)
        upgrade(f"zhiyuan_{name}", url)
        console.print(f"migrated {name}")


def _database_url(service: str) -> str:
    from zhiyuan_platform.settings import ServiceSettings

    explicit = os.environ.get(f"ZHIYUAN_{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    settings = ServiceSettings()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.database_url_for(service)


@relay_app.command("republish")
def republish(
    from_position: Annotated[
        int, typer.Option("--from", help="Event store position to re-feed JetStream from")
    ],
    service: Annotated[list[str] | None, typer.Option(help="Only this service (repeatable)")] = None,
) -> None:
    """Re-feed JetStream from the SQL store after a loss.

    Queues every outbox message of events at or after POSITION; the running relay publishes
    them again with their original ``Nats-Msg-Id``, so JetStream drops what it still has and
    consumers skip what they already applied.
    """
    from zhiyuan_platform.db import create_engine
    from zhiyuan_platform.outbox import mark_for_republish

    async def run(name: str) -> int:
        engine = create_engine(_database_url(name))
        try:
            async with engine.begin() as conn:
                return await mark_for_republish(conn, from_position)
        finally:
            await engine.dispose()

    for name in service or ("registry", "activities", "recognition"):
        count = asyncio.run(run(name))
        console.print(f"{name}: {count} messages queued for republishing from position {from_position}")


@recognition_app.command("rebuild")
def rebuild_recognition(
    force: Annotated[bool, typer.Option(help="Rebuild even if the recognition service answers")] = False,
    memory_mb: Annotated[
        int,
        typer.Option(
            help="Memory the rebuild's fold may hold (about 1 GiB per 1.3 million events); "
            "a longer history is folded as the live consumers do, a batch at a time (slower)"
        ),
    ] = 8192,
) -> None:
    """Drop every recognition read model and rebuild it from the streams, with a progress bar.

    Stop the recognition service first (Ctrl-C `zhiyuan up`): the live consumers and the
    rebuild must not write the same tables at the same time.
    """
    from nats.js.errors import NotFoundError
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from zhiyuan_platform.db import create_engine
    from zhiyuan_platform.logging import configure_logging
    from zhiyuan_platform.messaging import connect
    from zhiyuan_platform.migrate import upgrade
    from zhiyuan_platform.replay import read_stream
    from zhiyuan_platform.settings import PlatformSettings
    from zhiyuan_recognition.config import RecognitionSettings
    from zhiyuan_recognition.domain.star_policy import POLICIES
    from zhiyuan_recognition.rebuild import rebuild

    from .supervisor import install_nats

    configure_logging("zhiyuan-rebuild", "console", "ERROR")  # the progress bar says what happens
    if not force and _service_answers("recognition"):
        console.print(
            "[red]the recognition service is running[/red]: stop `zhiyuan up` first (or pass --force)"
        )
        raise typer.Exit(1)
    install = load()
    if install is None and not os.environ.get("ZHIYUAN_NATS_URL"):
        console.print(
            f"[red]no Zhiyuan install in {data_dir()}[/red]: run it where `zhiyuan up` keeps its data "
            "(ZHIYUAN_DATA_DIR), or name the streams' NATS with ZHIYUAN_NATS_URL"
        )
        raise typer.Exit(1)
    url = _database_url("recognition")
    upgrade("zhiyuan_recognition", url)
    settings = PlatformSettings(
        nats_url=os.environ.get("ZHIYUAN_NATS_URL") or (install.nats_url if install else ""),
        nats_user=os.environ.get("ZHIYUAN_NATS_USER") or ("operator" if install else None),
        nats_password=os.environ.get("ZHIYUAN_NATS_PASSWORD")
        or (install.passwords["operator"] if install else None),
    )
    policy = POLICIES[RecognitionSettings().star_policy]

    async def run() -> None:
        try:
            nc = await connect(settings, name="zhiyuan-rebuild", max_reconnect_attempts=3, connect_timeout=5)
        except Exception as exc:
            console.print(
                f"[red]cannot reach NATS at {settings.nats_url}[/red] ({exc!r}): the rebuild reads the "
                "streams from there — check ZHIYUAN_NATS_URL / _USER / _PASSWORD, or unset "
                "ZHIYUAN_NATS_URL to use this install's own NATS"
            )
            raise typer.Exit(1) from exc
        engine = create_engine(url)
        try:
            js = nc.jetstream()
            try:
                totals = {
                    s: int((await js.stream_info(s)).state.last_seq) for s in ("ZY_REGISTRY", "ZY_ACTIVITIES")
                }
            except NotFoundError as exc:
                console.print(
                    f"[red]{settings.nats_url} has no ZY_REGISTRY / ZY_ACTIVITIES stream[/red]: "
                    "is it Zhiyuan's NATS? (the services create the streams when they first start)"
                )
                raise typer.Exit(1) from exc
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,}"),
                TimeRemainingColumn(),
                console=console,
            ) as bar:
                tasks = {s: bar.add_task(s, total=max(totals[s], 1)) for s in totals}
                report = await rebuild(
                    engine,
                    policy,
                    {s: read_stream(nc, s) for s in totals},
                    progress=lambda stream, seq, _total: bar.update(tasks[stream], completed=seq),
                    totals=totals,
                    memory_budget=memory_mb << 20,
                )
            events = sum(totals.values())
            rate = events / report.seconds if report.seconds else 0.0
            console.print(
                f"rebuilt from {events:,} events in {report.seconds:.1f} s ({rate:,.0f} events/s); "
                f"dead letters {report.dead_lettered}; star levels re-announced {report.announced}"
                + ("" if report.in_memory else f" (folded a batch at a time: over --memory-mb {memory_mb:,})")
            )
        finally:
            await engine.dispose()
            await nc.close()

    if install is not None and not os.environ.get("ZHIYUAN_NATS_URL"):
        with install_nats(data_dir(), install, echo=console.print):
            asyncio.run(run())
    else:
        asyncio.run(run())


def _service_answers(context: str) -> bool:
    try:
        reply = httpx.get(f"{_gateway_url()}/api/v1/health/services", timeout=2)
        return bool(reply.json().get("services", {}).get(context, {}).get("status") == "ok")
    except (httpx.HTTPError, ValueError):
        return False


@app.command()
def codes(last: Annotated[int, typer.Option(help="How many of the latest codes")] = 10) -> None:
    """The latest login codes a local install "sent" (written to the registry's log instead of an SMS)."""
    log_path = data_dir() / "logs" / "registry.log"
    if not log_path.exists():
        console.print(f"no registry log at {log_path} (is `zhiyuan up` running here?)")
        raise typer.Exit(1)
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        if '"auth.code"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "auth.code":
            found.append(entry)
    if not found:
        console.print("no login codes yet: POST /api/v1/auth/code with a registered mobile number first")
        return
    for entry in found[-last:]:
        typer.echo(f"{entry.get('timestamp', '')}  {entry.get('mobile', '')}  {entry.get('code', '')}")


@app.command()
def where() -> None:
    """Where the local install keeps its data, and its NATS address."""
    install = load()
    root = data_dir()
    console.print(f"data   {root}")
    if install:
        console.print(f"nats   {install.nats_url}")
    console.print(f"gateway {_gateway_url()}")
    console.print(f"logs   {Path(root) / 'logs'}")


def main() -> None:
    app()
