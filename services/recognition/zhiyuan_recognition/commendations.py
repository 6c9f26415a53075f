"""Commendation lists: compute and notice, objections, resolution, publication, reads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.eventstore import StoredEvent
from zhiyuan_platform.payloads import parse
from zhiyuan_platform.rpc import Conflict, DomainProblem, Forbidden, Invalid, NotFound, Principal, Request
from zhiyuan_platform.service import HandlerRegistry

from .adapters.tables import commendation_lists, service_records, teams, volunteers
from .domain.commendation import CRITERIA, CommendationError, CommendationList, rank
from .domain.periods import parse_period

CITY = "110000"


class Compute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["quarterly", "annual", "team"]
    period: str
    scope: str = Field(pattern=r"^(city|[0-9]{6})$")


class Objection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: str
    entry: int = Field(ge=1)
    reason: str = Field(min_length=4, max_length=1000)


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: str
    objection_no: int = Field(ge=1)
    upheld: bool
    note: str = Field(min_length=2, max_length=1000)


class ListRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: str


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: str | None = Field(default=None, pattern=r"^(city|[0-9]{6})$")
    state: Literal["noticed", "published"] | None = None
    kind: str | None = None


def _problem(error: CommendationError) -> DomainProblem:
    cls = {404: NotFound, 422: Invalid, 403: Forbidden}.get(error.status, Conflict)
    errors = [{"field": error.field, "rule": error.rule, "message": error.en}] if error.field else []
    return cls(f"commendation-{error.rule}", f"{error.zh} {error.en}", errors=errors)


def _ensure_admin(principal: Principal | None, scope: str) -> Principal:
    if principal is not None and (
        principal.role == "city_admin" or (principal.role == "district_admin" and principal.district == scope)
    ):
        return principal
    raise Forbidden(
        "commendation-admins-only",
        "市级名单由市管理员、区级名单由本区管理员办理。 City lists are for the city's admins, district lists for that district's admins.",
    )


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.subject}"


class CommendationHandlers:
    def __init__(self, notice_days: int) -> None:
        self.notice_days = notice_days

    async def _load(self, uow: UnitOfWork, list_id: str) -> CommendationList:
        found = await uow.load(CommendationList, list_id)
        if found is None:
            raise NotFound("commendation-not-found", f"没有这份名单。 No commendation list {list_id}.")
        return found

    async def compute(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(Compute, request.payload)
        who = _ensure_admin(request.principal, cmd.scope)
        criteria = CRITERIA[cmd.kind]
        try:
            period = parse_period(cmd.period)
        except ValueError as exc:
            raise Invalid(
                "invalid-period",
                str(exc),
                errors=[{"field": "period", "rule": "period", "message": str(exc)}],
            ) from None
        wanted = "quarter" if "Q" in cmd.period else "year" if len(cmd.period) == 4 else "month"
        if wanted != criteria.period_kind:
            raise Invalid(
                "period-does-not-fit-kind",
                f"{cmd.kind} 名单的期间应为{'季度（如 2026Q1）' if criteria.period_kind == 'quarter' else '年度（如 2026）'}。 A {cmd.kind} list is for a {criteria.period_kind}.",
                errors=[
                    {"field": "period", "rule": "period_kind", "message": f"needs a {criteria.period_kind}"}
                ],
            )
        candidates = await self._candidates(uow.conn, criteria.subject, period.start, period.end, cmd.scope)
        try:
            commendation = CommendationList.notice(
                str(uuid.uuid4()),
                criteria=criteria,
                period=cmd.period,
                scope=cmd.scope,
                entries=rank(candidates, criteria, cmd.scope),
                notice_days=self.notice_days,
                by=_actor(who),
                now=uow.now,
            )
        except CommendationError as error:
            raise _problem(error) from None
        await uow.save(commendation, district=CITY if cmd.scope == "city" else cmd.scope)
        return {
            "list_id": commendation.id,
            "state": commendation.state,
            "entries": len(commendation.entries),
            "notice_ends_at": commendation.notice_ends_at.isoformat()
            if commendation.notice_ends_at
            else None,
        }

    async def _candidates(
        self, conn: AsyncConnection, subject: str, start: datetime, end: datetime, scope: str
    ) -> list[dict[str, Any]]:
        conditions = [
            service_records.c.started_at >= start,
            service_records.c.started_at < end,
            service_records.c.minutes > 0,
        ]
        if scope != "city":
            conditions.append(service_records.c.district == scope)
        minutes = func.sum(service_records.c.minutes).label("minutes")
        if subject == "team":
            rows = await conn.execute(
                select(service_records.c.team_id, teams.c.name, minutes)
                .outerjoin(teams, teams.c.team_id == service_records.c.team_id)
                .where(and_(*conditions), service_records.c.team_id.is_not(None))
                .group_by(service_records.c.team_id, teams.c.name)
            )
            return [
                {"team_id": r.team_id, "team_name": r.name, "minutes": int(r.minutes), "tiebreak": r.team_id}
                for r in rows
            ]
        rows = await conn.execute(
            select(
                service_records.c.volunteer_id,
                volunteers.c.registration_no,
                volunteers.c.name_masked,
                minutes,
            )
            .join(volunteers, volunteers.c.volunteer_id == service_records.c.volunteer_id)
            .where(and_(*conditions), volunteers.c.status == "active")
            .group_by(service_records.c.volunteer_id, volunteers.c.registration_no, volunteers.c.name_masked)
        )
        return [
            {
                "volunteer_id": r.volunteer_id,
                "name_masked": r.name_masked,
                "minutes": int(r.minutes),
                "tiebreak": r.registration_no,
            }
            for r in rows
        ]

    async def object(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(Objection, request.payload)
        if request.principal is None:
            raise Forbidden("login-required", "请登录后提出异议。 Log in to object.", status=401)
        commendation = await self._load(uow, cmd.list_id)
        try:
            number = commendation.object(
                entry=cmd.entry, reason=mask_text(cmd.reason), by=_actor(request.principal), now=uow.now
            )
        except CommendationError as error:
            raise _problem(error) from None
        await uow.save(commendation, district=CITY if commendation.scope == "city" else commendation.scope)
        return {"list_id": commendation.id, "objection_no": number, "status": "open"}

    async def resolve(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(Resolution, request.payload)
        commendation = await self._load(uow, cmd.list_id)
        who = _ensure_admin(request.principal, commendation.scope)
        try:
            commendation.resolve(
                cmd.objection_no, upheld=cmd.upheld, note=mask_text(cmd.note), by=_actor(who), now=uow.now
            )
        except CommendationError as error:
            raise _problem(error) from None
        await uow.save(commendation, district=CITY if commendation.scope == "city" else commendation.scope)
        return {
            "list_id": commendation.id,
            "objection_no": cmd.objection_no,
            "status": "upheld" if cmd.upheld else "dismissed",
        }

    async def publish(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(ListRef, request.payload)
        commendation = await self._load(uow, cmd.list_id)
        who = _ensure_admin(request.principal, commendation.scope)
        try:
            commendation.publish(by=_actor(who), now=uow.now)
        except CommendationError as error:
            raise _problem(error) from None
        await uow.save(commendation, district=CITY if commendation.scope == "city" else commendation.scope)
        return {"list_id": commendation.id, "state": "published", "entries": len(commendation.entries)}

    # -- reads ---------------------------------------------------------------------------------

    async def list(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(ListQuery, request.payload)
        conditions = []
        if query.scope:
            conditions.append(commendation_lists.c.scope == query.scope)
        if query.state:
            conditions.append(commendation_lists.c.state == query.state)
        if query.kind:
            conditions.append(commendation_lists.c.kind == query.kind)
        rows = (
            await conn.execute(
                select(commendation_lists)
                .where(and_(*conditions))
                .order_by(commendation_lists.c.noticed_at.desc())
            )
        ).all()
        # Both states are public: a notice (公示) is there for anyone to read and object to.
        items = [self._view(r) for r in rows]
        return {"items": items, "next": None}

    async def get(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(ListRef, request.payload)
        row = (
            await conn.execute(
                select(commendation_lists).where(commendation_lists.c.list_id == query.list_id)
            )
        ).first()
        if row is None:
            raise NotFound("commendation-not-found", f"没有这份名单。 No commendation list {query.list_id}.")
        return self._view(row)

    @staticmethod
    def _view(row: Any) -> dict[str, Any]:
        return {
            "list_id": row.list_id,
            "kind": row.kind,
            "period": row.period,
            "scope": row.scope,
            "state": row.state,
            "criteria_version": row.criteria_version,
            "notice_ends_at": row.notice_ends_at.isoformat(),
            "entries": row.entries,
            "objections": row.objections,
            "published_at": row.published_at.isoformat() if row.published_at else None,
        }


# -- the read table, kept in the command's transaction ----------------------------------------


async def project(conn: AsyncConnection, event: StoredEvent) -> None:
    list_id = event.stream_id.split("-", 1)[1]
    d = event.data
    where = commendation_lists.c.list_id == list_id
    if event.type == "CommendationListNoticed":
        await conn.execute(
            commendation_lists.insert().values(
                list_id=list_id,
                kind=d["kind"],
                period=d["period"],
                scope=d["scope"],
                state="noticed",
                criteria_version=d["criteria_version"],
                notice_ends_at=datetime.fromisoformat(d["notice_ends_at"]),
                entries=d["entries"],
                objections=[],
                noticed_at=datetime.fromisoformat(d["at"]),
                sequence=event.version,
            )
        )
    elif event.type in ("ObjectionRecorded", "ObjectionResolved"):
        current = (await conn.execute(select(commendation_lists.c.objections).where(where))).scalar_one()
        objections = [dict(o) for o in current]
        if event.type == "ObjectionRecorded":
            objections.append(
                {
                    "objection_no": d["objection_no"],
                    "entry": d["entry"],
                    "reason": d["reason"],
                    "status": "open",
                    "at": d["at"],
                }
            )
        else:
            for o in objections:
                if o["objection_no"] == d["objection_no"]:
                    o.update(
                        status="upheld" if d["upheld"] else "dismissed", note=d["note"], resolved_at=d["at"]
                    )
        await conn.execute(
            update(commendation_lists).where(where).values(objections=objections, sequence=event.version)
        )
    elif event.type == "CommendationListPublished":
        await conn.execute(
            update(commendation_lists)
            .where(where)
            .values(
                state="published",
                entries=d["entries"],
                published_at=datetime.fromisoformat(d["at"]),
                sequence=event.version,
            )
        )


def wire(host: HandlerRegistry, *, notice_days: int) -> CommendationHandlers:
    handlers = CommendationHandlers(notice_days)
    host.command("ComputeCommendationList", handlers.compute)
    host.command("RecordObjection", handlers.object)
    host.command("ResolveObjection", handlers.resolve)
    host.command("PublishCommendationList", handlers.publish)
    host.query("ListCommendations", handlers.list)
    host.query("GetCommendation", handlers.get)
    return handlers
