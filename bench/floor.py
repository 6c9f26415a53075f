"""The floor under a replay into SQLite: the raw driver writing the same rows.

A replay of HoursLogged writes, per record, a ``service_records`` row (which keeps the
minutes as logged and when: the ``minute_ledger`` holds only later corrections) and the
consumer's ``tracked_aggregates`` row. This writes exactly those rows for the
history's records — recognition's migrated schema, the services' pragmas, batches of
5,000 in one transaction each, the secondary indexes built once at the end (as the
rebuild does; the aggregate sequences in key order at the end, as it writes them), ``sqlite3.executemany`` with no SQLAlchemy, no asyncio, no decoding or
validation — so it is what any replay into this schema on this machine can at best reach.

    .venv/bin/python -m bench.floor [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time

from zhiyuan_platform.db import SQLITE_CACHE_KIB
from zhiyuan_platform.testing.host import migrated_engine

from .history import History, generate
from .machine import describe

BATCH = 5000
LOGGED = "zhiyuan.activities.HoursLogged.v1"


def _sqlite_time(text: str) -> str:
    # 2025-01-31T03:34:00Z → SQLAlchemy's SQLite DATETIME text
    return text.replace("T", " ").replace("Z", "") + (".000000" if "." not in text else "")


def records(history: History) -> list[tuple[object, ...]]:
    rows = []
    for message in history.streams()["ZY_ACTIVITIES"]:
        event = json.loads(message.body)
        if event["type"] != LOGGED or event["data"].get("service_kind") == "training":
            continue
        d = event["data"]
        rows.append(
            (d["record_id"], d["volunteer_id"], d["activity_id"], d.get("team_id"), d["district"],
             d.get("community"), d.get("service_kind"), d.get("target_group"), d.get("place"),
             d.get("logged_by"), d["minutes"], _sqlite_time(d["started_at"]), _sqlite_time(d["ended_at"]),
             "active", d["minutes"], _sqlite_time(event["time"]))
        )  # fmt: skip
    return rows


async def _schema(path: str) -> None:
    engine = await migrated_engine("zhiyuan_recognition", f"sqlite+aiosqlite:///{path}")
    await engine.dispose()


def write(path: str, rows: list[tuple[object, ...]]) -> float:
    """Seconds to write every record's two rows, as a replay's batches would."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", f"cache_size=-{SQLITE_CACHE_KIB}"):
        db.execute(f"PRAGMA {pragma}")
    # As recognition's rebuild does: the secondary indexes dropped, built once at the end.
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('service_records', 'minute_ledger')"
    ).fetchall()
    started = time.perf_counter()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    for i in range(0, len(rows), BATCH):
        part = rows[i : i + BATCH]
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO service_records (record_id, volunteer_id, activity_id, team_id, district, community,"
            " service_kind, target_group, place, logged_by, minutes, started_at, ended_at, status,"
            " logged_minutes, logged_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            part,
        )
        db.execute("COMMIT")
    # As the rebuild does: the consumer's aggregate sequences once, at the end, in key order.
    tracked = sorted(("recognition-activities", r[0], 1) for r in rows)
    for i in range(0, len(tracked), BATCH):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO tracked_aggregates (consumer, aggregate_id, sequence) VALUES (?,?,?)"
            " ON CONFLICT (consumer, aggregate_id) DO UPDATE SET sequence = excluded.sequence",
            tracked[i : i + BATCH],
        )
        db.execute("COMMIT")
    for _, sql in indexes:
        db.execute(sql)
    seconds = time.perf_counter() - started
    db.close()
    return seconds


async def floor_async(history: History) -> tuple[int, float]:
    rows = records(history)
    path = os.path.join(tempfile.mkdtemp(prefix="zy-floor-"), "recognition.db")
    await _schema(path)
    return len(rows), await asyncio.to_thread(write, path, rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=220_000)
    args = parser.parse_args()
    for key, value in describe(None):
        print(f"{key + ':':<24}{value}")
    history = generate(args.events)
    n, seconds = asyncio.run(floor_async(history))
    print(f"raw sqlite3 floor: {n:,} HoursLogged records (2 rows each) in {seconds:.2f} s = {n / seconds:,.0f} records/s")


if __name__ == "__main__":
    main()
