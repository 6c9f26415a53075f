"""``zhiyuan district``: district systems' credentials and event feeds.

A district's user (``district-<code>``) lives in a NATS account of its own and reads one
stream there, ``ZY_DISTRICT_<code>``, sourced from the city streams with the filter
``zy.<context>.<code>.>`` (see ``zhiyuan_platform.natsconf``). Here:

- the local install's district passwords (``districts.json`` in the data directory, 0600),
  one per district of the seeded city, rendered into nats.conf by ``zhiyuan up``;
- provisioning: the operator creates (idempotently) each district's stream through
  ``$JS.DISTRICT.<code>.API`` and, if missing, the city streams it sources from;
- ``credentials``, ``follow``, ``provision`` and ``list``.

docs/district-feeds.md is the manual.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from nats.aio.client import Client as NATS
from nats.js.api import (
    DiscardPolicy,
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
)
from nats.js.errors import NotFoundError

from zhiyuan_contracts.streams import DEFAULT_DUPLICATE_WINDOW_SECONDS, stream_for
from zhiyuan_contracts.subjects import CONTEXTS
from zhiyuan_platform.messaging import stream_config
from zhiyuan_platform.natsconf import (
    BEIJING_DISTRICTS,
    CITY_API_PREFIX,
    SERVICE_ACCOUNT,
    check_district,
    district_account,
    district_api_prefix,
    district_deliver_prefix,
    district_source_filter,
    district_stream,
    district_user,
    generate_district_passwords,
)

from .install import data_dir, load

DISTRICTS_FILE = "districts.json"
# Retention of the district streams, in days (0 or unset: keep every event, like the city's).
MAX_AGE_ENV = "ZHIYUAN_DISTRICT_MAX_AGE_DAYS"
Printer = Callable[[str], None]

app = typer.Typer(help="District systems: their NATS credentials and event feeds.", no_args_is_help=True)


# --- the local install's district users ------------------------------------------------


def districts_path(root: Path) -> Path:
    return root / DISTRICTS_FILE


def load_district_passwords(root: Path) -> dict[str, str]:
    path = districts_path(root)
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return {check_district(code): str(pw) for code, pw in dict(data.get("passwords", {})).items()}


def ensure_district_passwords(root: Path, districts: Sequence[str] = BEIJING_DISTRICTS) -> dict[str, str]:
    """The passwords of the install's district users, creating those still missing (0600)."""
    passwords = load_district_passwords(root)
    missing = [code for code in districts if code not in passwords]
    if missing or not districts_path(root).exists():
        passwords.update(generate_district_passwords(missing))
        root.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"passwords": dict(sorted(passwords.items()))}, indent=2)
        fd = os.open(districts_path(root), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
    return passwords


def adopt_global_account_store(store_dir: Path) -> bool:
    """Move a single-node JetStream store of the global account into ``ZHIYUAN``.

    Installs made before the accounts were introduced kept the city streams (and the
    services' consumers) under ``<store_dir>/jetstream/$G``; the services now live in the
    account ``ZHIYUAN``. Run while nats-server is stopped. A cluster keeps its stream
    assignments in its meta layer: re-feed it instead (docs/district-feeds.md).
    """
    old = store_dir / "jetstream" / "$G"
    new = store_dir / "jetstream" / SERVICE_ACCOUNT
    if not old.is_dir() or new.exists():
        return False
    old.rename(new)
    return True


def prepare_local_nats(root: Path) -> dict[str, str]:
    """For ``zhiyuan up`` before it starts nats-server: the district passwords to render
    (``render_config(..., districts=...)``), and an old store moved into ``ZHIYUAN``."""
    adopt_global_account_store(root / "jetstream")
    return ensure_district_passwords(root)


# --- provisioning (as the operator) ------------------------------------------------------


def default_max_age_seconds() -> int:
    value = os.environ.get(MAX_AGE_ENV, "").strip()
    try:
        days = float(value) if value else 0.0
    except ValueError:
        raise ValueError(f"{MAX_AGE_ENV} must be a number of days, got {value!r}") from None
    if days < 0:
        raise ValueError(f"{MAX_AGE_ENV} must not be negative")
    return int(days * 86400)


def district_stream_config(
    district: str, *, replicas: int = 1, max_age_seconds: int = 0, max_bytes: int = -1
) -> StreamConfig:
    """``ZY_DISTRICT_<code>``: file storage, replayable from the first event, no subjects of
    its own; one source per city stream, filtered to the district, across the accounts."""
    return StreamConfig(
        name=district_stream(district),
        description=f"Zhiyuan events of district {district} (zy.*.{district}.>), sourced from the city",
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=float(max_age_seconds),
        max_bytes=max_bytes,
        duplicate_window=float(DEFAULT_DUPLICATE_WINDOW_SECONDS),
        num_replicas=replicas,
        allow_direct=True,
        sources=[
            StreamSource(
                name=stream_for(context).name,
                filter_subject=district_source_filter(context, district),
                external=ExternalStream(api=CITY_API_PREFIX, deliver=district_deliver_prefix(district)),
            )
            for context in CONTEXTS
        ],
    )


def _source_key(
    sources: Sequence[StreamSource] | None,
) -> list[tuple[str, str | None, str | None, str | None]]:
    return sorted(
        (
            s.name,
            s.filter_subject,
            s.external.api if s.external else None,
            s.external.deliver if s.external else None,
        )
        for s in sources or []
    )


async def ensure_district_stream(
    nc: NATS, district: str, *, replicas: int = 1, max_age_seconds: int = 0, max_bytes: int = -1
) -> str:
    """Create the district's stream or bring it to the spec: ``created``, ``updated`` or ``ok``.

    ``nc`` is the operator's connection (the stream lives in the district's account and is
    reached through ``$JS.DISTRICT.<code>.API``).
    """
    js = nc.jetstream(prefix=district_api_prefix(district), timeout=10)
    wanted = district_stream_config(
        district, replicas=replicas, max_age_seconds=max_age_seconds, max_bytes=max_bytes
    )
    try:
        info = await js.stream_info(district_stream(district))
    except NotFoundError:
        await js.add_stream(wanted)
        return "created"
    current = info.config
    if (
        _source_key(current.sources) != _source_key(wanted.sources)
        or (current.max_age or 0) != (wanted.max_age or 0)
        or (current.max_bytes or -1) != (wanted.max_bytes or -1)
        or (current.num_replicas or 1) != replicas
        or not current.allow_direct
    ):
        await js.update_stream(wanted)
        return "updated"
    return "ok"


async def provision_districts(
    nc: NATS,
    districts: Sequence[str],
    *,
    replicas: int = 1,
    max_age_seconds: int | None = None,
    max_bytes: int = -1,
) -> dict[str, str]:
    """The city streams if missing (the services create them too), then each district's.

    ``max_age_seconds`` defaults to ``$ZHIYUAN_DISTRICT_MAX_AGE_DAYS`` (0: keep forever), so
    every provisioning (``zhiyuan up``, ``credentials``, ``provision``) agrees on it.
    """
    if max_age_seconds is None:
        max_age_seconds = default_max_age_seconds()
    js = nc.jetstream(timeout=10)
    for context in CONTEXTS:
        await _ensure_city_stream(js, context, replicas)
    return {
        code: await ensure_district_stream(
            nc, code, replicas=replicas, max_age_seconds=max_age_seconds, max_bytes=max_bytes
        )
        for code in districts
    }


async def _ensure_city_stream(js: Any, context: str, replicas: int) -> None:
    """Create a city stream as its service would (``messaging.stream_config``), quietly;
    an existing one is left to its service."""
    spec = stream_for(context)
    try:
        await js.stream_info(spec.name)
        return
    except NotFoundError:
        pass
    for atomic in (True, False):  # atomic batches need nats-server 2.12+
        try:
            await js.add_stream(stream_config(spec, atomic=atomic, replicas=replicas))
            return
        except Exception:
            with contextlib.suppress(NotFoundError):
                await js.stream_info(spec.name)
                return  # its service created it meanwhile
            if not atomic:
                raise


async def _operator_connection(url: str, password: str) -> NATS:
    import nats

    return await nats.connect(
        url,
        user="operator",
        password=password,
        connect_timeout=5,
        max_reconnect_attempts=2,
        name="zhiyuan-district",
    )


T = TypeVar("T")


def _run_to_completion(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(run())``, also when called from code already inside an event loop
    (e.g. ``System.start`` from an async test): then in a thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(run())).result()


def provision_local(root: Path, nats_url: str, operator_password: str, echo: Printer = print) -> bool:
    """For ``zhiyuan up`` once nats-server answers: provision every district of
    ``districts.json``. Reports a failure through ``echo`` rather than raising."""

    async def run() -> dict[str, str]:
        nc = await _operator_connection(nats_url, operator_password)
        try:
            return await provision_districts(nc, sorted(load_district_passwords(root)))
        finally:
            await nc.close()

    try:
        result = _run_to_completion(run)
    except Exception as exc:
        echo(f"  districts  provisioning failed: {exc!r} (retry: zhiyuan district provision)")
        return False
    created = sum(1 for state in result.values() if state != "ok")
    echo(
        f"  districts  {len(result)} feeds (ZY_DISTRICT_<code>){f', {created} provisioned' if created else ''}"
    )
    return True


# --- the commands --------------------------------------------------------------------------


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _local_install_or_exit() -> tuple[Path, Any]:
    root = data_dir()
    install = load(root)
    if install is None:
        raise _fail(f"no local install in {root}: run `zhiyuan up` first (or give --url and --password)")
    return root, install


def _known_district(code: str, root: Path) -> str:
    try:
        check_district(code)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if code not in BEIJING_DISTRICTS and code not in load_district_passwords(root):
        raise _fail(
            f"{code} is not a district of the seeded city (Beijing: {', '.join(BEIJING_DISTRICTS)})", 2
        )
    return code


def _quote_shell(value: str) -> str:
    import shlex

    return shlex.quote(value)


@app.command()
def credentials(
    code: Annotated[str, typer.Argument(help="Six-digit district code, e.g. 110101")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    provision: Annotated[bool, typer.Option(help="Provision the district's stream (idempotent)")] = True,
) -> None:
    """The NATS URL, user, password and stream of a district system, for the local install."""
    root, install = _local_install_or_exit()
    _known_district(code, root)
    known_before = load_district_passwords(root)
    password = ensure_district_passwords(root, sorted({*BEIJING_DISTRICTS, code}))[code]
    notes: list[str] = []
    conf = root / "nats.conf"
    if code not in known_before or (conf.exists() and f'"{district_user(code)}"' not in conf.read_text()):
        notes.append("NATS was started without this district's user: restart `zhiyuan up`")
    stream_state = "not checked"
    if provision:

        async def run() -> str:
            nc = await _operator_connection(install.nats_url, install.passwords["operator"])
            try:
                return (await provision_districts(nc, [code]))[code]
            finally:
                await nc.close()

        try:
            stream_state = asyncio.run(run())
        except Exception as exc:
            stream_state = "not provisioned"
            notes.append(
                f"NATS at {install.nats_url} did not answer ({exc.__class__.__name__}): is `zhiyuan up` running?"
            )
    follow = (
        f"ZHIYUAN_DISTRICT_PASSWORD={_quote_shell(password)} zhiyuan district follow {code} "
        f"--url {install.nats_url} --from-start"
    )
    body = {
        "district": code,
        "url": install.nats_url,
        "user": district_user(code),
        "password": password,
        "account": district_account(code),
        "stream": district_stream(code),
        "subjects": f"zy.*.{code}.>",
        "stream_state": stream_state,
        "follow": follow,
    }
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        for key in ("url", "user", "password", "account", "stream", "subjects"):
            typer.echo(f"{key + ':':10} {body[key]}")
        typer.echo(f"{'state:':10} {stream_state}")
        typer.echo(f"\nfollow it:\n  {follow}")
    for note in notes:
        typer.echo(f"note: {note}", err=True)


def _since_option(from_start: bool, since: str | None, from_seq: int | None) -> Any:
    from zhiyuan_district_client import Since, parse_since_time

    chosen = [from_start, since is not None, from_seq is not None]
    if sum(chosen) > 1:
        raise _fail("give at most one of --from-start, --since and --from-seq", 2)
    if from_start:
        return Since.start()
    if since is not None:
        try:
            return Since.time(parse_since_time(since))
        except ValueError as exc:
            raise _fail(f"--since: {exc}", 2) from None
    if from_seq is not None:
        return Since.sequence(from_seq)
    return Since.new()


async def follow_feed(
    url: str,
    code: str,
    password: str,
    since: Any,
    *,
    durable: str | None = None,
    until_caught_up: bool = False,
    meta: bool = False,
    write: Printer = print,
    user: str | None = None,
) -> int:
    """Print the district's events as JSON lines; returns how many were printed."""
    import nats.errors

    from zhiyuan_district_client import DistrictCredentials, connect, pull_subscription

    creds = DistrictCredentials(url=url, district=code, password=password, user=user or "")
    nc = await connect(creds, connect_timeout=5)
    printed = 0
    try:
        sub = await pull_subscription(nc, code, since, durable=durable, ack=durable is not None)
        while True:
            try:
                msgs = await sub.fetch(256, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                msgs = []
            for msg in msgs:
                line = msg.data.decode("utf-8", errors="replace").strip()
                if meta:
                    seq = msg.metadata.sequence.stream if msg.metadata else None
                    try:
                        event: Any = json.loads(line)
                    except ValueError:
                        event = line
                    line = json.dumps(
                        {"stream_seq": seq, "subject": msg.subject, "event": event},
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                write(line)
                printed += 1
            if durable is not None and msgs:
                for msg in msgs[:-1]:
                    await msg.ack()
                await msgs[-1].ack_sync(timeout=10)
            if until_caught_up:
                last = msgs[-1].metadata if msgs else None
                if last is not None and last.num_pending == 0:
                    break
                if not msgs and (await sub.consumer_info()).num_pending == 0:
                    break
        if durable is None:
            with contextlib.suppress(Exception):
                info = await sub.consumer_info()
                await nc.jetstream().delete_consumer(district_stream(code), info.name)
    finally:
        await nc.close()
    return printed


@app.command()
def follow(
    code: Annotated[str, typer.Argument(help="Six-digit district code")],
    from_start: Annotated[bool, typer.Option("--from-start", help="Replay from the first event")] = False,
    since: Annotated[
        str | None,
        typer.Option(help="Replay from this time (RFC 3339; no offset: Beijing time) in the district stream"),
    ] = None,
    from_seq: Annotated[
        int | None, typer.Option("--from-seq", help="Replay from this district-stream sequence")
    ] = None,
    durable: Annotated[
        str | None,
        typer.Option(help="Resume (or create) this durable consumer; acknowledges what it printed"),
    ] = None,
    until_caught_up: Annotated[
        bool, typer.Option("--until-caught-up", help="Exit once everything the stream holds is printed")
    ] = False,
    meta: Annotated[
        bool, typer.Option("--meta", help="Wrap each event: {stream_seq, subject, event}")
    ] = False,
    url: Annotated[str | None, typer.Option(help="NATS URL (default: the local install's)")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ZHIYUAN_DISTRICT_PASSWORD", help="The district user's password (default: local install)"
        ),
    ] = None,
) -> None:
    """Print the district's events as JSON lines (one CloudEvent per line), live by default."""
    since_value = _since_option(from_start, since, from_seq)
    try:
        check_district(code)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if url is None or password is None:
        root, install = _local_install_or_exit()
        url = url or install.nats_url
        password = password or load_district_passwords(root).get(code)
        if password is None:
            raise _fail(f"no password for district {code}: zhiyuan district credentials {code}")

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        asyncio.run(
            follow_feed(
                url,
                code,
                password,
                since_value,
                durable=durable,
                until_caught_up=until_caught_up,
                meta=meta,
                write=write,
            )
        )
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        with contextlib.suppress(Exception):
            sys.stdout.close()
    except Exception as exc:
        raise _fail(f"follow failed: {exc.__class__.__name__}: {exc}") from None


@app.command()
def provision(
    codes: Annotated[
        list[str] | None, typer.Argument(help="District codes (default: every configured one)")
    ] = None,
    replicas: Annotated[
        int,
        typer.Option(envvar="ZHIYUAN_STREAM_REPLICAS", help="Stream replicas (3 on the cluster of deploy/)"),
    ] = 1,
    max_age_days: Annotated[
        float,
        typer.Option(envvar=MAX_AGE_ENV, help="Retention of the district streams in days (0: keep forever)"),
    ] = 0.0,
    url: Annotated[str | None, typer.Option(help="NATS URL (default: the local install's)")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ZHIYUAN_OPERATOR_NATS_PASSWORD", help="The operator's password (default: local install)"
        ),
    ] = None,
) -> None:
    """Create or update the district streams (idempotent), as the operator.

    Without --url/--password: the local install's, or the operator's own settings
    (ZHIYUAN_NATS_URL, ZHIYUAN_NATS_USER=operator, ZHIYUAN_NATS_PASSWORD) as in the
    deploy's toolbox container.
    """
    root = data_dir()
    if os.environ.get("ZHIYUAN_NATS_USER") == "operator":
        url = url or os.environ.get("ZHIYUAN_NATS_URL")
        password = password or os.environ.get("ZHIYUAN_NATS_PASSWORD")
    if url is None or password is None:
        root, install = _local_install_or_exit()
        url = url or install.nats_url
        password = password or install.passwords["operator"]
    targets = (
        [check_district(c) for c in codes]
        if codes
        else sorted(load_district_passwords(root) or BEIJING_DISTRICTS)
    )

    async def run() -> dict[str, str]:
        nc = await _operator_connection(url, password)
        try:
            return await provision_districts(
                nc, targets, replicas=replicas, max_age_seconds=int(max_age_days * 86400)
            )
        finally:
            await nc.close()

    try:
        result = asyncio.run(run())
    except Exception as exc:
        raise _fail(f"provisioning failed: {exc.__class__.__name__}: {exc}") from None
    for code, state in result.items():
        typer.echo(f"{district_stream(code)}  {state}")


@app.command("list")
def list_districts() -> None:
    """The local install's districts: user, stream, and how many events each stream holds."""
    root, install = _local_install_or_exit()
    passwords = load_district_passwords(root)
    if not passwords:
        raise _fail(
            "no district users yet: start `zhiyuan up` (or run `zhiyuan district credentials <code>`)"
        )

    async def run() -> Mapping[str, str]:
        nc = await _operator_connection(install.nats_url, install.passwords["operator"])
        states: dict[str, str] = {}
        try:
            for code in sorted(passwords):
                js = nc.jetstream(prefix=district_api_prefix(code), timeout=5)
                try:
                    info = await js.stream_info(district_stream(code))
                    states[code] = f"{info.state.messages} events, {info.state.consumer_count} consumers"
                except NotFoundError:
                    states[code] = "not provisioned"
        finally:
            await nc.close()
        return states

    try:
        states = asyncio.run(run())
    except Exception as exc:
        states = {code: f"NATS not reachable ({exc.__class__.__name__})" for code in passwords}
    for code in sorted(passwords):
        typer.echo(f"{code}  {district_user(code):16} {district_stream(code):20} {states.get(code, '')}")
