"""Publishing, the roster, attendance and completion of activities."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select

from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Forbidden, Invalid, Request
from zhiyuan_platform.service import CommandHandler, HandlerRegistry

from ..adapters.tables import record_view
from ..domain.activity import Activity, Slot
from ..domain.rules import MISSED_CHECK_OUT_GRACE, RuleBroken
from . import commands as c
from .context import (
    AttendanceCodes,
    actor_of,
    candidate,
    ensure_manager,
    ensure_self_or_manager,
    load_activity,
    may_manage,
    problem,
    require,
    team,
)


def _details(cmd: c.PublishActivity) -> tuple[dict[str, Any], list[Slot]]:
    details = {
        "team_id": cmd.team_id,
        "district": cmd.community[:6],
        "community": cmd.community,
        "title": mask_text(cmd.title),
        "service_kind": cmd.service_kind,
        "target_group": cmd.target_group,
        "place": mask_text(cmd.place),
        "recruitment": cmd.recruitment,
        "needs_insurance": cmd.needs_insurance,
        "allows_minors": cmd.allows_minors,
        "description": mask_text(cmd.description),
    }
    return details, [Slot(s.starts_at, s.ends_at, s.capacity) for s in cmd.slots]


class ActivityHandlers:
    def __init__(self, codes: AttendanceCodes, sweep_grace: timedelta = MISSED_CHECK_OUT_GRACE) -> None:
        self.codes = codes
        self.sweep_grace = sweep_grace

    async def _save(self, uow: UnitOfWork, activity: Activity) -> None:
        await uow.save(activity, district=activity.district)

    # -- publishing --------------------------------------------------------------------------

    async def publish(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.PublishActivity, request.payload)
        district, _ = await team(uow.conn, cmd.team_id)
        who = ensure_manager(request.principal, cmd.team_id, cmd.community[:6])
        details, slots = _details(cmd)
        try:
            activity = Activity.publish(str(uuid.uuid4()), details, slots, now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        return {"activity_id": activity.id, "status": activity.status, "team_district": district}

    async def request_backfill(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RequestBackfill, request.payload)
        await team(uow.conn, cmd.team_id)
        who = ensure_manager(request.principal, cmd.team_id, cmd.community[:6])
        details, slots = _details(cmd)
        try:
            activity = Activity.request_backfill(
                str(uuid.uuid4()), details, slots, reason=mask_text(cmd.reason), now=uow.now, by=actor_of(who)
            )
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        return {"activity_id": activity.id, "status": activity.status}

    async def decide_backfill(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.DecideBackfill, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        who = require(request.principal)
        if who.role not in ("district_admin", "city_admin") or not may_manage(
            who, activity.team_id, activity.district
        ):
            raise Forbidden(
                "district-admin-approves",
                "补录须由活动所在区的管理员审批。 A back-fill is approved by an admin of the activity's district.",
            )
        try:
            if cmd.approve:
                activity.approve_backfill(now=uow.now, by=actor_of(who))
            else:
                activity.reject_backfill(note=mask_text(cmd.note), now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        return {"activity_id": activity.id, "status": activity.status}

    async def update(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.UpdateActivity, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        changed = {
            k: (mask_text(v) if isinstance(v, str) and k != "target_group" else v)
            for k, v in cmd.model_dump(exclude_unset=True).items()
            if k != "activity_id"
        }
        try:
            activity.update(changed, now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        return {"activity_id": activity.id, "changed": sorted(changed)}

    async def change_capacity(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.ChangeCapacity, request.payload)
        await uow.lock(f"activity:{cmd.activity_id}")
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        try:
            activity.change_capacity(cmd.slot, cmd.capacity, now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        roster = activity.rosters[cmd.slot]
        return {
            "activity_id": activity.id,
            "slot": cmd.slot,
            "capacity": cmd.capacity,
            "confirmed": len(roster.confirmed),
            "waitlisted": len(roster.waitlist),
        }

    async def record_insurance(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RecordInsurance, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        try:
            activity.record_insurance(
                policy_no=cmd.policy_no, insurer=cmd.insurer, now=uow.now, by=actor_of(who)
            )
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        return {"activity_id": activity.id, "insured": True}

    async def cancel(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.CancelActivity, request.payload)
        await uow.lock(f"activity:{cmd.activity_id}")
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        try:
            activity.cancel(reason=mask_text(cmd.reason), now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        released = activity.pending[-1].to_data()["released"]
        await self._save(uow, activity)
        return {"activity_id": activity.id, "status": "cancelled", "released": released}

    # -- sign-up ---------------------------------------------------------------------------------

    async def sign_up(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.SignUp, request.payload)
        who = require(request.principal)
        volunteer_id = cmd.volunteer_id or who.volunteer
        if not volunteer_id:
            raise Invalid(
                "volunteer-required",
                "请指定志愿者。 Name the volunteer to sign up.",
                errors=[{"field": "volunteer_id", "rule": "required", "message": "required"}],
            )
        # One activity's roster changes one at a time, in arrival order; a volunteer's
        # sign-ups too, so that two overlapping sign-ups cannot both slip through.
        await uow.lock(f"activity:{cmd.activity_id}")
        await uow.lock(f"volunteer:{volunteer_id}")
        activity = await load_activity(uow, cmd.activity_id)
        ensure_self_or_manager(who, volunteer_id, activity.team_id, activity.district)
        volunteer = await candidate(uow.conn, volunteer_id)
        if 0 <= cmd.slot < len(activity.slots):
            await self._ensure_no_overlap(uow, volunteer_id, activity, cmd.slot)
        try:
            waitlisted, position = activity.sign_up(volunteer, cmd.slot, now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        await self._save(uow, activity)
        answer: dict[str, Any] = {
            "activity_id": activity.id,
            "volunteer_id": volunteer_id,
            "slot": cmd.slot,
            "status": "waitlisted" if waitlisted else "confirmed",
        }
        if waitlisted:
            answer["position"] = position
        return answer

    async def _ensure_no_overlap(
        self, uow: UnitOfWork, volunteer_id: str, activity: Activity, slot: int
    ) -> None:
        from ..adapters.tables import signup_view

        window = activity.slots[slot]
        clash = (
            await uow.conn.execute(
                select(signup_view.c.activity_id, signup_view.c.starts_at, signup_view.c.ends_at).where(
                    signup_view.c.volunteer_id == volunteer_id,
                    signup_view.c.status.in_(("confirmed", "waitlisted")),
                    signup_view.c.activity_id != activity.id,
                    signup_view.c.starts_at < window.ends_at,
                    signup_view.c.ends_at > window.starts_at,
                )
            )
        ).first()
        if clash is not None:
            raise problem(
                RuleBroken(
                    "overlapping-sign-up",
                    f"与已报名的活动 {clash.activity_id} 时间重叠。",
                    f"This overlaps another activity you signed up for ({clash.activity_id}).",
                    field="slot",
                    status=409,
                )
            )

    async def cancel_sign_up(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.CancelSignUp, request.payload)
        who = require(request.principal)
        volunteer_id = cmd.volunteer_id or who.volunteer or ""
        await uow.lock(f"activity:{cmd.activity_id}")
        activity = await load_activity(uow, cmd.activity_id)
        ensure_self_or_manager(who, volunteer_id, activity.team_id, activity.district)
        try:
            activity.cancel_sign_up(volunteer_id, now=uow.now, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        promoted = [e.to_data()["volunteer_id"] for e in activity.pending if e.TYPE == "SignUpPromoted"]
        await self._save(uow, activity)
        return {
            "activity_id": activity.id,
            "volunteer_id": volunteer_id,
            "status": "cancelled",
            "promoted": promoted,
        }

    # -- attendance ----------------------------------------------------------------------------

    async def _attendance(self, uow: UnitOfWork, request: Request, direction: str) -> dict[str, Any]:
        cmd = parse(c.Attendance, request.payload)
        who = require(request.principal)
        activity = await load_activity(uow, cmd.activity_id)
        if cmd.code is not None:
            # A volunteer presents the rotating code from the organizer's screen.
            if who.role != "volunteer" or (cmd.volunteer_id and cmd.volunteer_id != who.volunteer):
                raise Forbidden(
                    "code-is-for-volunteers",
                    "活动码由志愿者本人出示。 An activity code checks in the volunteer presenting it.",
                )
            if not self.codes.valid(activity.id, cmd.code, uow.now.timestamp()):
                raise Invalid(
                    "activity-code-invalid",
                    "活动码错误或已过期。 The activity code is wrong or has expired.",
                    errors=[{"field": "code", "rule": "valid_code", "message": "wrong or expired"}],
                )
            volunteer_id, method, at = str(who.volunteer), "code", uow.now
        else:
            # The organizer's roster.
            ensure_manager(who, activity.team_id, activity.district)
            if not cmd.volunteer_id:
                raise Invalid(
                    "volunteer-required",
                    "请指定志愿者。 Name the volunteer.",
                    errors=[{"field": "volunteer_id", "rule": "required", "message": "required"}],
                )
            volunteer_id, method, at = cmd.volunteer_id, "roster", cmd.at or uow.now
        try:
            if direction == "in":
                activity.check_in(volunteer_id, at=at, now=uow.now, method=method, by=actor_of(who))
            else:
                activity.check_out(volunteer_id, at=at, now=uow.now, method=method, by=actor_of(who))
        except RuleBroken as error:
            raise problem(error) from None
        recorded_at = activity.pending[-1].to_data()["at"]
        await self._save(uow, activity)
        return {"activity_id": activity.id, "volunteer_id": volunteer_id, "at": recorded_at, "method": method}

    async def check_in(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        return await self._attendance(uow, request, "in")

    async def check_out(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        return await self._attendance(uow, request, "out")

    async def close_missed_check_outs(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.ActivityRef, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        if request.principal is not None:
            ensure_manager(request.principal, activity.team_id, activity.district)
        # An organizer who asks closes every check-in of an ended slot; the sweep waits.
        grace = timedelta(0) if request.principal is not None else self.sweep_grace
        closed = activity.close_missed_check_outs(now=uow.now, grace=grace)
        await self._save(uow, activity)
        return {"activity_id": activity.id, "closed": closed}

    async def attendance_code(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.ActivityRef, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        ensure_manager(request.principal, activity.team_id, activity.district)
        code, expires = self.codes.current(activity.id, uow.now.timestamp())
        return {
            "activity_id": activity.id,
            "code": code,
            "expires_at": expires,
            "qr": f"zhiyuan://checkin?activity={activity.id}&code={code}",
        }

    # -- completion --------------------------------------------------------------------------

    async def complete(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.CompleteActivity, request.payload)
        activity = await load_activity(uow, cmd.activity_id)
        who = ensure_manager(request.principal, activity.team_id, activity.district)
        rows = await uow.conn.execute(
            select(record_view.c.volunteer_id, func.sum(record_view.c.minutes))
            .where(record_view.c.activity_id == activity.id, record_view.c.kind == "service")
            .group_by(record_view.c.volunteer_id)
        )
        logged = {r[0]: int(r[1] or 0) for r in rows}
        try:
            activity.complete(
                logged_minutes=logged,
                people_served=cmd.people_served,
                summary=mask_text(cmd.summary),
                now=uow.now,
                by=actor_of(who),
            )
        except RuleBroken as error:
            raise problem(error) from None
        summary = activity.pending[-1].to_data()
        await self._save(uow, activity)
        return {
            "activity_id": activity.id,
            "participants": summary["participants"],
            "total_minutes": summary["total_minutes"],
            "people_served": cmd.people_served,
        }


class SystemHost(Protocol):
    @property
    def engine(self) -> Any: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    async def run_system_command(self, operation: str, handler: CommandHandler, payload: dict[str, Any]) -> bytes: ...


async def close_missed_check_outs_everywhere(host: SystemHost, handlers: ActivityHandlers) -> list[str]:
    """The sweep: close every check-in still open a grace period after its slot ended (and
    after it was recorded), flagged for the organizer."""
    from ..adapters.tables import attendance_view, slot_view

    assert host.engine is not None
    async with host.engine.connect() as conn:
        now = host.clock()
        cutoff = now - handlers.sweep_grace
        rows = await conn.execute(
            select(attendance_view.c.activity_id)
            .join(slot_view, (slot_view.c.activity_id == attendance_view.c.activity_id) & (slot_view.c.slot == attendance_view.c.slot))
            .where(
                attendance_view.c.checked_out.is_(None),
                slot_view.c.ends_at <= cutoff,
                or_(attendance_view.c.recorded_at.is_(None), attendance_view.c.recorded_at <= cutoff),
            )
            .distinct()
        )
        activities = [r.activity_id for r in rows]
    for activity_id in activities:
        await host.run_system_command("CloseMissedCheckOuts", handlers.close_missed_check_outs, {"activity_id": activity_id})
    return activities


def by_activity(request: Request) -> str | None:
    """Commands on one activity's roster queue up in arrival order."""
    activity_id = request.payload.get("activity_id")
    return f"activity:{activity_id}" if isinstance(activity_id, str) else None


def wire(
    host: HandlerRegistry, codes: AttendanceCodes, sweep_grace: timedelta = MISSED_CHECK_OUT_GRACE
) -> ActivityHandlers:
    handlers = ActivityHandlers(codes, sweep_grace)
    for name, handler in {
        "PublishActivity": handlers.publish,
        "RequestBackfill": handlers.request_backfill,
        "DecideBackfill": handlers.decide_backfill,
        "UpdateActivity": handlers.update,
        "ChangeCapacity": handlers.change_capacity,
        "RecordInsurance": handlers.record_insurance,
        "CancelActivity": handlers.cancel,
        "SignUp": handlers.sign_up,
        "CancelSignUp": handlers.cancel_sign_up,
        "CheckIn": handlers.check_in,
        "CheckOut": handlers.check_out,
        "CloseMissedCheckOuts": handlers.close_missed_check_outs,
        "CompleteActivity": handlers.complete,
        "AttendanceCode": handlers.attendance_code,
    }.items():
        host.command(name, handler, ordered_by=by_activity)
    return handlers
