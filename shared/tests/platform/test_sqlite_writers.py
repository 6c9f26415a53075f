"""SQLite in a service process: writers take turns in the process, readers read beside
them, and the WAL is checkpointed beside the commits instead of in them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

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
