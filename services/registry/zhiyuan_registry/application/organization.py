"""Units, registering agencies, teams and stations: commands, queries and the rules the
volunteer handlers ask of the organization (``ports.Organization``).

Who may do what: a district admin manages the units, agencies, teams and stations of their
district, the city admin all of them; a team's organizer manages their team (its 五有
checklist and members); a volunteer joins and leaves teams only for themself. Reads of
units, agencies, teams and stations are open to any logged-in role; a team's member list
to its organizer and the district's admins.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from zhiyuan_contracts.envelope import rfc3339
from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.rpc import Conflict, DomainProblem, Forbidden, Invalid, NotFound, Principal, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.organization_views import (
    agency_authorizations,
    agency_view,
    checklist_history,
    station_view,
    team_members,
    team_view,
    unit_view,
)
from ..adapters.volunteer_views import volunteer_view
from ..domain.agency import DISTRICT, Agency, AgencyCode, division_prefix, next_agency_code
from ..domain.divisions import CommunityCode
from ..domain.station import Station
from ..domain.team import Team
from ..domain.unit import OrganizationError, Unit
from . import organization_commands as c
from .access import ensure_admin_of, is_admin_of, require_principal
from .common import actor_of, parse
from .ports import RegistryDeps

log = get_logger("zhiyuan.registry.organization")


class DivisionLookup(Protocol):
    """The part of the division tree the agencies need (``domain.division_tree.DivisionTree``)."""

    def find(self, code: str) -> Any: ...

    def children(self, code: str) -> list[Any]: ...


def organization_problem(error: OrganizationError) -> DomainProblem:
    detail = f"{error.zh} {error.en}"
    if error.conflict:
        return Conflict(error.rule, detail)
    return Invalid(
        error.rule,
        detail,
        errors=[{"field": error.field or "", "rule": error.rule, "message": error.en, "message_zh": error.zh}],
    )


def _masked(text: str) -> str:
    return mask_text(text.strip())


def _time(value: datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


# -- paging ----------------------------------------------------------------------------------


def _encode_cursor(values: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, str) for v in values):
        raise Invalid(
            "bad-cursor",
            "分页游标无效。 The paging cursor is not valid.",
            errors=[{"field": "cursor", "rule": "cursor", "message": "not a cursor this list issued"}],
        )
    return values


def _after(keys: Sequence[Any], values: Sequence[str]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (a keyset page)."""
    first, *rest = keys
    if not rest:
        return first > values[0]  # type: ignore[no-any-return]
    return or_(first > values[0], and_(first == values[0], _after(rest, values[1:])))


async def _page(
    conn: AsyncConnection,
    statement: Select[Any],
    keys: Sequence[Any],
    query: c.Page,
    item: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    if query.cursor:
        statement = statement.where(_after(keys, _decode_cursor(query.cursor, len(keys))))
    rows = (await conn.execute(statement.order_by(*keys).limit(query.limit + 1))).all()
    page = rows[: query.limit]
    more = len(rows) > query.limit
    next_cursor = _encode_cursor([getattr(page[-1], k.key) for k in keys]) if more else None
    return {"items": [item(r) for r in page], "next": next_cursor}


def _page_in_memory(items: list[dict[str, Any]], key: str, query: c.Page) -> dict[str, Any]:
    if query.cursor:
        (after,) = _decode_cursor(query.cursor, 1)
        items = [i for i in items if i[key] > after]
    page = items[: query.limit]
    more = len(items) > query.limit
    return {"items": page, "next": _encode_cursor([page[-1][key]]) if more else None}


# -- the rules the volunteer handlers ask for ---------------------------------------------------


def _not_covering(requested: str, community: CommunityCode, why_zh: str, why_en: str) -> Invalid:
    return Invalid(
        "agency-not-covering-community",
        f"注册机构 {requested} {why_zh}，不能为社区 {community.code} 注册志愿者。"
        f" Agency {requested} {why_en}; it cannot register volunteers of community {community.code}.",
        errors=[
            {
                "field": "agency",
                "rule": "covers_community",
                "message": f"agency {requested} {why_en}",
                "message_zh": f"注册机构 {requested} {why_zh}",
            }
        ],
    )


async def _agency_known(conn: AsyncConnection, code: AgencyCode) -> bool:
    """A default agency always exists; another one once it was registered."""
    if code.default:
        return True
    found = await conn.scalar(select(agency_view.c.code).where(agency_view.c.code == code.code))
    return found is not None


class OrganizationRules:
    """``ports.Organization``: answered from the organization's read models."""

    async def registering_agency(
        self,
        conn: AsyncConnection,
        *,
        requested: str | None,
        community: CommunityCode,
        station_id: str | None,
        principal: Principal | None,
    ) -> str:
        if requested is None:
            agency = community.street[:9]
        else:
            try:
                code = AgencyCode.parse(requested)
            except OrganizationError:
                raise _not_covering(requested, community, "不是注册机构代码", "is not an agency code") from None
            if not code.covers(community.code):
                raise _not_covering(requested, community, "的辖区不含该社区", "does not cover the community")
            if not await _agency_known(conn, code):
                raise _not_covering(requested, community, "未登记", "is not registered")
            agency = code.code
        if station_id is not None:
            await self._ensure_station_authorized(conn, agency, station_id)
        return agency

    async def _ensure_station_authorized(self, conn: AsyncConnection, agency: str, station_id: str) -> None:
        station = await conn.scalar(select(station_view.c.station_id).where(station_view.c.station_id == station_id))
        if station is None:
            raise Forbidden(
                "station-not-authorized",
                f"没有站点 {station_id}，不能以站点名义注册。 There is no station {station_id} to register volunteers through.",
            )
        allowed = await conn.scalar(
            select(agency_authorizations.c.station_id).where(
                agency_authorizations.c.agency == agency, agency_authorizations.c.station_id == station_id
            )
        )
        if allowed is None:
            raise Forbidden(
                "station-not-authorized",
                f"站点未获注册机构 {agency} 授权，不能注册志愿者。"
                f" Station {station_id} is not authorized by agency {agency} to register volunteers.",
            )

    async def team_community(self, conn: AsyncConnection, team_id: str) -> str | None:
        found = await conn.scalar(select(team_view.c.community).where(team_view.c.team_id == team_id))
        return str(found) if found is not None else None


# -- handlers ---------------------------------------------------------------------------------------


def _manages_team(principal: Principal, team_id: str, district: str) -> bool:
    return is_admin_of(principal, district) or (principal.role == "organizer" and principal.team == team_id)


class OrganizationHandlers:
    def __init__(self, deps: RegistryDeps) -> None:
        self.deps = deps
        self.tree: DivisionLookup | None = deps.divisions.tree

    # -- units --------------------------------------------------------------------------------

    async def register_unit(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RegisterUnit, request.payload)
        community = self.deps.divisions.community(cmd.community)
        who = ensure_admin_of(request.principal, community.district)
        try:
            unit = Unit.register(
                unit_id=str(uuid.uuid4()),
                name=_masked(cmd.name),
                unit_type=cmd.unit_type.value,
                community=community,
                headcount=cmd.headcount,
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(unit, district=community.district)
        log.info("unit.registered", unit_id=unit.id, district=community.district)
        return {"unit_id": unit.id, "district": community.district, "community": community.code}

    async def list_units(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ListUnits, request.payload)
        require_principal(request.principal)
        statement = select(unit_view)
        if query.district:
            statement = statement.where(unit_view.c.district == query.district)
        if query.community:
            statement = statement.where(unit_view.c.community == query.community)
        if query.unit_type:
            statement = statement.where(unit_view.c.unit_type == query.unit_type.value)
        return await _page(
            conn,
            statement,
            [unit_view.c.community, unit_view.c.unit_id],
            query,
            lambda r: {
                "unit_id": r.unit_id,
                "name": r.name,
                "unit_type": r.unit_type,
                "district": r.district,
                "street": r.street,
                "community": r.community,
                "headcount": r.headcount,
                "registered_at": _time(r.registered_at),
            },
        )

    # -- agencies -----------------------------------------------------------------------------

    def _ensure_division_exists(self, level: str, division: str) -> None:
        if self.tree is None:
            return
        found = self.tree.find(division)
        if found is None or found.level != level:
            raise Invalid(
                "division-unknown",
                f"没有这个{'区县' if level == DISTRICT else '街道（乡镇）'}：{division}。 No {level} has the code {division}.",
                errors=[{"field": "division", "rule": "division_unknown", "message": f"no {level} {division}"}],
            )

    async def register_agency(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RegisterAgency, request.payload)
        try:
            prefix = division_prefix(cmd.level, cmd.division)
        except OrganizationError as error:
            raise organization_problem(error) from None
        self._ensure_division_exists(cmd.level, cmd.division)
        who = ensure_admin_of(request.principal, prefix[:6])
        # Two agencies registered at once for one division must not both take the same serial.
        await uow.lock(f"agency-division:{prefix}")
        existing = (await uow.conn.execute(select(agency_view.c.code).where(agency_view.c.prefix == prefix))).scalars()
        try:
            code = next_agency_code(prefix, existing)
            agency = await uow.load(Agency, code) or Agency(code)
            agency.register(name=_masked(cmd.name), level=cmd.level, division=cmd.division, by=actor_of(who), at=rfc3339(uow.now))
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(agency, district=prefix[:6])
        log.info("agency.registered", agency=code, division=cmd.division)
        return {
            "agency_code": code,
            "name": agency.name,
            "level": cmd.level,
            "division": cmd.division,
            "default": code == prefix,
        }

    async def _agency(self, uow: UnitOfWork, raw: str) -> Agency:
        try:
            code = AgencyCode.parse(raw)
        except OrganizationError as error:
            raise organization_problem(error) from None
        division = code.prefix if code.level == DISTRICT else code.prefix + "000"
        unknown_default = code.default and self.tree is not None and self.tree.find(division) is None
        if unknown_default or not await _agency_known(uow.conn, code):
            raise NotFound("agency-not-found", f"没有注册机构 {raw}。 No registering agency {raw}.")
        await uow.lock(f"agency:{code.code}")
        return await uow.load(Agency, code.code) or Agency(code.code)

    async def _station_row(self, conn: AsyncConnection, station_id: str) -> Any:
        row = (await conn.execute(select(station_view).where(station_view.c.station_id == station_id))).first()
        if row is None:
            raise NotFound("station-not-found", f"没有这个服务站。 No station {station_id}.")
        return row

    async def authorize_station(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.StationAuthorization, request.payload)
        agency = await self._agency(uow, cmd.agency)
        who = ensure_admin_of(request.principal, agency.code.district)
        station = await self._station_row(uow.conn, cmd.station_id)
        try:
            agency.authorize(
                station_id=station.station_id,
                station_community=station.community,
                reason=_masked(cmd.reason),
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(agency, district=agency.code.district)
        return {"agency": agency.id, "station_id": station.station_id, "authorized": True}

    async def revoke_authorization(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.StationAuthorization, request.payload)
        agency = await self._agency(uow, cmd.agency)
        who = ensure_admin_of(request.principal, agency.code.district)
        try:
            agency.revoke(station_id=cmd.station_id, reason=_masked(cmd.reason), by=actor_of(who), at=rfc3339(uow.now))
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(agency, district=agency.code.district)
        return {"agency": agency.id, "station_id": cmd.station_id, "authorized": False}

    async def list_agencies(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        """The district's agencies: its default one, each street's default one, and the registered ones."""
        query = parse(c.ListAgencies, request.payload)
        require_principal(request.principal)
        agencies: dict[str, dict[str, Any]] = {}

        def add(code: str, level: str, division: str, name: str | None = None) -> None:
            found = self.tree.find(division) if self.tree is not None else None
            agencies[code] = {
                "code": code,
                "name": name,
                "level": level,
                "division": division,
                "division_name": found.name if found is not None else None,
                "default": len(code) in (6, 9),
                "authorized_stations": [],
            }

        if self.tree is not None and self.tree.find(query.district) is not None:
            add(query.district, "district", query.district)
            for street in self.tree.children(query.district):
                add(street.code[:9], "street", street.code)
        for row in await conn.execute(select(agency_view).where(agency_view.c.district == query.district)):
            add(row.code, row.level, row.division, row.name)
        grants = await conn.execute(
            select(agency_authorizations.c.agency, agency_authorizations.c.station_id)
            .where(agency_authorizations.c.agency.like(f"{query.district}%"))
            .order_by(agency_authorizations.c.station_id)
        )
        for agency, station_id in grants:
            if agency not in agencies:  # a default agency of a street the tree does not know
                add(agency, "district" if len(agency) == 6 else "street", agency if len(agency) == 6 else agency + "000")
            agencies[agency]["authorized_stations"].append(station_id)
        return _page_in_memory(sorted(agencies.values(), key=lambda a: a["code"]), "code", query)

    # -- teams ----------------------------------------------------------------------------------

    async def _team(self, uow: UnitOfWork, team_id: str) -> Team:
        # Members join one after another rather than failing each other's expected version.
        await uow.lock(f"team:{team_id}")
        team = await uow.load(Team, team_id)
        if team is None:
            raise NotFound("team-not-found", f"没有这个志愿服务队。 No team {team_id}.")
        return team

    async def register_team(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RegisterTeam, request.payload)
        community = self.deps.divisions.community(cmd.community)
        who = ensure_admin_of(request.principal, community.district)
        if cmd.unit_id is not None:
            unit = await uow.conn.scalar(select(unit_view.c.unit_id).where(unit_view.c.unit_id == cmd.unit_id))
            if unit is None:
                raise Invalid(
                    "unit-unknown",
                    f"没有这个单位：{cmd.unit_id}。 No unit {cmd.unit_id} is registered.",
                    errors=[{"field": "unit_id", "rule": "unit_registered", "message": "no such unit"}],
                )
        if cmd.leader_volunteer_id is not None:
            status = await uow.conn.scalar(
                select(volunteer_view.c.status).where(volunteer_view.c.volunteer_id == cmd.leader_volunteer_id)
            )
            if status != "active":
                raise Invalid(
                    "leader-not-an-active-volunteer",
                    "队长须为在册、状态正常的志愿者。 The leader must be a registered, active volunteer.",
                    errors=[
                        {
                            "field": "leader_volunteer_id",
                            "rule": "active_volunteer",
                            "message": "no such volunteer" if status is None else f"the volunteer is {status}",
                        }
                    ],
                )
        try:
            team = Team.register(
                team_id=str(uuid.uuid4()),
                name=_masked(cmd.name),
                kind=cmd.kind.value,
                community=community,
                unit_id=cmd.unit_id,
                leader_volunteer_id=cmd.leader_volunteer_id,
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(team, district=community.district)
        log.info("team.registered", team_id=team.id, district=community.district)
        return {"team_id": team.id, "district": community.district, "community": community.code}

    async def update_team_checklist(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.UpdateTeamChecklist, request.payload)
        team = await self._team(uow, cmd.team_id)
        who = require_principal(request.principal)
        if not _manages_team(who, team.id, team.district):
            raise Forbidden(
                "not-your-team",
                "只有本队组织者或本区、市级管理员可以评定五有。"
                " Only the team's organizer or an admin of its district or the city may assess the team.",
            )
        try:
            team.update_checklist(
                checklist=cmd.checklist.model_dump(), note=_masked(cmd.note), by=actor_of(who), at=rfc3339(uow.now)
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(team, district=team.district)
        return {"team_id": team.id, "checklist": team.checklist, "meets_all_five": team.meets_all_five}

    def _ensure_may_change_membership(self, principal: Principal | None, team: Team, volunteer_id: str) -> Principal:
        who = require_principal(principal)
        if who.role == "volunteer" and who.volunteer == volunteer_id:
            return who
        if _manages_team(who, team.id, team.district):
            return who
        raise Forbidden(
            "not-your-team",
            "只有志愿者本人、本队组织者或本区、市级管理员可以办理入队、退队。"
            " Only the volunteer themself, the team's organizer or an admin of its district may change membership.",
        )

    async def join_team(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.TeamMembership, request.payload)
        team = await self._team(uow, cmd.team_id)
        who = self._ensure_may_change_membership(request.principal, team, cmd.volunteer_id)
        status = await uow.conn.scalar(
            select(volunteer_view.c.status).where(volunteer_view.c.volunteer_id == cmd.volunteer_id)
        )
        if status is None:
            raise NotFound("volunteer-not-found", f"没有这个志愿者。 No volunteer {cmd.volunteer_id}.")
        if status != "active":
            raise Invalid(
                "volunteer-not-active",
                f"该志愿者当前状态为 {status}，不能入队。 The volunteer is {status} and cannot join a team.",
                errors=[{"field": "volunteer_id", "rule": "active_volunteer", "message": f"the volunteer is {status}"}],
            )
        try:
            team.join(volunteer_id=cmd.volunteer_id, by=actor_of(who), at=rfc3339(uow.now))
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(team, district=team.district)
        return {"team_id": team.id, "volunteer_id": cmd.volunteer_id, "members": len(team.members)}

    async def leave_team(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.LeaveTeam, request.payload)
        team = await self._team(uow, cmd.team_id)
        who = self._ensure_may_change_membership(request.principal, team, cmd.volunteer_id)
        try:
            team.leave(volunteer_id=cmd.volunteer_id, reason=_masked(cmd.reason), by=actor_of(who), at=rfc3339(uow.now))
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(team, district=team.district)
        return {"team_id": team.id, "volunteer_id": cmd.volunteer_id, "members": len(team.members)}

    async def _history(self, conn: AsyncConnection, owner: str, owner_id: str) -> list[dict[str, Any]]:
        rows = await conn.execute(
            select(checklist_history)
            .where(checklist_history.c.owner == owner, checklist_history.c.owner_id == owner_id)
            .order_by(checklist_history.c.id)
        )
        return [
            {
                "checklist": r.checklist,
                "complete": all(r.checklist.values()),
                "note": r.note,
                "by": r.changed_by,
                "at": _time(r.changed_at),
            }
            for r in rows
        ]

    async def get_team(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.TeamRef, request.payload)
        require_principal(request.principal)
        row = (await conn.execute(select(team_view).where(team_view.c.team_id == query.team_id))).first()
        if row is None:
            raise NotFound("team-not-found", f"没有这个志愿服务队。 No team {query.team_id}.")
        return {
            **_team_item(row),
            "registered_by": row.registered_by,
            "checklist_history": await self._history(conn, "team", row.team_id),
        }

    async def list_teams(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ListTeams, request.payload)
        require_principal(request.principal)
        statement = select(team_view)
        if query.district:
            statement = statement.where(team_view.c.district == query.district)
        if query.community:
            statement = statement.where(team_view.c.community == query.community)
        if query.kind:
            statement = statement.where(team_view.c.kind == query.kind.value)
        return await _page(conn, statement, [team_view.c.community, team_view.c.team_id], query, _team_item)

    async def list_team_members(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ListTeamMembers, request.payload)
        who = require_principal(request.principal)
        team = (await conn.execute(select(team_view).where(team_view.c.team_id == query.team_id))).first()
        if team is None:
            raise NotFound("team-not-found", f"没有这个志愿服务队。 No team {query.team_id}.")
        if not _manages_team(who, team.team_id, team.district):
            raise Forbidden(
                "not-your-team",
                "只有本队组织者或本区、市级管理员可以查看队员名单。"
                " Only the team's organizer or an admin of its district may read the member list.",
            )
        statement = (
            select(
                team_members.c.volunteer_id,
                team_members.c.joined_at,
                volunteer_view.c.registration_no,
                volunteer_view.c.name_masked,
                volunteer_view.c.status,
            )
            .select_from(
                team_members.outerjoin(volunteer_view, volunteer_view.c.volunteer_id == team_members.c.volunteer_id)
            )
            .where(team_members.c.team_id == team.team_id)
        )
        return await _page(
            conn,
            statement,
            [team_members.c.volunteer_id],
            query,
            lambda r: {
                "volunteer_id": r.volunteer_id,
                "registration_no": r.registration_no,
                "name": r.name_masked,
                "status": r.status,
                "leader": r.volunteer_id == team.leader_volunteer_id,
                "joined_at": _time(r.joined_at),
            },
        )

    # -- stations -------------------------------------------------------------------------------

    async def register_station(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.RegisterStation, request.payload)
        community = self.deps.divisions.community(cmd.community)
        who = ensure_admin_of(request.principal, community.district)
        try:
            station = Station.register(
                station_id=str(uuid.uuid4()),
                name=_masked(cmd.name),
                place_kind=cmd.place_kind,
                community=community,
                checklist=cmd.checklist.model_dump(),
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(station, district=community.district)
        log.info("station.registered", station_id=station.id, district=community.district)
        return {
            "station_id": station.id,
            "district": community.district,
            "community": community.code,
            "meets_all_six": station.meets_all_six,
        }

    async def update_station_checklist(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd = parse(c.UpdateStationChecklist, request.payload)
        await uow.lock(f"station:{cmd.station_id}")
        station = await uow.load(Station, cmd.station_id)
        if station is None:
            raise NotFound("station-not-found", f"没有这个服务站。 No station {cmd.station_id}.")
        who = ensure_admin_of(request.principal, station.district)
        try:
            station.update_checklist(
                checklist=cmd.checklist.model_dump(), note=_masked(cmd.note), by=actor_of(who), at=rfc3339(uow.now)
            )
        except OrganizationError as error:
            raise organization_problem(error) from None
        await uow.save(station, district=station.district)
        return {"station_id": station.id, "checklist": station.checklist, "meets_all_six": station.meets_all_six}

    async def get_station(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.StationRef, request.payload)
        require_principal(request.principal)
        row = await self._station_row(conn, query.station_id)
        agencies = await conn.execute(
            select(agency_authorizations.c.agency)
            .where(agency_authorizations.c.station_id == row.station_id)
            .order_by(agency_authorizations.c.agency)
        )
        return {
            **_station_item(row),
            "registered_by": row.registered_by,
            "authorized_by_agencies": list(agencies.scalars()),
            "checklist_history": await self._history(conn, "station", row.station_id),
        }

    async def list_stations(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query = parse(c.ListStations, request.payload)
        require_principal(request.principal)
        statement = select(station_view)
        if query.district:
            statement = statement.where(station_view.c.district == query.district)
        if query.community:
            statement = statement.where(station_view.c.community == query.community)
        if query.place_kind:
            statement = statement.where(station_view.c.place_kind == query.place_kind)
        return await _page(conn, statement, [station_view.c.community, station_view.c.station_id], query, _station_item)


def _team_item(row: Any) -> dict[str, Any]:
    return {
        "team_id": row.team_id,
        "name": row.name,
        "kind": row.kind,
        "unit_id": row.unit_id,
        "district": row.district,
        "street": row.street,
        "community": row.community,
        "leader_volunteer_id": row.leader_volunteer_id,
        "members": row.member_count,
        "checklist": row.checklist,
        "meets_all_five": bool(row.checklist_complete),
        "registered_at": _time(row.registered_at),
    }


def _station_item(row: Any) -> dict[str, Any]:
    return {
        "station_id": row.station_id,
        "name": row.name,
        "place_kind": row.place_kind,
        "district": row.district,
        "street": row.street,
        "community": row.community,
        "checklist": row.checklist,
        "meets_all_six": bool(row.checklist_complete),
        "registered_at": _time(row.registered_at),
        "checklist_updated_at": _time(row.checklist_updated_at),
    }


def wire(host: HandlerRegistry, deps: RegistryDeps) -> OrganizationHandlers:
    """Registers the organization commands and queries on the host."""
    handlers = OrganizationHandlers(deps)
    host.command("RegisterUnit", handlers.register_unit)
    host.query("ListUnits", handlers.list_units)
    host.command("RegisterAgency", handlers.register_agency)
    host.command("AuthorizeStation", handlers.authorize_station)
    host.command("RevokeStationAuthorization", handlers.revoke_authorization)
    host.query("ListAgencies", handlers.list_agencies)
    host.command("RegisterTeam", handlers.register_team)
    host.command("UpdateTeamChecklist", handlers.update_team_checklist)
    host.command("JoinTeam", handlers.join_team)
    host.command("LeaveTeam", handlers.leave_team)
    host.query("GetTeam", handlers.get_team)
    host.query("ListTeams", handlers.list_teams)
    host.query("ListTeamMembers", handlers.list_team_members)
    host.command("RegisterStation", handlers.register_station)
    host.command("UpdateStationChecklist", handlers.update_station_checklist)
    host.query("GetStation", handlers.get_station)
    host.query("ListStations", handlers.list_stations)
    return handlers
