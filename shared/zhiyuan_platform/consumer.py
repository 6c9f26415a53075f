"""A tracked JetStream consumer: one transaction per fetched batch, position included.

Order-dependent folds consume sequentially: a durable pull consumer, one batch at a time,
events applied in stream order, the batch's read-model changes and the consumer's
tracking row committed together, then one ``AckAll`` for the batch. A crash anywhere
before the commit leaves nothing applied; a crash after it but before the ack brings the
batch back, and every message at or below the committed position is skipped.

Events that cannot be applied — not CloudEvents, an unknown type or version, a payload
that fails validation, or a handler that raises on one event — go to the dead-letter
stream with the reason, are counted, logged, and never stop the consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent, decode

from . import tracking
from .db import write_turn
from .logging import causality, get_logger
from .pull import ConsumerGone, PullFeed
from .stopping import sleep_or_stop

log = get_logger("zhiyuan.consumer")

Handler = Callable[[AsyncConnection, CloudEvent], Awaitable[None]]
Validator = Callable[[CloudEvent], Any]
DEAD_LETTER_PREFIX = "zyd"


class Projection(Protocol):
    """A read model folded a batch at a time: ``apply`` gets the batch's new events, in
    stream order, inside the consumer's transaction (and one at a time when a batch
    failed and is redone to find the culprit)."""

    def handles(self, event_type: str) -> bool: ...

    async def apply(self, conn: AsyncConnection, events: Sequence[CloudEvent]) -> None: ...


class PerEvent:
    """A projection from one handler per event type, each event under its own causality."""

    def __init__(self, handlers: Mapping[str, Handler], *, consumer: str = "") -> None:
        self.handlers = handlers
        self.consumer = consumer

    def handles(self, event_type: str) -> bool:
        return event_type in self.handlers

    async def apply(self, conn: AsyncConnection, events: Sequence[CloudEvent]) -> None:
        for event in events:
            with causality(
                correlation_id=event.correlationid, causation_id=event.id, event_id=event.id, consumer=self.consumer
            ):
                await self.handlers[event.type](conn, event)


class UnknownEvent(Exception):
    """An event type this consumer's catalogue does not know (e.g. a future version)."""


class Delivery(NamedTuple):
    """One message of a stream as the fold sees it (from a pull fetch, a replay, or a test).

    A named tuple, not a dataclass: a replay makes one per message, and a frozen
    dataclass cost ~0.4 µs each here (a third of reading a message)."""

    seq: int
    subject: str
    data: bytes


@dataclass
class ConsumerStats:
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    batches: int = 0


class TrackedConsumer:
    def __init__(
        self,
        engine: AsyncEngine,
        nc: NATS | None,
        *,
        name: str,
        stream: str,
        handlers: Mapping[str, Handler] | Projection,
        validate: Validator,
        filter_subject: str | None = None,
        batch_size: int = 500,
        idle_wait: float = 0.25,
        ack_wait_seconds: float = 30.0,
    ) -> None:
        self.name = name
        self.stream = stream
        self._engine = engine
        self._nc = nc
        self._js = nc.jetstream() if nc is not None else None
        self._projection: Projection = (
            PerEvent(handlers, consumer=name) if isinstance(handlers, Mapping) else handlers
        )
        self._validate = validate
        self._filter = filter_subject
        self._batch_size = batch_size
        self._idle_wait = idle_wait  # how often an idle consumer looks at ``stop``
        self._ack_wait = ack_wait_seconds
        self.stats = ConsumerStats()
        self.on_batch_committed: Callable[[], None] | None = None

    def _config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.ALL,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._ack_wait,
            max_ack_pending=-1,
            filter_subject=self._filter,
        )

    async def subscribe(self) -> Any:
        """A nats-py pull subscription on the durable consumer (for tests that fetch by hand)."""
        assert self._js is not None, "a consumer without NATS only applies deliveries"
        return await self._js.pull_subscribe(
            self._filter or "", durable=self.name, stream=self.stream, config=self._config()
        )

    async def ensure_consumer(self) -> None:
        """Create the durable pull consumer, or find it there already (as ``pull_subscribe`` does)."""
        assert self._js is not None, "a consumer without NATS only applies deliveries"
        try:
            await self._js.consumer_info(self.stream, self.name)
        except NotFoundError:
            await self._js.add_consumer(self.stream, self._config())

    async def run(self, stop: asyncio.Event) -> None:
        assert self._nc is not None, "a consumer without NATS only applies deliveries"
        backoff = 0.2
        feed: PullFeed | None = None
        try:
            while not stop.is_set():
                try:
                    await self.ensure_consumer()
                except Exception as exc:  # the owning service has not provisioned the stream yet
                    log.info("consumer.waiting_for_stream", consumer=self.name, stream=self.stream, error=repr(exc))
                    await sleep_or_stop(stop, 1.0)
                    continue
                try:
                    if feed is None:
                        fresh = PullFeed(self._nc, stream=self.stream, consumer=self.name, batch=self._batch_size)
                        await fresh.start()
                        feed = fresh  # only once it listens
                    backoff = await self._consume(feed, stop, backoff)
                except ConsumerGone as gone:
                    log.warning("consumer.gone_recreating", consumer=self.name, stream=self.stream, reason=str(gone))
                    if feed is not None:
                        await feed.close()
                    feed = None
                    await sleep_or_stop(stop, backoff)
                except Exception as exc:  # the connection is away (closed, buffer full): ask again later
                    # The feed stays: what its open request delivers meanwhile is not lost
                    # to a closed inbox (it would come again only after ack_wait).
                    log.warning("consumer.fetch_failed", consumer=self.name, error=repr(exc), retry_in=backoff)
                    await sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
        finally:
            if feed is not None:
                await feed.close()

    async def _consume(self, feed: PullFeed, stop: asyncio.Event, backoff: float) -> float:
        """Apply batches as they arrive until ``stop``; raises ``ConsumerGone``."""
        while not stop.is_set():
            msgs = await feed.next_batch(self._idle_wait)
            if not msgs:
                continue
            try:
                await self.process(msgs)
                backoff = 0.2
            except Exception as exc:  # the database is away: leave the batch unacked, retry
                log.error("consumer.batch_failed", consumer=self.name, error=repr(exc), retry_in=backoff)
                for msg in msgs:
                    await _nak(msg, backoff)
                await sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 10.0)
        return backoff

    async def process(self, msgs: list[Msg]) -> None:
        """Apply one fetched batch in one transaction, then acknowledge it."""
        if not msgs:
            return
        await self.apply([Delivery(m.metadata.sequence.stream, m.subject, m.data) for m in msgs])
        await msgs[-1].ack()

    async def apply(self, deliveries: list[Delivery]) -> None:
        """The fold: apply deliveries in one transaction with the consumer's position."""
        if not deliveries:
            return
        try:
            await self._apply_batch(deliveries, isolate_failures=False)
        except DBAPIError:
            raise
        except Exception as exc:
            # Some event's handler failed: redo the batch one event per transaction so the
            # culprit alone is dead-lettered and the rest are applied.
            log.warning("consumer.batch_isolating_failure", consumer=self.name, error=repr(exc))
            for delivery in deliveries:
                await self._apply_batch([delivery], isolate_failures=True)
        self.stats.batches += 1
        if self.on_batch_committed is not None:
            self.on_batch_committed()

    async def _apply_batch(self, msgs: list[Delivery], *, isolate_failures: bool) -> None:
        """Apply ``msgs`` in one transaction; stats and dead-letter log lines only count once it commits.

        Three lookups per batch, whatever its size: the position, the last applied sequence
        of every aggregate the batch names, and what the projection itself needs — then the
        projection's writes, the aggregates' sequences and the position.
        """
        now = datetime.now(UTC)
        delta = ConsumerStats()
        letters: list[dict[str, Any]] = []
        async with write_turn(self._engine), self._engine.begin() as conn:
            position = await tracking.get_position(conn, self.name, self.stream)
            fresh = [m for m in msgs if m.seq > position]
            delta.skipped += len(msgs) - len(fresh)
            if fresh:
                await self._fold(conn, fresh, now, delta, letters, isolate_failures=isolate_failures)
        self.stats.applied += delta.applied
        self.stats.skipped += delta.skipped
        self.stats.dead_lettered += len(letters)
        for letter in letters:
            log.error("consumer.dead_letter", consumer=self.name, stream=self.stream, **letter)

    async def _fold(
        self,
        conn: AsyncConnection,
        fresh: list[Delivery],
        now: datetime,
        delta: ConsumerStats,
        letters: list[dict[str, Any]],
        *,
        isolate_failures: bool,
    ) -> None:
        """Decode, drop re-published copies, apply, and move the position past ``fresh``."""
        decoded: list[tuple[Delivery, CloudEvent]] = []
        for msg in fresh:
            event = await self._decode_or_dead_letter(conn, msg, now, letters)
            if event is not None:
                decoded.append((msg, event))
        seen = await tracking.aggregate_sequences_of(conn, self.name, {e.subject for _, e in decoded})
        changed: dict[str, int] = {}
        wanted: list[CloudEvent] = []
        culprit: Delivery | None = None  # when redoing one by one: the one being applied
        last_event: CloudEvent | None = None
        for msg, event in decoded:
            if event.sequence <= changed.get(event.subject, seen.get(event.subject, 0)):
                delta.skipped += 1  # a re-published copy of an event already applied
                continue
            changed[event.subject] = event.sequence
            last_event = event
            if self._projection.handles(event.type):
                wanted.append(event)
                culprit = msg
            else:
                delta.skipped += 1
        if wanted and isolate_failures and culprit is not None:
            # One event (the batch is being redone one by one): a failure dead-letters it alone.
            event = wanted[0]
            try:
                async with conn.begin_nested():
                    await self._projection.apply(conn, wanted)
                delta.applied += 1
            except DBAPIError:
                raise
            except Exception as exc:
                await self._dead_letter(conn, culprit, now, f"handler failed: {exc!r}", event, letters)
                del changed[event.subject]
        elif wanted:
            await self._projection.apply(conn, wanted)
            delta.applied += len(wanted)
        await tracking.set_aggregate_sequences(conn, self.name, changed)
        await tracking.set_position(
            conn,
            self.name,
            self.stream,
            fresh[-1].seq,
            event_id=last_event.id if last_event else None,
            event_time=last_event.time if last_event else None,
            now=now,
        )

    async def _decode_or_dead_letter(
        self, conn: AsyncConnection, msg: Delivery, now: datetime, letters: list[dict[str, Any]]
    ) -> CloudEvent | None:
        try:
            event = decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(conn, msg, now, f"not a CloudEvent: {exc}", None, letters)
            return None
        try:
            self._validate(event)
        except Exception as exc:
            await self._dead_letter(conn, msg, now, f"invalid event: {exc}", event, letters)
            return None
        return event

    async def _dead_letter(
        self,
        conn: AsyncConnection,
        msg: Delivery,
        now: datetime,
        reason: str,
        event: CloudEvent | None,
        letters: list[dict[str, Any]],
    ) -> None:
        seq = msg.seq
        letters.append(
            {
                "stream_sequence": seq,
                "subject": msg.subject,
                "event_type": event.type if event else None,
                "event_id": event.id if event else None,
                "reason": reason[:500],
            }
        )
        await tracking.record_dead_letter(
            conn,
            consumer=self.name,
            stream=self.stream,
            stream_sequence=seq,
            subject=msg.subject,
            event_id=event.id if event else None,
            event_type=event.type if event else None,
            reason=reason[:2000],
            body=msg.data,
            now=now,
        )
        # Published before the commit, deduplicated by id: a crash in between re-sends the
        # same dead letter, which JetStream drops.
        if self._js is None:
            return
        await self._js.publish(
            f"{DEAD_LETTER_PREFIX}.{self.name}.{msg.subject}",
            msg.data,
            headers={
                "Nats-Msg-Id": f"dl:{self.name}:{self.stream}:{seq}",
                "Zhiyuan-Dead-Letter-Reason": reason[:1000].replace("\r", " ").replace("\n", " "),
                "Zhiyuan-Original-Stream": self.stream,
                "Zhiyuan-Original-Sequence": str(seq),
            },
        )


async def _nak(msg: Msg, delay: float) -> None:
    # If even the nak fails, the message is redelivered after ack_wait anyway.
    with contextlib.suppress(Exception):
        await msg.nak(delay=delay)

