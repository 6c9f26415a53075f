"""Bulk writes and lookups behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.bulk import insert_many, select_in, update_many
from zhiyuan_platform.db import create_engine
from zhiyuan_platform.tables import UtcDateTime

meta = MetaData()
people = Table(
    "test_bulk_people",
    meta,
    Column("person_id", String(40), primary_key=True),
    Column("district", String(6), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("served_at", UtcDateTime(), nullable=True),
)
T0 = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    yield engine
    await engine.dispose()


def person(i: int, **changes: object) -> dict[str, object]:
    return {"person_id": f"p{i:05d}", "district": "110105", "minutes": i, "active": True, "served_at": T0, **changes}


async def rows(engine: AsyncEngine) -> dict[str, tuple[object, ...]]:
    async with engine.connect() as conn:
        return {r.person_id: tuple(r)[1:] for r in await conn.execute(select(people))}


async def test_insert_many_ignore_and_upsert(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await insert_many(conn, people, [person(i) for i in range(3)])
        # ignore: an existing key keeps its row, new keys are added
        await insert_many(conn, people, [person(0, minutes=999), person(3)], ignore=True)
        # upsert: only the named columns change
        await insert_many(
            conn,
            people,
            [person(1, minutes=50, district="110108"), person(4)],
            upsert=(["person_id"], ["minutes"]),
        )
    stored = await rows(engine)
    assert stored["p00000"] == ("110105", 0, True, T0)
    assert stored["p00001"] == ("110105", 50, True, T0)
    assert set(stored) == {f"p{i:05d}" for i in range(5)}


async def test_times_keep_their_instant_whatever_the_zone(engine: AsyncEngine) -> None:
    beijing = timezone(timedelta(hours=8))
    async with engine.begin() as conn:
        await insert_many(conn, people, [person(0, served_at=T0.astimezone(beijing)), person(1, served_at=None)])
    stored = await rows(engine)
    assert stored["p00000"][3] == T0 and stored["p00000"][3].tzinfo is not None
    assert stored["p00001"][3] is None


async def test_a_naive_time_is_refused(engine: AsyncEngine) -> None:
    with pytest.raises(Exception, match="naive"):
        async with engine.begin() as conn:
            await insert_many(conn, people, [person(0, served_at=datetime(2026, 1, 1))])
    assert await rows(engine) == {}


async def test_update_many_changes_only_the_named_rows_and_columns(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await insert_many(conn, people, [person(i) for i in range(4)])
        await update_many(
            conn,
            people,
            "person_id",
            [
                {"person_id": "p00001", "minutes": 61, "active": False},
                {"person_id": "p00002", "minutes": 62, "active": True},
                {"person_id": "nobody", "minutes": 1, "active": True},
            ],
        )
    stored = await rows(engine)
    assert [stored[f"p{i:05d}"][1:3] for i in range(4)] == [(0, True), (61, False), (62, True), (3, True)]
    assert "nobody" not in stored


async def test_select_in_finds_every_key_beyond_one_statement(engine: AsyncEngine) -> None:
    count = 2017  # more keys than SQLite takes parameters in one statement (999 on older builds)
    async with engine.begin() as conn:
        await insert_many(conn, people, [person(i, district="110108" if i % 3 == 0 else "110105") for i in range(count)])
        wanted = [f"p{i:05d}" for i in range(0, count, 2)] + ["missing"]
        found = await select_in(conn, [people.c.person_id, people.c.minutes], people.c.person_id, wanted)
        only_haidian = await select_in(
            conn, [people.c.person_id], people.c.person_id, wanted, people.c.district == "110108"
        )
        nothing = await select_in(conn, [people.c.person_id], people.c.person_id, [])
    assert sorted((r.person_id, r.minutes) for r in found) == [(f"p{i:05d}", i) for i in range(0, count, 2)]
    assert sorted(r.person_id for r in only_haidian) == [f"p{i:05d}" for i in range(0, count, 6)]
    assert nothing == []


@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_sqlite_datetime_text_is_what_sqlalchemy_would_write(moment: datetime) -> None:
    # The fast bind processor must write exactly SQLAlchemy's own text, or old rows and new
    # rows would sort and compare differently.
    dialect = sqlite_dialect.dialect()
    fast = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    impl = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None and impl is not None
    assert fast(moment) == impl(moment.astimezone(UTC))
    assert UtcDateTime().process_result_value(
        DateTime().dialect_impl(dialect).result_processor(dialect, None)(fast(moment)), dialect  # type: ignore[misc]
    ) == moment


def test_sqlite_datetime_refuses_naive_times() -> None:
    dialect = sqlite_dialect.dialect()
    fast = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None
    with pytest.raises(ValueError, match="naive"):
        fast(datetime(2026, 3, 5, 9, 0))
    assert fast(None) is None
