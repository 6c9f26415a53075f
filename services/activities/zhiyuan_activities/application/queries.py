"""Reads of activities, rosters, service records and disputes."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Forbidden, Invalid, NotFound, Principal, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.tables import (
    activity_view,
    attendance_view,
    dispute_view,
    record_history,
    record_view,
    signup_view,
    slot_view,
)
from ..domain.rules import SHANGHAI
from . import commands as c
from .context import may_manage, require


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _local(moment: Any) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat() if moment is not None else None


def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        raise Invalid("bad-cursor", "分页游标无效。 The paging cursor is not valid.") from None


def activity_summary(row: Any) -> dict[str, Any]:
    return {
        "activity_id": row.activity_id,
        "team_id": row.team_id,
        "district": row.district,
        "community": row.community,
        "title": row.title,
        "service_kind": row.service_kind,
        "target_group": row.target_group,
        "place": row.place,
        "recruitment": row.recruitment,
        "status": row.status,
        "backfilled": row.backfilled,
        "needs_insurance": row.needs_insurance,
        "insured": row.insured,
        "allows_minors": row.allows_minors,
        "starts_at": _iso(row.starts_at),
        "ends_at": _iso(row.ends_at),
        "starts_at_local": _local(row.starts_at),
        "ends_at_local": _local(row.ends_at),
    }


class ActivityQueries:
    async def get(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ActivityRef, request.payload)
        row = (
            await conn.execute(select(activity_view).where(activity_view.c.activity_id == query.activity_id))
        ).first()
        if row is None or (row.recruitment == "team" and request.principal is None):
            raise NotFound("activity-not-found", f"没有这个活动。 No activity {query.activity_id}.")
        slots = await conn.execute(
            select(slot_view).where(slot_view.c.activity_id == row.activity_id).order_by(slot_view.c.slot)
        )
        answer = activity_summary(row) | {
            "description": row.description,
            "summary": row.summary,
            "people_served": row.people_served,
            "slots": [
                {
                    "slot": s.slot,
                    "starts_at": _iso(s.starts_at),
                    "ends_at": _iso(s.ends_at),
                    "starts_at_local": _local(s.starts_at),
                    "ends_at_local": _local(s.ends_at),
                    "capacity": s.capacity,
                    "confirmed": s.confirmed,
                    "waitlisted": s.waitlisted,
                    "places_left": max(0, s.capacity - s.confirmed),
                }
                for s in slots
            ],
        }
        principal = request.principal
        if principal is not None and principal.role == "volunteer":
            mine = (
                await conn.execute(
                    select(signup_view).where(
                        signup_view.c.activity_id == row.activity_id,
                        signup_view.c.volunteer_id == principal.volunteer,
                    )
                )
            ).first()
            if mine is not None:
                answer["my_signup"] = {
                    "slot": mine.slot,
                    "status": mine.status,
                    "position": await self._position(conn, mine),
                }
        return answer

    async def _position(self, conn: AsyncConnection, signup: Any) -> int | None:
        if signup.status != "waitlisted":
            return None
        ahead = await conn.execute(
            select(signup_view.c.volunteer_id).where(
                signup_view.c.activity_id == signup.activity_id,
                signup_view.c.slot == signup.slot,
                signup_view.c.status == "waitlisted",
                signup_view.c.sequence <= signup.sequence,
            )
        )
        return len(ahead.all())

    async def search(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.SearchActivities, request.payload)
        conditions = [
            activity_view.c.status.in_(("published", "completed"))
            if not query.status
            else activity_view.c.status == query.status
        ]
        principal = request.principal
        if principal is None or principal.role == "volunteer":
            conditions.append(activity_view.c.recruitment == "public")
        if query.district:
            conditions.append(activity_view.c.district == query.district)
        if query.service_kind:
            conditions.append(activity_view.c.service_kind == query.service_kind)
        if query.team_id:
            conditions.append(activity_view.c.team_id == query.team_id)
        if query.from_:
            conditions.append(activity_view.c.ends_at >= query.from_)
        if query.to:
            conditions.append(activity_view.c.starts_at <= query.to)
        if query.cursor:
            starts, _, activity_id = _uncursor(query.cursor).partition("|")
            from datetime import datetime

            moment = datetime.fromisoformat(starts)
            conditions.append(
                (activity_view.c.starts_at > moment)
                | and_(activity_view.c.starts_at == moment, activity_view.c.activity_id > activity_id)
            )
        rows = (
            await conn.execute(
                select(activity_view)
                .where(and_(*conditions))
                .order_by(activity_view.c.starts_at, activity_view.c.activity_id)
                .limit(query.limit + 1)
            )
        ).all()
        page = rows[: query.limit]
        nxt = (
            _cursor(f"{page[-1].starts_at.isoformat()}|{page[-1].activity_id}")
            if len(rows) > query.limit
            else None
        )
        return {"items": [activity_summary(r) for r in page], "next": nxt}

    async def roster(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ActivityRef, request.payload)
        row = (
            await conn.execute(select(activity_view).where(activity_view.c.activity_id == query.activity_id))
        ).first()
        if row is None:
            raise NotFound("activity-not-found", f"没有这个活动。 No activity {query.activity_id}.")
        if not may_manage(request.principal, row.team_id, row.district):
            raise Forbidden(
                "not-your-team",
                "只有本队组织者或管理员可查看名单。 Only the team's organizers and admins see the roster.",
            )
        signups = (
            await conn.execute(
                select(signup_view)
                .where(signup_view.c.activity_id == row.activity_id)
                .order_by(signup_view.c.sequence)
            )
        ).all()
        sessions = (
            await conn.execute(
                select(attendance_view)
                .where(attendance_view.c.activity_id == row.activity_id)
                .order_by(attendance_view.c.checked_in)
            )
        ).all()
        by_volunteer: dict[str, list[dict[str, Any]]] = {}
        for s in sessions:
            by_volunteer.setdefault(s.volunteer_id, []).append(
                {
                    "checked_in": s.checked_in,
                    "checked_out": s.checked_out,
                    "auto_closed": s.auto_closed,
                    "method": s.method,
                }
            )
        waiting: dict[int, int] = {}
        items = []
        for s in signups:
            position = None
            if s.status == "waitlisted":
                waiting[s.slot] = waiting.get(s.slot, 0) + 1
                position = waiting[s.slot]
            items.append(
                {
                    "volunteer_id": s.volunteer_id,
                    "slot": s.slot,
                    "status": s.status,
                    "position": position,
                    "signed_up_at": s.signed_up_at,
                    "attendance": by_volunteer.get(s.volunteer_id, []),
                    "flagged": any(a["auto_closed"] for a in by_volunteer.get(s.volunteer_id, [])),
                }
            )
        return {"activity_id": row.activity_id, "items": items}

    async def volunteer_records(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.VolunteerRef, request.payload)
        who = require(request.principal)
        if not (who.role == "volunteer" and who.volunteer == query.volunteer_id) and who.role not in (
            "district_admin",
            "city_admin",
            "organizer",
            "district_system",
        ):
            raise Forbidden(
                "not-your-records", "只能查看本人的服务记录。 You may read only your own records."
            )
        rows = (
            await conn.execute(
                select(record_view)
                .where(record_view.c.volunteer_id == query.volunteer_id)
                .order_by(record_view.c.started_at)
            )
        ).all()
        rows = [r for r in rows if self._may_see(who, r)]
        history: dict[str, list[dict[str, Any]]] = {}
        if rows:
            changes = await conn.execute(
                select(record_history)
                .where(record_history.c.record_id.in_([r.record_id for r in rows]))
                .order_by(record_history.c.version)
            )
            for h in changes:
                history.setdefault(h.record_id, []).append(
                    {
                        "change": h.change,
                        "minutes": h.minutes,
                        "previous_minutes": h.previous_minutes,
                        "reason": h.reason,
                        "by": h.by,
                        "at": h.at,
                    }
                )
        items = [
            {
                "record_id": r.record_id,
                "activity_id": r.activity_id,
                "team_id": r.team_id,
                "district": r.district,
                "kind": r.kind,
                "title": r.title,
                "minutes": r.minutes,
                "original_minutes": r.original_minutes,
                "started_at": _iso(r.started_at),
                "ended_at": _iso(r.ended_at),
                "started_at_local": _local(r.started_at),
                "place": r.place,
                "target_group": r.target_group,
                "service_kind": r.service_kind,
                "policy_version": r.policy_version,
                "backfilled": r.backfilled,
                "late": r.late,
                "status": r.status,
                "corrected": r.minutes != r.original_minutes,
                "history": history.get(r.record_id, []),
            }
            for r in rows
        ]
        service = [i for i in items if i["kind"] == "service"]
        return {
            "volunteer_id": query.volunteer_id,
            "items": items,
            "total_minutes": sum(i["minutes"] for i in service),
            "training_minutes": sum(i["minutes"] for i in items if i["kind"] == "training"),
            "next": None,
        }

    @staticmethod
    def _may_see(who: Principal, row: Any) -> bool:
        if who.role in ("volunteer", "city_admin"):
            return True
        if who.role in ("district_admin", "district_system"):
            return bool(who.district == row.district)
        return bool(who.team == row.team_id)

    async def disputes(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.TeamRef, request.payload)
        who = require(request.principal)
        if not (
            who.role == "city_admin"
            or (who.role == "organizer" and who.team == query.team_id)
            or who.role == "district_admin"
        ):
            raise Forbidden("not-your-team", "只能查看本队的异议。 You see only your team's disputes.")
        rows = await conn.execute(
            select(dispute_view)
            .where(dispute_view.c.team_id == query.team_id)
            .order_by(dispute_view.c.opened_at)
        )
        return {
            "items": [
                {
                    "record_id": r.record_id,
                    "dispute_no": r.dispute_no,
                    "volunteer_id": r.volunteer_id,
                    "activity_id": r.activity_id,
                    "claimed_minutes": r.claimed_minutes,
                    "reason": r.reason,
                    "status": r.status,
                    "opened_at": r.opened_at,
                    "note": r.note,
                    "resolved_by": r.resolved_by,
                    "resolved_at": r.resolved_at,
                }
                for r in rows
            ],
            "next": None,
        }

    async def my_signups(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.VolunteerRef, request.payload)
        who = require(request.principal)
        if who.role == "volunteer" and who.volunteer != query.volunteer_id:
            raise Forbidden("not-yours", "只能查看本人的报名。 You see only your own sign-ups.")
        rows = (
            await conn.execute(
                select(signup_view, activity_view.c.title)
                .join(activity_view, activity_view.c.activity_id == signup_view.c.activity_id)
                .where(signup_view.c.volunteer_id == query.volunteer_id)
                .order_by(signup_view.c.starts_at)
            )
        ).all()
        return {
            "items": [
                {
                    "activity_id": r.activity_id,
                    "title": r.title,
                    "slot": r.slot,
                    "status": r.status,
                    "position": await self._position(conn, r),
                    "starts_at": _iso(r.starts_at),
                    "ends_at": _iso(r.ends_at),
                    "starts_at_local": _local(r.starts_at),
                }
                for r in rows
            ],
            "next": None,
        }


def wire(host: HandlerRegistry) -> ActivityQueries:
    queries = ActivityQueries()
    host.query("GetActivity", queries.get)
    host.query("SearchActivities", queries.search)
    host.query("Roster", queries.roster)
    host.query("VolunteerRecords", queries.volunteer_records)
    host.query("TeamDisputes", queries.disputes)
    host.query("VolunteerSignUps", queries.my_signups)
    return queries
