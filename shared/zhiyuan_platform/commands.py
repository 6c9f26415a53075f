"""One transaction per command: events, outbox rows and the idempotency row together.

A handler works against a ``UnitOfWork``: it loads aggregates, records events, and the
unit of work appends them with their expected version, translates each stored event to
the public CloudEvents it stands for and writes those to the outbox — all in the one
transaction. A concurrency conflict is retried; a repeated ``Idempotency-Key`` with the
same body answers the stored reply and has no second effect.

Loading a long stream (an activity holds every sign-up and check-in) would re-read and
re-apply every event on every command, so the runner keeps a ``SnapshotCache``: the
state of recently loaded aggregates as of a version, from transactions that committed.
A load reads only the events after it — which also brings in whatever another process
appended — and checks that the store still holds the event the snapshot ends with.
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_contracts.subjects import event_subject

from .aggregate import Aggregate, DomainEvent
from .db import write_turn
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
# The same for all the events one append stored, in their order (fewer statements).
BatchProjection = Callable[[AsyncConnection, Sequence[StoredEvent]], Awaitable[None]]
Clock = Callable[[], datetime]

DEFAULT_SNAPSHOT_CACHE_BYTES = 64 * 2**20


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """An aggregate's state as of a stream version that a committed transaction saw.

    ``state`` is the pickled aggregate at ``version`` (so each load gets its own copy);
    ``tail`` holds the stored events after it, as (type, JSON data), so that a command
    appending one event need not pickle the whole state again. ``last_event_id`` is the
    id of the event at ``through``: a load checks the store still has it there.
    """

    aggregate_type: type[Aggregate]
    version: int
    state: bytes
    tail: tuple[tuple[str, bytes], ...]
    last_event_id: str

    @property
    def through(self) -> int:
        return self.version + len(self.tail)

    @property
    def size(self) -> int:
        return len(self.state) + sum(len(data) for _, data in self.tail)

    def restore(self) -> Aggregate:
        aggregate: Aggregate = pickle.loads(self.state)
        aggregate.catch_up((kind, msgspec.json.decode(data)) for kind, data in self.tail)
        return aggregate

    def extended(self, stored: Sequence[StoredEvent]) -> Snapshot:
        tail = tuple((e.type, msgspec.json.encode(e.data)) for e in stored)
        return replace(self, tail=self.tail + tail, last_event_id=stored[-1].event_id)


class SnapshotCache:
    """Snapshots of recently used streams in this process, least recently used dropped first.

    Only the unit of work of a transaction that committed puts anything here, so the
    cache is never ahead of the store; it may be behind (another process appended), which
    the tail read of the next load makes up.
    """

    def __init__(self, max_bytes: int = DEFAULT_SNAPSHOT_CACHE_BYTES, *, rebase_after: int = 16) -> None:
        self.max_bytes = max_bytes
        # A load pickles the state afresh once this many events have piled up in the tail.
        self.rebase_after = rebase_after
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, Snapshot] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, stream_id: str) -> Snapshot | None:
        snapshot = self._entries.get(stream_id)
        if snapshot is not None:
            self._entries.move_to_end(stream_id)
        return snapshot

    def put(self, stream_id: str, snapshot: Snapshot) -> None:
        current = self._entries.get(stream_id)
        if current is not None and current.through > snapshot.through:
            return  # a later commit already left a newer one
        if snapshot.size > self.max_bytes:
            self.discard(stream_id)
            return
        if current is not None:
            self._bytes -= current.size
        self._entries[stream_id] = snapshot
        self._entries.move_to_end(stream_id)
        self._bytes += snapshot.size
        while self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size

    def discard(self, stream_id: str) -> None:
        dropped = self._entries.pop(stream_id, None)
        if dropped is not None:
            self._bytes -= dropped.size


class UnitOfWork:
    def __init__(
        self,
        conn: AsyncConnection,
        store: EventStore,
        translate: Translator,
        now: datetime,
        project: InlineProjection | None = None,
        *,
        project_many: BatchProjection | None = None,
        snapshots: SnapshotCache | None = None,
    ) -> None:
        self.conn = conn
        self.store = store
        self.now = now
        self._translate = translate
        self._project = project
        self._project_many = project_many
        self._snapshots = snapshots
        # What this transaction knows of each stream it loaded, for the cache once it commits.
        self._seen: dict[str, Snapshot] = {}
        self.stored: list[StoredEvent] = []

    async def lock(self, key: str) -> None:
        """Serialize commands on ``key`` until this transaction ends (arrival order on PostgreSQL).

        PostgreSQL takes a transaction-level advisory lock; SQLite needs none, as every
        transaction there begins with ``BEGIN IMMEDIATE`` and so already runs alone.
        """
        if self.conn.dialect.name == "postgresql":
            await self.conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

    async def lock_all(self, keys: Iterable[str]) -> None:
        """``lock`` each of ``keys`` in one statement, in sorted order so that two commands cannot deadlock."""
        wanted = sorted(set(keys))
        if self.conn.dialect.name != "postgresql" or not wanted:
            return
        if len(wanted) == 1:
            await self.lock(wanted[0])
            return
        await self.conn.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM "
                "(SELECT k FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered"
            ),
            {"keys": wanted},
        )

    async def load(self, cls: type[A], aggregate_id: str) -> A | None:
        stream_id = cls.stream_id(aggregate_id)
        cache = self._snapshots
        snapshot = cache.get(stream_id) if cache is not None else None
        aggregate: Aggregate | None = None
        if snapshot is not None and snapshot.aggregate_type is cls:
            # From the snapshot's last event on: the first row proves the store still has it.
            history = await self.store.read_stream(self.conn, stream_id, after_version=snapshot.through - 1)
            if history and history[0].version == snapshot.through and history[0].event_id == snapshot.last_event_id:
                aggregate = snapshot.restore()
                history = history[1:]
            else:
                log.warning("snapshot.stale", stream_id=stream_id, version=snapshot.through)
                assert cache is not None
                cache.discard(stream_id)
        if aggregate is None:
            snapshot = None
            history = await self.store.read_stream(self.conn, stream_id)
            if not history:
                return None
            aggregate = cls(aggregate_id)
            if cache is not None:
                cache.misses += 1
        elif cache is not None:
            cache.hits += 1
        aggregate.catch_up((e.type, e.data) for e in history)
        if cache is not None:
            self._remember(stream_id, aggregate, snapshot, history, cache.rebase_after)
        assert isinstance(aggregate, cls)
        return aggregate

    async def load_many(self, cls: type[A], aggregate_ids: Iterable[str]) -> dict[str, A]:
        """The aggregates of ``aggregate_ids`` that have events, by id — one statement for
        all of them (each through ``load`` when a snapshot cache is in use)."""
        wanted = list(dict.fromkeys(aggregate_ids))
        if self._snapshots is not None:
            loaded = {a: await self.load(cls, a) for a in wanted}
            return {a: aggregate for a, aggregate in loaded.items() if aggregate is not None}
        histories = await self.store.read_streams(self.conn, [cls.stream_id(a) for a in wanted])
        found: dict[str, A] = {}
        for aggregate_id in wanted:
            history = histories.get(cls.stream_id(aggregate_id))
            if history:
                aggregate = cls(aggregate_id)
                aggregate.catch_up((e.type, e.data) for e in history)
                found[aggregate_id] = aggregate
        return found

    def _remember(
        self,
        stream_id: str,
        aggregate: Aggregate,
        snapshot: Snapshot | None,
        history: Sequence[StoredEvent],
        rebase_after: int,
    ) -> None:
        if snapshot is not None and len(snapshot.tail) + len(history) <= rebase_after:
            self._seen[stream_id] = snapshot.extended(history) if history else snapshot
            return
        last_event_id = history[-1].event_id if history else (snapshot.last_event_id if snapshot else "")
        try:
            # Now, before the handler changes anything: the state as the store has it.
            state = pickle.dumps(aggregate, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.warning("snapshot.unpicklable", stream_id=stream_id, error=str(exc))
            return
        self._seen[stream_id] = Snapshot(type(aggregate), aggregate.version, state, (), last_event_id)

    async def save(self, aggregate: Aggregate, **meta: Any) -> list[StoredEvent]:
        """Append the aggregate's pending events; ``meta`` (e.g. ``district``) is stored with each."""
        pending, aggregate.pending = aggregate.pending, []
        return await self.append(aggregate.stream_id(aggregate.id), aggregate.version - len(pending), pending, **meta)

    async def save_all(self, aggregates: Sequence[tuple[Aggregate, Mapping[str, Any]]]) -> list[StoredEvent]:
        """``save`` many aggregates, each with its own ``meta``, in one statement per table."""
        appends = []
        for aggregate, meta in aggregates:
            pending, aggregate.pending = aggregate.pending, []
            appends.append((aggregate.stream_id(aggregate.id), aggregate.version - len(pending), pending, meta))
        return await self.append_many(appends)

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[DomainEvent], **extra_meta: Any
    ) -> list[StoredEvent]:
        return await self.append_many([(stream_id, expected_version, events, extra_meta)])

    async def append_many(
        self, appends: Sequence[tuple[str, int, Sequence[DomainEvent], Mapping[str, Any]]]
    ) -> list[StoredEvent]:
        """Append to several streams at once (all or nothing), with the outbox rows and inline projections."""
        causal = {"correlation_id": current_correlation_id(), "causation_id": current_causation_id()}
        new = [
            (
                stream_id,
                expected_version,
                [
                    NewEvent(type=e.TYPE, data=e.to_data(), meta={**causal, **meta, "class_version": e.CLASS_VERSION})
                    for e in events
                ],
            )
            for stream_id, expected_version, events, meta in appends
        ]
        stored = await self.store.append_many(self.conn, new, now=self.now)
        if not stored:
            return []
        if self._project_many is not None:
            await self._project_many(self.conn, stored)
        elif self._project is not None:
            for event in stored:
                await self._project(self.conn, event)
        messages = [
            OutboxMessage(
                event_position=event.position,
                message_id=public.id,
                subject=event_subject(public.context, public.district, public.name),
                body=encode(public),
            )
            for event in stored
            for public in self._translate(event)
        ]
        await add_to_outbox(self.conn, messages, now=self.now)
        self._follow(stored)
        self.stored.extend(stored)
        return stored

    def _follow(self, stored: Sequence[StoredEvent]) -> None:
        """Keep the snapshots of loaded streams level with what this transaction appended."""
        if not self._seen:
            return
        by_stream: dict[str, list[StoredEvent]] = {}
        for event in stored:
            if event.stream_id in self._seen:
                by_stream.setdefault(event.stream_id, []).append(event)
        for stream_id, appended in by_stream.items():
            snapshot = self._seen[stream_id]
            if appended[0].version == snapshot.through + 1:
                self._seen[stream_id] = snapshot.extended(appended)
            else:
                del self._seen[stream_id]

    def committed(self) -> None:
        """The transaction committed: what it saw of each stream may serve the next load."""
        if self._snapshots is not None:
            for stream_id, snapshot in self._seen.items():
                self._snapshots.put(stream_id, snapshot)
        self._seen.clear()


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
        project_many: BatchProjection | None = None,
        snapshot_cache_bytes: int = DEFAULT_SNAPSHOT_CACHE_BYTES,
    ) -> None:
        self.engine = engine
        self.store = EventStore()
        self._translate = translate
        self._project = project
        self._project_many = project_many
        # 0 turns the cache off: every load reads the whole stream.
        self.snapshots = SnapshotCache(snapshot_cache_bytes) if snapshot_cache_bytes > 0 else None
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
                async with write_turn(self.engine), self.engine.begin() as conn:
                    if idempotency_key:
                        stored_reply = await self._replay(conn, operation, idempotency_key, digest)
                        if stored_reply is not None:
                            return stored_reply
                    uow = UnitOfWork(
                        conn,
                        self.store,
                        self._translate,
                        self._clock(),
                        self._project,
                        project_many=self._project_many,
                        snapshots=self.snapshots,
                    )
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
            uow.committed()
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
