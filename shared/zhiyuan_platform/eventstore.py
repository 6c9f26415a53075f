"""The event store of record: append with expected version, read a stream, read all.

Plain SQLAlchemy Core over an ``AsyncConnection`` that the caller's unit of work owns,
so events, outbox rows and the idempotency row commit in one transaction.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .bulk import select_in
from .sqlite_loader import sqlite_text
from .tables import events


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; reload and decide again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True)
class NewEvent:
    type: str
    data: Mapping[str, Any]
    meta: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class StoredEvent:
    position: int
    event_id: str
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    meta: dict[str, Any]
    recorded_at: datetime


def _row_to_event(row: Any) -> StoredEvent:
    return StoredEvent(
        position=row.position,
        event_id=row.event_id,
        stream_id=row.stream_id,
        version=row.version,
        type=row.type,
        data=dict(row.data),
        meta=dict(row.meta),
        recorded_at=row.recorded_at,
    )


_SCALARS = frozenset({str, int, float, bool, type(None)})
# 7 parameters a row; SQLite takes at most 32,766 in one statement (999 before 3.32).
_SQLITE_ROWS_PER_INSERT = (32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999) // 7


def _as_read(value: Mapping[str, Any], text: str) -> dict[str, Any]:
    """What reading ``text`` back would give: a copy of ``value`` when it holds only JSON
    scalars (the common case), else the JSON round trip itself (tuples become lists…)."""
    if all(type(v) in _SCALARS for v in value.values()):
        return dict(value)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


_INSERT_COLUMNS = "event_id, stream_id, version, type, data, meta, recorded_at"


@functools.lru_cache(maxsize=256)
def _sqlite_insert_sql(rows: int) -> str:
    return (
        f"INSERT INTO {events.name} ({_INSERT_COLUMNS}) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
        + " RETURNING position, stream_id, version"
    )


class EventStore:
    """The recorder contract of pyeventsourcing, async and on SQLAlchemy Core."""

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        *,
        now: datetime,
    ) -> list[StoredEvent]:
        """Append after ``expected_version`` (0 for a new stream) or raise ConcurrencyError.

        The unique ``(stream_id, version)`` constraint is the arbiter: whoever commits
        second fails, whatever the isolation level. The insert runs in a savepoint so the
        caller's transaction stays usable after a conflict.
        """
        return await self.append_many(conn, [(stream_id, expected_version, new_events)], now=now)

    async def append_many(
        self,
        conn: AsyncConnection,
        appends: Sequence[tuple[str, int, Sequence[NewEvent]]],
        *,
        now: datetime,
    ) -> list[StoredEvent]:
        """Several ``(stream_id, expected_version, new_events)`` appends in one statement.

        All or nothing: if any stream is no longer at its expected version, nothing is
        appended and ConcurrencyError is raised. Returns the stored events in the
        order given: stream by stream, each in version order. ``stream_id`` of the error is
        the batch's first stream: the constraint violated does not say which one.
        """
        if conn.dialect.name == "sqlite":
            return await self._append_sqlite(conn, appends, now)
        rows = [
            {
                "event_id": e.event_id,
                "stream_id": stream_id,
                "version": expected_version + i,
                "type": e.type,
                "data": dict(e.data),
                "meta": dict(e.meta),
                "recorded_at": now,
            }
            for stream_id, expected_version, new_events in appends
            for i, e in enumerate(new_events, start=1)
        ]
        if not rows:
            return []
        try:
            async with conn.begin_nested():
                result = await conn.execute(insert(events).returning(*events.c), rows)
                stored = [_row_to_event(r) for r in result]
        except IntegrityError as exc:
            stream_id, expected_version, _ = next(a for a in appends if a[2])
            raise ConcurrencyError(stream_id, expected_version) from exc
        # RETURNING promises no order; the rows' (stream, version) put them back in the given one.
        order = {(row["stream_id"], row["version"]): i for i, row in enumerate(rows)}
        stored.sort(key=lambda e: order[(e.stream_id, e.version)])
        return stored

    async def _append_sqlite(
        self,
        conn: AsyncConnection,
        appends: Sequence[tuple[str, int, Sequence[NewEvent]]],
        now: datetime,
    ) -> list[StoredEvent]:
        """``append_many`` on SQLite: one multi-row ``INSERT … RETURNING`` sent as the driver
        takes it, the JSON written as SQLAlchemy's JSON type writes it (``json.dumps``) —
        without SQLAlchemy's per-row, per-column parameter processing (most of a batch's cost)."""
        at = now.astimezone(UTC)
        recorded = sqlite_text(at)  # as UtcDateTime's bind processor writes it
        pending: list[tuple[str, str, int, str, dict[str, Any], dict[str, Any], str, str]] = []
        for stream_id, expected_version, new_events in appends:
            for i, e in enumerate(new_events, start=1):
                data_text, meta_text = json.dumps(dict(e.data)), json.dumps(dict(e.meta))
                pending.append(
                    (
                        e.event_id, stream_id, expected_version + i, e.type,
                        _as_read(e.data, data_text), _as_read(e.meta, meta_text), data_text, meta_text,
                    )
                )
        if not pending:
            return []
        positions: dict[tuple[str, int], int] = {}

        async def insert() -> None:
            for first in range(0, len(pending), _SQLITE_ROWS_PER_INSERT):
                chunk = pending[first : first + _SQLITE_ROWS_PER_INSERT]
                params: list[Any] = []
                for event_id, stream_id, version, type_, _, _, data_text, meta_text in chunk:
                    params += (event_id, stream_id, version, type_, data_text, meta_text, recorded)
                result = await conn.exec_driver_sql(_sqlite_insert_sql(len(chunk)), tuple(params))
                returned: list[Any] = list(result)
                for position, stream_id, version in returned:
                    positions[(stream_id, version)] = position

        try:
            if len(pending) <= _SQLITE_ROWS_PER_INSERT:
                # One statement: SQLite undoes a statement that breaks a constraint and
                # leaves the transaction as it was — no savepoint (two more statements) needed.
                await insert()
            else:
                async with conn.begin_nested():
                    await insert()
        except IntegrityError as exc:
            stream_id, expected_version, _ = next(a for a in appends if a[2])
            raise ConcurrencyError(stream_id, expected_version) from exc
        return [
            StoredEvent(
                position=positions[(stream_id, version)],
                event_id=event_id,
                stream_id=stream_id,
                version=version,
                type=type_,
                data=data,
                meta=meta,
                recorded_at=at,
            )
            for event_id, stream_id, version, type_, data, meta, _, _ in pending
        ]

    async def read_stream(
        self, conn: AsyncConnection, stream_id: str, *, after_version: int = 0
    ) -> list[StoredEvent]:
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.version > after_version)
            .order_by(events.c.version)
        )
        return [_row_to_event(r) for r in await conn.execute(query)]

    async def read_streams(self, conn: AsyncConnection, stream_ids: Iterable[str]) -> dict[str, list[StoredEvent]]:
        """Several whole streams in one statement: each stream's events in version order
        (a stream with no events is absent)."""
        found: dict[str, list[StoredEvent]] = {}
        for row in await select_in(conn, list(events.c), events.c.stream_id, set(stream_ids)):
            event = _row_to_event(row)
            found.setdefault(event.stream_id, []).append(event)
        for history in found.values():
            history.sort(key=lambda e: e.version)
        return found

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        value = await conn.scalar(select(func.max(events.c.version)).where(events.c.stream_id == stream_id))
        return int(value or 0)

    async def read_all(
        self, conn: AsyncConnection, *, after_position: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """Committed events in global (position) order.

        Positions of concurrent transactions may become visible out of order; readers that
        must not miss one (the relay) select by state, not by "greater than last seen".
        """
        query = (
            select(events).where(events.c.position > after_position).order_by(events.c.position).limit(limit)
        )
        return [_row_to_event(r) for r in await conn.execute(query)]

    async def max_position(self, conn: AsyncConnection) -> int:
        return int(await conn.scalar(select(func.max(events.c.position))) or 0)
