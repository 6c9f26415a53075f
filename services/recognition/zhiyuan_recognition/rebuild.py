"""Drop every read model and rebuild it from the streams, to the same result.

The fold is the live consumers' own (``TrackedConsumer.apply``), fed from JetStream with
an ordered push consumer (the fastest way to read a stream) in batches of 1,000, one
transaction each. Nothing is announced while replaying: recognition's own events are in
its event store and are never dropped, and a final reconciliation announces only a star
level that truly differs from the last one announced (none, unless the policy changed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.aio.client import Client as NATS
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.consumer import Delivery, TrackedConsumer
from zhiyuan_platform.tables import aggregate_sequences, dead_letters, tracking

from .adapters.tables import READ_MODELS, volunteer_totals
from .domain.star_policy import StarPolicy
from .integration.translator import translate
from .projections import organization
from .projections.ledger import Ledger

CONSUMERS = {"ZY_REGISTRY": "recognition-registry", "ZY_ACTIVITIES": "recognition-activities"}
Progress = Callable[[str, int, int], None]


def _validate(event: CloudEvent) -> None:
    parse_event(event)


@dataclass
class RebuildReport:
    applied: dict[str, int] = field(default_factory=dict)
    dead_lettered: int = 0
    announced: int = 0
    seconds: float = 0.0


def consumers(engine: AsyncEngine, ledger: Ledger) -> dict[str, TrackedConsumer]:
    handlers = {
        "ZY_REGISTRY": {**ledger.registry_handlers(), **organization.REGISTRY},
        "ZY_ACTIVITIES": {**ledger.activities_handlers(), **organization.ACTIVITIES},
    }
    return {
        stream: TrackedConsumer(
            engine, None, name=name, stream=stream, handlers=handlers[stream], validate=_validate
        )
        for stream, name in CONSUMERS.items()
    }


async def reset(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in READ_MODELS:
            await conn.execute(delete(table))
        names = list(CONSUMERS.values())
        await conn.execute(delete(tracking).where(tracking.c.consumer.in_(names)))
        await conn.execute(delete(aggregate_sequences).where(aggregate_sequences.c.consumer.in_(names)))
        await conn.execute(delete(dead_letters).where(dead_letters.c.consumer.in_(names)))


async def rebuild(
    engine: AsyncEngine,
    policy: StarPolicy,
    sources: dict[str, AsyncIterator[list[Delivery]]],
    *,
    progress: Progress | None = None,
    totals: dict[str, int] | None = None,
) -> RebuildReport:
    started = asyncio.get_running_loop().time()
    await reset(engine)
    quiet = Ledger(policy, translate, announce=False)
    folds = consumers(engine, quiet)
    report = RebuildReport()
    for stream, batches in sources.items():
        fold = folds[stream]
        async for batch in batches:
            await fold.apply(batch)
            if progress is not None:
                progress(stream, batch[-1].seq, (totals or {}).get(stream, 0))
        report.applied[stream] = fold.stats.applied
        report.dead_lettered += fold.stats.dead_lettered
    report.announced = await reconcile(engine, Ledger(policy, translate))
    report.seconds = asyncio.get_running_loop().time() - started
    return report


async def reconcile(engine: AsyncEngine, ledger: Ledger) -> int:
    """Announce a level only where it differs from the last one announced."""
    announced = 0
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(
                    volunteer_totals.c.volunteer_id,
                    volunteer_totals.c.total_minutes,
                    volunteer_totals.c.star_level,
                )
            )
        ).all()
        for row in rows:
            if await ledger.announce_level(
                conn,
                row.volunteer_id,
                int(row.star_level),
                int(row.total_minutes),
                reason="重建后核对 / after a rebuild",
                at=datetime.now(UTC),
            ):
                announced += 1
    return announced


async def jetstream_batches(
    nc: NATS, stream: str, *, batch_size: int = 1000, idle: float = 1.0
) -> AsyncIterator[list[Delivery]]:
    """The whole stream from its first message, in order, via an ordered push consumer."""
    js = nc.jetstream()
    info = await js.stream_info(stream)
    last = info.state.last_seq
    if info.state.messages == 0:
        return
    subject = f"zy.{stream.removeprefix('ZY_').lower()}.>"
    sub = await js.subscribe(subject, ordered_consumer=True, stream=stream, pending_msgs_limit=200_000)
    batch: list[Delivery] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=idle)
            except TimeoutError:
                break
            seq = msg.metadata.sequence.stream
            batch.append(Delivery(seq, msg.subject, msg.data))
            if len(batch) >= batch_size:
                yield batch
                batch = []
            if seq >= last:
                break
        if batch:
            yield batch
    finally:
        await sub.unsubscribe()
