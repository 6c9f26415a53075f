"""Consumer positions, committed with the read-model change they belong to.

A projection's change and its tracking row commit in one transaction, so a redelivered
message (stream sequence at or below the position) or a re-published event (aggregate
sequence at or below the last applied) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from .bulk import insert_many, select_in
from .tables import aggregate_sequences, dead_letters, tracking


@dataclass(frozen=True)
class Position:
    stream: str
    position: int
    event_id: str | None
    event_time: str | None


def _upsert(conn: AsyncConnection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def get_position(conn: AsyncConnection, consumer: str, stream: str) -> int:
    value = await conn.scalar(
        select(tracking.c.position).where(tracking.c.consumer == consumer, tracking.c.stream == stream)
    )
    return int(value or 0)


async def positions(conn: AsyncConnection, consumer: str | None = None) -> list[Position]:
    query = select(tracking)
    if consumer is not None:
        query = query.where(tracking.c.consumer == consumer)
    return [
        Position(r.stream, int(r.position), r.event_id, r.event_time)
        for r in await conn.execute(query.order_by(tracking.c.stream))
    ]


async def set_position(
    conn: AsyncConnection,
    consumer: str,
    stream: str,
    position: int,
    *,
    event_id: str | None,
    event_time: str | None,
    now: datetime,
) -> None:
    values = {
        "consumer": consumer,
        "stream": stream,
        "position": position,
        "event_id": event_id,
        "event_time": event_time,
        "updated_at": now,
    }
    stmt = _upsert(conn, tracking).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tracking.c.consumer, tracking.c.stream],
        set_={k: stmt.excluded[k] for k in ("position", "event_id", "event_time", "updated_at")},
    )
    await conn.execute(stmt)


async def aggregate_sequence(conn: AsyncConnection, consumer: str, aggregate_id: str) -> int:
    value = await conn.scalar(
        select(aggregate_sequences.c.sequence).where(
            aggregate_sequences.c.consumer == consumer, aggregate_sequences.c.aggregate_id == aggregate_id
        )
    )
    return int(value or 0)


async def aggregate_sequences_of(conn: AsyncConnection, consumer: str, aggregate_ids: Iterable[str]) -> dict[str, int]:
    """The last applied sequence of each of ``aggregate_ids`` this consumer has seen (one lookup)."""
    rows = await select_in(
        conn,
        [aggregate_sequences.c.aggregate_id, aggregate_sequences.c.sequence],
        aggregate_sequences.c.aggregate_id,
        aggregate_ids,
        aggregate_sequences.c.consumer == consumer,
    )
    return {r.aggregate_id: int(r.sequence) for r in rows}


async def set_aggregate_sequences(conn: AsyncConnection, consumer: str, sequences: dict[str, int]) -> None:
    await insert_many(
        conn,
        aggregate_sequences,
        [{"consumer": consumer, "aggregate_id": a, "sequence": s} for a, s in sequences.items()],
        upsert=(["consumer", "aggregate_id"], ["sequence"]),
    )


async def record_dead_letter(
    conn: AsyncConnection,
    *,
    consumer: str,
    stream: str,
    stream_sequence: int,
    subject: str,
    event_id: str | None,
    event_type: str | None,
    reason: str,
    body: bytes,
    now: datetime,
) -> None:
    stmt = _upsert(conn, dead_letters).values(
        consumer=consumer,
        stream=stream,
        stream_sequence=stream_sequence,
        subject=subject,
        event_id=event_id,
        event_type=event_type,
        reason=reason,
        body=body,
        recorded_at=now,
    )
    await conn.execute(stmt.on_conflict_do_nothing())


async def dead_letter_count(conn: AsyncConnection, consumer: str | None = None) -> int:
    query = select(func.count()).select_from(dead_letters)
    if consumer is not None:
        query = query.where(dead_letters.c.consumer == consumer)
    return int(await conn.scalar(query) or 0)
