"""The hours ledger: confirming minutes from attendance, corrections, disputes.

Invariants, all checked before anything is stored (one refused record refuses the batch):
minutes only for volunteers who attended, and no more than the attended time rounded
under the policy; no overlap of one volunteer's records across activities; no service in
the future; at most 24 hours credited to a volunteer on one (Shanghai) day; integer
minutes. Training sessions produce training records, never service minutes.

A batch costs a handful of statements whatever its size: the volunteers' records are
read in one query, and the new records' events, outbox rows and read-model rows are
written with one statement per table.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Forbidden, NotFound, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.tables import record_view
from ..domain.activity import Activity, Attendance
from ..domain.rules import (
    CONFIRMATION_WORKING_DAYS,
    MAX_MINUTES_PER_DAY,
    ROUNDING_POLICIES,
    SHANGHAI,
    RoundingPolicy,
    RuleBroken,
    local_day,
    minutes_between,
    minutes_per_local_day,
    working_days_after,
)
from ..domain.service_record import HoursLogged, ServiceRecord, TrainingRecorded
from . import commands as c
from .activities import by_activity
from .context import actor_of, ensure_manager, load_activity, problem, require


@dataclass
class ServedTime:
    """A volunteer's service around a batch: its intervals, and the minutes credited per
    Shanghai day (the batch's own records added as they pass their checks)."""

    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    credited: dict[date, int] = field(default_factory=dict)

    def add(self, start: datetime, end: datetime, minutes: int) -> None:
        self.intervals.append((start, end))
        for day, share in _shares(start, end, minutes):
            self.credited[day] = self.credited.get(day, 0) + share

# Volunteers per SELECT … IN: SQLite builds before 3.32 take at most 999 parameters.
IN_CHUNK = 900


def _at(index: int, error: RuleBroken) -> RuleBroken:
    """The same refusal, naming the record of the batch it concerns."""
    field = f"records[{index}].{error.field}" if error.field else f"records[{index}]"
    return RuleBroken(
        error.rule,
        f"第{index + 1}条：{error.zh}",
        f"Record {index + 1}: {error.en}",
        field=field,
        status=error.status,
    )


class HoursHandlers:
    def __init__(
        self,
        policy: RoundingPolicy,
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
    ) -> None:
        self.policy = policy
        self.holidays = holidays
        self.workdays = workdays

    async def confirm(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.ConfirmHours, request.payload)
        await uow.lock(f"activity:{cmd.activity_id}")
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        if activity.status not in ("published", "completed"):
            raise problem(
                RuleBroken(
                    f"activity-{activity.status}",
                    "该活动不能确认时长。",
                    f"Hours cannot be confirmed for a {activity.status} activity.",
                    status=409,
                )
            )
        policy = ROUNDING_POLICIES[cmd.policy] if cmd.policy else self.policy
        volunteers = sorted({r.volunteer_id for r in cmd.records})
        await uow.lock_all(f"volunteer:{volunteer_id}" for volunteer_id in volunteers)
        late = local_day(uow.now) > working_days_after(
            local_day(activity.ends_at), CONFIRMATION_WORKING_DAYS, self.holidays, self.workdays
        )
        # Every record is checked before anything is stored, in the batch's order, against
        # the volunteers' records that could matter — those touching the Shanghai days the
        # batch's records fall on (an overlap or the 24-hour day needs nothing else) — read
        # once for the whole batch, and the batch's own earlier records.
        attended_or_refused: list[tuple[datetime, datetime, int] | RuleBroken] = []
        sessions_of = activity.attended_by_volunteer()
        for item in cmd.records:
            try:
                attended_or_refused.append(self._attended(sessions_of.get(item.volunteer_id, []), item))
            except RuleBroken as error:
                attended_or_refused.append(error)
        spans = [a for a in attended_or_refused if not isinstance(a, RuleBroken)]
        existing = (
            await self._service_records(
                uow, volunteers, day_start(min(a[0] for a in spans)), day_start(max(a[1] for a in spans), after=True)
            )
            if spans
            else {}
        )
        records: list[tuple[ServiceRecord, dict[str, Any]]] = []
        answers = []
        title = activity.details.get("title", "")
        for index, (item, attendance) in enumerate(zip(cmd.records, attended_or_refused, strict=True)):
            try:
                if isinstance(attendance, RuleBroken):
                    raise attendance
                start, end, attended = attendance
                minutes = policy.round(attended) if item.minutes is None else item.minutes
                if minutes == 0:
                    raise RuleBroken(
                        "no-minutes",
                        "确认时长为0，无需登记。",
                        "Zero minutes: nothing to record.",
                        field="minutes",
                    )
                theirs = existing.setdefault(item.volunteer_id, ServedTime())
                self._check(uow.now, start, end, minutes, theirs)
                if minutes > policy.round(attended):
                    raise RuleBroken(
                        "minutes-beyond-attendance",
                        f"确认 {minutes} 分钟超过按规则（{policy.version}）计得的出勤 {policy.round(attended)} 分钟。",
                        f"{minutes} minutes exceed the {policy.round(attended)} attended under {policy.version}.",
                        field="minutes",
                    )
            except RuleBroken as error:
                raise problem(_at(index, error)) from None
            theirs.add(start, end, minutes)
            record = self._record(
                activity,
                item.volunteer_id,
                start,
                end,
                minutes,
                attended,
                policy,
                late,
                actor_of(who),
                uow.now,
            )
            meta = {
                "district": activity.district,
                "volunteer_id": item.volunteer_id,
                "activity_id": activity.id,
                "title": title,
            }
            records.append((record, meta))
            answers.append(
                {"volunteer_id": item.volunteer_id, "record_id": record.id, "minutes": minutes, "late": late}
            )
        await uow.save_all(records)
        return {
            "activity_id": activity.id,
            "policy_version": policy.version,
            "late": late,
            "records": answers,
        }

    def _attended(self, sessions: list[Attendance], item: c.RecordIn) -> tuple[datetime, datetime, int]:
        if not sessions:
            raise RuleBroken(
                "did-not-attend",
                "该志愿者没有出勤记录。",
                "This volunteer did not attend (no check-in).",
                field="volunteer_id",
            )
        if any(s.checked_out is None for s in sessions):
            raise RuleBroken(
                "still-checked-in",
                "该志愿者尚未签退。",
                "This volunteer has not checked out yet.",
                field="volunteer_id",
                status=409,
            )
        start = item.started_at or min(s.checked_in for s in sessions)
        end = item.ended_at or max(s.checked_out for s in sessions if s.checked_out)
        if end <= start:
            raise RuleBroken(
                "ends-before-start",
                "结束须晚于开始。",
                "ended_at must be after started_at.",
                field="ended_at",
            )
        attended = sum(
            max(0, minutes_between(max(s.checked_in, start), min(s.checked_out, end)))
            for s in sessions
            if s.checked_out is not None
        )
        if attended == 0:
            raise RuleBroken(
                "outside-attendance",
                "该时间段内没有出勤。",
                "The volunteer did not attend in this interval.",
                field="started_at",
            )
        return start, end, attended

    async def _service_records(
        self, uow: UnitOfWork, volunteers: list[str], since: datetime, until: datetime
    ) -> dict[str, ServedTime]:
        """The active service records of each of ``volunteers`` that touch [since, until)."""
        if uow.conn.dialect.name == "sqlite":
            return await self._service_records_sqlite(uow, volunteers, since, until)
        found: dict[str, ServedTime] = {}
        for first in range(0, len(volunteers), IN_CHUNK):
            rows = await uow.conn.execute(
                select(
                    record_view.c.volunteer_id,
                    record_view.c.started_at,
                    record_view.c.ended_at,
                    record_view.c.minutes,
                ).where(
                    record_view.c.volunteer_id.in_(volunteers[first : first + IN_CHUNK]),
                    record_view.c.status == "active",
                    record_view.c.kind == "service",
                    record_view.c.started_at < until,
                    record_view.c.ended_at > since,
                )
            )
            for r in rows:
                found.setdefault(r.volunteer_id, ServedTime()).add(r.started_at, r.ended_at, int(r.minutes))
        return found

    async def _service_records_sqlite(
        self, uow: UnitOfWork, volunteers: list[str], since: datetime, until: datetime
    ) -> dict[str, ServedTime]:
        """``_service_records`` on SQLite: the same query, its rows as the driver gives them.

        A batch late on a busy day reads thousands of rows; SQLAlchemy's per-row processing
        of the two times was most of the command. Here each distinct time text is turned into
        a datetime once, by the column type's own result processor (a batch's records share
        their few windows), and each distinct record shape is shared out once (``_shares``).
        """
        dialect = uow.conn.dialect
        column = record_view.c.started_at.type.dialect_impl(dialect)
        to_text = column.bind_processor(dialect)
        processor = column.result_processor(dialect, None)
        assert to_text is not None and processor is not None

        def to_time(text: str) -> datetime:
            value = processor(text)
            assert isinstance(value, datetime)
            return value

        # (start text, end text, minutes) → the interval and its shares of each day.
        shapes: dict[tuple[str, str, int], tuple[tuple[datetime, datetime], tuple[tuple[date, int], ...]]] = {}
        found: dict[str, ServedTime] = {}
        for first in range(0, len(volunteers), IN_CHUNK):
            chunk = volunteers[first : first + IN_CHUNK]
            sql = (
                "SELECT volunteer_id, started_at, ended_at, minutes FROM record_view"
                f" WHERE volunteer_id IN ({', '.join('?' * len(chunk))})"
                " AND status = 'active' AND kind = 'service' AND started_at < ? AND ended_at > ?"
            )
            result = await uow.conn.exec_driver_sql(sql, (*chunk, to_text(until), to_text(since)))
            rows: list[Any] = list(result)
            for volunteer_id, started, ended, minutes in rows:
                key = (started, ended, minutes)
                shape = shapes.get(key)
                if shape is None:
                    start, end = to_time(started), to_time(ended)
                    shape = shapes[key] = ((start, end), _shares(start, end, int(minutes)))
                theirs = found.get(volunteer_id)
                if theirs is None:
                    theirs = found[volunteer_id] = ServedTime()
                # ServedTime.add, inlined.
                theirs.intervals.append(shape[0])
                credited = theirs.credited
                for day, share in shape[1]:
                    credited[day] = credited.get(day, 0) + share
        return found

    def _check(
        self,
        now: datetime,
        start: datetime,
        end: datetime,
        minutes: int,
        theirs: ServedTime,
    ) -> None:
        if end > now:
            raise RuleBroken(
                "in-the-future",
                "不能登记未来的服务。",
                "Service cannot be recorded in the future.",
                field="ended_at",
            )
        for other_start, other_end in theirs.intervals:
            if other_start < end and start < other_end:
                raise RuleBroken(
                    "overlapping-service",
                    "与该志愿者已有的服务记录时间重叠。",
                    "This overlaps a service record the volunteer already has.",
                    field="started_at",
                    status=409,
                )
        over = sorted(day for day, share in _shares(start, end, minutes) if theirs.credited.get(day, 0) + share > MAX_MINUTES_PER_DAY)
        if over:
            raise RuleBroken(
                "more-than-24-hours",
                f"{over[0]} 当天超过24小时。",
                f"More than 24 hours credited on {over[0]}.",
                field="minutes",
            )

    def _record(
        self,
        activity: Activity,
        volunteer_id: str,
        start: datetime,
        end: datetime,
        minutes: int,
        attended: int,
        policy: RoundingPolicy,
        late: bool,
        by: str,
        now: datetime,
    ) -> ServiceRecord:
        record_id = str(uuid.uuid4())
        details = activity.details
        if activity.is_training:
            return ServiceRecord.log_training(
                TrainingRecorded(
                    record_id=record_id,
                    volunteer_id=volunteer_id,
                    activity_id=activity.id,
                    team_id=activity.team_id,
                    district=activity.district,
                    minutes=minutes,
                    started_at=start.isoformat(),
                    ended_at=end.isoformat(),
                    title=details["title"],
                    logged_by=by,
                    at=now.isoformat(),
                )
            )
        return ServiceRecord.log(
            HoursLogged(
                record_id=record_id,
                volunteer_id=volunteer_id,
                activity_id=activity.id,
                team_id=activity.team_id,
                district=activity.district,
                community=details["community"],
                minutes=minutes,
                attended_minutes=policy.round(attended),
                started_at=start.isoformat(),
                ended_at=end.isoformat(),
                place=details["place"],
                target_group=details["target_group"],
                service_kind=details["service_kind"],
                logged_by=by,
                policy_version=policy.version,
                backfilled=activity.backfilled,
                late=late,
                at=now.isoformat(),
            )
        )

    # -- corrections and disputes ----------------------------------------------------------------

    async def _load(self, uow: UnitOfWork, record_id: str) -> ServiceRecord:
        record = await uow.load(ServiceRecord, record_id)
        if record is None:
            raise NotFound("record-not-found", f"没有这条服务记录。 No service record {record_id}.")
        return record

    async def _save(self, uow: UnitOfWork, record: ServiceRecord) -> None:
        await uow.save(
            record, district=record.district, volunteer_id=record.volunteer_id, activity_id=record.activity_id
        )

    async def correct(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.CorrectRecord, request.payload)
        record = await self._load(uow, cmd.record_id)
        who = ensure_manager(request.principal, str(record.data["team_id"]), record.district)
        previous = record.minutes
        try:
            record.correct(minutes=cmd.minutes, reason=mask_text(cmd.reason), by=actor_of(who), now=uow.now)
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, record)
        return {
            "record_id": record.id,
            "minutes": record.minutes,
            "previous_minutes": previous,
            "revoked": record.revoked,
        }

    async def dispute(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.DisputeRecord, request.payload)
        record = await self._load(uow, cmd.record_id)
        who = require(request.principal)
        if who.role != "volunteer":
            raise Forbidden(
                "volunteers-dispute", "异议由志愿者本人提出。 A volunteer disputes their own record."
            )
        try:
            number = record.dispute(
                volunteer_id=str(who.volunteer),
                claimed_minutes=cmd.claimed_minutes,
                reason=mask_text(cmd.reason),
                now=uow.now,
            )
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, record)
        return {"record_id": record.id, "dispute_no": number, "status": "open"}

    async def resolve(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.ResolveDispute, request.payload)
        record = await self._load(uow, cmd.record_id)
        who = ensure_manager(request.principal, str(record.data["team_id"]), record.district)
        if record.open_dispute != cmd.dispute_no:
            raise problem(
                RuleBroken(
                    "no-such-open-dispute",
                    f"异议#{cmd.dispute_no} 不是待处理状态。",
                    f"Dispute {cmd.dispute_no} is not open.",
                    status=409,
                )
            )
        try:
            record.resolve_dispute(
                accept=cmd.accept,
                minutes=cmd.minutes,
                note=mask_text(cmd.note),
                by=actor_of(who),
                now=uow.now,
            )
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, record)
        return {
            "record_id": record.id,
            "dispute_no": cmd.dispute_no,
            "status": "accepted" if cmd.accept else "rejected",
            "minutes": record.minutes,
        }


def day_start(moment: datetime, *, after: bool = False) -> datetime:
    """The start of ``moment``'s Shanghai day (of the next day with ``after``), in UTC."""
    day = local_day(moment) + timedelta(days=1 if after else 0)
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def _shares(start: datetime, end: datetime, minutes: int) -> tuple[tuple[date, int], ...]:
    """``_share``'s items, remembered: the records of a batch, and of the days it reads,
    mostly share a few windows (it depends only on the instants and the minutes)."""
    return tuple(_share(start, end, minutes).items())


def _share(start: datetime, end: datetime, minutes: int) -> dict[date, int]:
    """A record's minutes credited to each local day, in proportion to its interval."""
    local = start.astimezone(SHANGHAI)
    if end <= datetime.combine(local.date() + timedelta(days=1), time.min, SHANGHAI):
        # Within one day (most records): the proportion needs no arithmetic.
        return {local.date(): minutes} if minutes_between(start, end) > 0 else {}
    per_day = minutes_per_local_day(start, end)
    total = sum(per_day.values()) or 1
    shares = {day: minutes * part // total for day, part in per_day.items()}
    if shares:
        last = max(shares)
        shares[last] += minutes - sum(shares.values())
    return shares


def wire(host: HandlerRegistry, policy: RoundingPolicy) -> HoursHandlers:
    handlers = HoursHandlers(policy)
    host.command("ConfirmHours", handlers.confirm, ordered_by=by_activity)
    host.command("CorrectRecord", handlers.correct)
    host.command("DisputeRecord", handlers.dispute)
    host.command("ResolveDispute", handlers.resolve)
    return handlers
