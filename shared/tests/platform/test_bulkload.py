"""The bulk loader a rebuild writes through: rows land whole or not at all, times as the ORM writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.bulkload import BulkLoadFailed, bulk_sink
from zhiyuan_platform.sqlite_loader import sqlite_text
from zhiyuan_platform.tables import aggregate_sequences, tracking

TRACKING = ("consumer", "stream", "position", "event_id", "event_time", "updated_at")
# SQLAlchemy's own text for a UTC time in a DATETIME column: what every SQLite time must be.
_DIALECT = sqlite.dialect()
_SQLALCHEMY = DateTime(timezone=True).dialect_impl(_DIALECT).bind_processor(_DIALECT)
assert _SQLALCHEMY is not None


def BIND(moment: datetime) -> str:
    return str(_SQLALCHEMY(moment.astimezone(UTC)))

moments = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
)


@given(moment=moments)
def test_sqlite_text_is_what_the_orm_binds(moment: datetime) -> None:
    assert sqlite_text(moment) == BIND(moment)
    # and the RFC 3339 text an event carries gives the same, Z or offset, with or without fraction
    assert sqlite_text(moment.isoformat()) == BIND(moment)
    whole = moment.replace(microsecond=0).astimezone(UTC)
    assert sqlite_text(whole.strftime("%Y-%m-%dT%H:%M:%SZ")) == BIND(whole)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(datetime(2026, 3, 5, 9, 0))


def _rows(n: int) -> list[tuple[object, ...]]:
    at = datetime(2026, 3, 5, 1, 2, 3, 456789, tzinfo=UTC)
    return [
        (f"c{i}", "ZY_ACTIVITIES", i, f"e{i}", "2026-03-05T01:02:03Z", at if i % 2 else "2026-03-05T09:02:03.456789+08:00")
        for i in range(n)
    ]


async def test_rows_land_with_their_times_when_committed(platform_engine: AsyncEngine) -> None:
    async with bulk_sink(platform_engine) as sink:
        for start in range(0, 3000, 1000):
            await sink.put(tracking, TRACKING, _rows(3000)[start : start + 1000])
        await sink.commit()
    async with platform_engine.connect() as conn:
        stored = (await conn.execute(select(tracking.c.position, tracking.c.updated_at))).all()
    assert sorted(p for p, _ in stored) == list(range(3000))
    assert {t for _, t in stored} == {datetime(2026, 3, 5, 1, 2, 3, 456789, tzinfo=UTC)}


async def test_statements_run_before_the_commit(platform_engine: AsyncEngine) -> None:
    async with bulk_sink(platform_engine) as sink:
        await sink.put(tracking, TRACKING, _rows(10))
        await sink.commit(["DELETE FROM tracking WHERE position >= 5"])
    async with platform_engine.connect() as conn:
        assert sorted(await conn.scalars(select(tracking.c.position))) == [0, 1, 2, 3, 4]


async def test_a_load_that_does_not_finish_leaves_nothing(platform_engine: AsyncEngine) -> None:
    async with platform_engine.begin() as conn:
        await conn.execute(aggregate_sequences.insert().values(consumer="kept", aggregate_id="a", sequence=1))
    with pytest.raises(RuntimeError, match="the stream went away"):
        async with bulk_sink(platform_engine) as sink:
            await sink.put(tracking, TRACKING, _rows(100))
            raise RuntimeError("the stream went away")
    async with platform_engine.connect() as conn:
        assert (await conn.execute(select(tracking))).all() == []
        assert (await conn.execute(select(aggregate_sequences.c.consumer))).all() == [("kept",)]
    # and the database takes writes again at once: nothing holds its lock
    async with platform_engine.begin() as conn:
        await conn.execute(aggregate_sequences.insert().values(consumer="next", aggregate_id="a", sequence=1))


async def test_a_refused_row_fails_the_load_with_the_reason_and_keeps_nothing(platform_engine: AsyncEngine) -> None:
    rows = _rows(10)
    rows.append(rows[0])  # the same (consumer, stream) twice: the primary key refuses it
    with pytest.raises((BulkLoadFailed, Exception)) as caught:
        async with bulk_sink(platform_engine) as sink:
            await sink.put(tracking, TRACKING, rows)
            await sink.commit()
    assert "unique" in str(caught.value).lower() or "duplicate" in str(caught.value).lower()
    async with platform_engine.connect() as conn:
        assert (await conn.execute(select(tracking))).all() == []
