"""The outbox port and the relay, against a real nats-server with JetStream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import StreamConfig
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform import outbox as ob
from zhiyuan_platform.db import create_engine
from zhiyuan_platform.migrate import create_platform_tables
from zhiyuan_platform.tables import outbox

NOW = datetime(2026, 3, 5, tzinfo=UTC)


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_url)
    yield client
    await client.drain()


@pytest.fixture
async def stream(nc: NATS) -> AsyncIterator[str]:
    """A fresh stream per test with atomic publish on; its subjects are ``<prefix>.>``."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=prefix.upper(), subjects=[f"{prefix}.>"], allow_atomic=True, duplicate_window=3600))
    yield prefix
    await js.delete_stream(prefix.upper())


def messages(prefix: str, n: int, start: int = 1) -> list[ob.OutboxMessage]:
    return [
        ob.OutboxMessage(event_position=i, message_id=str(uuid.uuid4()), subject=f"{prefix}.e", body=f"m{i}".encode())
        for i in range(start, start + n)
    ]


async def stream_bodies(nc: NATS, prefix: str) -> list[bytes]:
    js = nc.jetstream()
    info = await js.stream_info(prefix.upper())
    bodies = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(prefix.upper(), seq)
        bodies.append(msg.data or b"")
    return bodies


async def test_relay_publishes_in_order_and_marks_rows(platform_engine: AsyncEngine, nc: NATS, stream: str) -> None:
    async with platform_engine.begin() as conn:
        await ob.add_to_outbox(conn, messages(stream, 7), now=NOW)
    relay = ob.OutboxRelay(platform_engine, nc, batch_size=3)
    assert [await relay.publish_pending() for _ in range(4)] == [3, 3, 1, 0]
    assert await stream_bodies(nc, stream) == [f"m{i}".encode() for i in range(1, 8)]
    async with platform_engine.connect() as conn:
        assert await ob.count_pending(conn) == 0
        sequences = (await conn.execute(select(outbox.c.stream_sequence).order_by(outbox.c.id))).scalars().all()
    assert sequences == list(range(1, 8))


async def test_msg_id_header_dedupes_a_republish(platform_engine: AsyncEngine, nc: NATS, stream: str) -> None:
    async with platform_engine.begin() as conn:
        await ob.add_to_outbox(conn, messages(stream, 5), now=NOW)
    relay = ob.OutboxRelay(platform_engine, nc)
    await relay.publish_pending()
    async with platform_engine.begin() as conn:
        assert await ob.mark_for_republish(conn, from_position=2) == 4
    assert await relay.publish_pending() == 4  # refused as a batch (10201), acked one by one as duplicates
    assert len(await stream_bodies(nc, stream)) == 5


class CrashAfterPublish(ob.OutboxRelay):
    """A relay process that dies after JetStream acked but before the rows were marked."""

    async def _publish(self, rows: list[ob.PendingRow]) -> list[int]:
        await super()._publish(rows)
        raise SystemExit("killed between ack and mark")


@pytest.mark.parametrize("batch_size", [1, 50])
async def test_relay_killed_between_ack_and_mark_publishes_exactly_once(
    platform_engine: AsyncEngine, nc: NATS, stream: str, batch_size: int
) -> None:
    async with platform_engine.begin() as conn:
        await ob.add_to_outbox(conn, messages(stream, 10), now=NOW)
    with pytest.raises(SystemExit):
        await CrashAfterPublish(platform_engine, nc, batch_size=batch_size).publish_pending()
    async with platform_engine.connect() as conn:
        assert await ob.count_pending(conn) == 10  # nothing marked: the restart must publish again
    restarted = ob.OutboxRelay(platform_engine, nc, batch_size=batch_size)
    while await restarted.publish_pending():
        pass
    assert await stream_bodies(nc, stream) == [f"m{i}".encode() for i in range(1, 11)]


async def test_relay_falls_back_when_atomic_publish_is_disabled(platform_engine: AsyncEngine, nc: NATS) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    await nc.jetstream().add_stream(StreamConfig(name=prefix.upper(), subjects=[f"{prefix}.>"]))
    async with platform_engine.begin() as conn:
        await ob.add_to_outbox(conn, messages(prefix, 4), now=NOW)
    relay = ob.OutboxRelay(platform_engine, nc)
    assert await relay.publish_pending() == 4
    assert await stream_bodies(nc, prefix) == [b"m1", b"m2", b"m3", b"m4"]
    assert relay._atomic is False


@pytest.mark.postgres
async def test_relay_never_skips_a_transaction_that_commits_out_of_id_order(
    pg_url: str, nc: NATS, stream: str
) -> None:
    """PostgreSQL hands out ids at insert, not at commit: id 1 may become visible after id 2."""
    engine = create_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(create_platform_tables)
    first, second = messages(stream, 2)
    slow = await engine.connect()
    slow_tx = await slow.begin()
    await ob.add_to_outbox(slow, [first], now=NOW)  # takes the lower id, commits last
    async with engine.begin() as fast:
        await ob.add_to_outbox(fast, [second], now=NOW)
    ids = (await slow.execute(select(outbox.c.id, outbox.c.message_id).order_by(outbox.c.id))).all()
    assert [r.message_id for r in ids] == [first.message_id, second.message_id]

    relay = ob.OutboxRelay(engine, nc)
    assert await relay.publish_pending() == 1  # only the committed, higher id is visible
    await slow_tx.commit()
    await slow.close()
    assert await relay.publish_pending() == 1  # the late one is picked up, not skipped
    assert sorted(await stream_bodies(nc, stream)) == [b"m1", b"m2"]
    await engine.dispose()
