"""The event store port: one suite, run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.eventstore import ConcurrencyError, EventStore, NewEvent

NOW = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
store = EventStore()


def ev(kind: str = "Thing", **data: object) -> NewEvent:
    return NewEvent(type=kind, data=data)


async def test_append_then_read_stream_in_version_order(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        stored = await store.append(conn, "volunteer-1", 0, [ev(n=1), ev(n=2)], now=NOW)
    assert [e.version for e in stored] == [1, 2]
    async with platform_engine.begin() as conn:
        await store.append(conn, "volunteer-1", 2, [ev(n=3)], now=NOW)
        history = await store.read_stream(conn, "volunteer-1")
        tail = await store.read_stream(conn, "volunteer-1", after_version=2)
    assert [e.data["n"] for e in history] == [1, 2, 3]
    assert [e.version for e in tail] == [3]
    assert history[0].recorded_at.replace(tzinfo=UTC) == NOW


async def test_wrong_expected_version_is_refused_and_stores_nothing(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        await store.append(conn, "activity-9", 0, [ev()], now=NOW)
    with pytest.raises(ConcurrencyError):
        async with platform_engine.begin() as conn:
            await store.append(conn, "activity-9", 0, [ev(), ev()], now=NOW)
    async with platform_engine.begin() as conn:
        assert await store.stream_version(conn, "activity-9") == 1
        assert len(await store.read_stream(conn, "activity-9")) == 1


async def test_conflict_leaves_the_transaction_usable(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        await store.append(conn, "s", 0, [ev()], now=NOW)
    async with platform_engine.begin() as conn:
        with pytest.raises(ConcurrencyError):
            await store.append(conn, "s", 0, [ev()], now=NOW)
        await store.append(conn, "other", 0, [ev()], now=NOW)
    async with platform_engine.begin() as conn:
        assert await store.stream_version(conn, "other") == 1


async def test_racing_writers_exactly_one_wins(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        await store.append(conn, "race", 0, [ev()], now=NOW)

    async def writer(i: int) -> bool:
        try:
            async with platform_engine.begin() as conn:
                version = await store.stream_version(conn, "race")
                await asyncio.sleep(0.01)
                await store.append(conn, "race", version, [ev(writer=i)], now=NOW)
            return True
        except ConcurrencyError:
            return False

    results = await asyncio.gather(*(writer(i) for i in range(8)))
    async with platform_engine.begin() as conn:
        history = await store.read_stream(conn, "race")
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    assert sum(results) == len(history) - 1 >= 1


async def test_read_all_in_global_order_with_paging(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        for i in range(5):
            await store.append(conn, f"s{i % 2}", await store.stream_version(conn, f"s{i % 2}"), [ev(i=i)], now=NOW)
    async with platform_engine.begin() as conn:
        first = await store.read_all(conn, limit=3)
        rest = await store.read_all(conn, after_position=first[-1].position)
        top = await store.max_position(conn)
    assert [e.data["i"] for e in first + rest] == [0, 1, 2, 3, 4]
    assert top == rest[-1].position
    positions = [e.position for e in first + rest]
    assert positions == sorted(positions)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.integers(0, 10_000), min_size=1, max_size=4), min_size=1, max_size=5))
async def test_stream_replays_exactly_what_was_appended(batches: list[list[int]], sqlite_url: str) -> None:
    from zhiyuan_platform.db import create_engine
    from zhiyuan_platform.migrate import create_platform_tables

    stream = f"prop-{uuid.uuid4()}"  # one database serves every example
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(create_platform_tables, checkfirst=True)
        version = 0
        for batch in batches:
            await store.append(conn, stream, version, [ev(v=v) for v in batch], now=NOW)
            version += len(batch)
        history = await store.read_stream(conn, stream)
    await engine.dispose()
    assert [e.data["v"] for e in history] == [v for b in batches for v in b]


async def test_append_answers_what_a_read_gives(platform_engine: AsyncEngine) -> None:
    """The stored events an append returns equal those read back: positions, JSON round
    trip of non-scalar data (a tuple comes back a list), UTC times — also for a batch
    larger than one SQLite statement takes, across several streams."""
    batch = [
        NewEvent(type="Nested", data={"items": (1, 2), "inner": {"x": "志愿"}}, meta={"district": "110105"}),
        *(ev(n=i, f=0.5, flag=i % 2 == 0, none=None) for i in range(300)),
    ]
    local_now = NOW.astimezone(datetime.now().astimezone().tzinfo)
    async with platform_engine.begin() as conn:
        stored = await store.append_many(
            conn, [("many-1", 0, batch[:200]), ("many-2", 0, batch[200:])], now=local_now
        )
    async with platform_engine.begin() as conn:
        read = await store.read_stream(conn, "many-1") + await store.read_stream(conn, "many-2")
    assert [(e.position, e.event_id, e.stream_id, e.version, e.type, e.data, e.meta) for e in stored] == [
        (e.position, e.event_id, e.stream_id, e.version, e.type, e.data, e.meta) for e in read
    ]
    assert [e.recorded_at for e in stored] == [e.recorded_at for e in read]
    assert stored[0].data == {"items": [1, 2], "inner": {"x": "志愿"}}
    assert [e.position for e in stored] == sorted(e.position for e in stored)


@pytest.mark.parametrize("rows_per_statement", [None, 7])
async def test_a_refused_append_leaves_nothing_and_the_transaction_usable(
    platform_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, rows_per_statement: int | None
) -> None:
    """On SQLite one statement needs no savepoint (SQLite undoes the statement); an append
    of several statements has one. Either way a conflict stores none of the batch."""
    import zhiyuan_platform.eventstore as module

    if rows_per_statement is not None:
        monkeypatch.setattr(module, "_SQLITE_ROWS_PER_INSERT", rows_per_statement)
    async with platform_engine.begin() as conn:
        await store.append(conn, "taken", 0, [ev(n=i) for i in range(20)], now=NOW)
    async with platform_engine.begin() as conn:
        with pytest.raises(ConcurrencyError):
            # "fresh" first, then "taken" at a version it already has: the conflict comes late.
            await store.append_many(conn, [("fresh", 0, [ev(n=i) for i in range(20)]), ("taken", 15, [ev(), ev()])], now=NOW)
        assert await store.stream_version(conn, "fresh") == 0
        stored = await store.append(conn, "other", 0, [ev(n=i) for i in range(20)], now=NOW)
    assert [e.version for e in stored] == list(range(1, 21))
    async with platform_engine.begin() as conn:
        assert await store.stream_version(conn, "fresh") == 0
        assert await store.stream_version(conn, "other") == 20


async def test_read_streams_gives_each_stream_whole_and_in_order(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        await store.append(conn, "a", 0, [ev(n=1), ev(n=2)], now=NOW)
        await store.append(conn, "b", 0, [ev(n=10)], now=NOW)
        await store.append(conn, "c", 0, [ev(n=100)], now=NOW)
        await store.append(conn, "a", 2, [ev(n=3)], now=NOW)
    async with platform_engine.connect() as conn:
        found = await store.read_streams(conn, ["a", "b", "missing"])
        one_by_one = {s: await store.read_stream(conn, s) for s in ("a", "b")}
    assert set(found) == {"a", "b"}  # a stream without events is absent
    assert [e.data["n"] for e in found["a"]] == [1, 2, 3]
    assert [(e.event_id, e.version) for s in ("a", "b") for e in found[s]] == [
        (e.event_id, e.version) for s in ("a", "b") for e in one_by_one[s]
    ]
