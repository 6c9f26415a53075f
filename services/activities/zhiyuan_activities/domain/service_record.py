"""A service record (服务记录): one volunteer's confirmed minutes for one stretch of service.

Corrections and revocations are new events with a reason, never edits. A volunteer may
dispute their record; the organizer accepts (with the corrected amount) or rejects it,
and every step is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .rules import RuleBroken


@dataclass(frozen=True)
class HoursLogged(DomainEvent):
    TYPE: ClassVar[str] = "HoursLogged"
    record_id: str
    volunteer_id: str
    activity_id: str
    team_id: str
    district: str
    community: str
    minutes: int
    attended_minutes: int
    started_at: str
    ended_at: str
    place: str
    target_group: str
    service_kind: str
    logged_by: str
    policy_version: str
    backfilled: bool
    late: bool
    at: str


@dataclass(frozen=True)
class TrainingRecorded(DomainEvent):
    """Attendance of a training session: a training record, never service minutes."""

    TYPE: ClassVar[str] = "TrainingRecorded"
    record_id: str
    volunteer_id: str
    activity_id: str
    team_id: str
    district: str
    minutes: int
    started_at: str
    ended_at: str
    title: str
    logged_by: str
    at: str


@dataclass(frozen=True)
class HoursCorrected(DomainEvent):
    TYPE: ClassVar[str] = "HoursCorrected"
    minutes: int
    previous_minutes: int
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class HoursRevoked(DomainEvent):
    TYPE: ClassVar[str] = "HoursRevoked"
    previous_minutes: int
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class HoursDisputed(DomainEvent):
    TYPE: ClassVar[str] = "HoursDisputed"
    dispute_no: int
    claimed_minutes: int | None
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class DisputeResolved(DomainEvent):
    TYPE: ClassVar[str] = "DisputeResolved"
    dispute_no: int
    accepted: bool
    note: str
    by: str
    at: str


class ServiceRecord(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e for e in (HoursLogged, TrainingRecorded, HoursCorrected, HoursRevoked, HoursDisputed, DisputeResolved)
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.data: dict[str, Any] = {}
        self.minutes = 0
        self.revoked = False
        self.training = False
        self.open_dispute: int | None = None
        self.disputes = 0

    @property
    def volunteer_id(self) -> str:
        return str(self.data.get("volunteer_id", ""))

    @property
    def activity_id(self) -> str:
        return str(self.data.get("activity_id", ""))

    @property
    def district(self) -> str:
        return str(self.data.get("district", ""))

    @classmethod
    def log(cls, event: HoursLogged) -> ServiceRecord:
        if event.minutes < 0 or event.minutes > event.attended_minutes:
            raise RuleBroken(
                "minutes-beyond-attendance",
                f"确认时长 {event.minutes} 分钟超出出勤 {event.attended_minutes} 分钟。",
                f"{event.minutes} minutes exceed the {event.attended_minutes} minutes attended.",
                field="minutes",
            )
        record = cls(event.record_id)
        record._record(event)
        return record

    @classmethod
    def log_training(cls, event: TrainingRecorded) -> ServiceRecord:
        record = cls(event.record_id)
        record._record(event)
        return record

    def _ensure_service(self) -> None:
        if self.training:
            raise RuleBroken("training-record", "培训记录不计服务时长。", "A training record carries no service minutes.", status=409)
        if self.revoked:
            raise RuleBroken("revoked", "该记录已撤销。", "This record has been revoked.", status=409)

    def correct(self, *, minutes: int, reason: str, by: str, now: datetime) -> None:
        self._ensure_service()
        if len(reason.strip()) < 2:
            raise RuleBroken("reason-required", "更正须说明理由。", "A correction needs a reason.", field="reason")
        if minutes < 0 or minutes > int(self.data["attended_minutes"]):
            raise RuleBroken(
                "minutes-beyond-attendance",
                f"时长须在0到出勤的 {self.data['attended_minutes']} 分钟之间。",
                f"Minutes must be between 0 and the {self.data['attended_minutes']} attended.",
                field="minutes",
            )
        if minutes == self.minutes:
            raise RuleBroken("unchanged", "时长没有变化。", "The minutes are unchanged.", field="minutes", status=409)
        if minutes == 0:
            self._record(HoursRevoked(previous_minutes=self.minutes, reason=reason, by=by, at=now.isoformat()))
        else:
            self._record(HoursCorrected(minutes=minutes, previous_minutes=self.minutes, reason=reason, by=by, at=now.isoformat()))

    def dispute(self, *, volunteer_id: str, claimed_minutes: int | None, reason: str, now: datetime) -> int:
        self._ensure_service()
        if volunteer_id != self.volunteer_id:
            raise RuleBroken("not-your-record", "只能对本人的记录提出异议。", "You can dispute only your own records.", status=403)
        if self.open_dispute is not None:
            raise RuleBroken("dispute-open", "已有未处理的异议。", "A dispute of this record is already open.", status=409)
        if len(reason.strip()) < 2:
            raise RuleBroken("reason-required", "请说明异议理由。", "Say what is wrong with the record.", field="reason")
        number = self.disputes + 1
        self._record(HoursDisputed(dispute_no=number, claimed_minutes=claimed_minutes, reason=reason, by=volunteer_id, at=now.isoformat()))
        return number

    def resolve_dispute(self, *, accept: bool, minutes: int | None, note: str, by: str, now: datetime) -> None:
        if self.open_dispute is None:
            raise RuleBroken("no-open-dispute", "没有待处理的异议。", "There is no open dispute.", status=409)
        if len(note.strip()) < 2:
            raise RuleBroken("note-required", "请写明处理意见。", "Write a note on the resolution.", field="note")
        number = self.open_dispute
        if accept:
            if minutes is None:
                raise RuleBroken("minutes-required", "接受异议须给出更正后的时长。", "Accepting a dispute needs the corrected minutes.", field="minutes")
            self.correct(minutes=minutes, reason=f"异议#{number}：{note}", by=by, now=now)
        self._record(DisputeResolved(dispute_no=number, accepted=accept, note=note, by=by, at=now.isoformat()))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, HoursLogged):
            self.data = event.to_data()
            self.minutes = event.minutes
        elif isinstance(event, TrainingRecorded):
            self.data = event.to_data()
            self.training = True
        elif isinstance(event, HoursCorrected):
            self.minutes = event.minutes
        elif isinstance(event, HoursRevoked):
            self.minutes = 0
            self.revoked = True
        elif isinstance(event, HoursDisputed):
            self.open_dispute = event.dispute_no
            self.disputes = event.dispute_no
        elif isinstance(event, DisputeResolved):
            self.open_dispute = None
        else:
            super().apply(event)
