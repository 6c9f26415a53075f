"""The host every context service runs in: a FastStream app with its database,
request handlers on ``zyi.<context>.*``, the outbox relay and tracked consumers.

Start-up order: migrations → broker (request handlers) → own NATS connection → streams →
relay and consumers as background tasks. Shutdown reverses it; Ctrl-C or SIGTERM stop
the app cleanly (FastStream handles the signals).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
from faststream import FastStream
from faststream.nats import NatsBroker, NatsMessage
from faststream.nats.security import NatsUserPassword
from nats.aio.client import Client as NATS
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.subjects import request_subject

from . import outbox as outbox_port
from . import rpc, tracking
from .clock import clock_for
from .commands import (
    BatchProjection,
    Clock,
    CommandRunner,
    InlineProjection,
    Translator,
    UnitOfWork,
    system_clock,
)
from .consumer import Handler, Projection, TrackedConsumer, Validator
from .db import checkpoint_continuously, create_engine, read_only, write_turn
from .logging import causality, configure_logging, get_logger
from .messaging import connect
from .migrate import upgrade_async
from .settings import ServiceSettings
from .streams_admin import ensure_context_stream, ensure_dead_letter_stream

log = get_logger("zhiyuan.service")

CommandHandler = Callable[[UnitOfWork, rpc.Request], Awaitable[Any]]
QueryHandler = Callable[[AsyncConnection, rpc.Request], Awaitable[Any]]


OrderingKey = Callable[[rpc.Request], str | None]


class HandlerRegistry(Protocol):
    """Where a service's modules register what they answer (``ServiceHost``, or a test host)."""

    def command(self, operation: str, handler: CommandHandler, *, ordered_by: OrderingKey | None = None) -> None: ...

    def query(self, operation: str, handler: QueryHandler, *, writes: bool = False) -> None: ...


QUERY_CONCURRENCY = 8


@dataclass
class ConsumerSpec:
    name: str
    stream: str
    handlers: Mapping[str, Handler] | Projection
    validate: Validator
    batch_size: int = 500


@dataclass
class ServiceHost:
    context: str
    package: str
    settings: ServiceSettings
    translate: Translator
    owns_stream: bool = True
    clock: Clock = system_clock
    consumers: list[ConsumerSpec] = field(default_factory=list)
    project: InlineProjection | None = None
    project_many: BatchProjection | None = None  # the same, for all events of one append at once
    periodic: list[tuple[float, Callable[[ServiceHost], Awaitable[None]]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.clock is system_clock:
            self.clock = clock_for(self.settings)
        security = (
            NatsUserPassword(self.settings.nats_user, self.settings.nats_password or "")
            if self.settings.nats_user
            else None
        )
        self.broker = NatsBroker(
            self.settings.nats_url,
            security=security,
            name=f"zhiyuan-{self.context}",
            logger=get_logger("faststream"),
            max_reconnect_attempts=-1,
        )
        self.app = FastStream(self.broker, logger=get_logger("faststream"))
        self.app.on_startup(self._on_startup)
        self.app.after_startup(self._after_startup)
        self.app.on_shutdown(self._on_shutdown)
        self.engine: AsyncEngine | None = None
        self.nc: NATS | None = None
        self.relay: outbox_port.OutboxRelay | None = None
        self.runner: CommandRunner | None = None
        self.running_consumers: list[TrackedConsumer] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.query("Health", self._health)

    # -- wiring ---------------------------------------------------------------------

    def command(self, operation: str, handler: CommandHandler, *, ordered_by: OrderingKey | None = None) -> None:
        async def on_request(msg: NatsMessage) -> bytes:
            return await self._serve(
                operation, msg, lambda request: self._run_command(operation, handler, request, msg, ordered_by)
            )

        self._subscribe(operation, on_request)

    def query(self, operation: str, handler: QueryHandler, *, writes: bool = False) -> None:
        """``writes``: the handler also writes (an audit row, a login code) and commits it."""

        async def on_request(msg: NatsMessage) -> bytes:
            return await self._serve(operation, msg, lambda request: self._run_query(handler, request, writes))

        # Reads run side by side (each on its own connection); commands one at a time, in
        # arrival order, as the fairness of waitlists and the ordering keys expect.
        self._subscribe(operation, on_request, concurrency=QUERY_CONCURRENCY)

    def _subscribe(
        self, operation: str, on_request: Callable[[NatsMessage], Awaitable[bytes]], *, concurrency: int = 1
    ) -> None:
        on_request.__name__ = operation
        subject = request_subject(self.context, operation)
        if concurrency > 1:
            self.broker.subscriber(subject, queue=self.context, title=operation, max_workers=concurrency)(on_request)
        else:
            self.broker.subscriber(subject, queue=self.context, title=operation)(on_request)

    async def _serve(
        self, operation: str, msg: NatsMessage, run: Callable[[rpc.Request], Awaitable[bytes]]
    ) -> bytes:
        headers = msg.headers or {}
        correlation_id = headers.get(rpc.CORRELATION_HEADER)
        with causality(correlation_id=correlation_id, causation_id=correlation_id, operation=operation):
            try:
                request = rpc.decode_request(msg.body)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                return rpc.failed(rpc.Invalid("bad-request", f"malformed request: {exc}"))
            try:
                return await run(request)
            except rpc.DomainProblem as problem:
                return rpc.failed(problem)
            except Exception:
                log.exception("request.failed")
                return rpc.failed(
                    rpc.DomainProblem(
                        "internal-error", "服务内部错误，已记录。 Internal error; it has been logged.", status=500
                    )
                )

    async def _run_command(
        self,
        operation: str,
        handler: CommandHandler,
        request: rpc.Request,
        msg: NatsMessage,
        ordered_by: OrderingKey | None,
    ) -> bytes:
        assert self.runner is not None, "service not started"
        key = (msg.headers or {}).get(rpc.IDEMPOTENCY_HEADER)
        return await self.runner.run(
            operation,
            {"payload": request.payload, "principal": msgspec.to_builtins(request.principal)},
            lambda uow: handler(uow, request),
            idempotency_key=key or None,
            ordering_key=ordered_by(request) if ordered_by else None,
        )

    async def _run_query(self, handler: QueryHandler, request: rpc.Request, writes: bool = False) -> bytes:
        assert self.engine is not None, "service not started"
        if writes:
            # A read-only (deferred) transaction that read before it writes fails at once
            # on SQLite when another writer committed in between: take the write turn and
            # the lock up front, as commands do.
            async with write_turn(self.engine), self.engine.connect() as conn:
                return rpc.ok(await handler(conn, request))
        async with self.engine.connect() as conn:
            return rpc.ok(await handler(await read_only(conn), request))

    # -- lifecycle --------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return self.settings.database_url_for(self.context)

    async def _on_startup(self) -> None:
        configure_logging(self.context, self.settings.log_format, self.settings.log_level)
        if not self.settings.database_url:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_async(self.package, self.database_url)
        self.engine = create_engine(self.database_url, background_checkpoints=True)
        log.info("service.migrated", database=self.engine.url.render_as_string(hide_password=True))

    async def _after_startup(self) -> None:
        assert self.engine is not None
        self.nc = await connect(self.settings, name=f"zhiyuan-{self.context}-relay")
        if self.owns_stream:
            await ensure_context_stream(
                self.nc,
                self.context,
                replicas=self.settings.stream_replicas,
                max_age_days=self.settings.stream_max_age_days,
            )
        if self.consumers:
            await ensure_dead_letter_stream(self.nc, replicas=self.settings.stream_replicas)
        self.relay = outbox_port.OutboxRelay(
            self.engine,
            self.nc,
            batch_size=self.settings.relay_batch_size,
            idle_seconds=self.settings.relay_idle_seconds,
        )
        self.runner = CommandRunner(
            self.engine,
            self.translate,
            clock=self.clock,
            on_commit=self.relay.wake,
            project=self.project,
            project_many=self.project_many,
            snapshot_cache_bytes=self.settings.snapshot_cache_mb * 2**20,
        )
        self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        self._tasks.append(
            asyncio.create_task(checkpoint_continuously(self.engine, self._stop), name="sqlite-checkpoints")
        )
        for spec in self.consumers:
            consumer = TrackedConsumer(
                self.engine,
                self.nc,
                name=spec.name,
                stream=spec.stream,
                handlers=spec.handlers,
                validate=spec.validate,
                batch_size=spec.batch_size,
            )
            consumer.on_batch_committed = self.relay.wake  # a projection may have announced something
            self.running_consumers.append(consumer)
            self._tasks.append(asyncio.create_task(consumer.run(self._stop), name=spec.name))
        for seconds, job in self.periodic:
            self._tasks.append(asyncio.create_task(self._every(seconds, job), name=getattr(job, "__name__", "job")))
        log.info("service.started", context=self.context, nats=self.settings.nats_url)

    async def _every(self, seconds: float, job: Callable[[ServiceHost], Awaitable[None]]) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)
            if self._stop.is_set():
                return
            try:
                await job(self)
            except Exception:
                log.exception("periodic_job.failed", job=getattr(job, "__name__", "job"))

    async def run_system_command(self, operation: str, handler: CommandHandler, payload: dict[str, Any]) -> bytes:
        """A command the service gives itself (no principal), e.g. from a periodic job."""
        assert self.runner is not None, "service not started"
        request = rpc.Request(payload=payload, principal=None)
        return await self.runner.run(operation, {"payload": payload}, lambda uow: handler(uow, request))

    async def _on_shutdown(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        if self.nc is not None:
            await self.nc.close()
        if self.engine is not None:
            await self.engine.dispose()
        log.info("service.stopped", context=self.context)

    async def run(self) -> None:
        await self.app.run()

    # -- health -------------------------------------------------------------------------

    async def _health(self, conn: AsyncConnection, request: rpc.Request) -> dict[str, Any]:
        pending = await outbox_port.count_pending(conn)
        consumers: list[dict[str, Any]] = []
        for consumer in self.running_consumers:
            position = await tracking.get_position(conn, consumer.name, consumer.stream)
            lag = await self._lag(consumer.stream, position)
            consumers.append(
                {"name": consumer.name, "stream": consumer.stream, "position": position, "lag": lag,
                 "applied": consumer.stats.applied, "dead_lettered": consumer.stats.dead_lettered}
            )
        return {
            "service": self.context,
            "status": "ok",
            "time": datetime.now(UTC).isoformat(),
            "outbox_pending": pending,
            "published": self.relay.published_total if self.relay else 0,
            "consumers": consumers,
            "dead_letters": await tracking.dead_letter_count(conn) if self.consumers else 0,
        }

    async def _lag(self, stream: str, position: int) -> int | None:
        if self.nc is None:
            return None
        try:
            info = await self.nc.jetstream().stream_info(stream)
        except Exception:
            return None
        return max(0, int(info.state.last_seq) - position)


def run_service(host: ServiceHost) -> None:
    asyncio.run(host.run())


def payload_of(request: rpc.Request, keys: Sequence[str]) -> dict[str, Any]:
    missing = [k for k in keys if k not in request.payload]
    if missing:
        raise rpc.Invalid("bad-request", f"missing fields: {', '.join(missing)}", fields=missing)
    return request.payload
