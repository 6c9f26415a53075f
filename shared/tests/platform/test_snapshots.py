"""Loading through the snapshot cache gives exactly what loading the whole stream gives.

Commands run through a real ``CommandRunner`` on SQLite and PostgreSQL: rolled back,
interleaved with a second writer (another engine, as another process would be), with
an aggregate changed but never saved, and against a store that no longer holds what was
cached. A property test checks the same over random sequences of all of these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_contracts.envelope import CloudEvent
from zhiyuan_platform import rpc
from zhiyuan_platform.aggregate import Aggregate, DomainEvent
from zhiyuan_platform.commands import CommandRunner, SnapshotCache, UnitOfWork
from zhiyuan_platform.db import create_engine
from zhiyuan_platform.eventstore import EventStore, StoredEvent
from zhiyuan_platform.migrate import create_platform_tables
from zhiyuan_platform.tables import events

NOW = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Added(DomainEvent):
    TYPE: ClassVar[str] = "Added"
    item: str


@dataclasses.dataclass(frozen=True)
class Removed(DomainEvent):
    TYPE: ClassVar[str] = "Removed"
    item: str


class Basket(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {"Added": Added, "Removed": Removed}

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.items: list[str] = []
        self.counts: dict[str, int] = {}

    def add(self, item: str) -> None:
        self._record(Added(item))

    def remove(self, item: str) -> None:
        if item in self.items:
            self._record(Removed(item))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, Added):
            self.items.append(event.item)
            self.counts[event.item] = self.counts.get(event.item, 0) + 1
        elif isinstance(event, Removed):
            self.items.remove(event.item)
            self.counts[event.item] -= 1
        else:
            super().apply(event)


def state(basket: Basket | None) -> Any:
    return None if basket is None else (basket.version, list(basket.items), dict(basket.counts))


def no_public_events(_: StoredEvent) -> Sequence[CloudEvent]:
    return []


def runner(engine: AsyncEngine, **kwargs: Any) -> CommandRunner:
    return CommandRunner(engine, no_public_events, clock=lambda: NOW, **kwargs)


class Refused(rpc.DomainProblem):
    status = 422


async def change(
    commands: CommandRunner, basket_id: str, add: Sequence[str] = (), remove: Sequence[str] = (), *, refuse: bool = False
) -> bool:
    """One command: load the basket (or start it), record, save; ``refuse`` raises after saving."""

    async def handler(uow: UnitOfWork) -> Any:
        basket = await uow.load(Basket, basket_id) or Basket(basket_id)
        for item in add:
            basket.add(item)
        for item in remove:
            basket.remove(item)
        await uow.save(basket)
        if refuse:
            raise Refused("refused", "saved, then refused: the transaction rolls back")
        return state(basket)

    return rpc.decode_reply(await commands.run("Change", {"basket": basket_id}, handler)).ok


async def loaded(commands: CommandRunner, basket_id: str) -> Any:
    """What a command of this runner sees when it loads the basket."""
    seen: list[Any] = []

    async def handler(uow: UnitOfWork) -> None:
        seen.append(state(await uow.load(Basket, basket_id)))

    assert rpc.decode_reply(await commands.run("Look", {"basket": basket_id}, handler)).ok
    return seen[0]


async def from_scratch(engine: AsyncEngine, basket_id: str) -> Any:
    async with engine.connect() as conn:
        uow = UnitOfWork(conn, EventStore(), no_public_events, NOW)
        return state(await uow.load(Basket, basket_id))


@pytest.fixture
async def second_engine(database_url: str, platform_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """Another engine on the same database: what another process of the service would use."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def test_a_long_stream_loads_from_its_snapshot_and_reads_only_what_is_new(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    for n in range(40):
        assert await change(commands, "b1", add=[f"item-{n}"])
    assert commands.snapshots is not None
    hits = commands.snapshots.hits
    assert await loaded(commands, "b1") == await from_scratch(platform_engine, "b1")
    assert commands.snapshots.hits == hits + 1 and commands.snapshots.misses == 1
    assert (await loaded(commands, "b1"))[0] == 40


async def test_a_rolled_back_command_leaves_the_next_load_correct(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    assert await change(commands, "b1", add=["apple", "pear"])
    assert await loaded(commands, "b1") == (2, ["apple", "pear"], {"apple": 1, "pear": 1})
    assert not await change(commands, "b1", add=["plum"], remove=["apple"], refuse=True)
    assert await loaded(commands, "b1") == (2, ["apple", "pear"], {"apple": 1, "pear": 1})
    # The next command appends at the version the store really has.
    assert await change(commands, "b1", add=["fig"])
    assert await loaded(commands, "b1") == (3, ["apple", "pear", "fig"], {"apple": 1, "pear": 1, "fig": 1})
    assert await loaded(commands, "b1") == await from_scratch(platform_engine, "b1")


async def test_changes_never_saved_are_not_seen_by_the_next_command(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    assert await change(commands, "b1", add=["apple"])

    async def careless(uow: UnitOfWork) -> None:
        basket = await uow.load(Basket, "b1")
        assert basket is not None
        basket.add("recorded, never saved")
        basket.items.append("changed by hand")

    assert rpc.decode_reply(await commands.run("Careless", {}, careless)).ok
    assert await loaded(commands, "b1") == (1, ["apple"], {"apple": 1})


async def test_what_another_writer_appended_is_seen(platform_engine: AsyncEngine, second_engine: AsyncEngine) -> None:
    ours, theirs = runner(platform_engine), runner(second_engine)
    assert await change(ours, "b1", add=["apple"])
    assert await loaded(ours, "b1") == (1, ["apple"], {"apple": 1})
    assert await change(theirs, "b1", add=["pear"], remove=["apple"])
    assert await loaded(ours, "b1") == (3, ["pear"], {"apple": 0, "pear": 1})
    # And the other way round: their snapshot is behind ours now.
    assert await change(ours, "b1", add=["fig"])
    assert await loaded(theirs, "b1") == (4, ["pear", "fig"], {"apple": 0, "pear": 1, "fig": 1})
    assert await change(theirs, "b1", add=["kiwi"])
    assert await change(ours, "b1", add=["lime"])  # appended after theirs, not over it
    assert await loaded(ours, "b1") == await loaded(theirs, "b1") == await from_scratch(platform_engine, "b1")
    assert (await loaded(ours, "b1"))[0] == 6


async def test_a_store_that_no_longer_holds_the_snapshots_events_is_read_afresh(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    assert await change(commands, "b1", add=["apple", "pear"])
    assert await loaded(commands, "b1") == (2, ["apple", "pear"], {"apple": 1, "pear": 1})
    # The database was restored from a backup that holds another history of the stream.
    async with platform_engine.begin() as conn:
        await conn.execute(delete(events).where(events.c.stream_id == Basket.stream_id("b1")))
    assert await change(runner(platform_engine), "b1", add=["plum", "fig", "kiwi"])
    assert await loaded(commands, "b1") == (3, ["plum", "fig", "kiwi"], {"plum": 1, "fig": 1, "kiwi": 1})
    async with platform_engine.begin() as conn:
        await conn.execute(delete(events).where(events.c.stream_id == Basket.stream_id("b1")))
    assert await loaded(commands, "b1") is None


async def test_the_cache_keeps_within_its_size_dropping_the_least_recently_used(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    for n in range(30):
        assert await change(commands, f"b{n}", add=["x" * 200] * 3)
        assert await change(commands, f"b{n}", add=["y"])  # loads b{n}: now cached
    cache = commands.snapshots
    assert cache is not None and len(cache) == 30
    one = cache.bytes // 30
    commands.snapshots = small = SnapshotCache(max_bytes=one * 10 + one // 2)
    for n in range(30):
        assert await loaded(commands, f"b{n}") == await from_scratch(platform_engine, f"b{n}")
    assert len(small) == 10 and small.bytes <= small.max_bytes
    assert small.get("basket-b29") is not None and small.get("basket-b19") is None
    misses = small.misses
    assert await loaded(commands, "b25") == await from_scratch(platform_engine, "b25")
    assert small.misses == misses
    assert await loaded(commands, "b3") == await from_scratch(platform_engine, "b3")
    assert small.misses == misses + 1


async def test_a_zero_sized_cache_loads_every_stream_whole(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine, snapshot_cache_bytes=0)
    assert commands.snapshots is None
    assert await change(commands, "b1", add=["apple"])
    assert await change(commands, "b1", add=["pear"])
    assert await loaded(commands, "b1") == (2, ["apple", "pear"], {"apple": 1, "pear": 1})


async def test_save_all_appends_many_streams_in_one_go_or_none(platform_engine: AsyncEngine) -> None:
    commands = runner(platform_engine)
    assert await change(commands, "taken", add=["apple"])

    async def many(uow: UnitOfWork) -> None:
        baskets = [Basket(f"m{n}") for n in range(5)]
        for n, basket in enumerate(baskets):
            basket.add(f"item-{n}")
        await uow.save_all([(basket, {"n": n}) for n, basket in enumerate(baskets)])

    assert rpc.decode_reply(await commands.run("Many", {}, many)).ok
    assert [await from_scratch(platform_engine, f"m{n}") for n in range(5)] == [
        (1, [f"item-{n}"], {f"item-{n}": 1}) for n in range(5)
    ]

    async def clash(uow: UnitOfWork) -> None:
        stale = Basket("taken")  # as if nothing were there yet
        stale.add("pear")
        fresh = Basket("fresh")
        fresh.add("fig")
        await uow.save_all([(fresh, {}), (stale, {})])

    reply = rpc.decode_reply(await commands.run("Clash", {}, clash))
    assert not reply.ok and (reply.problem or {})["type"].endswith("concurrent-modification")
    assert await from_scratch(platform_engine, "fresh") is None
    assert await from_scratch(platform_engine, "taken") == (1, ["apple"], {"apple": 1})


# -- any sequence -----------------------------------------------------------------------------------

ITEMS = st.sampled_from(["apple", "pear", "plum", "fig"])
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["ours", "ours-refused", "theirs", "look"]),
        st.sampled_from(["b1", "b2"]),
        st.lists(ITEMS, max_size=4),
        st.lists(ITEMS, max_size=2),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, rebase_after=st.integers(min_value=0, max_value=4))
async def test_loading_through_the_cache_equals_loading_the_whole_stream(
    steps: list[tuple[str, str, list[str], list[str]]], rebase_after: int, sqlite_url: str
) -> None:
    ours_engine, theirs_engine = create_engine(sqlite_url), create_engine(sqlite_url)
    async with ours_engine.begin() as conn:
        await conn.run_sync(create_platform_tables, checkfirst=True)
        await conn.execute(delete(events))  # one database serves every example
    ours, theirs = runner(ours_engine), runner(theirs_engine)
    ours.snapshots = SnapshotCache(rebase_after=rebase_after)
    try:
        for who, basket_id, add, remove in steps:
            if who == "look":
                pass
            elif who == "theirs":
                await change(theirs, basket_id, add, remove)
            else:
                await change(ours, basket_id, add, remove, refuse=who == "ours-refused")
            for b in ("b1", "b2"):
                assert await loaded(ours, b) == await from_scratch(ours_engine, b)
        async with ours_engine.connect() as conn:
            stored = int(await conn.scalar(select(func.count()).select_from(events)) or 0)
        versions = [await from_scratch(ours_engine, b) for b in ("b1", "b2")]
        assert stored == sum(v[0] for v in versions if v is not None)  # the refused stored nothing
    finally:
        await ours_engine.dispose()
        await theirs_engine.dispose()
