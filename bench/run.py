"""Replay and speed: generate a city history and measure Zhiyuan against its targets.

    .venv/bin/python -m bench.run [--quick] [--events N] [--postgres-url URL] [--skip-live]

Not a test: it prints one table with the machine named, each figure beside its target
and PASS or MISS. See bench/README.md for what each figure means and the last results.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import nats
import structlog
from sqlalchemy import func, select

from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.logging import configure_logging
from zhiyuan_platform.testing.host import migrated_engine
from zhiyuan_platform.testing.servers import LocalNats, create_database, database_url_in, drop_database

from . import jetstream, machine
from .history import History, generate

DEFAULT_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
STREAMS = ("ZY_REGISTRY", "ZY_ACTIVITIES")


@dataclass
class Row:
    figure: str
    measured: str
    target: str = ""
    verdict: str = ""  # PASS, MISS, or "" for a figure given for reference


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, measured: str, target: str = "", verdict: str = "") -> None:
        self.rows.append(Row(figure, measured, target, verdict))
        print(f"  · {figure}: {measured}" + (f"  (target {target}: {verdict})" if target else ""), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  · note: {text}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def rate(value: float) -> str:
    return f"{value:,.0f}/s"


# -- replay -------------------------------------------------------------------------------------


async def boxed(
    source: AsyncIterator[list[Delivery]], deadline: float, counter: list[int], last: list[float]
) -> AsyncIterator[list[Delivery]]:
    """Pass batches on until ``deadline`` (perf_counter); counts what the fold has applied."""
    try:
        async for batch in source:
            yield batch
            counter[0] += len(batch)  # resumed only after the fold applied the batch
            last[0] = time.perf_counter()
            if time.perf_counter() >= deadline:
                break
    finally:
        with contextlib.suppress(Exception):
            await source.aclose()  # type: ignore[attr-defined]


@dataclass
class ReplayResult:
    events: int
    complete: bool
    fold_seconds: float
    seconds: float  # end to end: reset, fold, reconcile
    dead_letters: int
    minutes_ok: bool | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def fold_rate(self) -> float:
        return self.events / self.fold_seconds if self.fold_seconds else 0.0


async def total_minutes(engine: Any) -> int:
    from zhiyuan_recognition.adapters.tables import volunteer_totals

    async with engine.connect() as conn:
        return int(
            await conn.scalar(select(func.coalesce(func.sum(volunteer_totals.c.total_minutes), 0))) or 0
        )


async def replay_real(nc: Any, engine: Any, history: History, budget: float) -> ReplayResult:
    """recognition's own ``rebuild`` fed by ``read_stream`` (as ``zhiyuan recognition rebuild``), time-boxed."""
    from zhiyuan_platform.replay import read_stream
    from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
    from zhiyuan_recognition.rebuild import rebuild

    counter, last = [0], [0.0]
    started = time.perf_counter()
    last[0] = started
    # The registry stream may use half the budget; the activities stream what is left.
    sources = {
        "ZY_REGISTRY": boxed(read_stream(nc, "ZY_REGISTRY"), started + budget / 2, counter, last),
        "ZY_ACTIVITIES": boxed(read_stream(nc, "ZY_ACTIVITIES"), started + budget, counter, last),
    }
    report = await rebuild(engine, NATIONAL_DEFAULT, sources)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    complete = counter[0] >= history.events
    minutes_ok = (await total_minutes(engine) == history.expected_minutes) if complete else None
    return ReplayResult(counter[0], complete, last[0] - started, seconds, report.dead_lettered, minutes_ok)


async def timed_reconcile(engine: Any, budget: float) -> tuple[int, float, bool]:
    """The real ``reconcile`` again after a whole replay: every volunteer compared, nothing to announce."""
    from zhiyuan_recognition.adapters.tables import volunteer_totals
    from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
    from zhiyuan_recognition.rebuild import ledger, reconcile

    async with engine.connect() as conn:
        volunteers = int(await conn.scalar(select(func.count()).select_from(volunteer_totals)) or 0)
    started = time.perf_counter()
    try:
        await asyncio.wait_for(reconcile(engine, ledger(NATIONAL_DEFAULT)), timeout=budget)
        return volunteers, time.perf_counter() - started, True
    except TimeoutError:
        return volunteers, time.perf_counter() - started, False


# -- per-statement costs ------------------------------------------------------------------------


async def statement_costs(sqlite_url: str, pg_url: str | None, n: int = 1000) -> list[tuple[str, float]]:
    """Microseconds for one primary-key SELECT on recognition's volunteer_totals, by path."""
    import aiosqlite

    from zhiyuan_platform.db import create_engine
    from zhiyuan_recognition.adapters.tables import volunteer_totals

    costs: list[tuple[str, float]] = []

    async def through(url: str, label: str) -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                query = select(volunteer_totals.c.total_minutes).where(volunteer_totals.c.volunteer_id == "x")
                await conn.scalar(query)
                t = time.perf_counter()
                for i in range(n):
                    await conn.scalar(
                        select(volunteer_totals.c.total_minutes).where(
                            volunteer_totals.c.volunteer_id == str(i)
                        )
                    )
                costs.append((label, (time.perf_counter() - t) / n * 1e6))
        finally:
            await engine.dispose()

    await through(sqlite_url, "SQLAlchemy async + aiosqlite (what the services use)")
    path = sqlite_url.split("///", 1)[1]
    async with aiosqlite.connect(path) as db:
        t = time.perf_counter()
        for i in range(n):
            async with db.execute(
                "SELECT total_minutes FROM volunteer_totals WHERE volunteer_id = ?", (str(i),)
            ) as cur:
                await cur.fetchone()
        costs.append(("aiosqlite alone", (time.perf_counter() - t) / n * 1e6))
    from sqlalchemy import create_engine as create_sync_engine

    sync = create_sync_engine(f"sqlite:///{path}")
    with sync.connect() as conn:
        t = time.perf_counter()
        for i in range(n):
            conn.scalar(
                select(volunteer_totals.c.total_minutes).where(volunteer_totals.c.volunteer_id == str(i))
            )
        costs.append(
            ("SQLAlchemy sync + sqlite3 (in one worker thread)", (time.perf_counter() - t) / n * 1e6)
        )
    sync.dispose()
    db3 = sqlite3.connect(path)
    t = time.perf_counter()
    for i in range(n):
        db3.execute("SELECT total_minutes FROM volunteer_totals WHERE volunteer_id = ?", (str(i),)).fetchone()
    costs.append(("sqlite3 alone", (time.perf_counter() - t) / n * 1e6))
    db3.close()
    t = time.perf_counter()
    for _ in range(n):
        await asyncio.to_thread(lambda: None)
    costs.append(("one asyncio ↔ thread round trip (asyncio.to_thread)", (time.perf_counter() - t) / n * 1e6))
    if pg_url:
        await through(pg_url, "SQLAlchemy async + asyncpg")
    return costs


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Sizes:
    events: int
    replay_budget: float  # the real rebuild, per backend
    reference_budget: float
    reconcile_budget: float
    live_activities: int
    live_days: int
    ingest_records: int
    ingest_seconds: float
    latency_seconds: float


def sizes(quick: bool, events: int | None) -> Sizes:
    if quick:
        return Sizes(events or 11_000, 30, 4, 15, 1, 4, 1_500, 8, 4)
    return Sizes(events or 220_000, 120, 20, 45, 4, 15, 50_000, 25, 15)


async def run(args: argparse.Namespace) -> Report:
    s = sizes(args.quick, args.events)
    report = Report()
    workdir = tempfile.mkdtemp(prefix="zy-bench-")
    log_path = os.path.join(workdir, "bench.log")
    # As the service logs (JSON, INFO: one line per volunteer projected), to a file.
    configure_logging("recognition-bench", "json", "INFO")
    log_file = open(log_path, "w")  # noqa: SIM115, ASYNC230 - before anything runs
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=log_file))

    pg_version = await machine.postgres_version(args.postgres_url)
    started = time.perf_counter()
    print("machine:")
    for key, value in machine.describe(pg_version):
        print(f"  {key}: {value}")
    report.machine = machine.describe(pg_version)  # type: ignore[attr-defined]

    if args.live_only:
        report.history = "none (--live-only)"  # type: ignore[attr-defined]
    else:
        await replay_figures(report, s, args, pg_version, workdir)
    if not args.skip_live:
        await live_figures(report, s)
    report.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
    load = os.getloadavg()
    report.load_end = f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"  # type: ignore[attr-defined]
    return report


async def replay_figures(report: Report, s: Sizes, args: argparse.Namespace, pg_version: str | None, workdir: str) -> None:
    """The history, the raw read, the replays into each database, and the eventsourcing reference."""
    print(f"\ngenerating a city history of ~{s.events:,} events …", flush=True)
    t = time.perf_counter()
    history = generate(s.events)
    report.history = (  # type: ignore[attr-defined]
        f"{history.events:,} events: {history.volunteers:,} volunteers registered in 16 districts, "
        f"{history.moves:,} moved, {history.logged:,} HoursLogged ({history.training:,} of them training), "
        f"{history.corrected:,} corrected, {history.revoked:,} revoked"
    )
    print(f"  {report.history} ({time.perf_counter() - t:.1f} s)")  # type: ignore[attr-defined]

    server = LocalNats()
    server.start()
    try:
        nc = await nats.connect(server.url, pending_size=256 * 1024 * 1024)
        try:
            seconds = await jetstream.load(nc, history)
            print(f"  published into JetStream (atomic batches of 1,000, untimed: {seconds:.1f} s)")

            print("\nraw JetStream read (whole history, both streams):", flush=True)
            raw_cb = await raw_rate(nc, jetstream.raw_read_callback)
            raw_next = await raw_rate(nc, jetstream.raw_read)
            raw_ours = await raw_rate(nc, jetstream.raw_read_ours)
            raw = max(raw_cb, raw_next)
            report.add("Raw JetStream read, ordered push consumer, message callback (nats-py)", rate(raw_cb))
            report.add("Raw JetStream read, nats-py's `ordered_consumer=True`, `await next_msg()`", rate(raw_next))
            report.add(
                "Raw JetStream read, zhiyuan_platform.replay.read_stream (ordered push consumer, own protocol "
                "reader — what the replay reads with), batches discarded",
                rate(raw_ours),
            )

            backends: list[tuple[str, str, float]] = [
                ("SQLite", f"sqlite+aiosqlite:///{workdir}/recognition-replay.db", 100_000),
            ]
            pg_db = None
            if pg_version:
                pg_db = f"zy_bench_{uuid.uuid4().hex[:10]}"
                create_database(args.postgres_url, pg_db)
                backends.append(("PostgreSQL", database_url_in(args.postgres_url, pg_db), 60_000))
            else:
                report.note(f"PostgreSQL skipped: nothing answers at {args.postgres_url}")
            try:
                for label, url, target in backends:
                    print(f"\nreplay into {label}:", flush=True)
                    engine = await migrated_engine("zhiyuan_recognition", url)
                    try:
                        real = await replay_real(nc, engine, history, s.replay_budget)
                        scope = (
                            ("whole history, totals match it" if real.minutes_ok else "whole history, TOTALS DIFFER")
                            if real.complete
                            else (
                                f"time-boxed to {s.replay_budget:.0f} s: {real.events:,} of {history.events:,} events"
                            )
                        )
                        report.add(
                            f"Replay → {label}: recognition's rebuild() fed by read_stream, end to end ({scope}; "
                            f"until the last batch is folded {rate(real.fold_rate)}; dead letters {real.dead_letters})",
                            rate(real.rate),
                            f"≥ {target:,}/s",
                            verdict(real.rate >= target),
                        )
                        report.add(
                            f"Replay → {label} ÷ raw read rate of nats-py's ordered consumer",
                            f"{real.rate / raw:.3f}",
                            "≥ 0.6",
                            verdict(real.rate / raw >= 0.6),
                        )
                        report.add(
                            f"Replay → {label} ÷ raw read rate of read_stream (the same reader doing nothing)",
                            f"{real.rate / raw_ours:.3f}",
                            "≥ 0.6",
                            verdict(real.rate / raw_ours >= 0.6),
                        )
                        if real.complete:
                            volunteers, secs, done = await timed_reconcile(engine, s.reconcile_budget)
                            report.add(
                                f"  rebuild's reconcile() over {volunteers:,} volunteers (run again: nothing differs)"
                                + ("" if done else f", stopped after {s.reconcile_budget:.0f} s"),
                                f"{secs:.1f} s"
                                + ("" if done else "+")
                                + f" ({secs / max(volunteers, 1) * 1000:.2f} ms each)",
                            )
                    finally:
                        await engine.dispose()
                from .floor import floor_async

                records, secs = await floor_async(history)
                report.add(
                    f"  floor: raw sqlite3 executemany of the same {records:,} records' rows (service_records, "
                    "tracked_aggregates in key order; batches of 5,000; no decoding, validation or SQLAlchemy; bench/floor.py)",
                    f"{records / secs:,.0f} records/s",
                )
                print("\nper-statement cost (one primary-key SELECT):", flush=True)
                pg_url = backends[1][1] if len(backends) > 1 else None
                for label, micros in await statement_costs(backends[0][1], pg_url):
                    report.add(f"  statement: {label}", f"{micros:,.0f} µs")
            finally:
                if pg_db:
                    with contextlib.suppress(Exception):
                        drop_database(args.postgres_url, pg_db)
        finally:
            await nc.close()
    finally:
        server.cleanup()

    print("\nreference: the same history through the eventsourcing library:", flush=True)
    from .reference import Reference

    t = time.perf_counter()
    reference = Reference(history)
    print(
        f"  recorded {reference.last:,} events in an eventsourcing application (untimed: {time.perf_counter() - t:.1f} s)"
    )
    try:
        for view, label in (("popo", "POPO view"), ("sqlite", "SQLite view, one transaction per event")):
            result = await asyncio.to_thread(reference.run, view, budget=s.reference_budget)
            scope = (
                "whole history"
                if result.complete
                else f"time-boxed to {s.reference_budget:.0f} s: {result.events:,} events"
            )
            ok = (
                "totals match" if result.complete and result.total_minutes == history.expected_minutes else ""
            )
            report.add(
                f"Reference: eventsourcing ProjectionRunner + Projection, {label} ({scope}{', ' + ok if ok else ''})",
                rate(result.rate),
            )
    finally:
        reference.cleanup()

    # The replay databases are large; the log stays for whoever wants to look.
    for name in os.listdir(workdir):
        if name.startswith("recognition-replay.db"):
            os.remove(os.path.join(workdir, name))


async def raw_rate(nc: Any, reader: Callable[..., Any]) -> float:
    total, seconds = 0, 0.0
    for stream in STREAMS:
        n, secs = await reader(nc, stream)
        total += n
        seconds += secs
    return total / seconds


async def live_figures(report: Report, s: Sizes) -> None:
    from .live import Live, percentile

    print(
        "\nlive: the whole system as processes (zhiyuan up's supervisor, SQLite, its own nats-server):",
        flush=True,
    )
    live = Live(activities=s.live_activities, days=s.live_days)
    try:
        t = time.perf_counter()
        live.start()
        print(f"  started and healthy in {time.perf_counter() - t:.1f} s", flush=True)
        prepared = await live.prepare()
        print(
            f"  prepared {len(live.minutes)} volunteers, {len(live.activities)} back-filled activities with "
            f"attendance, through the gateway (untimed: {prepared:.1f} s)",
            flush=True,
        )
        if live.anomalies:
            report.note(
                f"preparation: {len(live.anomalies)} attendance anomalies, retried: {live.anomalies[:3]}"
            )
        ingest = await live.ingest(s.ingest_records, timeout=s.ingest_seconds)
        report.add(
            f"Live ingest: POST /activities/{{id}}/hours × 100 records → store → relay → JetStream → recognition "
            f"committed ({ingest.records:,} HoursLogged in {ingest.requests} requests, {len(live.activities)} senders; "
            f"request p50 {ingest.post_p50_ms:,.0f} ms; {ingest.note})",
            rate(ingest.rate),
            "≥ 5,000/s",
            verdict(ingest.rate >= 5000),
        )
        if ingest.cpu_us_per_record:
            spent = ingest.cpu_us_per_record
            report.add(
                "  CPU per HoursLogged during the ingest, by process (user + system, from /proc)",
                ", ".join(f"{name} {us:,.0f} µs" for name, us in sorted(spent.items(), key=lambda kv: -kv[1]))
                + f"; {sum(spent.values()):,.0f} µs in all",
            )
        if live.timeouts:
            report.note(
                f"{live.timeouts} hours requests answered 504 (activities took > 5 s); not counted as sent"
            )
        await live.wait_quiet()
        lat = await live.latency(rate=1000, seconds=s.latency_seconds)
        p = {q: percentile(lat.from_commit_ms, q) for q in (50, 95, 99)}
        b = {q: percentile(lat.from_start_ms, q) for q in (50, 95, 99)}
        a = {q: percentile(lat.from_answer_ms, q) for q in (50, 95, 99)}
        report.add(
            f"Latency HoursLogged commit (activities' command.done log line, right after the commit) → new total "
            f"read through GET /volunteers/{{id}}/recognition, paced for 1,000/s (achieved {lat.achieved_rate:,.0f}/s; "
            f"{lat.samples} samples, {len(lat.from_commit_ms)} with their commit logged, {lat.missing} not seen "
            f"within 60 s): p50 / p95 / p99",
            f"{p[50]:,.0f} / {p[95]:,.0f} / {p[99]:,.0f} ms",
            "p99 ≤ 100 ms",
            verdict(bool(lat.from_commit_ms) and p[99] <= 100),
        )
        report.add(
            "  same, from the command's start (the outbox row's created_at; errs long by the command's own time)",
            f"{b[50]:,.0f} / {b[95]:,.0f} / {b[99]:,.0f} ms",
        )
        report.add(
            "  same, from the POST's answer (after the reply's trip back; errs short): p50 / p95 / p99",
            f"{a[50]:,.0f} / {a[95]:,.0f} / {a[99]:,.0f} ms",
        )
        if 0 < lat.achieved_rate < 900:  # it could not keep the pace: latency without the queueing
            await live.wait_quiet()
            easy = max(50.0, ingest.rate * 0.5)
            low = await live.latency(rate=easy, seconds=max(5.0, s.latency_seconds * 0.6))
            q = {k: percentile(low.from_commit_ms, k) for k in (50, 95, 99)}
            r = {k: percentile(low.from_answer_ms, k) for k in (50, 95, 99)}
            report.add(
                f"  same at a rate the system sustains (paced for {easy:,.0f}/s, achieved {low.achieved_rate:,.0f}/s, "
                f"{low.samples} samples): p50 / p95 / p99 from commit; from the answer",
                f"{q[50]:,.0f} / {q[95]:,.0f} / {q[99]:,.0f} ms; {r[50]:,.0f} / {r[95]:,.0f} / {r[99]:,.0f} ms",
            )
    except Exception as exc:
        import shutil

        kept = tempfile.mkdtemp(prefix="zy-bench-live-logs-")
        shutil.copytree(live.root / "logs", kept, dirs_exist_ok=True)
        with contextlib.suppress(Exception):
            for name in ("activities.db", "activities.db-wal", "activities.db-shm"):
                if (live.root / name).exists():
                    shutil.copy(live.root / name, kept)
        report.note(f"live figures failed: {exc!r} (logs kept in {kept})")
    finally:
        live.stop()


def render(report: Report, command: str) -> str:
    lines = [
        f"Zhiyuan — replay and speed   ({time.strftime('%Y-%m-%d %H:%M %Z')})",
        f"command: {command}",
        "",
    ]
    for key, value in report.machine:  # type: ignore[attr-defined]
        lines.append(f"{key + ':':<24}{value}")
    lines.append(f"{'load average at end:':<24}{report.load_end}")  # type: ignore[attr-defined]
    lines.append(f"{'history:':<24}{report.history}")  # type: ignore[attr-defined]
    lines.append(f"{'run took:':<24}{report.elapsed:.0f} s")  # type: ignore[attr-defined]
    lines.append("")
    lines.append("| figure | measured | target | |")
    lines.append("|---|---:|---|---|")
    for row in report.rows:
        lines.append(f"| {row.figure} | {row.measured} | {row.target} | {row.verdict} |")
    for note in report.notes:
        lines.append(f"\nnote: {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (about two minutes)")
    parser.add_argument(
        "--events", type=int, default=None, help="size of the generated history (default 220,000)"
    )
    parser.add_argument(
        "--postgres-url", default=DEFAULT_ADMIN_URL, help="an admin URL; a fresh database is made in it"
    )
    parser.add_argument(
        "--skip-live", action="store_true", help="leave out the live ingest and latency figures"
    )
    parser.add_argument(
        "--live-only", action="store_true", help="only the live ingest and latency figures (no history, no replay)"
    )
    args = parser.parse_args(argv)
    command = ".venv/bin/python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    report = asyncio.run(run(args))
    print("\n" + render(report, command.strip()))


if __name__ == "__main__":
    main()
