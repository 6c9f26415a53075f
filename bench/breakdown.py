"""Where a replay's time goes: each stage of recognition's rebuild alone, then the whole.

    .venv/bin/python -m bench.breakdown [--events N] [--database-url URL]

Stages, each over the whole history, each on its own (best of 3):
  read       ``read_stream`` reading both streams, batches discarded
  decode     ``decode_fast`` of every body (the typed decoding with validation), and the
             general path (msgspec envelope + pydantic) beside it
  fold       ``LedgerReplay`` on batches already in memory, into a sink that only encodes
  load       the SQLite loader process alone, fed the frames the fold produced
  index      the secondary indexes the load builds before its commit (inside "load")
Then the real rebuild end to end, with the main process's time split into folding and
waiting for the sink (back-pressure: the loader on the other core is behind).

Not a test, and not the figures of ``bench.run``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import os
import shutil
import sqlite3
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
import nats
import structlog

from zhiyuan_platform import bulkload, sqlite_loader
from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.logging import configure_logging
from zhiyuan_platform.testing.host import migrated_engine
from zhiyuan_platform.testing.servers import LocalNats

from . import jetstream
from .history import generate
from .machine import describe

STREAMS = ("ZY_REGISTRY", "ZY_ACTIVITIES")


class RecordingSink(bulkload.SqliteSink):
    """The SQLite sink's own encoding, the frames kept instead of sent."""

    def __init__(self) -> None:
        super().__init__("")
        self.frames: list[bytes] = []

    async def _send(self, payload: bytes) -> None:
        self.frames.append(payload)

    async def commit(self, statements: Sequence[str] = ()) -> None:
        await self._send(msgspec.msgpack.encode(sqlite_loader.Finish(list(statements))))

    async def abort(self) -> None:
        return None


async def best(work: Callable[[], Awaitable[float]], runs: int = 3) -> float:
    return min([await work() for _ in range(runs)])


async def run(events: int, url: str | None) -> None:
    configure_logging("bench-breakdown", "json", "WARNING")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=open(os.devnull, "w")))  # noqa: SIM115, ASYNC230
    from zhiyuan_contracts.catalogue import parse_event
    from zhiyuan_contracts.envelope import decode as decode_envelope
    from zhiyuan_contracts.fast import decode_fast
    from zhiyuan_platform.replay import read_stream
    from zhiyuan_recognition import rebuild as rb
    from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
    from zhiyuan_recognition.projections.replay import LedgerReplay

    history = generate(events)
    server = LocalNats()
    server.start()
    workdir = tempfile.mkdtemp(prefix="zy-breakdown-")
    stages: list[tuple[str, float]] = []
    try:
        nc = await nats.connect(server.url, pending_size=256 * 1024 * 1024)
        await jetstream.load(nc, history)
        batches: list[tuple[str, list[Delivery]]] = []

        async def read() -> float:
            batches.clear()
            started = time.perf_counter()
            for stream in STREAMS:
                async for batch in read_stream(nc, stream):
                    batches.append((stream, batch))
            return time.perf_counter() - started

        stages.append(("read (read_stream, batches discarded)", await best(read)))
        bodies = [d.data for _, batch in batches for d in batch]

        async def decode() -> float:
            started = time.perf_counter()
            for body in bodies:
                decode_fast(body)
            return time.perf_counter() - started

        stages.append(("decode (decode_fast: typed, validated)", await best(decode)))

        async def decode_general() -> float:
            started = time.perf_counter()
            for body in bodies:
                parse_event(decode_envelope(body))
            return time.perf_counter() - started

        stages.append(("  for comparison: decode + parse_event (the general path, pydantic)", await best(decode_general)))
        sink = RecordingSink()
        loader_split: dict[str, float] = {}
        engine = await migrated_engine("zhiyuan_recognition", url or f"sqlite+aiosqlite:///{workdir}/replay.db")

        async def fold() -> float:
            nonlocal sink
            sink = RecordingSink()
            replay = LedgerReplay(NATIONAL_DEFAULT, rb.ledger(NATIONAL_DEFAULT, announce=False), sink, rb.CONSUMERS)
            gc.disable()  # as rebuild() folds
            started = time.perf_counter()
            for stream, batch in batches:
                await replay.apply(stream, batch)
            await replay.finish_load()
            seconds = time.perf_counter() - started
            gc.enable()
            return seconds

        stages.append(("fold (LedgerReplay incl. decode, rows encoded for the loader)", await best(fold)))
        if engine.dialect.name == "sqlite":
            await rb.reset(engine)
            async with rb.secondary_indexes_dropped(engine, rb.BULK_LOADED) as builds:
                await sink.commit(builds)
                empty = f"{workdir}/empty.db"
                await engine.dispose()  # its connections' WAL (the dropped indexes) into the file first
                with contextlib.closing(sqlite3.connect(str(engine.url.database))) as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                shutil.copy(str(engine.url.database), empty)
                stages.append(("load (the SQLite loader process's work, alone)", await best(lambda: _load(sink, empty, workdir))))
                loader_split = await asyncio.to_thread(_load_timed, sink, empty, workdir)

        counters = {"wait": 0.0}
        original_put = bulkload.SqliteSink.put, bulkload.PostgresSink.put

        def waited(put: Any) -> Any:
            async def timed(self: Any, *args: Any) -> None:
                started = time.perf_counter()
                await put(self, *args)
                counters["wait"] += time.perf_counter() - started

            return timed

        bulkload.SqliteSink.put = waited(original_put[0])  # type: ignore[method-assign]
        bulkload.PostgresSink.put = waited(original_put[1])  # type: ignore[method-assign]
        started = time.perf_counter()
        await rb.rebuild(engine, NATIONAL_DEFAULT, {s: read_stream(nc, s) for s in STREAMS})
        wall = time.perf_counter() - started
        await engine.dispose()
        await nc.close()
    finally:
        server.stop()
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    for key, value in describe(None):
        print(f"{key + ':':<24}{value}")
    n = history.events
    print(f"\nstages of a rebuild of {n:,} events, each alone (best of 3):")
    for label, seconds in stages:
        print(f"  {label:<66} {seconds:6.2f} s  {seconds / n * 1e6:5.1f} µs/event")
    if loader_split:
        total = loader_split.pop("(the whole load)")
        print("\nthe loader's work, by statement (one more run):")
        for label, seconds in sorted(loader_split.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<66} {seconds:6.2f} s")
        print(f"  {'reading and decoding the frames, the rest':<66} {total - sum(loader_split.values()):6.2f} s")
    print(
        f"\nthe whole rebuild ({'SQLite' if not url else url.split(':')[0]}): {wall:.2f} s = {n / wall:,.0f} events/s;"
        f" of it, the fold waited {counters['wait']:.2f} s for the sink (the loader behind)"
    )


class _TimedConnection:
    """A sqlite3 connection that adds up the time of each kind of statement."""

    def __init__(self, db: sqlite3.Connection, times: dict[str, float]) -> None:
        self._db = db
        self._times = times

    def _timed(self, sql: str, run: Callable[[], Any]) -> Any:
        words = sql.split()
        if words[0] == "INSERT":
            label = f"INSERT INTO {words[2]}"
        elif words[0] == "CREATE":
            label = "CREATE INDEX (every index build)"
        else:
            label = words[0]
        started = time.perf_counter()
        result = run()
        self._times[label] = self._times.get(label, 0.0) + time.perf_counter() - started
        return result

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed(sql, lambda: self._db.execute(sql, *args))

    def executemany(self, sql: str, rows: Any) -> Any:
        return self._timed(sql, lambda: self._db.executemany(sql, rows))

    def close(self) -> None:
        self._db.close()


def _load_timed(sink: RecordingSink, empty: str, workdir: str) -> dict[str, float]:
    times: dict[str, float] = {}
    real = sqlite_loader.sqlite3
    shim = type("TimedSqlite3", (), {"connect": staticmethod(lambda *a, **k: _TimedConnection(real.connect(*a, **k), times))})
    sqlite_loader.sqlite3 = shim  # type: ignore[assignment]
    try:
        times["(the whole load)"] = _load_sync(sink, empty, workdir)
    finally:
        sqlite_loader.sqlite3 = real
    times.pop("PRAGMA", None)
    return times


async def _load(sink: RecordingSink, empty: str, workdir: str) -> float:
    return await asyncio.to_thread(_load_sync, sink, empty, workdir)


def _load_sync(sink: RecordingSink, empty: str, workdir: str) -> float:
    target = f"{workdir}/load.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(target + suffix):
            os.remove(target + suffix)
    shutil.copy(empty, target)
    source = io.BytesIO(b"".join(struct.pack("<I", len(f)) + f for f in sink.frames))
    gc.disable()  # as the loader process runs
    started = time.perf_counter()
    sqlite_loader.load(target, source, lambda word: None)
    seconds = time.perf_counter() - started
    gc.enable()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=220_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.database_url))


if __name__ == "__main__":
    main()
