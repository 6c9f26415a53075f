"""The hours ledger as recognition sees it: records, totals, the ledger of changes, and
star levels announced exactly once through recognition's own outbox.

The ledger folds a whole batch of events at a time inside the tracked consumer's
transaction: one lookup of the totals and records the batch touches, the changes
worked out in memory in stream order, then one write per table. The read-model change,
the announcements (event store + outbox) and the consumer's position commit together.
Event types without a batch rule (status changes, the organization's events) are
applied one by one, in order, after what is pending has been written.

During a rebuild (``announce=False``) nothing is announced: what was announced is already
in the event store, and ``reconcile`` announces only a level that truly differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import CloudEvent, parse_time
from zhiyuan_platform.aggregate import DomainEvent
from zhiyuan_platform.bulk import insert_many, select_in, update_many
from zhiyuan_platform.commands import Translator, UnitOfWork
from zhiyuan_platform.consumer import Handler
from zhiyuan_platform.eventstore import EventStore
from zhiyuan_platform.logging import causality, get_logger
from zhiyuan_platform.tables import events as stored_events

from ..adapters.tables import minute_ledger, service_records, volunteer_totals, volunteers
from ..domain.star_level import VolunteerStar
from ..domain.star_policy import StarPolicy

log = get_logger("zhiyuan.recognition")

REGISTERED = "zhiyuan.registry.VolunteerRegistered.v1"
MOVED = "zhiyuan.registry.VolunteerMoved.v1"
LOGGED = "zhiyuan.activities.HoursLogged.v1"
CORRECTED = "zhiyuan.activities.HoursCorrected.v1"
REVOKED = "zhiyuan.activities.HoursRevoked.v1"
HOURS = (LOGGED, CORRECTED, REVOKED)
CORRECTIONS = (CORRECTED, REVOKED)
CITY = "110000"


@dataclass(frozen=True)
class Announcement:
    """A level a volunteer reached in this batch, in the order the events reached it."""

    volunteer_id: str
    level: int
    total_minutes: int
    reason: str
    at: datetime
    event: CloudEvent
    # the minutes of this volunteer's records the batch had changed when the level was reached
    changed_records: dict[str, int]


@dataclass
class _Total:
    minutes: int
    level: int
    district: str | None  # None: a totals row exists already
    as_of: str | None = None
    last_served_at: datetime | None = None
    served: bool = False


@dataclass
class _Batch:
    """What one batch changes, in the order it must reach the tables."""

    volunteers: list[dict[str, Any]] = field(default_factory=list)
    moves: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    record_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # volunteers whose totals this batch changes
    registered: int = 0

    def __bool__(self) -> bool:
        return bool(self.volunteers or self.moves or self.records or self.record_changes or self.ledger)


class Ledger:
    """Volunteers, service records, totals and the minute ledger, folded a batch at a time."""

    def __init__(
        self,
        policy: StarPolicy,
        translate: Translator,
        *,
        announce: bool = True,
        others: Mapping[str, Handler] | None = None,
    ) -> None:
        self.policy = policy
        self.translate = translate
        self.announce = announce
        self.store = EventStore()
        self._folded: dict[str, Callable[[_State, _Batch, CloudEvent], None]] = {
            REGISTERED: self._registered,
            MOVED: self._moved,
            LOGGED: self._logged,
            CORRECTED: self._corrected,
            REVOKED: self._corrected,
        }
        self._one_by_one: dict[str, Handler] = {
            "zhiyuan.registry.VolunteerSuspended.v1": self._status("suspended"),
            "zhiyuan.registry.VolunteerReinstated.v1": self._status("active"),
            "zhiyuan.registry.VolunteerDeregistered.v1": self._status("deregistered"),
            "zhiyuan.registry.VolunteerProfileUpdated.v1": self._profile_updated,
            **(others or {}),
        }

    # -- the projection -----------------------------------------------------------------------

    def handles(self, event_type: str) -> bool:
        return event_type in self._folded or event_type in self._one_by_one

    async def apply(self, conn: AsyncConnection, events: Sequence[CloudEvent]) -> None:
        state = await _State.load(conn, self.policy, events)
        batch = _Batch()
        for event in events:
            fold = self._folded.get(event.type)
            if fold is not None:
                fold(state, batch, event)
                continue
            await self._write(conn, state, batch)
            batch = _Batch()
            with causality(correlation_id=event.correlationid, causation_id=event.id, event_id=event.id):
                await self._one_by_one[event.type](conn, event)
        await self._write(conn, state, batch)
        if self.announce:
            await self._announce(conn, state.announcements, state.changed_records)

    # -- rules, in memory --------------------------------------------------------------------

    def _registered(self, state: _State, batch: _Batch, event: CloudEvent) -> None:
        d = event.data
        volunteer_id, district = d["volunteer_id"], d["district"]
        batch.volunteers.append(
            {
                "volunteer_id": volunteer_id,
                "registration_no": d["registration_no"],
                "district": district,
                "street": d["street"],
                "community": d["community"],
                "status": "active",
                "unit_id": d.get("unit_id"),
                "name_masked": d.get("name_masked"),
                "registered_at": parse_time(d["registered_at"]),
            }
        )
        state.districts.setdefault(volunteer_id, district)
        if volunteer_id not in state.totals:
            state.totals[volunteer_id] = _Total(0, 0, district, as_of=event.time)
            batch.touched.add(volunteer_id)
        batch.registered += 1
        if self.announce:  # the live path: a line per volunteer, with the request's correlation id
            with causality(correlation_id=event.correlationid, causation_id=event.id, event_id=event.id):
                log.info("volunteer.projected", volunteer_id=volunteer_id, district=district)

    def _moved(self, state: _State, batch: _Batch, event: CloudEvent) -> None:
        d = event.data
        batch.moves.append(
            {
                "volunteer_id": d["volunteer_id"],
                "district": d["to_district"],
                "community": d["to_community"],
                "street": d.get("to_street"),
            }
        )
        state.districts[d["volunteer_id"]] = d["to_district"]

    def _logged(self, state: _State, batch: _Batch, event: CloudEvent) -> None:
        d = event.data
        if d.get("service_kind") == "training":
            return  # training never counts as service minutes
        record_id, volunteer_id, minutes = d["record_id"], d["volunteer_id"], int(d["minutes"])
        if record_id in state.records:
            return  # already projected (the row exists): as INSERT … DO NOTHING, no second change
        started = parse_time(d["started_at"])
        logged_at = parse_time(event.time)
        batch.records.append(
            {
                "record_id": record_id,
                "volunteer_id": volunteer_id,
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
                "logged_minutes": minutes,
                "logged_at": logged_at,
            }
        )
        self._change(state, batch, event, volunteer_id, record_id, minutes, minutes, served_at=started)

    def _corrected(self, state: _State, batch: _Batch, event: CloudEvent) -> None:
        d = event.data
        record_id = d["record_id"]
        if record_id not in state.records:
            raise LookupError(f"correction of unknown service record {record_id}")
        volunteer_id, before = state.records[record_id]
        revoked = event.type == REVOKED
        minutes = 0 if revoked else int(d["minutes"])
        batch.record_changes[record_id] = {
            "record_id": record_id,
            "minutes": minutes,
            "status": "revoked" if revoked else "active",
        }
        self._change(
            state, batch, event, volunteer_id, record_id, minutes, minutes - before, reason=d.get("reason", "")
        )

    def _change(
        self,
        state: _State,
        batch: _Batch,
        event: CloudEvent,
        volunteer_id: str,
        record_id: str,
        minutes: int,
        delta: int,
        *,
        served_at: datetime | None = None,
        reason: str = "",
    ) -> None:
        at = parse_time(event.time)
        state.records[record_id] = (volunteer_id, minutes)
        changed = state.changed_records.setdefault(volunteer_id, {})
        changed[record_id] = minutes
        if served_at is None:  # a correction: the record's row holds what was logged, and when
            batch.ledger.append({"volunteer_id": volunteer_id, "record_id": record_id, "delta": delta, "at": at})
        total = state.totals.get(volunteer_id)
        if total is None:  # hours for a volunteer whose registration this consumer has not seen (yet)
            total = state.totals[volunteer_id] = _Total(
                0, 0, state.districts.get(volunteer_id) or event.district or CITY
            )
        total.minutes += delta
        level = self.policy.level_for(total.minutes)
        if level != total.level:
            state.announcements.append(
                Announcement(volunteer_id, level, total.minutes, reason, at, event, dict(changed))
            )
        total.level = level
        total.as_of = event.time
        if served_at is not None:
            total.last_served_at = served_at
            total.served = True
        batch.touched.add(volunteer_id)

    # -- writes ---------------------------------------------------------------------------------

    async def _write(self, conn: AsyncConnection, state: _State, batch: _Batch) -> None:
        if not batch and not batch.touched:
            return
        await insert_many(conn, volunteers, batch.volunteers, ignore=True)
        for with_street in (True, False):
            await update_many(
                conn,
                volunteers,
                "volunteer_id",
                [
                    {k: m[k] for k in ("volunteer_id", "district", "community", *(("street",) if with_street else ()))}
                    for m in batch.moves
                    if bool(m["street"]) == with_street
                ],
            )
        await insert_many(conn, service_records, batch.records, ignore=True)
        await update_many(conn, service_records, "record_id", list(batch.record_changes.values()))
        await insert_many(conn, minute_ledger, batch.ledger)
        # Totals follow the person; district views count minutes where they were served.
        moved = {m["volunteer_id"]: m["district"] for m in batch.moves}
        fresh = [v for v in batch.touched if state.totals[v].district is not None]
        await insert_many(
            conn,
            volunteer_totals,
            [
                {
                    "volunteer_id": v,
                    "district": state.districts.get(v) or state.totals[v].district,
                    "total_minutes": state.totals[v].minutes,
                    "star_level": state.totals[v].level,
                    "last_served_at": state.totals[v].last_served_at,
                    "as_of": state.totals[v].as_of,
                }
                for v in fresh
            ],
            ignore=True,
        )
        for v in fresh:
            state.totals[v].district = None  # the row exists now
        known = [v for v in batch.touched if v not in fresh]
        for served in (True, False):
            await update_many(
                conn,
                volunteer_totals,
                "volunteer_id",
                [
                    {
                        "volunteer_id": v,
                        "total_minutes": state.totals[v].minutes,
                        "star_level": state.totals[v].level,
                        "as_of": state.totals[v].as_of,
                        **({"last_served_at": state.totals[v].last_served_at} if served else {}),
                    }
                    for v in known
                    if state.totals[v].served == served
                ],
            )
        await update_many(
            conn,
            volunteer_totals,
            "volunteer_id",
            [{"volunteer_id": v, "district": d} for v, d in moved.items() if v not in fresh],
        )
        batch.touched.clear()
        if batch.registered:
            log.debug("ledger.registrations_projected", count=batch.registered)

    # -- one by one ------------------------------------------------------------------------------

    def _status(self, status: str) -> Handler:
        async def handle(conn: AsyncConnection, event: CloudEvent) -> None:
            await conn.execute(
                update(volunteers)
                .where(volunteers.c.volunteer_id == event.data["volunteer_id"])
                .values(status=status)
            )

        return handle

    async def _profile_updated(self, conn: AsyncConnection, event: CloudEvent) -> None:
        d = event.data
        values: dict[str, Any] = {}
        if "unit_id" in d.get("changed", []):
            values["unit_id"] = d.get("unit_id")
        if "personal_data_erased" in d.get("changed", []):
            values["name_masked"] = None
        if values:
            await conn.execute(
                update(volunteers).where(volunteers.c.volunteer_id == d["volunteer_id"]).values(**values)
            )

    # -- announcements ---------------------------------------------------------------------------

    async def _announce(
        self, conn: AsyncConnection, reached: list[Announcement], changed_records: dict[str, dict[str, int]]
    ) -> None:
        """In the order the batch's events reached them (rare: only where a level changed)."""
        await self.announce_levels(
            conn,
            [
                LevelToAnnounce(
                    a.volunteer_id,
                    a.level,
                    a.total_minutes,
                    reason=a.reason,
                    at=a.at,
                    changed_since=set(changed_records.get(a.volunteer_id, {})),
                    minutes_then=a.changed_records,
                    cause=a.event,
                )
                for a in reached
            ],
        )

    async def announce_levels(self, conn: AsyncConnection, wanted: Sequence[LevelToAnnounce]) -> int:
        """Announce each level, in order, unless it is the volunteer's last one announced;
        returns how many were. Whatever their number, in a few statements: the volunteers'
        stars, records and districts read at once, the announcements appended at once (a
        threshold that a whole activity crosses together announces a hundred levels).

        An award names the records that earned it: those with minutes when it was reached —
        the tables' records, except those the batch changed since (``changed_since``),
        whose minutes at that moment are ``minutes_then``.
        """
        if not wanted:
            return 0
        uow = UnitOfWork(conn, self.store, self.translate, datetime.now(UTC))
        ids = list(dict.fromkeys(w.volunteer_id for w in wanted))
        stars = await uow.load_many(VolunteerStar, ids)
        # A volunteer's records in one row (a hundred hours can be hundreds of records, and
        # a row costs more to fetch than its text; an id never holds a comma).
        earning = {
            r.volunteer_id: set(r.records.split(","))
            for r in await select_in(
                conn,
                [
                    service_records.c.volunteer_id,
                    func.aggregate_strings(service_records.c.record_id, ",").label("records"),
                ],
                service_records.c.volunteer_id,
                ids,
                service_records.c.minutes > 0,
                group_by=[service_records.c.volunteer_id],
            )
        }
        districts = {
            r.volunteer_id: r.district
            for r in await select_in(
                conn, [volunteers.c.volunteer_id, volunteers.c.district], volunteers.c.volunteer_id, ids
            )
        }
        appends: list[tuple[str, int, Sequence[DomainEvent], Mapping[str, Any]]] = []
        announced: list[LevelToAnnounce] = []
        for w in wanted:
            star = stars.setdefault(w.volunteer_id, VolunteerStar(w.volunteer_id))
            records: list[str] = []
            if w.level > star.level:
                records = sorted(
                    {r for r in earning.get(w.volunteer_id, ()) if r not in w.changed_since}
                    | {r for r, m in w.minutes_then.items() if m > 0}
                )
            if not star.reach(
                level=w.level,
                total_minutes=w.total_minutes,
                policy_version=self.policy.version,
                records=records,
                reason=w.reason or "服务时长更正 / service minutes corrected",
                at=w.at.isoformat(),
            ):
                continue
            pending, star.pending = star.pending, []
            meta: dict[str, Any] = {"district": districts.get(w.volunteer_id) or CITY}
            if w.cause is not None:
                meta |= {"correlation_id": w.cause.correlationid, "causation_id": w.cause.id}
            appends.append((star.stream_id(star.id), star.version - len(pending), pending, meta))
            announced.append(w)
        await uow.append_many(appends)
        for w in announced:
            with causality(**_caused_by(w.cause)):
                log.info("star_level.announced", volunteer_id=w.volunteer_id, level=w.level, total_minutes=w.total_minutes)
        return len(announced)


@dataclass(frozen=True)
class LevelToAnnounce:
    volunteer_id: str
    level: int
    total_minutes: int
    reason: str
    at: datetime
    changed_since: set[str] = field(default_factory=set)
    minutes_then: dict[str, int] = field(default_factory=dict)
    cause: CloudEvent | None = None  # the event that moved the total (its correlation id carries on)


def _caused_by(event: CloudEvent | None) -> dict[str, Any]:
    if event is None:  # as the caller's context has it
        return {"correlation_id": None, "causation_id": None}
    return {"correlation_id": event.correlationid, "causation_id": event.id, "event_id": event.id}


@dataclass
class _State:
    """What the batch needs from the tables, read once, then kept current in memory."""

    totals: dict[str, _Total]
    records: dict[str, tuple[str, int]]
    districts: dict[str, str] = field(default_factory=dict)
    changed_records: dict[str, dict[str, int]] = field(default_factory=dict)  # volunteer -> record -> minutes
    announcements: list[Announcement] = field(default_factory=list)

    @classmethod
    async def load(cls, conn: AsyncConnection, policy: StarPolicy, events: Sequence[CloudEvent]) -> _State:
        volunteer_ids: set[str] = set()
        record_ids: set[str] = set()
        for e in events:
            if e.type in HOURS or e.type == REGISTERED:
                volunteer_ids.add(e.data["volunteer_id"])
            if e.type in HOURS:
                record_ids.add(e.data["record_id"])
        totals = {
            r.volunteer_id: _Total(int(r.total_minutes), int(r.star_level), None)
            for r in await select_in(
                conn,
                [volunteer_totals.c.volunteer_id, volunteer_totals.c.total_minutes, volunteer_totals.c.star_level],
                volunteer_totals.c.volunteer_id,
                volunteer_ids,
            )
        }
        records = {
            r.record_id: (r.volunteer_id, int(r.minutes))
            for r in await select_in(
                conn,
                [service_records.c.record_id, service_records.c.volunteer_id, service_records.c.minutes],
                service_records.c.record_id,
                record_ids,
            )
        }
        unknown = [v for v in volunteer_ids if v not in totals]
        districts = {
            r.volunteer_id: r.district
            for r in await select_in(
                conn, [volunteers.c.volunteer_id, volunteers.c.district], volunteers.c.volunteer_id, unknown
            )
        }
        return cls(totals, records, districts)


async def announced_levels(conn: AsyncConnection, volunteer_ids: Iterable[str] | None = None) -> dict[str, int]:
    """The last level announced for each volunteer (from recognition's event store)."""
    prefix = VolunteerStar.stream_id("")
    columns = [stored_events.c.stream_id, stored_events.c.version, stored_events.c.data]
    if volunteer_ids is None:
        rows = list(await conn.execute(select(*columns).where(stored_events.c.stream_id.startswith(prefix))))
    else:
        streams = [VolunteerStar.stream_id(v) for v in volunteer_ids]
        rows = await select_in(conn, columns, stored_events.c.stream_id, streams)
    latest: dict[str, tuple[int, int]] = {}
    for r in rows:
        volunteer_id = r.stream_id[len(prefix) :]
        if volunteer_id not in latest or r.version > latest[volunteer_id][0]:
            latest[volunteer_id] = (int(r.version), int(r.data["level"]))
    return {v: level for v, (_, level) in latest.items()}
