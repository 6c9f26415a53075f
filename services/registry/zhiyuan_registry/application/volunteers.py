"""Volunteer commands and queries: registration and the life of a registration."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import rfc3339
from zhiyuan_contracts.pii import mask_text
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.logging import current_correlation_id, get_logger
from zhiyuan_platform.rpc import Conflict, Forbidden, Invalid, NotFound, Principal, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters import registration_numbers
from ..adapters.person_store import DuplicatePerson, Person
from ..adapters.tables import pii_reveals
from ..adapters.volunteer_views import volunteer_view
from ..domain.identity import IdentityError, mask_name, parse_resident_id, validate_mobile
from ..domain.volunteer import GuardianConsent, LifecycleError, Volunteer, check_eligibility
from . import commands as c
from .access import ADMIN_ROLES, ensure_admin_of, ensure_self_or_admin, is_admin_of, require_principal
from .common import actor_of, parse, refuse
from .ports import RegistryDeps

log = get_logger("zhiyuan.registry")


def lifecycle_problem(error: LifecycleError) -> Conflict:
    return Conflict(f"volunteer-{error.rule}", f"{error.zh} {error.en}")


class VolunteerHandlers:
    def __init__(self, deps: RegistryDeps) -> None:
        self.deps = deps
        self.people = deps.people

    # -- registration -------------------------------------------------------------------

    async def register_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: c.RegisterVolunteer = parse(c.RegisterVolunteer, request.payload)
        today = uow.now.astimezone(UTC).date()
        community = self.deps.divisions.community(cmd.community)
        await self._ensure_may_register_in(uow.conn, request.principal, community.code, community.district)
        try:
            identity = parse_resident_id(cmd.id_number, today=today)
            mobile = validate_mobile(cmd.mobile)
            consent = (
                GuardianConsent(cmd.guardian_consent.name, cmd.guardian_consent.relation, cmd.guardian_consent.given_on)
                if cmd.guardian_consent
                else None
            )
            # Every rule is checked before a number is issued, so a refusal never consumes one.
            check_eligibility(identity, consent, today)
        except IdentityError as error:
            raise refuse(error) from None
        agency = await self.deps.organization.registering_agency(
            uow.conn, requested=cmd.agency, community=community, station_id=cmd.station_id, principal=request.principal
        )
        volunteer_id = str(uuid.uuid4())
        try:
            await self.people.add(
                uow.conn, volunteer_id, Person(cmd.name.strip(), identity.number, mobile, identity.id_type), now=uow.now
            )
        except DuplicatePerson as dup:
            raise await self._already_registered(uow, dup.volunteer_id) from None
        registration_no = await registration_numbers.issue(uow.conn, agency)
        volunteer = Volunteer.register(
            volunteer_id=volunteer_id,
            registration_no=registration_no,
            agency=agency,
            community=community,
            identity=identity,
            name=cmd.name,
            skills=list(cmd.skills),
            unit_id=cmd.unit_id,
            political_status=cmd.political_status,
            guardian_consent=consent,
            today=today,
            registered_at=rfc3339(uow.now),
            registered_by=actor_of(request.principal),
        )
        await uow.save(volunteer, district=community.district)
        log.info("volunteer.registered", volunteer_id=volunteer_id, district=community.district, agency=agency)
        return {"volunteer_id": volunteer_id, "registration_no": registration_no, "district": community.district}

    async def _ensure_may_register_in(
        self, conn: AsyncConnection, principal: Principal | None, community: str, district: str
    ) -> None:
        if principal is None or is_admin_of(principal, district):
            return
        if principal.role == "organizer" and principal.team:
            if await self.deps.organization.team_community(conn, principal.team) == community:
                return
            raise Forbidden(
                "outside-your-team-community",
                "组织者只能在本队所在社区注册志愿者。 An organizer registers volunteers only in their team's community.",
            )
        raise Forbidden(
            "outside-your-district", f"你不能在 {district} 注册志愿者。 You may not register volunteers in district {district}."
        )

    async def _already_registered(self, uow: UnitOfWork, volunteer_id: str) -> Conflict:
        existing = await uow.load(Volunteer, volunteer_id)
        number = existing.registration_no if existing else None
        status = existing.status if existing else None
        return Conflict(
            "volunteer-already-registered",
            f"该身份证号已注册，注册编号 {number}。 This ID number is already registered as {number}.",
            registration_no=number,
            volunteer_id=volunteer_id,
            registration_status=status,
        )

    # -- the life of a registration --------------------------------------------------------

    async def _load(self, uow: UnitOfWork, volunteer_id: str) -> Volunteer:
        volunteer = await uow.load(Volunteer, volunteer_id)
        if volunteer is None:
            raise NotFound("volunteer-not-found", f"没有这个志愿者。 No volunteer {volunteer_id}.")
        return volunteer

    async def update_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: c.UpdateVolunteer = parse(c.UpdateVolunteer, request.payload)
        volunteer = await self._load(uow, cmd.volunteer_id)
        who = ensure_self_or_admin(request.principal, volunteer.id, volunteer.district)
        changed = sorted(cmd.model_fields_set - {"volunteer_id"})
        mobile = None
        try:
            if cmd.mobile is not None:
                mobile = validate_mobile(cmd.mobile)
        except IdentityError as error:
            raise refuse(error) from None
        try:
            volunteer.update_profile(
                changed=changed,
                skills=list(cmd.skills) if cmd.skills is not None else None,
                unit_id=cmd.unit_id,
                political_status=cmd.political_status,
                name_masked=mask_name(cmd.name) if cmd.name else None,
                by=actor_of(who),
                at=rfc3339(uow.now),
            )
        except LifecycleError as error:
            raise lifecycle_problem(error) from None
        if cmd.name or mobile:
            await self.people.update(uow.conn, volunteer.id, name=cmd.name, mobile=mobile)
        await uow.save(volunteer, district=volunteer.district)
        return {"volunteer_id": volunteer.id, "changed": changed}

    async def move_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: c.MoveVolunteer = parse(c.MoveVolunteer, request.payload)
        volunteer = await self._load(uow, cmd.volunteer_id)
        who = ensure_self_or_admin(request.principal, volunteer.id, volunteer.district)
        target = self.deps.divisions.community(cmd.community)
        try:
            volunteer.move(to=target, reason=mask_text(cmd.reason), by=actor_of(who), at=rfc3339(uow.now))
        except LifecycleError as error:
            raise lifecycle_problem(error) from None
        await uow.save(volunteer, district=target.district)
        return {"volunteer_id": volunteer.id, "community": target.code, "district": target.district}

    async def _change_status(self, uow: UnitOfWork, request: Request, action: str) -> dict[str, Any]:
        cmd: c.ChangeStatus = parse(c.ChangeStatus, request.payload)
        volunteer = await self._load(uow, cmd.volunteer_id)
        if action == "deregister":
            who = ensure_self_or_admin(request.principal, volunteer.id, volunteer.district)
        else:
            who = ensure_admin_of(request.principal, volunteer.district)
        reason = mask_text(cmd.reason)
        try:
            getattr(volunteer, action)(reason=reason, by=actor_of(who), at=rfc3339(uow.now))
        except LifecycleError as error:
            raise lifecycle_problem(error) from None
        await uow.save(volunteer, district=volunteer.district)
        log.info(f"volunteer.{action}", volunteer_id=volunteer.id, by=actor_of(who))
        return {"volunteer_id": volunteer.id, "status": volunteer.status}

    async def suspend_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        return await self._change_status(uow, request, "suspend")

    async def reinstate_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        return await self._change_status(uow, request, "reinstate")

    async def deregister_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        return await self._change_status(uow, request, "deregister")

    async def erase_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        """Erase a person on request: their key is destroyed; the anonymous history stays."""
        cmd: c.ChangeStatus = parse(c.ChangeStatus, request.payload)
        volunteer = await self._load(uow, cmd.volunteer_id)
        who = ensure_self_or_admin(request.principal, volunteer.id, volunteer.district)
        try:
            volunteer.erase_personal_data(reason=mask_text(cmd.reason), by=actor_of(who), at=rfc3339(uow.now))
        except LifecycleError as error:
            raise lifecycle_problem(error) from None
        await self.people.erase(uow.conn, volunteer.id, now=uow.now)
        await uow.save(volunteer, district=volunteer.district)
        log.warning("pii.erased", volunteer_id=volunteer.id, by=actor_of(who))
        return {"volunteer_id": volunteer.id, "status": volunteer.status, "erased": True}

    # -- reads ------------------------------------------------------------------------------

    async def get_volunteer(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query: c.GetVolunteer = parse(c.GetVolunteer, request.payload)
        row = (await conn.execute(select(volunteer_view).where(volunteer_view.c.volunteer_id == query.volunteer_id))).first()
        if row is None:
            raise NotFound("volunteer-not-found", f"没有这个志愿者。 No volunteer {query.volunteer_id}.")
        principal = request.principal
        await self._ensure_may_read(conn, principal, row)
        volunteer = await self._rehydrate(conn, query.volunteer_id)
        masked = await self.people.masked(conn, volunteer.id)
        profile: dict[str, Any] = {
            "volunteer_id": volunteer.id,
            "registration_no": volunteer.registration_no,
            "status": volunteer.status,
            "name": masked.name if masked else None,
            "id_type": masked.id_type if masked else None,
            "id_number": masked.id_number if masked else None,
            "mobile": masked.mobile if masked else None,
            "community": volunteer.community,
            "street": volunteer.street,
            "district": volunteer.district,
            "agency": volunteer.agency,
            "skills": volunteer.skills,
            "minor": volunteer.minor,
            "unit_id": volunteer.unit_id,
            "political_status": volunteer.political_status,
            "registered_at": volunteer.registered_at,
            "personal_data_erased": volunteer.erased,
            "masked": True,
        }
        if query.reveal:
            profile.update(await self._reveal(conn, principal, volunteer, query.reason))
        return profile

    async def _rehydrate(self, conn: AsyncConnection, volunteer_id: str) -> Volunteer:
        from zhiyuan_platform.eventstore import EventStore

        history = await EventStore().read_stream(conn, Volunteer.stream_id(volunteer_id))
        return Volunteer.rehydrate(volunteer_id, ((e.type, e.data) for e in history))

    async def _ensure_may_read(self, conn: AsyncConnection, principal: Principal | None, row: Any) -> None:
        who = require_principal(principal)
        if who.role == "volunteer" and who.volunteer == row.volunteer_id:
            return
        if is_admin_of(who, row.district):
            return
        if who.role == "organizer" and who.district == row.district:
            return  # masked reads of their district's volunteers, for rosters
        raise Forbidden("not-your-volunteer", "你无权查看这位志愿者。 You may not read this volunteer's profile.")

    async def _reveal(
        self, conn: AsyncConnection, principal: Principal | None, volunteer: Volunteer, reason: str | None
    ) -> dict[str, Any]:
        if principal is None or principal.role not in ADMIN_ROLES or not is_admin_of(principal, volunteer.district):
            raise Forbidden(
                "reveal-not-allowed",
                "只有本区或市级管理员可查看完整个人信息。 Only an admin of the volunteer's district or the city may reveal personal data.",
            )
        if not reason or len(reason.strip()) < 4:
            raise Invalid(
                "reveal-reason-required",
                "查看完整个人信息须说明理由（至少4个字）。 Give a reason (4 characters or more) to reveal personal data.",
                errors=[{"field": "reason", "rule": "required", "message": "a reason is required"}],
            )
        person = await self.people.reveal(conn, volunteer.id)
        if person is None:
            raise NotFound("personal-data-erased", "此人的个人信息已删除。 This person's data has been erased.")
        await conn.execute(
            insert(pii_reveals).values(
                volunteer_id=volunteer.id,
                revealed_to=principal.subject,
                role=principal.role,
                reason=reason.strip(),
                correlation_id=current_correlation_id(),
                revealed_at=datetime.now(UTC),
            )
        )
        await conn.commit()
        log.warning("pii.revealed", volunteer_id=volunteer.id, to=principal.subject, role=principal.role, reason=reason)
        return {"name": person.name, "id_number": person.id_number, "mobile": person.mobile, "masked": False}

    async def list_volunteers(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query: c.ListVolunteers = parse(c.ListVolunteers, request.payload)
        who = require_principal(request.principal)
        district = query.district
        if who.role == "district_admin":
            district = district or who.district
            ensure_admin_of(who, district or "")
        elif who.role != "city_admin":
            raise Forbidden("admins-only", "只有管理员可以列出志愿者。 Only admins list volunteers.")
        conditions = []
        if district:
            conditions.append(volunteer_view.c.district == district)
        if query.community:
            conditions.append(volunteer_view.c.community == query.community)
        if query.status:
            conditions.append(volunteer_view.c.status == query.status)
        if query.cursor:
            conditions.append(volunteer_view.c.registration_no > _decode_cursor(query.cursor))
        rows = (
            await conn.execute(
                select(volunteer_view)
                .where(and_(*conditions))
                .order_by(volunteer_view.c.registration_no)
                .limit(query.limit + 1)
            )
        ).all()
        items = [
            {
                "volunteer_id": r.volunteer_id,
                "registration_no": r.registration_no,
                "name": r.name_masked,
                "district": r.district,
                "street": r.street,
                "community": r.community,
                "status": r.status,
                "minor": r.minor,
                "registered_at": r.registered_at,
            }
            for r in rows[: query.limit]
        ]
        next_cursor = _encode_cursor(rows[query.limit - 1].registration_no) if len(rows) > query.limit else None
        return {"items": items, "next": next_cursor}


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        raise Invalid("bad-cursor", "分页游标无效。 The paging cursor is not valid.") from None


def wire(host: HandlerRegistry, deps: RegistryDeps) -> VolunteerHandlers:
    handlers = VolunteerHandlers(deps)
    host.command("RegisterVolunteer", handlers.register_volunteer)
    host.command("UpdateVolunteer", handlers.update_volunteer)
    host.command("MoveVolunteer", handlers.move_volunteer)
    host.command("SuspendVolunteer", handlers.suspend_volunteer)
    host.command("ReinstateVolunteer", handlers.reinstate_volunteer)
    host.command("DeregisterVolunteer", handlers.deregister_volunteer)
    host.command("EraseVolunteer", handlers.erase_volunteer)
    host.query("GetVolunteer", handlers.get_volunteer, writes=True)
    host.query("ListVolunteers", handlers.list_volunteers)
    return handlers
