"""Tracked consumers against a real nats-server: redelivery, durable resume, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import StreamConfig
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_platform import tracking
from zhiyuan_platform.consumer import Delivery, TrackedConsumer
from zhiyuan_platform.streams_admin import ensure_dead_letter_stream

meta = MetaData()
minutes = Table(
    "test_minutes", meta, Column("volunteer_id", String(40), primary_key=True), Column("total", Integer, nullable=False)
)
KNOWN = "zhiyuan.activities.HoursLogged.v1"


def event(volunteer: str, sequence: int, amount: int, *, type_: str = KNOWN) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="/zhiyuan/activities",
        type=type_,
        subject=f"record-{volunteer}",
        time=datetime.now(UTC).isoformat(),
        district="110101",
        sequence=sequence,
        data={"volunteer_id": volunteer, "minutes": amount},
    )


async def add_minutes(conn: AsyncConnection, ev: CloudEvent) -> None:
    volunteer, amount = ev.data["volunteer_id"], ev.data["minutes"]
    if amount < 0:
        raise ValueError("negative minutes")
    current = await conn.scalar(select(minutes.c.total).where(minutes.c.volunteer_id == volunteer))
    if current is None:
        await conn.execute(minutes.insert().values(volunteer_id=volunteer, total=amount))
    else:
        await conn.execute(minutes.update().where(minutes.c.volunteer_id == volunteer).values(total=current + amount))


def validate(ev: CloudEvent) -> None:
    if ev.type != KNOWN:
        raise LookupError(f"unknown event type {ev.type}")
    if not isinstance(ev.data.get("minutes"), int):
        raise ValueError("minutes must be an integer")


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
async def engine(platform_engine: AsyncEngine) -> AsyncEngine:
    async with platform_engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    return platform_engine


@pytest.fixture
async def stream(nc: NATS) -> AsyncIterator[str]:
    prefix = f"c{uuid.uuid4().hex[:10]}"
    await nc.jetstream().add_stream(StreamConfig(name=prefix.upper(), subjects=[f"{prefix}.>"]))
    await ensure_dead_letter_stream(nc)
    yield prefix
    await nc.jetstream().delete_stream(prefix.upper())


def consumer(engine: AsyncEngine, nc: NATS, stream: str, **kw: object) -> TrackedConsumer:
    return TrackedConsumer(
        engine, nc, name=f"{stream}-proj", stream=stream.upper(), handlers={KNOWN: add_minutes}, validate=validate, **kw  # type: ignore[arg-type]
    )


async def publish(nc: NATS, stream: str, events: list[CloudEvent]) -> None:
    js = nc.jetstream()
    for ev in events:
        await js.publish(f"{stream}.110101.HoursLogged", encode(ev), headers={"Nats-Msg-Id": ev.id})


async def totals(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {r.volunteer_id: r.total for r in await conn.execute(select(minutes))}


async def drain(c: TrackedConsumer, sub: object, rounds: int = 3) -> None:
    for _ in range(rounds):
        try:
            msgs = await sub.fetch(100, timeout=0.3)  # type: ignore[attr-defined]
        except (TimeoutError, nats.errors.TimeoutError):
            continue
        await c.process(msgs)


async def test_applies_events_and_commits_position_with_them(engine: AsyncEngine, nc: NATS, stream: str) -> None:
    await publish(nc, stream, [event("a", 1, 30), event("a", 2, 45), event("b", 1, 60)])
    c = consumer(engine, nc, stream)
    await drain(c, await c.subscribe())
    assert await totals(engine) == {"a": 75, "b": 60}
    async with engine.connect() as conn:
        assert await tracking.get_position(conn, c.name, c.stream) == 3


async def test_crash_after_commit_before_ack_changes_nothing_on_redelivery(
    engine: AsyncEngine, nc: NATS, stream: str
) -> None:
    await publish(nc, stream, [event("a", 1, 30), event("a", 2, 45)])
    crashed = consumer(engine, nc, stream, ack_wait_seconds=1.0)
    sub = await crashed.subscribe()
    msgs = await sub.fetch(10, timeout=2)
    await crashed.apply([Delivery(m.metadata.sequence.stream, m.subject, m.data) for m in msgs])  # committed ... and the process dies: no ack
    await sub.unsubscribe()
    before = await totals(engine)

    await asyncio.sleep(1.2)  # ack_wait passes; JetStream redelivers
    restarted = consumer(engine, nc, stream, ack_wait_seconds=1.0)
    sub2 = await restarted.subscribe()
    redelivered = await sub2.fetch(10, timeout=3)
    assert [m.metadata.num_delivered for m in redelivered] == [2, 2]
    await restarted.process(redelivered)
    assert await totals(engine) == before == {"a": 75}
    assert restarted.stats.skipped == 2 and restarted.stats.applied == 0


async def test_durable_consumer_resumes_where_it_stopped(engine: AsyncEngine, nc: NATS, stream: str) -> None:
    await publish(nc, stream, [event("a", 1, 10), event("a", 2, 10)])
    first = consumer(engine, nc, stream)
    await drain(first, await first.subscribe())
    await publish(nc, stream, [event("a", 3, 10), event("c", 1, 5)])
    again = consumer(engine, nc, stream)
    sub = await again.subscribe()
    msgs = await sub.fetch(10, timeout=2)
    assert [m.metadata.sequence.stream for m in msgs] == [3, 4]  # only what it had not acked
    await again.process(msgs)
    assert await totals(engine) == {"a": 30, "c": 5}


async def test_republished_copy_beyond_dedupe_window_is_skipped(engine: AsyncEngine, nc: NATS, stream: str) -> None:
    original = event("a", 1, 30)
    await publish(nc, stream, [original])
    # A copy with a new message id (as after a loss beyond the duplicate window): same aggregate sequence.
    copy = CloudEvent(**{**{f: getattr(original, f) for f in original.__struct_fields__}, "id": str(uuid.uuid4())})
    await publish(nc, stream, [copy, event("a", 2, 15)])
    c = consumer(engine, nc, stream)
    await drain(c, await c.subscribe())
    assert await totals(engine) == {"a": 45}


async def test_bad_events_are_dead_lettered_and_never_stop_the_projection(
    engine: AsyncEngine, nc: NATS, stream: str
) -> None:
    js = nc.jetstream()
    await publish(nc, stream, [event("a", 1, 30)])
    await js.publish(f"{stream}.110101.Garbage", b"{not json")
    await publish(nc, stream, [event("a", 2, 5, type_="zhiyuan.activities.HoursLogged.v9")])  # a future version
    await publish(nc, stream, [event("a", 3, -7)])  # the handler refuses it
    bad = event("b", 1, 1)
    bad = CloudEvent(**{**{f: getattr(bad, f) for f in bad.__struct_fields__}, "data": {"volunteer_id": "b", "minutes": "x"}})
    await publish(nc, stream, [bad, event("a", 4, 15)])
    c = consumer(engine, nc, stream)
    await drain(c, await c.subscribe())
    assert await totals(engine) == {"a": 45}
    assert c.stats.dead_lettered == 4
    async with engine.connect() as conn:
        assert await tracking.dead_letter_count(conn, c.name) == 4
        assert await tracking.get_position(conn, c.name, c.stream) == 6
    dl = await js.stream_info("ZY_DEAD_LETTERS", subjects_filter=f"zyd.{c.name}.>")
    assert dl.state.subjects is not None and sum(dl.state.subjects.values()) == 4


async def until_totals(engine: AsyncEngine, expected: dict[str, int], timeout: float = 20.0) -> dict[str, int]:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = await totals(engine)
    while seen != expected and loop.time() < deadline:
        await asyncio.sleep(0.05)
        seen = await totals(engine)
    return seen


async def test_running_consumer_applies_as_events_come_and_outlives_its_consumer_being_deleted(
    engine: AsyncEngine, nc: NATS, stream: str
) -> None:
    c = consumer(engine, nc, stream)
    stop = asyncio.Event()
    running = asyncio.create_task(c.run(stop))
    try:
        await publish(nc, stream, [event("a", 1, 30), event("b", 1, 5)])
        assert await until_totals(engine, {"a": 30, "b": 5}) == {"a": 30, "b": 5}
        # An operator deletes the durable consumer: the running one makes it again, from
        # the start of the stream, and its committed position skips what it applied.
        await nc.jetstream().delete_consumer(c.stream, c.name)
        await publish(nc, stream, [event("a", 2, 10)])
        assert await until_totals(engine, {"a": 40, "b": 5}) == {"a": 40, "b": 5}
        assert c.stats.applied == 3
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


async def test_running_consumer_outlives_a_failing_feed(
    engine: AsyncEngine, nc: NATS, stream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhiyuan_platform import pull

    failures = [RuntimeError("nats: connection closed")]
    original = pull.PullFeed.next_batch

    async def next_batch(self: pull.PullFeed, timeout: float) -> list[object]:  # noqa: ASYNC109
        if failures:
            raise failures.pop()
        return await original(self, timeout)  # type: ignore[return-value]

    monkeypatch.setattr(pull.PullFeed, "next_batch", next_batch)
    c = consumer(engine, nc, stream)
    stop = asyncio.Event()
    running = asyncio.create_task(c.run(stop))
    try:
        await publish(nc, stream, [event("a", 1, 30)])
        assert await until_totals(engine, {"a": 30}) == {"a": 30}
        assert not failures and not running.done()
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
