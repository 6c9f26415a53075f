"""Async SQLAlchemy engines for the embedded default (SQLite, WAL) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .logging import get_logger

log = get_logger("zhiyuan.db")

SQLITE_CACHE_KIB = 64 * 1024
# An execution option: this connection only reads (a plain, deferred BEGIN on SQLite).
READ_ONLY = "zhiyuan_read_only"

_write_locks: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, background_checkpoints: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine with the settings the event store relies on.

    SQLite: WAL (readers never block the writer), a 64 MiB page cache, a busy timeout instead of "database is
    locked", and ``BEGIN IMMEDIATE`` so that a transaction takes the write lock up front:
    two commands racing for one stream then serialize instead of deadlocking on upgrade.
    ``background_checkpoints``: the engine's connections never checkpoint the WAL at commit
    (SQLite's automatic checkpoint, with its fsyncs, in the committing transaction);
    whoever asks for it runs ``checkpoint_continuously`` beside them.
    """
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # 64 MiB of page cache (SQLite's default is 2 MiB): a read model of a city's
            # records fits, and a rebuild's batches stop spilling pages between statements.
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            if background_checkpoints:
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # A reader needs no write lock: in WAL it reads its snapshot beside the writer.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


async def read_only(conn: AsyncConnection) -> AsyncConnection:
    """Mark ``conn`` (before its first statement) as one that only reads: on SQLite it then
    neither takes nor waits for the write lock (a plain, deferred BEGIN). Not for a handler
    that writes: a deferred transaction that has read fails at once when it comes to write
    after another writer committed (``ServiceHost.query(..., writes=True)`` is for those)."""
    return await conn.execution_options(**{READ_ONLY: True})


@contextlib.asynccontextmanager
async def write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """Around a write transaction: on SQLite, the writers of this process take turns here,
    in arrival order, instead of polling for SQLite's lock in its busy handler — asleep 1,
    2, 5, 10… ms at a time (a command behind the relay's update, the relay behind a
    command), with the event loop free but the work stalled. Nothing on PostgreSQL.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _write_locks.get(engine.sync_engine)
    if lock is None:
        lock = _write_locks[engine.sync_engine] = asyncio.Lock()
    async with lock:
        yield


async def checkpoint_continuously(engine: AsyncEngine, stop: asyncio.Event, *, every: float = 0.25) -> None:
    """Checkpoint an engine's SQLite WAL every ``every`` seconds, on a connection of its own
    in a worker thread, until ``stop`` is set (and once more then).

    For an engine made with ``background_checkpoints=True``: a command's commit then only
    appends to the WAL, and the copy into the database with its fsyncs (a quarter of the
    activities process's time in live ingest, spent inside commits) runs beside the
    commands. PASSIVE: it neither waits for nor blocks readers and writers; the WAL starts
    over from its beginning once a checkpoint has caught up with it.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    path = engine.url.database

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def checkpoint(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    conn = await asyncio.to_thread(connect)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            try:
                await asyncio.to_thread(checkpoint, conn)
            except sqlite3.Error as exc:  # busy, or the file went away: try again next time
                log.warning("sqlite.checkpoint_failed", database=path, error=str(exc))
    finally:
        await asyncio.to_thread(conn.close)
