"""SQLite in a service process: writers take turns in the process, readers read beside
them, and the WAL is checkpointed beside the commits instead of in them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy import text

from zhiyuan_platform.db import checkpoint_continuously, create_engine, read_only, write_turn


def size(path: Path) -> int:
    return os.path.getsize(path)


async def test_writers_take_turns_and_a_reader_reads_beside_them(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        order: list[str] = []

        async def writer(name: str, hold: float) -> None:
            async with write_turn(engine), engine.begin() as conn:
                order.append(f"{name} in")
                await conn.execute(text("INSERT INTO t VALUES (1)"))
                await asyncio.sleep(hold)
                order.append(f"{name} out")

        first = asyncio.create_task(writer("a", 0.2))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(writer("b", 0))
        await asyncio.sleep(0.05)
        # While "a" holds the write lock, a reader sees the last commit without waiting.
        async with engine.connect() as conn:
            await read_only(conn)
            assert await asyncio.wait_for(conn.scalar(text("SELECT count(*) FROM t")), timeout=0.1) == 0
        await asyncio.gather(first, second)
        assert order == ["a in", "a out", "b in", "b out"]
    finally:
        await engine.dispose()


async def test_commits_leave_the_wal_to_the_background_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=True)
    wal = Path(f"{path}-wal")
    stop = asyncio.Event()
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x BLOB)"))
        for _ in range(30):  # ~1,500 pages: past SQLite's automatic checkpoint (1,000)
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (randomblob(200000))"))
        size_before = size(path)
        assert size(wal) > 1000 * 4096  # nothing checkpointed at commit
        task = asyncio.create_task(checkpoint_continuously(engine, stop, every=0.05))
        await asyncio.sleep(0.5)
        assert size(path) > size_before + 5_000_000  # copied into the database
        async with engine.begin() as conn:  # the WAL starts over from its beginning
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM t")) == 31
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    finally:
        stop.set()
        await engine.dispose()


async def test_a_read_only_connection_cannot_write_after_another_commit_so_writing_queries_take_the_lock(tmp_path: Path) -> None:
    # Why ServiceHost.query(..., writes=True) exists: a deferred (read-only) transaction
    # that has read cannot write once another writer committed after its read; a
    # transaction begun as commands begin (BEGIN IMMEDIATE) holds the lock from its first
    # statement, so no writer can commit between its read and its write.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE audit (n INTEGER)"))
        async with engine.connect() as reader:
            reader = await read_only(reader)
            await reader.execute(text("SELECT count(*) FROM audit"))  # its snapshot starts here
            async with engine.begin() as other:
                await other.execute(text("INSERT INTO audit VALUES (1)"))
            with pytest.raises(sqlalchemy.exc.OperationalError):
                await reader.execute(text("INSERT INTO audit VALUES (2)"))
        async with engine.connect() as writer:  # as a writing query runs: BEGIN IMMEDIATE, the lock up front
            await writer.execute(text("SELECT count(*) FROM audit"))
            await writer.execute(text("INSERT INTO audit VALUES (3)"))
            await writer.commit()
        async with engine.connect() as conn:
            assert sorted(await conn.scalars(text("SELECT n FROM audit"))) == [1, 3]
    finally:
        await engine.dispose()
