"""What the activities handlers share: refusals, who may manage what, the registry copy."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.rpc import Conflict, DomainProblem, Forbidden, Invalid, NotFound, Principal

from ..adapters.tables import known_teams, known_volunteers, team_members
from ..domain.activity import Activity, Candidate
from ..domain.rules import RuleBroken

MANAGERS = ("organizer", "district_admin", "city_admin")


def problem(error: RuleBroken) -> DomainProblem:
    errors = (
        [{"field": error.field, "rule": error.rule, "message": error.en, "message_zh": error.zh}]
        if error.field
        else []
    )
    cls = {409: Conflict, 404: NotFound, 403: Forbidden}.get(error.status, Invalid)
    return cls(error.rule, f"{error.zh} {error.en}", errors=errors)


def actor_of(principal: Principal | None) -> str:
    return f"{principal.role}:{principal.subject}" if principal else "system"


def require(principal: Principal | None) -> Principal:
    if principal is None:
        raise Forbidden("login-required", "需要登录。 Log in first.", status=401)
    return principal


def may_manage(principal: Principal | None, team_id: str, district: str) -> bool:
    if principal is None:
        return False
    if principal.role == "city_admin":
        return True
    if principal.role == "district_admin":
        return principal.district == district
    return principal.role == "organizer" and principal.team == team_id


def ensure_manager(principal: Principal | None, team_id: str, district: str) -> Principal:
    who = require(principal)
    if not may_manage(who, team_id, district):
        raise Forbidden(
            "not-your-team",
            "只有本队组织者或本区管理员可以管理该活动。 Only the team's organizers or the district's admins manage this activity.",
        )
    return who


def ensure_self_or_manager(
    principal: Principal | None, volunteer_id: str, team_id: str, district: str
) -> Principal:
    who = require(principal)
    if who.role == "volunteer" and who.volunteer == volunteer_id:
        return who
    return ensure_manager(who, team_id, district)


async def load_activity(uow: UnitOfWork, activity_id: str) -> Activity:
    activity = await uow.load(Activity, activity_id)
    if activity is None:
        raise NotFound("activity-not-found", f"没有这个活动。 No activity {activity_id}.")
    return activity


async def candidate(conn: AsyncConnection, volunteer_id: str) -> Candidate:
    row = (
        await conn.execute(select(known_volunteers).where(known_volunteers.c.volunteer_id == volunteer_id))
    ).first()
    if row is None:
        raise Conflict(
            "volunteer-not-known",
            "系统中还没有这位志愿者（新注册的志愿者可能需要几秒钟同步）。 "
            "This volunteer is not known here yet; a new registration may take a few seconds to arrive.",
            errors=[{"field": "volunteer_id", "rule": "known_volunteer", "message": "unknown volunteer"}],
        )
    teams = frozenset(
        r.team_id
        for r in await conn.execute(
            select(team_members.c.team_id).where(team_members.c.volunteer_id == volunteer_id)
        )
    )
    return Candidate(
        volunteer_id=row.volunteer_id, active=row.status == "active", minor=bool(row.minor), team_ids=teams
    )


async def team(conn: AsyncConnection, team_id: str) -> tuple[str, str]:
    """The team's (district, community), from the registry's events."""
    row = (await conn.execute(select(known_teams).where(known_teams.c.team_id == team_id))).first()
    if row is None:
        raise Invalid(
            "team-unknown",
            "系统中还没有这个志愿服务队（新登记的队伍可能需要几秒钟同步）。 This team is not known here (yet).",
            errors=[{"field": "team_id", "rule": "known_team", "message": "unknown team"}],
        )
    return row.district, row.community


@dataclass(frozen=True)
class AttendanceCodes:
    """Rotating six-digit activity codes (TOTP-like, HMAC-signed per activity and minute).

    The organizer's screen shows the current code (and a QR of it); a volunteer presents it
    to check in or out. A code is valid for its minute and the one before.
    """

    secret: bytes
    period: int = 60

    def code(self, activity_id: str, window: int) -> str:
        digest = hmac.new(self.secret, f"{activity_id}:{window}".encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"

    def current(self, activity_id: str, now: float | None = None) -> tuple[str, int]:
        moment = time.time() if now is None else now
        window = int(moment // self.period)
        return self.code(activity_id, window), (window + 1) * self.period

    def valid(self, activity_id: str, code: str, now: float | None = None) -> bool:
        moment = time.time() if now is None else now
        window = int(moment // self.period)
        return any(hmac.compare_digest(self.code(activity_id, w), code) for w in (window, window - 1))
