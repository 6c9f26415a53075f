"""A PROTOTYPE, for measurement only: recognition's fold done per batch instead of per event.

Not used by the services. It shows what the changes recommended in bench/README.md buy,
on the same history, database and JetStream server as the real ``rebuild``:

1. ``BatchFold``: the tracked consumer's transaction per batch, but with one
   ``SELECT … IN`` for the aggregate sequences of the whole batch (instead of one per new
   subject), one for the totals of the volunteers the batch touches and one for the
   records it corrects (instead of a SELECT per event), and every write as one
   ``executemany`` per table (instead of 3–4 statements per event). Same tables, same
   rows, same tracking; event types it has no batch rule for fall back to the original
   handler, in order, after flushing what is pending.
2. ``fast_batches``: the stream read by an ephemeral push consumer (AckNone, flow
   control) with a message callback, instead of ``await sub.next_msg()`` per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import String, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent, decode, parse_time
from zhiyuan_platform import tracking
from zhiyuan_platform.consumer import Delivery, Handler
from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.tables import aggregate_sequences
from zhiyuan_recognition.adapters.tables import minute_ledger, service_records, volunteer_totals, volunteers
from zhiyuan_recognition.domain.star_policy import StarPolicy

log = get_logger("zhiyuan.recognition")

REGISTERED = "zhiyuan.registry.VolunteerRegistered.v1"
MOVED = "zhiyuan.registry.VolunteerMoved.v1"
LOGGED = "zhiyuan.activities.HoursLogged.v1"
CORRECTED = "zhiyuan.activities.HoursCorrected.v1"
REVOKED = "zhiyuan.activities.HoursRevoked.v1"
FAST = {REGISTERED, MOVED, LOGGED, CORRECTED, REVOKED}
IN_CHUNK = 900


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _pg_type(column: Any) -> str:
    name = type(column.type).__name__
    if name in ("String", "Text"):
        return "text"
    if name in ("Integer", "BigInteger"):
        return "bigint"
    if name == "Boolean":
        return "boolean"
    if name == "UtcDateTime":
        return "timestamptz"
    raise TypeError(f"no array type for {column}")


async def bulk_insert(
    conn: AsyncConnection,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    ignore: bool = False,
    upsert: tuple[list[str], list[str]] | None = None,
) -> None:
    """Many rows in one go: ``executemany`` on SQLite, ``INSERT … SELECT FROM unnest()`` on PostgreSQL."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        stmt = _insert(conn, table)
        if ignore:
            stmt = stmt.on_conflict_do_nothing()
        elif upsert is not None:
            keys, updated = upsert
            stmt = stmt.on_conflict_do_update(
                index_elements=keys, set_={c: stmt.excluded[c] for c in updated}
            )
        await conn.execute(stmt, rows)
        return
    names = list(rows[0])
    casts = ", ".join(f"CAST(:{n} AS {_pg_type(table.c[n])}[])" for n in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({casts})"
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    elif upsert is not None:
        keys, updated = upsert
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(
            f"{c} = excluded.{c}" for c in updated
        )
    await conn.execute(text(sql), {n: [r[n] for r in rows] for n in names})


async def bulk_update(conn: AsyncConnection, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
    """``UPDATE … WHERE key = …`` for many rows; each row holds the key and the new values."""
    if not rows:
        return
    names = [n for n in rows[0] if n != key]
    if conn.dialect.name != "postgresql":
        stmt = update(table).where(table.c[key] == bindparam("_key")).values({n: bindparam(n) for n in names})
        await conn.execute(stmt, [{"_key": r[key], **{n: r[n] for n in names}} for r in rows])
        return
    cols = [key, *names]
    casts = ", ".join(f"CAST(:{n} AS {_pg_type(table.c[n])}[])" for n in cols)
    sql = (
        f"UPDATE {table.name} SET "
        + ", ".join(f"{n} = u.{n}" for n in names)
        + f" FROM unnest({casts}) AS u({', '.join(cols)}) WHERE {table.name}.{key} = u.{key}"
    )
    await conn.execute(text(sql), {n: [r[n] for r in rows] for n in cols})


async def _select_in(
    conn: AsyncConnection, columns: list[Any], key: Any, keys: list[str], *where: Any
) -> list[Any]:
    if conn.dialect.name == "postgresql":
        # One array parameter: one prepared statement, whatever the number of keys (an
        # IN list of N parameters is a new statement, prepared again, for every N).
        # Joined to unnest(), not "= ANY(array)": a table that grew from empty during the
        # replay has no statistics yet, and a sequential scan testing ANY() of 1,000 keys
        # per row is quadratic; a hash join is not.
        keys_param = bindparam("keys", value=keys, type_=postgresql.ARRAY(String))
        wanted = func.unnest(keys_param).table_valued("k").render_derived(name="wanted")
        query = select(*columns).join_from(key.table, wanted, key == wanted.c.k).where(*where)
        return list(await conn.execute(query))
    rows: list[Any] = []
    for start in range(0, len(keys), IN_CHUNK):
        part = keys[start : start + IN_CHUNK]
        rows.extend(await conn.execute(select(*columns).where(key.in_(part), *where)))
    return rows


class _Pending:
    """Writes of one batch, in the order they must reach the tables."""

    def __init__(self) -> None:
        self.volunteers: list[dict[str, Any]] = []
        self.fresh_totals: list[dict[str, Any]] = []
        self.moves: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        self.record_updates: list[dict[str, Any]] = []
        self.ledger: list[dict[str, Any]] = []
        self.totals: dict[str, dict[str, Any]] = {}  # volunteer -> the row's new values
        self.new_totals: set[str] = set()  # volunteers with no totals row before this batch


class BatchFold:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        name: str,
        stream: str,
        policy: StarPolicy,
        fallback: Mapping[str, Handler],
        validate: bool = True,
        log_registrations: bool = True,
    ) -> None:
        self.engine = engine
        self.name = name
        self.stream = stream
        self.policy = policy
        self.fallback = fallback
        self.validate = validate
        self.log_registrations = log_registrations
        self.applied = 0
        self.dead_lettered = 0

    async def apply(self, deliveries: list[Delivery]) -> None:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            position = await tracking.get_position(conn, self.name, self.stream)
            fresh = [d for d in deliveries if d.seq > position]
            if not fresh:
                return
            decoded: list[CloudEvent] = []
            for d in fresh:
                try:
                    event = decode(d.data)
                    if self.validate:
                        parse_event(event)
                except Exception as exc:  # as the real consumer: dead-letter, count, go on
                    await tracking.record_dead_letter(
                        conn,
                        consumer=self.name,
                        stream=self.stream,
                        stream_sequence=d.seq,
                        subject=d.subject,
                        event_id=None,
                        event_type=None,
                        reason=f"invalid: {exc}"[:2000],
                        body=d.data,
                        now=now,
                    )
                    self.dead_lettered += 1
                    continue
                decoded.append(event)
            subjects = list({e.subject for e in decoded})
            seen = {
                r.aggregate_id: int(r.sequence)
                for r in await _select_in(
                    conn,
                    [aggregate_sequences.c.aggregate_id, aggregate_sequences.c.sequence],
                    aggregate_sequences.c.aggregate_id,
                    subjects,
                    aggregate_sequences.c.consumer == self.name,
                )
            }
            changed: dict[str, int] = {}
            applied: list[CloudEvent] = []
            for e in decoded:
                if e.sequence <= changed.get(e.subject, seen.get(e.subject, 0)):
                    continue
                changed[e.subject] = e.sequence
                applied.append(e)
            await self._fold(conn, applied)
            if changed:
                # one cached statement for many rows, not a multi-row VALUES compiled per batch
                await bulk_insert(
                    conn,
                    aggregate_sequences,
                    [{"consumer": self.name, "aggregate_id": a, "sequence": s} for a, s in changed.items()],
                    upsert=(["consumer", "aggregate_id"], ["sequence"]),
                )
            last = applied[-1] if applied else None
            await tracking.set_position(
                conn,
                self.name,
                self.stream,
                fresh[-1].seq,
                event_id=last.id if last else None,
                event_time=last.time if last else None,
                now=now,
            )
            self.applied += len(applied)

    async def _fold(self, conn: AsyncConnection, events: list[CloudEvent]) -> None:
        vids = list({e.data["volunteer_id"] for e in events if e.type in (LOGGED, CORRECTED, REVOKED)})
        totals: dict[str, int] = {}
        if vids:
            for r in await _select_in(
                conn,
                [volunteer_totals.c.volunteer_id, volunteer_totals.c.total_minutes],
                volunteer_totals.c.volunteer_id,
                vids,
            ):
                totals[r.volunteer_id] = int(r.total_minutes)
        corrected = list({e.data["record_id"] for e in events if e.type in (CORRECTED, REVOKED)})
        records: dict[str, tuple[str, int]] = {}
        if corrected:
            for r in await _select_in(
                conn,
                [service_records.c.record_id, service_records.c.volunteer_id, service_records.c.minutes],
                service_records.c.record_id,
                corrected,
            ):
                records[r.record_id] = (r.volunteer_id, int(r.minutes))
        p = _Pending()
        for e in events:
            d = e.data
            t = e.type
            if t == LOGGED:
                if d.get("service_kind") == "training":
                    continue
                minutes = int(d["minutes"])
                started = parse_time(d["started_at"])
                p.records.append(
                    {
                        "record_id": d["record_id"],
                        "volunteer_id": d["volunteer_id"],
                        "activity_id": d["activity_id"],
                        "team_id": d.get("team_id"),
                        "district": d["district"],
                        "community": d.get("community"),
                        "service_kind": d.get("service_kind"),
                        "target_group": d.get("target_group"),
                        "place": d.get("place"),
                        "logged_by": d.get("logged_by"),
                        "minutes": minutes,
                        "started_at": started,
                        "ended_at": parse_time(d["ended_at"]),
                        "status": "active",
                    }
                )
                records[d["record_id"]] = (d["volunteer_id"], minutes)
                self._change(p, totals, e, d["volunteer_id"], d["record_id"], minutes, served_at=started)
            elif t in (CORRECTED, REVOKED):
                rid = d["record_id"]
                if rid not in records:
                    raise LookupError(f"correction of unknown service record {rid}")
                vid, old = records[rid]
                minutes = int(d["minutes"]) if t == CORRECTED else 0
                p.record_updates.append(
                    {"rid": rid, "minutes": minutes, "status": "active" if t == CORRECTED else "revoked"}
                )
                records[rid] = (vid, minutes)
                self._change(p, totals, e, vid, rid, minutes - old)
            elif t == REGISTERED:
                p.volunteers.append(
                    {
                        "volunteer_id": d["volunteer_id"],
                        "registration_no": d["registration_no"],
                        "district": d["district"],
                        "street": d["street"],
                        "community": d["community"],
                        "status": "active",
                        "unit_id": d.get("unit_id"),
                        "name_masked": d.get("name_masked"),
                        "registered_at": parse_time(d["registered_at"]),
                    }
                )
                p.fresh_totals.append(
                    {
                        "volunteer_id": d["volunteer_id"],
                        "district": d["district"],
                        "total_minutes": 0,
                        "star_level": 0,
                        "as_of": e.time,
                    }
                )
                if self.log_registrations:
                    log.info("volunteer.projected", volunteer_id=d["volunteer_id"], district=d["district"])
            elif t == MOVED:
                p.moves.append(
                    {
                        "vid": d["volunteer_id"],
                        "district": d["to_district"],
                        "community": d["to_community"],
                        "street": d.get("to_street"),
                    }
                )
            else:  # no batch rule: flush, then the original handler in order
                await self._flush(conn, p)
                p = _Pending()
                handler = self.fallback.get(t)
                if handler is not None:
                    await handler(conn, e)
        await self._flush(conn, p)

    def _change(
        self,
        p: _Pending,
        totals: dict[str, int],
        e: CloudEvent,
        vid: str,
        rid: str,
        delta: int,
        *,
        served_at: datetime | None = None,
    ) -> None:
        p.ledger.append({"volunteer_id": vid, "record_id": rid, "delta": delta, "at": parse_time(e.time)})
        if vid not in totals:
            p.new_totals.add(vid)
        new = totals.get(vid, 0) + delta
        totals[vid] = new
        row = p.totals.setdefault(vid, {"vid": vid, "last_served_at": None})
        row["total_minutes"] = new
        row["star_level"] = self.policy.level_for(new)
        row["as_of"] = e.time
        if served_at is not None:
            row["last_served_at"] = served_at

    async def _flush(self, conn: AsyncConnection, p: _Pending) -> None:
        await bulk_insert(conn, volunteers, p.volunteers, ignore=True)
        await bulk_insert(conn, volunteer_totals, p.fresh_totals, ignore=True)
        for with_street in (True, False):
            await bulk_update(
                conn,
                volunteers,
                "volunteer_id",
                [
                    {
                        "volunteer_id": m["vid"],
                        "district": m["district"],
                        "community": m["community"],
                        **({"street": m["street"]} if with_street else {}),
                    }
                    for m in p.moves
                    if bool(m["street"]) == with_street
                ],
            )
        await bulk_update(
            conn,
            volunteer_totals,
            "volunteer_id",
            [{"volunteer_id": m["vid"], "district": m["district"]} for m in p.moves],
        )
        await bulk_insert(conn, service_records, p.records, ignore=True)
        await bulk_update(
            conn,
            service_records,
            "record_id",
            [
                {"record_id": u["rid"], "minutes": u["minutes"], "status": u["status"]}
                for u in p.record_updates
            ],
        )
        await bulk_insert(conn, minute_ledger, p.ledger)
        if not p.totals:
            return
        missing = [v for v in p.new_totals if v in p.totals]
        if missing:  # hours before the registration was seen: the district from volunteers
            known = {
                r.volunteer_id: r.district
                for r in await _select_in(
                    conn,
                    [volunteers.c.volunteer_id, volunteers.c.district],
                    volunteers.c.volunteer_id,
                    missing,
                )
            }
            await bulk_insert(
                conn,
                volunteer_totals,
                [
                    {
                        "volunteer_id": v,
                        "district": known.get(v, "110000"),
                        "total_minutes": 0,
                        "star_level": 0,
                    }
                    for v in missing
                ],
                ignore=True,
            )
        for served in (True, False):
            await bulk_update(
                conn,
                volunteer_totals,
                "volunteer_id",
                [
                    {
                        "volunteer_id": r["vid"],
                        "total_minutes": r["total_minutes"],
                        "star_level": r["star_level"],
                        "as_of": r["as_of"],
                        **({"last_served_at": r["last_served_at"]} if served else {}),
                    }
                    for r in p.totals.values()
                    if (r["last_served_at"] is not None) == served
                ],
            )


async def fast_batches(
    nc: NATS, stream: str, *, batch_size: int = 1000, idle: float = 2.0
) -> AsyncIterator[list[Delivery]]:
    """The whole stream in order, by an ephemeral push consumer and a message callback."""
    js = nc.jetstream()
    info = await js.stream_info(stream)
    last = info.state.last_seq
    if info.state.messages == 0:
        return
    queue: asyncio.Queue[list[Delivery] | None] = asyncio.Queue(maxsize=64)
    batch: list[Delivery] = []
    inbox = nc.new_inbox()

    async def on_message(msg: Any) -> None:
        nonlocal batch
        reply = msg.reply or ""
        if reply.startswith("$JS.ACK."):
            # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
            tokens = reply.split(".")
            seq = int(tokens[-4] if len(tokens) == 9 else tokens[5])
            batch.append(Delivery(seq, msg.subject, msg.data))
            if len(batch) >= batch_size or seq >= last:
                await queue.put(batch)
                batch = []
            if seq >= last:
                await queue.put(None)
        elif reply:  # flow control: answer, or the server stops sending
            await nc.publish(reply, b"")

    sub = await nc.subscribe(inbox, cb=on_message, pending_msgs_limit=-1, pending_bytes_limit=-1)
    consumer = await js.add_consumer(
        stream,
        ConsumerConfig(
            deliver_subject=inbox,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            flow_control=True,
            idle_heartbeat=5.0,
            mem_storage=True,
            num_replicas=1,
        ),
    )
    try:
        while True:
            item = await asyncio.wait_for(queue.get(), timeout=idle + 10)
            if item is None:
                break
            yield item
    finally:
        await sub.unsubscribe()
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, consumer.name)


async def replay(
    engine: AsyncEngine,
    policy: StarPolicy,
    sources: dict[str, AsyncIterator[list[Delivery]]],
    *,
    fallback: Callable[[str], Mapping[str, Handler]],
    validate: bool = True,
    log_registrations: bool = True,
) -> tuple[int, int, float]:
    """Reset, then every source through a ``BatchFold``; (applied, dead letters, seconds)."""
    from zhiyuan_recognition.rebuild import CONSUMERS, reset

    started = time.perf_counter()
    await reset(engine)
    applied = dead = 0
    for stream, batches in sources.items():
        fold = BatchFold(
            engine,
            name=CONSUMERS[stream],
            stream=stream,
            policy=policy,
            fallback=fallback(stream),
            validate=validate,
            log_registrations=log_registrations,
        )
        async for batch in batches:
            await fold.apply(batch)
        applied += fold.applied
        dead += fold.dead_lettered
    return applied, dead, time.perf_counter() - started
