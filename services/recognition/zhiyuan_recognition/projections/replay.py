"""The ledger folded from empty, in memory, for a rebuild.

A rebuild starts from empty tables and nothing reads them until it ends, so it needs none
of the live fold's per-batch lookups and writes: the whole state (volunteers, totals,
which record belongs to whom) is kept in dictionaries, the rows that only grow
(service records, the ledger of their corrections) stream to a bulk sink on the other core as they are
made, and everything else is written once, final, at the end.

The rules are the live ledger's (``Ledger``): the same first-registration-wins, the same
totals that follow a move, the same duplicate and unknown-record handling, the same
re-published copies skipped by aggregate sequence and bad events dead-lettered with the
same reasons. Events that only the one-by-one handlers know (status changes, profile
updates, units, teams, stations, activities) touch rows no folded event touches later;
they are kept in order and applied afterwards by the live handlers themselves. The
property tests hold a rebuild equal to the live fold on generated histories.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.catalogue import parse_event
from zhiyuan_contracts.envelope import CloudEvent, decode
from zhiyuan_contracts.fast import decode_fast
from zhiyuan_platform.bulk import update_many
from zhiyuan_platform.bulkload import BulkSink
from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.tables import aggregate_sequences, dead_letters, tracking

from ..adapters.tables import minute_ledger, service_records, volunteer_totals, volunteers
from ..domain.star_policy import StarPolicy
from .ledger import CITY, CORRECTED, LOGGED, MOVED, REGISTERED, REVOKED, Ledger

log = get_logger("zhiyuan.consumer")

RECORD_COLUMNS = (
    "record_id", "volunteer_id", "activity_id", "team_id", "district", "community", "service_kind",
    "target_group", "place", "logged_by", "minutes", "started_at", "ended_at", "status", "logged_minutes",
    "logged_at",
)  # fmt: skip
LEDGER_COLUMNS = ("volunteer_id", "record_id", "delta", "at")
VOLUNTEER_COLUMNS = (
    "volunteer_id", "registration_no", "district", "street", "community", "status", "unit_id",
    "name_masked", "registered_at",
)  # fmt: skip
TOTAL_COLUMNS = ("volunteer_id", "district", "total_minutes", "star_level", "last_served_at", "as_of")
DEAD_LETTER_COLUMNS = (
    "consumer", "stream", "stream_sequence", "subject", "event_id", "event_type", "reason", "body", "recorded_at",
)  # fmt: skip
FLUSH_ROWS = 5000


@dataclass
class _Total:
    minutes: int
    district: str
    as_of: str | None = None
    last_served_at: datetime | None = None


@dataclass
class _Consumer:
    name: str
    stream: str
    seen: dict[str, int] = field(default_factory=dict)  # aggregate id -> last applied sequence
    position: int = 0
    event_id: str | None = None
    event_time: str | None = None
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    # in order, for the live handlers, with the aggregate's sequence before each
    deferred: list[tuple[Delivery, CloudEvent, int]] = field(default_factory=list)


class LedgerReplay:
    """Folds whole streams into the ledger's tables through ``sink``; see the module docstring."""

    def __init__(self, policy: StarPolicy, ledger: Ledger, sink: BulkSink, consumers: dict[str, str]) -> None:
        self.policy = policy
        self.ledger = ledger
        self.sink = sink
        self.consumers = {stream: _Consumer(name, stream) for stream, name in consumers.items()}
        self.now = datetime.now(UTC)
        self.volunteers: dict[str, list[Any]] = {}
        self.districts: dict[str, str] = {}
        self.totals: dict[str, _Total] = {}
        self.records: dict[str, tuple[str, int]] = {}  # record id -> (volunteer id, minutes)
        self.changed_records: dict[str, tuple[int, str]] = {}  # record id -> (minutes, status)
        self.record_rows: list[tuple[Any, ...]] = []
        self.ledger_rows: list[tuple[Any, ...]] = []
        self.dead_letters: list[tuple[Any, ...]] = []
        self._rules: dict[str, Callable[[Any, Any], None]] = {
            REGISTERED: self._registered,
            MOVED: self._moved,
            LOGGED: self._logged,
            CORRECTED: self._corrected,
            REVOKED: self._corrected,
        }

    # -- the fold -----------------------------------------------------------------------------

    async def apply(self, stream: str, batch: Sequence[Delivery]) -> None:
        consumer = self.consumers[stream]
        rules = self._rules
        seen = consumer.seen
        last: Any = None
        for delivery in batch:
            event: Any
            fast = decode_fast(delivery.data)
            if fast is not None:
                event, data = fast, fast.data
            else:
                decoded = self._decode(consumer, delivery)
                if decoded is None:
                    continue
                event, data = decoded
            subject, sequence = event.subject, event.sequence
            before = seen.get(subject, 0)
            if sequence <= before:
                consumer.skipped += 1  # a re-published copy of an event already applied
                continue
            seen[subject] = sequence
            last = event
            rule = rules.get(event.type)
            if rule is not None:
                try:
                    rule(event, data)
                except LookupError as exc:  # as the live fold: this event alone is dead-lettered
                    self._dead_letter(consumer, delivery, f"handler failed: {exc!r}", event)
                    if before:
                        seen[subject] = before
                    else:
                        del seen[subject]
                    continue
                consumer.applied += 1
            elif self.ledger.handles(event.type):
                # only the general path gets here: every type decode_fast knows has a rule
                consumer.deferred.append((delivery, event, before))
            else:
                consumer.skipped += 1
        if batch:
            consumer.position = batch[-1].seq
            consumer.event_id = last.id if last is not None else None
            consumer.event_time = last.time if last is not None else None
        if len(self.record_rows) >= FLUSH_ROWS or len(self.ledger_rows) >= FLUSH_ROWS:
            await self._flush()

    def _decode(self, consumer: _Consumer, delivery: Delivery) -> tuple[CloudEvent, Any] | None:
        """The full decode and validation, as the live consumer does it (dead letters included)."""
        try:
            event = decode(delivery.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._dead_letter(consumer, delivery, f"not a CloudEvent: {exc}", None)
            return None
        try:
            model = parse_event(event)
        except Exception as exc:
            self._dead_letter(consumer, delivery, f"invalid event: {exc}", event)
            return None
        return event, model

    def _dead_letter(self, consumer: _Consumer, delivery: Delivery, reason: str, event: Any) -> None:
        consumer.dead_lettered += 1
        event_type = event.type if event is not None else None
        event_id = event.id if event is not None else None
        self.dead_letters.append(
            (consumer.name, consumer.stream, delivery.seq, delivery.subject, event_id, event_type,
             reason[:2000], delivery.data, self.now)
        )  # fmt: skip
        log.error(
            "consumer.dead_letter",
            consumer=consumer.name,
            stream=consumer.stream,
            stream_sequence=delivery.seq,
            subject=delivery.subject,
            event_type=event_type,
            event_id=event_id,
            reason=reason[:500],
        )

    # -- the rules (Ledger's, on the whole state) -----------------------------------------------

    def _registered(self, event: Any, d: Any) -> None:
        volunteer_id, district = d.volunteer_id, d.district
        if volunteer_id not in self.volunteers:  # the first registration wins
            self.volunteers[volunteer_id] = [
                volunteer_id, d.registration_no, district, d.street, d.community, "active", d.unit_id,
                d.name_masked, d.registered_at,
            ]  # fmt: skip
        self.districts.setdefault(volunteer_id, district)
        if volunteer_id not in self.totals:
            self.totals[volunteer_id] = _Total(0, self.districts[volunteer_id], as_of=event.time)

    def _moved(self, event: Any, d: Any) -> None:
        volunteer_id, district = d.volunteer_id, d.to_district
        row = self.volunteers.get(volunteer_id)
        if row is not None:
            row[2], row[4] = district, d.to_community
            if d.to_street:
                row[3] = d.to_street
        self.districts[volunteer_id] = district
        total = self.totals.get(volunteer_id)
        if total is not None:  # totals follow the person; district views count where served
            total.district = district

    def _logged(self, event: Any, d: Any) -> None:
        if d.service_kind == "training":
            return  # training never counts as service minutes
        record_id = d.record_id
        if record_id in self.records:
            return  # already projected: no second change
        volunteer_id, minutes = d.volunteer_id, d.minutes
        self.record_rows.append(
            (record_id, volunteer_id, d.activity_id, d.team_id, d.district, d.community, d.service_kind,
             d.target_group, d.place, d.logged_by, minutes, d.started_at, d.ended_at, "active", minutes,
             event.time)
        )  # fmt: skip
        self._change(event, volunteer_id, record_id, minutes, minutes, served_at=d.started_at)

    def _corrected(self, event: Any, d: Any) -> None:
        record_id = d.record_id
        known = self.records.get(record_id)
        if known is None:
            raise LookupError(f"correction of unknown service record {record_id}")
        volunteer_id, before = known
        revoked = event.type == REVOKED
        minutes = 0 if revoked else d.minutes
        self.changed_records[record_id] = (minutes, "revoked" if revoked else "active")
        self._change(event, volunteer_id, record_id, minutes, minutes - before)

    def _change(
        self,
        event: Any,
        volunteer_id: str,
        record_id: str,
        minutes: int,
        delta: int,
        *,
        served_at: datetime | None = None,
    ) -> None:
        self.records[record_id] = (volunteer_id, minutes)
        if served_at is None:  # a correction (the record's row holds what was logged, and when)
            self.ledger_rows.append((volunteer_id, record_id, delta, event.time))
        total = self.totals.get(volunteer_id)
        if total is None:  # hours for a volunteer whose registration this fold has not seen
            total = self.totals[volunteer_id] = _Total(0, self.districts.get(volunteer_id) or event.district or CITY)
        total.minutes += delta
        total.as_of = event.time
        if served_at is not None:
            total.last_served_at = served_at

    # -- writes ---------------------------------------------------------------------------------

    async def _flush(self) -> None:
        rows, self.record_rows = self.record_rows, []
        await self.sink.put(service_records, RECORD_COLUMNS, rows)
        rows, self.ledger_rows = self.ledger_rows, []
        await self.sink.put(minute_ledger, LEDGER_COLUMNS, rows)

    async def finish_load(self) -> None:
        """Everything the sink still has to write: the streamed rows' rest and the final state."""
        await self._flush()
        await self.sink.put(volunteers, VOLUNTEER_COLUMNS, [tuple(row) for row in self.volunteers.values()])
        level_for = self.policy.level_for
        await self.sink.put(
            volunteer_totals,
            TOTAL_COLUMNS,
            [
                (v, t.district, t.minutes, level_for(t.minutes), t.last_served_at, t.as_of)
                for v, t in self.totals.items()
            ],
        )
        for c in self.consumers.values():
            await self.sink.put(
                aggregate_sequences,
                ("consumer", "aggregate_id", "sequence"),
                [(c.name, a, s) for a, s in sorted(c.seen.items())],
            )
            if c.position:
                await self.sink.put(
                    tracking,
                    ("consumer", "stream", "position", "event_id", "event_time", "updated_at"),
                    [(c.name, c.stream, c.position, c.event_id, c.event_time, self.now)],
                )
        await self.sink.put(dead_letters, DEAD_LETTER_COLUMNS, self.dead_letters)

    async def finish_in(self, conn: AsyncConnection) -> None:
        """After the load: corrected records, then the events the live handlers apply, in order."""
        await update_many(
            conn,
            service_records,
            "record_id",
            [{"record_id": r, "minutes": m, "status": s} for r, (m, s) in self.changed_records.items()],
        )
        for consumer in self.consumers.values():
            await self._apply_deferred(conn, consumer)

    async def _apply_deferred(self, conn: AsyncConnection, consumer: _Consumer) -> None:
        if not consumer.deferred:
            return
        try:
            async with conn.begin_nested():
                await self.ledger.apply(conn, [event for _, event, _ in consumer.deferred])
            consumer.applied += len(consumer.deferred)
            return
        except Exception as exc:
            log.warning("consumer.batch_isolating_failure", consumer=consumer.name, error=repr(exc))
        for delivery, event, before in consumer.deferred:
            try:
                async with conn.begin_nested():
                    await self.ledger.apply(conn, [event])
                consumer.applied += 1
            except Exception as exc:
                reason = f"handler failed: {exc!r}"
                self._dead_letter(consumer, delivery, reason, event)
                row = dict(zip(DEAD_LETTER_COLUMNS, self.dead_letters.pop(), strict=True))
                await conn.execute(dead_letters.insert().values(**row))
                if consumer.seen.get(event.subject) != event.sequence:
                    continue  # a later event of the aggregate was applied: its sequence stands
                # as the live fold: a dead-lettered event's sequence is not taken as applied
                await conn.execute(
                    delete(aggregate_sequences).where(
                        aggregate_sequences.c.consumer == consumer.name,
                        aggregate_sequences.c.aggregate_id == event.subject,
                    )
                )
                if before:
                    await conn.execute(
                        aggregate_sequences.insert().values(
                            consumer=consumer.name, aggregate_id=event.subject, sequence=before
                        )
                    )
