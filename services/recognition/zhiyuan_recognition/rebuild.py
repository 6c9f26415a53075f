"""Drop every read model and rebuild it from the streams, to the same result.

The live consumers fold a batch at a time with lookups and writes per batch; a rebuild
starts from empty, so it folds with ``LedgerReplay`` instead: the live ledger's rules
over the whole state in memory, typed decoding for the frequent events, and the rows
streamed to a bulk loader that runs on the other core, committed once every stream is
read. Nothing is announced while replaying: recognition's own events are in its event
store and are never dropped, and a final reconciliation announces only a star level that
truly differs from the last one announced (none, unless the policy changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import CreateIndex, DropIndex

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform.bulk import select_in
from zhiyuan_platform.bulkload import bulk_sink
from zhiyuan_platform.consumer import Delivery, TrackedConsumer
from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.tables import aggregate_sequences, dead_letters, tracking

from .adapters.tables import READ_MODELS, minute_ledger, service_records, volunteer_totals, volunteers
from .domain.star_policy import StarPolicy
from .integration.translator import translate
from .projections import organization
from .projections.ledger import Ledger, LevelToAnnounce, announced_levels
from .projections.replay import LedgerReplay

CONSUMERS = {"ZY_REGISTRY": "recognition-registry", "ZY_ACTIVITIES": "recognition-activities"}
# The in-memory fold's state per event, with room to spare (bench: ~530 bytes a service
# record), and how much of it a rebuild may hold before it folds as the live consumers do.
STATE_BYTES_PER_EVENT = 800
DEFAULT_MEMORY_BUDGET = 8 << 30
log = get_logger("zhiyuan.recognition")
Progress = Callable[[str, int, int], None]
# The read models a rebuild fills from empty with most rows: built without their
# secondary indexes, which are then built once over the whole table.
BULK_LOADED = (service_records, minute_ledger)
RECONCILE_CHUNK = 1000  # announcements read and appended together


def _validate(event: CloudEvent) -> None:
    parse_event(event)


@dataclass
class RebuildReport:
    applied: dict[str, int] = field(default_factory=dict)
    dead_lettered: int = 0
    announced: int = 0
    seconds: float = 0.0
    in_memory: bool = True  # False: the state did not fit the memory budget; folded as live


def ledger(policy: StarPolicy, *, announce: bool = True) -> Ledger:
    """Recognition's projection of both streams: the ledger, and the organization's events."""
    return Ledger(policy, translate, announce=announce, others={**organization.REGISTRY, **organization.ACTIVITIES})


def consumers(engine: AsyncEngine, projection: Ledger) -> dict[str, TrackedConsumer]:
    return {
        stream: TrackedConsumer(engine, None, name=name, stream=stream, handlers=projection, validate=_validate)
        for stream, name in CONSUMERS.items()
    }


async def reset(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        names = list(CONSUMERS.values())
        if conn.dialect.name == "postgresql":
            # TRUNCATE, not DELETE: deleted rows stay behind as dead tuples until a vacuum,
            # and a rebuild after a rebuild measured ~15 % slower inserting among them.
            # The consumers' own rows go the same way when no other consumer has any.
            tables = [t.name for t in READ_MODELS]
            others = await conn.scalar(
                select(aggregate_sequences.c.consumer).where(aggregate_sequences.c.consumer.not_in(names)).limit(1)
            )
            if others is None:
                tables.append(aggregate_sequences.name)
            await conn.execute(text(f"TRUNCATE {', '.join(tables)}"))
        else:  # SQLite empties a table without a WHERE in one step
            for table in READ_MODELS:
                await conn.execute(delete(table))
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
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> RebuildReport:
    """Empty the read models and fold ``sources`` (stream → its batches, registry first) into them.

    The fold is ``LedgerReplay``: the live ledger's rules over the whole state in memory,
    the rows streamed to a bulk loader on the other core (SQLite: a child process holding
    the write lock; PostgreSQL: COPY) and committed together once every stream is read.
    Its state takes ~530 bytes a service record (measured); where ``totals`` (messages
    per stream) say it would pass ``memory_budget``, the live consumers' fold is used
    instead, a batch in memory at a time — the same result, several times slower.
    """
    started = asyncio.get_running_loop().time()
    await reset(engine)
    report = RebuildReport()
    needs = sum((totals or {}).values()) * STATE_BYTES_PER_EVENT
    if needs > memory_budget:
        log.warning("rebuild.bounded_memory", needs_mb=needs >> 20, budget_mb=memory_budget >> 20)
        await _fold_as_live(engine, policy, sources, report, progress, totals)
    else:
        with collector_paused():
            await _fold_in_memory(engine, policy, sources, report, progress, totals)
    await analyze(engine)
    report.announced = await reconcile(engine, ledger(policy))
    report.seconds = asyncio.get_running_loop().time() - started
    report.in_memory = needs <= memory_budget
    return report


async def _fold_in_memory(
    engine: AsyncEngine,
    policy: StarPolicy,
    sources: dict[str, AsyncIterator[list[Delivery]]],
    report: RebuildReport,
    progress: Progress | None,
    totals: dict[str, int] | None,
) -> None:
    live_rules = ledger(policy, announce=False)
    async with secondary_indexes_dropped(engine, BULK_LOADED) as index_builds, bulk_sink(engine) as sink:
        replay = LedgerReplay(policy, live_rules, sink, CONSUMERS)
        for stream, batches in sources.items():
            async for batch in batches:
                await replay.apply(stream, batch)
                if progress is not None:
                    progress(stream, batch[-1].seq, (totals or {}).get(stream, 0))
        await replay.finish_load()
        if engine.dialect.name == "postgresql":
            await sink.commit()
            await side_by_side(engine, index_builds)  # the server builds them on both cores
        else:
            await sink.commit(index_builds)  # in the loader's transaction
    async with engine.begin() as conn:
        await replay.finish_in(conn)
    for stream, consumer in replay.consumers.items():
        report.applied[stream] = consumer.applied
        report.dead_lettered += consumer.dead_lettered


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in the block: the in-memory fold's state is hundreds of
    thousands of tuples and the rows it makes are more; the collector's passes over them
    cost ~15 % of the fold (bench.breakdown) and find no cycles. It runs again afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


async def _fold_as_live(
    engine: AsyncEngine,
    policy: StarPolicy,
    sources: dict[str, AsyncIterator[list[Delivery]]],
    report: RebuildReport,
    progress: Progress | None,
    totals: dict[str, int] | None,
) -> None:
    """The live consumers' own fold, a transaction per batch: slower, but its memory is one batch."""
    folds = consumers(engine, ledger(policy, announce=False))
    async with secondary_indexes_dropped(engine, BULK_LOADED):
        for stream, batches in sources.items():
            fold = folds[stream]
            async for batch in batches:
                await fold.apply(batch)
                if progress is not None:
                    progress(stream, batch[-1].seq, (totals or {}).get(stream, 0))
            report.applied[stream] = fold.stats.applied
            report.dead_lettered += fold.stats.dead_lettered


@contextlib.asynccontextmanager
async def secondary_indexes_dropped(engine: AsyncEngine, tables: tuple[Table, ...]) -> AsyncIterator[list[str]]:
    """Fill ``tables`` without their indexes, then build each index once; yields the builds' DDL.

    A service record would update five B-trees; building an index over the finished table
    is a sort, far cheaper than keeping it up to date row by row. The replay keeps what it
    needs in memory, and nothing reads these tables while a rebuild runs (the service is
    stopped). The bulk load runs the yielded statements before it commits; whatever happens
    — a failed rebuild included — the indexes are back afterwards, and a rebuild that was
    killed outright puts them back when it is run again.
    """
    indexes = [index for table in tables for index in sorted(table.indexes, key=lambda i: str(i.name))]
    async with engine.begin() as conn:
        for index in indexes:
            await conn.execute(DropIndex(index, if_exists=True))
    try:
        yield [str(CreateIndex(index, if_not_exists=True).compile(dialect=engine.dialect)) for index in indexes]
    finally:
        async with engine.begin() as conn:
            for index in indexes:
                await conn.execute(CreateIndex(index, if_not_exists=True))


async def side_by_side(engine: AsyncEngine, statements: list[str], connections: int = 2) -> None:
    """Run ``statements`` on ``connections`` PostgreSQL connections at once, each in its own transaction.

    Index builds of one table may run together (CREATE INDEX takes a SHARE lock), and so
    may ANALYZE of different tables; each is one backend, so two use both cores.
    """

    async def run(share: list[str]) -> None:
        async with engine.begin() as conn:
            for statement in share:
                await conn.execute(text(statement))

    await asyncio.gather(*(run(statements[i::connections]) for i in range(connections)))


async def analyze(engine: AsyncEngine) -> None:
    """Fresh planner statistics for tables that grew from empty (PostgreSQL's autovacuum lags)."""
    if engine.dialect.name == "postgresql":
        big_first = (service_records, minute_ledger, aggregate_sequences, volunteer_totals, volunteers)
        rest = [t for t in (*READ_MODELS, tracking) if t not in big_first]
        await side_by_side(engine, [f"ANALYZE {table.name}" for table in (*big_first, *rest)])
    else:
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))


async def reconcile(engine: AsyncEngine, ledger: Ledger) -> int:
    """Announce a level only where it differs from the last one announced.

    Two reads whatever the number of volunteers — every volunteer with a star, and every
    last announcement — then the announcements where they differ, a thousand at a time.
    """
    announced = 0
    async with engine.begin() as conn:
        last = await announced_levels(conn)
        starred = {
            r.volunteer_id: (int(r.star_level), int(r.total_minutes))
            for r in await conn.execute(
                select(volunteer_totals.c.volunteer_id, volunteer_totals.c.star_level, volunteer_totals.c.total_minutes)
                .where(volunteer_totals.c.star_level > 0)
            )
        }
        lowered = [v for v, level in last.items() if level > 0 and v not in starred]
        for r in await select_in(
            conn,
            [volunteer_totals.c.volunteer_id, volunteer_totals.c.star_level, volunteer_totals.c.total_minutes],
            volunteer_totals.c.volunteer_id,
            lowered,
        ):
            starred[r.volunteer_id] = (int(r.star_level), int(r.total_minutes))
        now = datetime.now(UTC)
        differing = [
            LevelToAnnounce(volunteer_id, level, total, reason="重建后核对 / after a rebuild", at=now)
            for volunteer_id, (level, total) in sorted(starred.items())
            if level != last.get(volunteer_id, 0)
        ]
        for first in range(0, len(differing), RECONCILE_CHUNK):
            announced += await ledger.announce_levels(conn, differing[first : first + RECONCILE_CHUNK])
    return announced
