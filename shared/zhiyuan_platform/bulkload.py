"""Bulk loading a read model from empty, on the other core.

A rebuild writes hundreds of thousands of rows. Through SQLAlchemy and aiosqlite each
statement costs a thread hand-off (~0.2–1 ms here), and a writer thread in the same
process fights the reader for the GIL (measured: 191k rows took 255 s with the main
thread busy). So the rows go where the other core can take them:

- **SQLite**: a child process (``python -m zhiyuan_platform.bulkload PATH``) owns one
  write transaction and runs ``executemany`` with the raw ``sqlite3`` driver; the parent
  streams it length-prefixed msgpack frames on its stdin and goes on folding. The
  transaction commits only when the parent says the load is complete, so a failed or
  interrupted load leaves nothing of itself behind.
- **PostgreSQL**: ``COPY`` (asyncpg's binary ``copy_records_to_table``) on a connection of
  its own inside one transaction; the server does the inserting in its own process while
  the parent folds.

Rows are tuples in the order of ``columns``. A datetime column takes a timezone-aware
datetime or its RFC 3339 text (as events carry it), and is written as
:class:`~zhiyuan_platform.tables.UtcDateTime` writes it (SQLite: the same UTC text).
``commit`` takes the statements to run before the commit — the secondary indexes of the
tables just filled, built once over the whole of them, in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .db import SQLITE_CACHE_KIB
from .sqlite_loader import LENGTH, Finish, Rows, sqlite_text
from .tables import UtcDateTime

Row = tuple[Any, ...]


class BulkLoadFailed(RuntimeError):
    """The loader stopped: what it said is in the message; nothing of the load was committed."""


class BulkSink(Protocol):
    async def put(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None: ...

    async def commit(self, statements: Sequence[str] = ()) -> None: ...

    async def abort(self) -> None: ...


def _datetime_positions(table: Table, columns: Sequence[str]) -> list[int]:
    return [i for i, name in enumerate(columns) if isinstance(table.c[name].type, UtcDateTime)]


class SqliteSink:
    """Rows streamed to a child process that holds SQLite's write lock until ``commit``."""

    def __init__(self, path: str, *, queued_bytes: int = 8 * 1024 * 1024) -> None:
        self.path = path
        self._queued_bytes = queued_bytes
        self._proc: asyncio.subprocess.Process | None = None
        self._encoder = msgspec.msgpack.Encoder()
        # Many rows share a time (an activity's records start and end together): convert each once.
        self._converted: dict[Any, str | None] = {}

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "zhiyuan_platform.sqlite_loader",
            self.path,
            str(SQLITE_CACHE_KIB),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._proc.stdin is not None
        self._proc.stdin.transport.set_write_buffer_limits(high=self._queued_bytes)  # type: ignore[attr-defined]
        await self._expect(b"ready")

    async def put(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        positions = _datetime_positions(table, columns)
        if positions:  # here, not in the loader: the loader is the busier of the two processes
            rows = self._as_sqlite_text(rows, positions)
        frame = Rows(str(table.name), [str(c) for c in columns], rows)  # type: ignore[arg-type]
        await self._send(self._encoder.encode(frame))

    def _as_sqlite_text(self, rows: list[Row], positions: list[int]) -> list[Row]:
        converted = self._converted
        if len(converted) > 200_000:
            converted.clear()
        out: list[Row] = []
        for row in rows:
            values = list(row)
            for i in positions:
                value = values[i]
                text = converted.get(value)
                if text is None:
                    text = converted[value] = sqlite_text(value)
                values[i] = text
            out.append(values)  # type: ignore[arg-type]
        return out

    async def commit(self, statements: Sequence[str] = ()) -> None:
        await self._send(self._encoder.encode(Finish(list(statements))))
        await self._expect(b"committed")
        assert self._proc is not None
        await self._proc.wait()

    async def abort(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()  # its transaction is rolled back with it
            await self._proc.wait()

    async def _send(self, payload: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(LENGTH.pack(len(payload)) + payload)
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise await self._failure() from None

    async def _expect(self, word: bytes) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        line = await self._proc.stdout.readline()
        if line.strip() != word:
            raise await self._failure()

    async def _failure(self) -> BulkLoadFailed:
        assert self._proc is not None and self._proc.stderr is not None
        await self._proc.wait()
        said = (await self._proc.stderr.read()).decode(errors="replace").strip()
        return BulkLoadFailed(f"the SQLite bulk loader of {self.path} stopped: {said or self._proc.returncode}")


class PostgresSink:
    """Rows copied with COPY on a connection of its own, one transaction, while the fold goes on."""

    def __init__(self, engine: AsyncEngine, *, queued_batches: int = 4) -> None:
        self._engine = engine
        self._queue: asyncio.Queue[tuple[str, list[str], list[Row]] | None] = asyncio.Queue(queued_batches)
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        await self._conn.execute(text("SELECT 1"))  # the transaction is open on the driver's connection
        raw = await self._conn.get_raw_connection()
        self._task = asyncio.create_task(self._copy(raw.driver_connection))

    async def _copy(self, driver: Any) -> None:
        while (item := await self._queue.get()) is not None:
            table, columns, rows = item
            await driver.copy_records_to_table(table, records=rows, columns=columns)

    async def put(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        if self._task is not None and self._task.done():
            self._task.result()  # raises what stopped the copying
        positions = _datetime_positions(table, columns)
        if positions:
            rows = [_with_datetimes(row, positions) for row in rows]
        await self._queue.put((str(table.name), [str(c) for c in columns], rows))

    async def commit(self, statements: Sequence[str] = ()) -> None:
        assert self._conn is not None and self._task is not None
        await self._queue.put(None)
        await self._task
        for statement in statements:
            await self._conn.execute(text(statement))
        await self._conn.commit()
        await self._conn.close()

    async def abort(self) -> None:
        if self._conn is None or self._conn.closed:
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.rollback()
            with contextlib.suppress(Exception):
                await self._conn.close()


@contextlib.asynccontextmanager
async def bulk_sink(engine: AsyncEngine) -> Any:
    """A started sink for ``engine``'s database; rolled back unless the block commits it."""
    sink: SqliteSink | PostgresSink
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:":
            raise ValueError("a bulk load into SQLite needs a database file")
        sink = SqliteSink(path)
    else:
        sink = PostgresSink(engine)
    try:
        await sink.start()
        yield sink
    finally:
        await sink.abort()  # nothing left to do once committed


def _with_datetimes(row: Row, positions: list[int]) -> Row:
    values = list(row)
    for i in positions:
        if isinstance(values[i], str):
            values[i] = datetime.fromisoformat(values[i])
    return tuple(values)
