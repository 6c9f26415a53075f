"""The transactional outbox and the relay that drains it into JetStream.

Rows are written in the command's transaction. The relay publishes unpublished rows in
id order — selecting by state, never by "after the last id seen", so a transaction that
commits after a later id has been published is still picked up — with
``Nats-Msg-Id`` = event id, and marks a row published only after JetStream's ack.

Publishing uses JetStream atomic batches (server 2.12+, stream ``allow_atomic``) of up to
1,000 messages. A batch the server refuses — atomic publish disabled, an old server, or
error 10201 because a re-sent batch holds an id the stream already has — is published
again one message at a time, where a duplicate ack counts as success.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .bulk import insert_many, update_many
from .db import read_only, write_turn
from .logging import get_logger
from .stopping import sleep_or_stop
from .tables import outbox

MAX_ATOMIC_BATCH = 1000
ERR_BATCH_DUPLICATE_MSG_ID = 10201
ERR_ATOMIC_PUBLISH_DISABLED = 10174

log = get_logger("zhiyuan.relay")


@dataclass(frozen=True)
class OutboxMessage:
    event_position: int
    message_id: str
    subject: str
    body: bytes


@dataclass(frozen=True)
class PendingRow:
    id: int
    message_id: str
    subject: str
    body: bytes


async def add_to_outbox(conn: AsyncConnection, messages: Sequence[OutboxMessage], *, now: datetime) -> None:
    if not messages:
        return
    rows = [
        {
            "event_position": m.event_position,
            "message_id": m.message_id,
            "subject": m.subject,
            "body": m.body,
            "created_at": now,
        }
        for m in messages
    ]
    if conn.dialect.name == "sqlite":
        # The driver's executemany of one compiled statement (SQLAlchemy's per-row
        # parameter processing costs more than SQLite's insert of the row).
        await insert_many(conn, outbox, rows)
        return
    await conn.execute(insert(outbox), rows)


async def pending(conn: AsyncConnection, limit: int) -> list[PendingRow]:
    query = (
        select(outbox.c.id, outbox.c.message_id, outbox.c.subject, outbox.c.body)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [PendingRow(r.id, r.message_id, r.subject, bytes(r.body)) for r in await conn.execute(query)]


async def count_pending(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).where(outbox.c.published_at.is_(None))) or 0)


async def mark_for_republish(conn: AsyncConnection, from_position: int) -> int:
    """Queue every message of events at or after ``from_position`` to be published again."""
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.event_position >= from_position, outbox.c.published_at.is_not(None))
        .values(published_at=None, stream_sequence=None)
    )
    return int(result.rowcount or 0)


class BatchRefused(Exception):
    def __init__(self, code: int | None, description: str) -> None:
        super().__init__(f"{description} (err_code {code})")
        self.code = code


class OutboxRelay:
    """Drains one service's outbox into JetStream. Run exactly one per service."""

    def __init__(
        self,
        engine: AsyncEngine,
        nc: NATS,
        *,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        atomic_batches: bool = True,
        ack_timeout: float = 5.0,
    ) -> None:
        self._engine = engine
        self._nc = nc
        self._js = nc.jetstream(timeout=ack_timeout)
        self._batch_size = min(batch_size, MAX_ATOMIC_BATCH)
        self._idle = idle_seconds
        self._atomic = atomic_batches
        self._ack_timeout = ack_timeout
        self._wake = asyncio.Event()
        self.published_total = 0

    def wake(self) -> None:
        """Called after a command commits so the relay does not wait for its next poll."""
        self._wake.set()

    async def publish_pending(self) -> int:
        """One pass: publish what is unpublished now; return how many rows were published."""
        async with self._engine.connect() as conn:
            rows = await pending(await read_only(conn), self._batch_size)
            await conn.rollback()
        if not rows:
            return 0
        sequences = await self._publish(rows)
        now = datetime.now(UTC)
        async with write_turn(self._engine), self._engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # The driver's executemany of one compiled statement (bulk.update_many).
                await update_many(
                    conn,
                    outbox,
                    "id",
                    [{"id": r.id, "published_at": now, "stream_sequence": s} for r, s in zip(rows, sequences, strict=True)],
                )
            else:
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.id == bindparam("row_id"))
                    .values(published_at=bindparam("at"), stream_sequence=bindparam("seq")),
                    [{"row_id": r.id, "at": now, "seq": s} for r, s in zip(rows, sequences, strict=True)],
                )
        self.published_total += len(rows)
        return len(rows)

    async def _publish(self, rows: list[PendingRow]) -> list[int]:
        if self._atomic and len(rows) > 1:
            try:
                return await self._publish_atomic(rows)
            except BatchRefused as refused:
                if refused.code == ERR_ATOMIC_PUBLISH_DISABLED:
                    log.warning("relay.atomic_batches_unavailable", reason=str(refused))
                    self._atomic = False
                else:
                    log.info("relay.batch_refused_falling_back", reason=str(refused), size=len(rows))
        return [await self._publish_one(row) for row in rows]

    async def _publish_atomic(self, rows: list[PendingRow]) -> list[int]:
        batch_id = str(uuid.uuid4())
        last = len(rows)
        reply: Any = None
        for i, row in enumerate(rows, start=1):
            headers = {
                "Nats-Msg-Id": row.message_id,
                "Nats-Batch-Id": batch_id,
                "Nats-Batch-Sequence": str(i),
            }
            if i == last:
                headers["Nats-Batch-Commit"] = "1"
            try:
                if i == 1 or i == last:
                    # The first request confirms the server took the batch; the last commits it.
                    msg = await self._nc.request(row.subject, row.body, timeout=self._ack_timeout, headers=headers)
                    reply = json.loads(msg.data) if msg.data else None
                    if reply and "error" in reply:
                        error = reply["error"]
                        raise BatchRefused(error.get("err_code"), error.get("description", "refused"))
                else:
                    await self._nc.publish(row.subject, row.body, headers=headers)
            except (TimeoutError, NoRespondersError, NatsTimeoutError) as exc:
                raise BatchRefused(None, f"no ack for atomic batch: {exc!r}") from exc
        if not reply or "seq" not in reply or reply.get("count") != last:
            raise BatchRefused(None, f"unexpected batch ack {reply!r}")
        first_seq = int(reply["seq"]) - last + 1
        return list(range(first_seq, first_seq + last))

    async def _publish_one(self, row: PendingRow) -> int:
        try:
            ack = await self._js.publish(row.subject, row.body, headers={"Nats-Msg-Id": row.message_id})
        except APIError as exc:
            log.error("relay.publish_refused", subject=row.subject, message_id=row.message_id, error=str(exc))
            raise
        if ack.duplicate:
            log.info("relay.duplicate_ack", message_id=row.message_id, stream_sequence=ack.seq)
        return int(ack.seq)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; back off on errors, never skip a row."""
        backoff = 0.1
        while not stop.is_set():
            self._wake.clear()
            try:
                published = await self.publish_pending()
                backoff = 0.1
            except Exception as exc:  # keep relaying: the outbox keeps what failed
                log.warning("relay.pass_failed", error=repr(exc), retry_in=backoff)
                published = 0
                await sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            # Fewer than a full batch: the outbox was drained as of this pass's read, and a
            # commit since then has set ``_wake`` (cleared before the read) — no need to read
            # again (a statement and its thread round trips per command) until it is set.
            if published < self._batch_size and not self._wake.is_set():
                wake = asyncio.create_task(self._wake.wait())
                halt = asyncio.create_task(stop.wait())
                await asyncio.wait({wake, halt}, timeout=max(self._idle, 0.5), return_when="FIRST_COMPLETED")
                wake.cancel()
                halt.cancel()
