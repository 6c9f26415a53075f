"""The activity aggregate: publishing, the roster with its waitlist, attendance, completion.

Capacity per slot is never exceeded: a sign-up beyond it joins the slot's waitlist, first
in first out, and the first waiting volunteer is promoted whenever a place frees up
(a cancellation or a raised capacity). Lowering capacity below the confirmed count is
refused. Times are aware UTC datetimes; the aggregate stores them as RFC 3339 strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from zhiyuan_platform.aggregate import Aggregate, DomainEvent

from .rules import (
    CHECK_IN_EARLY,
    MAX_ACTIVITY_SPAN,
    MAX_PAIRS_PER_DAY,
    NOT_SERVICE_KINDS,
    TRAINING,
    RuleBroken,
    aware,
    local_day,
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    capacity: int

    def to_data(self) -> dict[str, Any]:
        return {"starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at), "capacity": self.capacity}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Slot:
        return cls(parse(data["starts_at"]), parse(data["ends_at"]), int(data["capacity"]))


# -- stored events ------------------------------------------------------------------------


@dataclass(frozen=True)
class BackfillRequested(DomainEvent):
    TYPE: ClassVar[str] = "BackfillRequested"
    details: dict[str, Any]
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class BackfillRejected(DomainEvent):
    TYPE: ClassVar[str] = "BackfillRejected"
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class ActivityPublished(DomainEvent):
    TYPE: ClassVar[str] = "ActivityPublished"
    activity_id: str
    team_id: str
    district: str
    community: str
    title: str
    service_kind: str
    target_group: str
    place: str
    slots: list[dict[str, Any]]
    recruitment: str
    needs_insurance: bool
    allows_minors: bool
    description: str
    backfilled: bool
    backfill_reason: str | None
    approved_by: str | None
    by: str
    at: str


@dataclass(frozen=True)
class ActivityUpdated(DomainEvent):
    TYPE: ClassVar[str] = "ActivityUpdated"
    changed: dict[str, Any]
    by: str
    at: str


@dataclass(frozen=True)
class SlotCapacityChanged(DomainEvent):
    TYPE: ClassVar[str] = "SlotCapacityChanged"
    slot: int
    capacity: int
    by: str
    at: str


@dataclass(frozen=True)
class InsuranceRecorded(DomainEvent):
    TYPE: ClassVar[str] = "InsuranceRecorded"
    policy_no: str
    insurer: str
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerSignedUp(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerSignedUp"
    volunteer_id: str
    slot: int
    waitlisted: bool
    by: str
    at: str


@dataclass(frozen=True)
class SignUpPromoted(DomainEvent):
    TYPE: ClassVar[str] = "SignUpPromoted"
    volunteer_id: str
    slot: int
    at: str


@dataclass(frozen=True)
class SignUpCancelled(DomainEvent):
    TYPE: ClassVar[str] = "SignUpCancelled"
    volunteer_id: str
    slot: int
    was_waitlisted: bool
    by: str
    at: str


@dataclass(frozen=True)
class VolunteerCheckedIn(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerCheckedIn"
    volunteer_id: str
    slot: int
    at: str
    method: str
    by: str
    # When the check-in was recorded; ``at`` may be long before (a back-filled activity).
    # Absent from check-ins stored before it was kept.
    recorded_at: str | None = None


@dataclass(frozen=True)
class VolunteerCheckedOut(DomainEvent):
    TYPE: ClassVar[str] = "VolunteerCheckedOut"
    volunteer_id: str
    slot: int
    at: str
    method: str
    by: str
    auto_closed: bool


@dataclass(frozen=True)
class ActivityCancelled(DomainEvent):
    TYPE: ClassVar[str] = "ActivityCancelled"
    reason: str
    released: list[str]
    by: str
    at: str


@dataclass(frozen=True)
class ActivityCompleted(DomainEvent):
    TYPE: ClassVar[str] = "ActivityCompleted"
    participants: int
    total_minutes: int
    people_served: int
    summary: str
    by: str
    at: str


# -- state ----------------------------------------------------------------------------------


@dataclass
class Attendance:
    checked_in: datetime
    checked_out: datetime | None = None
    auto_closed: bool = False
    recorded_at: datetime | None = None  # when the check-in was recorded, if known


@dataclass
class Roster:
    confirmed: list[str] = field(default_factory=list)
    waitlist: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """What the roster needs to know about a volunteer, from the registry's events."""

    volunteer_id: str
    active: bool
    minor: bool
    team_ids: frozenset[str] = frozenset()


class Activity(Aggregate):
    EVENTS: ClassVar[dict[str, type[DomainEvent]]] = {
        e.TYPE: e
        for e in (
            BackfillRequested,
            BackfillRejected,
            ActivityPublished,
            ActivityUpdated,
            SlotCapacityChanged,
            InsuranceRecorded,
            VolunteerSignedUp,
            SignUpPromoted,
            SignUpCancelled,
            VolunteerCheckedIn,
            VolunteerCheckedOut,
            ActivityCancelled,
            ActivityCompleted,
        )
    }

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.status = "new"  # backfill_requested, published, cancelled, completed, backfill_rejected
        self.details: dict[str, Any] = {}
        self.slots: list[Slot] = []
        self.rosters: list[Roster] = []
        self.attendance: dict[tuple[str, int], list[Attendance]] = {}
        self.insured = False
        self.backfilled = False

    # -- properties ---------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        return str(self.details.get("team_id", ""))

    @property
    def district(self) -> str:
        return str(self.details.get("district", ""))

    @property
    def is_training(self) -> bool:
        return self.details.get("service_kind") == TRAINING

    @property
    def starts_at(self) -> datetime:
        return min(s.starts_at for s in self.slots)

    @property
    def ends_at(self) -> datetime:
        return max(s.ends_at for s in self.slots)

    def slot_of(self, volunteer_id: str) -> tuple[int, bool] | None:
        """(slot index, waitlisted) of the volunteer's sign-up, or None."""
        for index, roster in enumerate(self.rosters):
            if volunteer_id in roster.confirmed:
                return index, False
            if volunteer_id in roster.waitlist:
                return index, True
        return None

    def position(self, volunteer_id: str) -> int | None:
        """1-based place on the waitlist."""
        found = self.slot_of(volunteer_id)
        if found is None or not found[1]:
            return None
        return self.rosters[found[0]].waitlist.index(volunteer_id) + 1

    def attended(self, volunteer_id: str) -> list[Attendance]:
        return [a for (v, _), sessions in self.attendance.items() if v == volunteer_id for a in sessions]

    def attended_by_volunteer(self) -> dict[str, list[Attendance]]:
        """``attended(v)`` of every volunteer with attendance, in one pass (a batch of N
        records would otherwise scan all the attendance N times)."""
        found: dict[str, list[Attendance]] = {}
        for (v, _), sessions in self.attendance.items():
            found.setdefault(v, []).extend(sessions)
        return found

    # -- publishing ------------------------------------------------------------------------

    @staticmethod
    def check_details(details: dict[str, Any], slots: list[Slot], *, now: datetime, backfill: bool) -> None:
        kind = details["service_kind"]
        if kind in NOT_SERVICE_KINDS:
            raise RuleBroken(
                "not-volunteer-service",
                "有偿劳动、值班、会议等不是志愿服务，不能发布。",
                "Paid work, duty work and meetings are not volunteer service and cannot be published.",
                field="service_kind",
            )
        if not slots:
            raise RuleBroken("no-slots", "至少需要一个时段。", "An activity needs at least one time slot.", field="slots")
        for i, slot in enumerate(slots):
            aware(slot.starts_at, f"slots[{i}].starts_at")
            aware(slot.ends_at, f"slots[{i}].ends_at")
            if slot.ends_at <= slot.starts_at:
                raise RuleBroken("slot-ends-before-start", "时段结束须晚于开始。", "A slot must end after it starts.", field=f"slots[{i}].ends_at")
            if slot.capacity < 1:
                raise RuleBroken("capacity", "名额至少为1。", "A slot's capacity is at least 1.", field=f"slots[{i}].capacity")
        span = max(s.ends_at for s in slots) - min(s.starts_at for s in slots)
        if span > MAX_ACTIVITY_SPAN:
            raise RuleBroken("longer-than-a-year", "活动最长一年。", "An activity lasts at most one year.", field="slots")
        if backfill:
            if max(s.ends_at for s in slots) > now:
                raise RuleBroken(
                    "backfill-not-past", "补录只用于已结束的活动。", "Back-filling is only for activities that have ended.", field="slots"
                )
        elif min(s.starts_at for s in slots) <= now:
            raise RuleBroken(
                "starts-in-the-past",
                "只能发布未来的活动；已结束的活动请走补录流程。",
                "Only future activities can be published; use the back-fill path for past ones.",
                field="slots",
            )

    @classmethod
    def publish(cls, activity_id: str, details: dict[str, Any], slots: list[Slot], *, now: datetime, by: str) -> Activity:
        cls.check_details(details, slots, now=now, backfill=False)
        activity = cls(activity_id)
        activity._record(
            ActivityPublished(
                activity_id=activity_id,
                slots=[s.to_data() for s in slots],
                backfilled=False,
                backfill_reason=None,
                approved_by=None,
                by=by,
                at=iso(now),
                **details,
            )
        )
        return activity

    @classmethod
    def request_backfill(
        cls, activity_id: str, details: dict[str, Any], slots: list[Slot], *, reason: str, now: datetime, by: str
    ) -> Activity:
        cls.check_details(details, slots, now=now, backfill=True)
        if len(reason.strip()) < 4:
            raise RuleBroken("backfill-reason", "补录须说明理由。", "A back-fill needs a reason.", field="reason")
        activity = cls(activity_id)
        activity._record(
            BackfillRequested(details={**details, "slots": [s.to_data() for s in slots]}, reason=reason, by=by, at=iso(now))
        )
        return activity

    def approve_backfill(self, *, now: datetime, by: str) -> None:
        if self.status != "backfill_requested":
            raise RuleBroken("not-pending", "没有待审批的补录。", "There is no pending back-fill to approve.", status=409)
        details = {k: v for k, v in self.details.items() if k not in ("slots", "backfill_reason", "requested_by")}
        self._record(
            ActivityPublished(
                activity_id=self.id,
                slots=[s.to_data() for s in self.slots],
                backfilled=True,
                backfill_reason=self.details["backfill_reason"],
                approved_by=by,
                by=self.details["requested_by"],
                at=iso(now),
                **details,
            )
        )

    def reject_backfill(self, *, note: str, now: datetime, by: str) -> None:
        if self.status != "backfill_requested":
            raise RuleBroken("not-pending", "没有待审批的补录。", "There is no pending back-fill to reject.", status=409)
        self._record(BackfillRejected(note=note, by=by, at=iso(now)))

    def _ensure_open(self, now: datetime, what_zh: str, what_en: str) -> None:
        if self.status != "published":
            raise RuleBroken(
                f"activity-{self.status}", f"活动状态为 {self.status}，不能{what_zh}。", f"The activity is {self.status}; cannot {what_en}.", status=409
            )

    def update(self, changed: dict[str, Any], *, now: datetime, by: str) -> None:
        self._ensure_open(now, "修改", "update it")
        if not self.backfilled and now >= self.starts_at:
            raise RuleBroken("already-started", "活动开始后不能修改。", "An activity cannot be changed once it has started.", status=409)
        if not changed:
            raise RuleBroken("nothing-changed", "没有要修改的内容。", "Nothing to change.")
        if changed.get("service_kind") in NOT_SERVICE_KINDS:
            raise RuleBroken(
                "not-volunteer-service",
                "有偿劳动、值班、会议等不是志愿服务。",
                "Paid work, duty work and meetings are not volunteer service.",
                field="service_kind",
            )
        self._record(ActivityUpdated(changed=changed, by=by, at=iso(now)))

    def change_capacity(self, slot: int, capacity: int, *, now: datetime, by: str) -> None:
        self._ensure_open(now, "修改名额", "change capacity")
        roster = self._roster(slot)
        if capacity < len(roster.confirmed):
            raise RuleBroken(
                "capacity-below-confirmed",
                f"已确认 {len(roster.confirmed)} 人，名额不能少于此数。",
                f"{len(roster.confirmed)} volunteers are confirmed; capacity cannot go below that.",
                field="capacity",
                status=409,
            )
        if capacity < 1:
            raise RuleBroken("capacity", "名额至少为1。", "Capacity is at least 1.", field="capacity")
        self._record(SlotCapacityChanged(slot=slot, capacity=capacity, by=by, at=iso(now)))
        self._promote(slot, now)

    def record_insurance(self, *, policy_no: str, insurer: str, now: datetime, by: str) -> None:
        self._ensure_open(now, "登记保险", "record insurance")
        self._record(InsuranceRecorded(policy_no=policy_no, insurer=insurer, by=by, at=iso(now)))

    # -- sign-up --------------------------------------------------------------------------

    def _roster(self, slot: int) -> Roster:
        if not 0 <= slot < len(self.rosters):
            raise RuleBroken("unknown-slot", f"没有第 {slot} 个时段。", f"The activity has no slot {slot}.", field="slot", status=404)
        return self.rosters[slot]

    def sign_up(self, volunteer: Candidate, slot: int, *, now: datetime, by: str) -> tuple[bool, int | None]:
        """Sign a volunteer up; returns (waitlisted, 1-based waitlist position)."""
        self._ensure_open(now, "报名", "sign up")
        roster = self._roster(slot)
        if not self.backfilled and now >= self.slots[slot].starts_at:
            raise RuleBroken("slot-started", "该时段已开始，不能报名。", "This slot has started; sign-up is closed.", status=409)
        if not volunteer.active:
            raise RuleBroken("volunteer-not-active", "只有在册且状态正常的志愿者可以报名。", "Only active registered volunteers can sign up.", field="volunteer_id", status=409)
        if volunteer.minor and not self.details.get("allows_minors", False):
            raise RuleBroken("minors-not-allowed", "该活动不接受未成年人报名。", "This activity does not take volunteers under 18.", field="volunteer_id", status=409)
        if self.details.get("recruitment") == "team" and self.team_id not in volunteer.team_ids:
            raise RuleBroken("team-only", "该活动仅限本队队员报名。", "This activity recruits within its team only.", field="volunteer_id", status=409)
        if self.details.get("needs_insurance") and not self.insured:
            raise RuleBroken(
                "insurance-required", "该活动须先登记意外保险才能开放报名。", "This activity needs accident insurance recorded before sign-up opens.", status=409
            )
        if self.slot_of(volunteer.volunteer_id) is not None:
            raise RuleBroken("already-signed-up", "已报名该活动。", "Already signed up for this activity.", field="volunteer_id", status=409)
        waitlisted = len(roster.confirmed) >= self.slots[slot].capacity
        self._record(VolunteerSignedUp(volunteer_id=volunteer.volunteer_id, slot=slot, waitlisted=waitlisted, by=by, at=iso(now)))
        return waitlisted, self.position(volunteer.volunteer_id)

    def cancel_sign_up(self, volunteer_id: str, *, now: datetime, by: str) -> None:
        found = self.slot_of(volunteer_id)
        if found is None:
            raise RuleBroken("not-signed-up", "没有该志愿者的报名。", "This volunteer has not signed up.", field="volunteer_id", status=404)
        self._ensure_open(now, "取消报名", "cancel a sign-up")
        slot, waitlisted = found
        self._record(SignUpCancelled(volunteer_id=volunteer_id, slot=slot, was_waitlisted=waitlisted, by=by, at=iso(now)))
        self._promote(slot, now)

    def _promote(self, slot: int, now: datetime) -> None:
        roster = self.rosters[slot]
        while roster.waitlist and len(roster.confirmed) < self.slots[slot].capacity:
            self._record(SignUpPromoted(volunteer_id=roster.waitlist[0], slot=slot, at=iso(now)))

    # -- attendance ------------------------------------------------------------------------

    def _confirmed_slot(self, volunteer_id: str) -> int:
        found = self.slot_of(volunteer_id)
        if found is None or found[1]:
            raise RuleBroken(
                "not-confirmed", "只有确认报名的志愿者可以签到。", "Only volunteers with a confirmed sign-up can check in.", field="volunteer_id", status=409
            )
        return found[0]

    def check_in(self, volunteer_id: str, *, at: datetime, now: datetime, method: str, by: str) -> None:
        if self.status != "published":
            self._ensure_open(now, "签到", "check in")
        aware(at, "at")
        slot = self._confirmed_slot(volunteer_id)
        window = self.slots[slot]
        if at > now + timedelta(minutes=1):
            raise RuleBroken("in-the-future", "签到时间不能晚于现在。", "A check-in cannot be in the future.", field="at")
        if not window.starts_at - CHECK_IN_EARLY <= at <= window.ends_at:
            raise RuleBroken(
                "outside-slot", "签到时间须在时段内（可提前30分钟）。", "Check in within the slot (up to 30 minutes early).", field="at", status=409
            )
        sessions = self.attendance.get((volunteer_id, slot), [])
        if sessions and sessions[-1].checked_out is None:
            raise RuleBroken("already-checked-in", "已签到，请先签退。", "Already checked in; check out first.", status=409)
        day = local_day(at)
        same_day = [s for s in self.attended(volunteer_id) if local_day(s.checked_in) == day]
        if len(same_day) >= MAX_PAIRS_PER_DAY:
            raise RuleBroken(
                "too-many-pairs", "每人每天最多签到签退3次。", "At most three check-in/check-out pairs per volunteer per day.", status=409
            )
        self._record(
            VolunteerCheckedIn(volunteer_id=volunteer_id, slot=slot, at=iso(at), method=method, by=by, recorded_at=iso(now))
        )

    def check_out(self, volunteer_id: str, *, at: datetime, now: datetime, method: str, by: str) -> None:
        aware(at, "at")
        slot = self._confirmed_slot(volunteer_id)
        sessions = self.attendance.get((volunteer_id, slot), [])
        if not sessions or sessions[-1].checked_out is not None:
            raise RuleBroken("not-checked-in", "尚未签到。", "Not checked in.", status=409)
        if at > now + timedelta(minutes=1):
            raise RuleBroken("in-the-future", "签退时间不能晚于现在。", "A check-out cannot be in the future.", field="at")
        if at <= sessions[-1].checked_in:
            raise RuleBroken("before-check-in", "签退须晚于签到。", "A check-out must come after the check-in.", field="at")
        at = min(at, self.slots[slot].ends_at)
        self._record(VolunteerCheckedOut(volunteer_id=volunteer_id, slot=slot, at=iso(at), method=method, by=by, auto_closed=False))

    def close_missed_check_outs(self, *, now: datetime, grace: timedelta = timedelta(0)) -> list[str]:
        """Close check-ins left open past their slot's end, at the end, flagged for the organizer.

        With a ``grace`` (the periodic sweep's), only those open ``grace`` after the slot's
        end and recorded at least ``grace`` ago: a back-filled activity's check-in is
        recorded now for a slot long past, and its check-out is usually on its way.
        """
        closed = []
        for (volunteer_id, slot), sessions in list(self.attendance.items()):
            if not sessions or sessions[-1].checked_out is not None:
                continue
            recorded_at = sessions[-1].recorded_at
            if now >= self.slots[slot].ends_at + grace and (recorded_at is None or now >= recorded_at + grace):
                self._record(
                    VolunteerCheckedOut(
                        volunteer_id=volunteer_id,
                        slot=slot,
                        at=iso(self.slots[slot].ends_at),
                        method="auto",
                        by="system",
                        auto_closed=True,
                    )
                )
                closed.append(volunteer_id)
        return closed

    # -- the end ----------------------------------------------------------------------------

    def cancel(self, *, reason: str, now: datetime, by: str) -> None:
        self._ensure_open(now, "取消", "cancel it")
        if len(reason.strip()) < 2:
            raise RuleBroken("reason-required", "取消须说明理由。", "Cancelling needs a reason.", field="reason")
        released = sorted({v for r in self.rosters for v in (*r.confirmed, *r.waitlist)})
        self._record(ActivityCancelled(reason=reason, released=released, by=by, at=iso(now)))

    def complete(self, *, logged_minutes: dict[str, int], people_served: int, summary: str, now: datetime, by: str) -> None:
        self._ensure_open(now, "完成", "complete it")
        if now < self.ends_at:
            raise RuleBroken("not-ended", "活动结束后才能提交总结。", "An activity is completed after its last slot ends.", status=409)
        if people_served < 0:
            raise RuleBroken("people-served", "服务人数不能为负。", "People served cannot be negative.", field="people_served")
        if len(summary.strip()) < 2:
            raise RuleBroken("summary-required", "请填写活动总结。", "Write a summary of the activity.", field="summary")
        participants = sum(1 for minutes in logged_minutes.values() if minutes > 0)
        self._record(
            ActivityCompleted(
                participants=participants,
                total_minutes=sum(logged_minutes.values()),
                people_served=people_served,
                summary=summary,
                by=by,
                at=iso(now),
            )
        )

    # -- state changes ------------------------------------------------------------------------

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, BackfillRequested):
            self.status = "backfill_requested"
            self.details = {k: v for k, v in event.details.items() if k != "slots"}
            self.details["backfill_reason"] = event.reason
            self.details["requested_by"] = event.by
            self.slots = [Slot.from_data(s) for s in event.details["slots"]]
            self.backfilled = True
        elif isinstance(event, BackfillRejected):
            self.status = "backfill_rejected"
        elif isinstance(event, ActivityPublished):
            self.status = "published"
            self.details = {
                k: getattr(event, k)
                for k in (
                    "team_id", "district", "community", "title", "service_kind", "target_group", "place",
                    "recruitment", "needs_insurance", "allows_minors", "description",
                )
            }
            self.slots = [Slot.from_data(s) for s in event.slots]
            self.rosters = [Roster() for _ in self.slots]
            self.backfilled = event.backfilled
        elif isinstance(event, ActivityUpdated):
            self.details.update(event.changed)
        elif isinstance(event, SlotCapacityChanged):
            old = self.slots[event.slot]
            self.slots[event.slot] = Slot(old.starts_at, old.ends_at, event.capacity)
        elif isinstance(event, InsuranceRecorded):
            self.insured = True
        elif isinstance(event, VolunteerSignedUp):
            roster = self.rosters[event.slot]
            (roster.waitlist if event.waitlisted else roster.confirmed).append(event.volunteer_id)
        elif isinstance(event, SignUpPromoted):
            roster = self.rosters[event.slot]
            roster.waitlist.remove(event.volunteer_id)
            roster.confirmed.append(event.volunteer_id)
        elif isinstance(event, SignUpCancelled):
            roster = self.rosters[event.slot]
            (roster.waitlist if event.was_waitlisted else roster.confirmed).remove(event.volunteer_id)
        elif isinstance(event, VolunteerCheckedIn):
            recorded_at = parse(event.recorded_at) if event.recorded_at else None
            self.attendance.setdefault((event.volunteer_id, event.slot), []).append(
                Attendance(parse(event.at), recorded_at=recorded_at)
            )
        elif isinstance(event, VolunteerCheckedOut):
            session = self.attendance[(event.volunteer_id, event.slot)][-1]
            session.checked_out = parse(event.at)
            session.auto_closed = event.auto_closed
        elif isinstance(event, ActivityCancelled):
            self.status = "cancelled"
            self.rosters = [Roster() for _ in self.slots]
        elif isinstance(event, ActivityCompleted):
            self.status = "completed"
        else:
            super().apply(event)
