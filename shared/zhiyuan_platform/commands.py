"""One transaction per command: events, outbox rows and the idempotency row together.

A handler works against a ``UnitOfWork``: it loads aggregates, records events, and the
unit of work appends them with their expected version, translates each stored event to
the public CloudEvents it stands for and writes those to the outbox — all in the one
transaction. A concurrency conflict is retried; a repeated ``Idempotency-Key`` with the
same body answers the stored reply and has no second effect.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_contracts.subjects import event_subject

from .aggregate import Aggregate, DomainEvent
from .eventstore import ConcurrencyError, EventStore, NewEvent, StoredEvent
from .logging import current_causation_id, current_correlation_id, get_logger
from .outbox import OutboxMessage, add_to_outbox
from .rpc import Conflict, DomainProblem, failed, ok
from .tables import idempotency

log = get_logger("zhiyuan.commands")

A = TypeVar("A", bound=Aggregate)
Translator = Callable[[StoredEvent], Sequence[CloudEvent]]
# A read model kept by the owning service itself, updated in the command's transaction.
InlineProjection = Callable[[AsyncConnection, StoredEvent], Awaitable[None]]
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    def __init__(
        self,
        conn: AsyncConnection,
        store: EventStore,
        translate: Translator,
        now: datetime,
        project: InlineProjection | None = None,
    ) -> None:
        self.conn = conn
        self.store = store
        self.now = now
        self._translate = translate
        self._project = project
        self.stored: list[StoredEvent] = []

    async def lock(self, key: str) -> None:
        """Serialize commands on ``key`` until this transaction ends (arrival order on PostgreSQL).

        PostgreSQL takes a transaction-level advisory lock; SQLite needs none, as every
        transaction there begins with ``BEGIN IMMEDIATE`` and so already runs alone.
        """
        if self.conn.dialect.name == "postgresql":
            await self.conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

    async def load(self, cls: type[A], aggregate_id: str) -> A | None:
        history = await self.store.read_stream(self.conn, cls.stream_id(aggregate_id))
        if not history:
            return None
        return cls.rehydrate(aggregate_id, ((e.type, e.data) for e in history))

    async def save(self, aggregate: Aggregate, **meta: Any) -> list[StoredEvent]:
        """Append the aggregate's pending events; ``meta`` (e.g. ``district``) is stored with each."""
        pending, aggregate.pending = aggregate.pending, []
        return await self.append(aggregate.stream_id(aggregate.id), aggregate.version - len(pending), pending, **meta)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[DomainEvent], **extra_meta: Any
    ) -> list[StoredEvent]:
        meta = {
            "correlation_id": current_correlation_id(),
            "causation_id": current_causation_id(),
            **extra_meta,
        }
        new = [
            NewEvent(type=e.TYPE, data=e.to_data(), meta={**meta, "class_version": e.CLASS_VERSION})
            for e in events
        ]
        stored = await self.store.append(self.conn, stream_id, expected_version, new, now=self.now)
        messages = []
        for event in stored:
            if self._project is not None:
                await self._project(self.conn, event)
            for public in self._translate(event):
                messages.append(
                    OutboxMessage(
                        event_position=event.position,
                        message_id=public.id,
                        subject=event_subject(public.context, public.district, public.name),
                        body=encode(public),
                    )
                )
        await add_to_outbox(self.conn, messages, now=self.now)
        self.stored.extend(stored)
        return stored


def request_hash(payload: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


class CommandRunner:
    """Runs command handlers in their transaction and answers encoded replies."""

    def __init__(
        self,
        engine: AsyncEngine,
        translate: Translator,
        *,
        clock: Clock = system_clock,
        on_commit: Callable[[], None] | None = None,
        attempts: int = 3,
        project: InlineProjection | None = None,
    ) -> None:
        self.engine = engine
        self.store = EventStore()
        self._translate = translate
        self._project = project
        self._clock = clock
        self._on_commit = on_commit
        self._attempts = attempts
        self._queues: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(
        self,
        operation: str,
        payload: Any,
        handler: Callable[[UnitOfWork], Awaitable[Any]],
        *,
        idempotency_key: str | None = None,
        ordering_key: str | None = None,
    ) -> bytes:
        """Run ``handler`` in one transaction and answer the encoded reply.

        Commands with the same ``ordering_key`` (e.g. one activity's sign-ups) run one at a
        time in the order they arrived in this process — ``asyncio.Lock`` is fair — and a
        handler's ``uow.lock`` keeps that order across processes on PostgreSQL.
        """
        if ordering_key is None:
            return await self._run(operation, payload, handler, idempotency_key)
        lock, waiting = self._queues.get(ordering_key, (asyncio.Lock(), 0))
        self._queues[ordering_key] = (lock, waiting + 1)
        try:
            async with lock:
                return await self._run(operation, payload, handler, idempotency_key)
        finally:
            lock, waiting = self._queues[ordering_key]
            if waiting <= 1:
                del self._queues[ordering_key]
            else:
                self._queues[ordering_key] = (lock, waiting - 1)

    async def _run(
        self,
        operation: str,
        payload: Any,
        handler: Callable[[UnitOfWork], Awaitable[Any]],
        idempotency_key: str | None,
    ) -> bytes:
        digest = request_hash(payload)
        for attempt in range(1, self._attempts + 1):
            try:
                async with self.engine.begin() as conn:
                    if idempotency_key:
                        stored_reply = await self._replay(conn, operation, idempotency_key, digest)
                        if stored_reply is not None:
                            return stored_reply
                    uow = UnitOfWork(conn, self.store, self._translate, self._clock(), self._project)
                    result = await handler(uow)
                    reply = ok(result)
                    if idempotency_key:
                        await conn.execute(
                            insert(idempotency).values(
                                key=idempotency_key,
                                operation=operation,
                                request_hash=digest,
                                reply=reply,
                                created_at=uow.now,
                            )
                        )
            except DomainProblem as problem:
                return failed(problem)
            except (ConcurrencyError, IntegrityError) as exc:
                if attempt == self._attempts:
                    log.warning("command.conflict", operation=operation, error=str(exc))
                    return failed(
                        Conflict(
                            "concurrent-modification",
                            "另一个操作同时修改了同一对象，请重试。 Someone else changed the same record at the same time; retry.",
                        )
                    )
                continue
            if uow.stored and self._on_commit is not None:
                self._on_commit()
            log.info("command.done", operation=operation, events=len(uow.stored))
            return reply
        raise AssertionError("unreachable")

    async def _replay(self, conn: AsyncConnection, operation: str, key: str, digest: str) -> bytes | None:
        row = (
            await conn.execute(
                select(idempotency.c.request_hash, idempotency.c.reply).where(
                    idempotency.c.key == key, idempotency.c.operation == operation
                )
            )
        ).first()
        if row is None:
            return None
        if row.request_hash != digest:
            raise Conflict(
                "idempotency-key-reused",
                "这个 Idempotency-Key 已用于另一个请求。 This Idempotency-Key was already used with a different body.",
            )
        return bytes(row.reply)
