"""Where a replay's time goes: recognition's real ``rebuild`` into SQLite, with a timer
around each step of the fold (wall time, nested: a step's time includes its parts).

    .venv/bin/python -m bench.breakdown [--events N] [--database-url URL]

Not a test, and not the figures of ``bench.run`` (the timers cost a little themselves).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import tempfile
import time
from collections.abc import Callable
from typing import Any

import nats
import structlog

from zhiyuan_platform import bulk, consumer, tracking
from zhiyuan_platform.logging import configure_logging
from zhiyuan_platform.testing.host import migrated_engine
from zhiyuan_platform.testing.servers import LocalNats

from . import jetstream
from .history import generate
from .machine import describe

spent: collections.Counter[str] = collections.Counter()
ORDER: list[str] = []


def _timed(owner: Any, name: str, label: str, *, into: tuple[Any, ...] = ()) -> None:
    original: Callable[..., Any] = getattr(owner, name)
    ORDER.append(label)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    setattr(owner, name, timed)
    for module in into:  # modules that imported the function by name
        setattr(module, name, timed)


def instrument() -> None:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from zhiyuan_recognition.projections import ledger

    _timed(consumer.TrackedConsumer, "apply", "TrackedConsumer.apply (the whole fold of a batch)")
    _timed(ledger.Ledger, "apply", "  Ledger.apply (lookups, rules, writes)")
    _timed(ledger.Ledger, "_write", "    Ledger._write (the batch's rows)")
    _timed(bulk, "insert_many", "      insert_many", into=(ledger, tracking))
    _timed(AsyncConnection, "exec_driver_sql", "        of which the driver's executemany (awaited)")
    _timed(bulk, "update_many", "      update_many", into=(ledger,))
    _timed(bulk, "select_in", "    select_in (the batch's totals, records, districts)", into=(ledger, tracking))
    _timed(tracking, "aggregate_sequences_of", "  tracking: aggregate sequences read")
    _timed(tracking, "set_aggregate_sequences", "  tracking: aggregate sequences written")
    _timed(consumer.TrackedConsumer, "_decode_or_dead_letter", "  decode + validate")


async def run(events: int, url: str | None) -> None:
    configure_logging("bench-breakdown", "json", "WARNING")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=open("/dev/null", "w")))  # noqa: SIM115, ASYNC230
    history = generate(events)
    server = LocalNats()
    server.start()
    try:
        nc = await nats.connect(server.url, pending_size=256 * 1024 * 1024)
        await jetstream.load(nc, history)
        from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
        from zhiyuan_recognition.rebuild import jetstream_batches, rebuild

        url = url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='zy-breakdown-')}/recognition.db"
        engine = await migrated_engine("zhiyuan_recognition", url)
        instrument()
        started = time.perf_counter()
        await rebuild(engine, NATIONAL_DEFAULT, {s: jetstream_batches(nc, s) for s in ("ZY_REGISTRY", "ZY_ACTIVITIES")})
        wall = time.perf_counter() - started
        await engine.dispose()
        await nc.close()
    finally:
        server.stop()
        server.cleanup()
    decode_us, validate_us = decoding_costs(history)
    for key, value in describe(None):
        print(f"{key + ':':<24}{value}")
    print(f"\nrebuild of {history.events:,} events: {wall:.2f} s = {history.events / wall:,.0f} events/s\n")
    for label in ORDER:
        seconds = spent[label]
        print(f"{label:<62} {seconds:6.2f} s  {seconds / history.events * 1e6:6.1f} µs/event")
    print(f"\nin isolation (best of 5 over the history): decode {decode_us:.1f} µs/event, validate (parse_event) {validate_us:.1f} µs/event")


def decoding_costs(history: Any) -> tuple[float, float]:
    from zhiyuan_contracts.catalogue import parse_event
    from zhiyuan_contracts.envelope import decode

    bodies = [m.body for messages in history.streams().values() for m in messages]
    events = [decode(b) for b in bodies]

    def best(work: Callable[[], object]) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            work()
            runs.append(time.perf_counter() - started)
        return min(runs) / len(bodies) * 1e6

    return best(lambda: [decode(b) for b in bodies]), best(lambda: [parse_event(e) for e in events])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(run(args.events, args.database_url))


if __name__ == "__main__":
    main()
