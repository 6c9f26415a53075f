"""Registry command and query handlers: plain functions over a unit of work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.envelope import rfc3339
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.eventstore import EventStore
from zhiyuan_platform.logging import current_correlation_id, get_logger
from zhiyuan_platform.rpc import Conflict, Forbidden, Invalid, NotFound, Principal, Request

from ..adapters import registration_numbers
from ..adapters.person_store import DuplicatePerson, Person, PersonStore
from ..adapters.tables import pii_reveals
from ..domain.divisions import CommunityCode
from ..domain.identity import IdentityError, parse_resident_id, validate_mobile
from ..domain.volunteer import GuardianConsent, Volunteer, check_eligibility
from .commands import GetVolunteer, RegisterVolunteer

log = get_logger("zhiyuan.registry")
ADMIN_ROLES = ("district_admin", "city_admin")


def parse(model: type[BaseModel], payload: dict[str, Any]) -> Any:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "rule": e["type"], "message": e["msg"]} for e in exc.errors()
        ]
        raise Invalid(
            "invalid-request",
            "请求字段有误：" + "；".join(f"{e['field']}: {e['message']}" for e in errors)
            + " / Invalid fields: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            errors=errors,
        ) from None


def refuse(error: IdentityError) -> Invalid:
    return Invalid(
        f"{error.field.replace('_', '-')}-{error.rule.replace('_', '-')}",
        f"{error.zh} {error.en}",
        errors=[{"field": error.field, "rule": error.rule, "message": error.en, "message_zh": error.zh}],
    )


def actor_of(principal: Principal | None) -> str:
    return f"{principal.role}:{principal.subject}" if principal else "self"


def ensure_may_register_in(principal: Principal | None, community: CommunityCode) -> None:
    if principal is None or principal.role == "city_admin":
        return
    if principal.role in ("district_admin", "organizer") and principal.district == community.district:
        return
    raise Forbidden(
        "outside-your-district",
        f"你只能在本区（{principal.district}）注册志愿者。 You may register volunteers only in your own district.",
    )


class RegistryHandlers:
    def __init__(self, people: PersonStore) -> None:
        self.people = people

    async def register_volunteer(self, uow: UnitOfWork, request: Request) -> dict[str, Any]:
        cmd: RegisterVolunteer = parse(RegisterVolunteer, request.payload)
        today = uow.now.astimezone(UTC).date()
        try:
            community = CommunityCode.parse(cmd.community)
        except ValueError:
            raise Invalid(
                "community-unknown",
                f"社区代码 {cmd.community} 无效。 Community code {cmd.community} is not a community/village code.",
                errors=[{"field": "community", "rule": "division_code", "message": "not a community code"}],
            ) from None
        ensure_may_register_in(request.principal, community)
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
        volunteer_id = str(uuid.uuid4())
        agency = cmd.agency or community.street[:9]
        try:
            await self.people.add(
                uow.conn, volunteer_id, Person(cmd.name.strip(), identity.number, mobile, identity.id_type), now=uow.now
            )
        except DuplicatePerson as dup:
            raise await self._already_registered(uow, dup.volunteer_id) from None
        registration_no = await registration_numbers.issue(uow.conn, agency)
        volunteer = Volunteer.register(
            volunteer_id=volunteer_id, registration_no=registration_no, agency=agency, community=community,
            identity=identity, name=cmd.name, skills=list(cmd.skills), unit_id=cmd.unit_id,
            political_status=cmd.political_status, guardian_consent=consent, today=today,
            registered_at=rfc3339(uow.now), registered_by=actor_of(request.principal),
        )
        await uow.save(volunteer)
        log.info("volunteer.registered", volunteer_id=volunteer_id, district=community.district, agency=agency)
        return {"volunteer_id": volunteer_id, "registration_no": registration_no, "district": community.district}

    async def _already_registered(self, uow: UnitOfWork, volunteer_id: str) -> Conflict:
        existing = await uow.load(Volunteer, volunteer_id)
        number = existing.registration_no if existing else None
        return Conflict(
            "volunteer-already-registered",
            f"该身份证号已注册，注册编号 {number}。 This ID number is already registered as {number}.",
            registration_no=number,
            volunteer_id=volunteer_id,
        )

    async def get_volunteer(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        query: GetVolunteer = parse(GetVolunteer, request.payload)
        history = await EventStore().read_stream(conn, Volunteer.stream_id(query.volunteer_id))
        if not history:
            raise NotFound("volunteer-not-found", f"没有这个志愿者。 No volunteer {query.volunteer_id}.")
        volunteer = Volunteer.rehydrate(query.volunteer_id, ((e.type, e.data) for e in history))
        principal = request.principal
        self._ensure_may_read(principal, volunteer)
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
            "masked": True,
        }
        if query.reveal:
            profile.update(await self._reveal(conn, principal, volunteer, query.reason))
        return profile

    def _ensure_may_read(self, principal: Principal | None, volunteer: Volunteer) -> None:
        if principal is None:
            raise Forbidden("login-required", "需要登录。 Log in to read a volunteer's profile.")
        if principal.role == "city_admin":
            return
        if principal.role == "volunteer" and principal.volunteer == volunteer.id:
            return
        if principal.role in ("district_admin", "organizer") and principal.district == volunteer.district:
            return
        raise Forbidden("not-your-volunteer", "你无权查看这位志愿者。 You may not read this volunteer's profile.")

    async def _reveal(
        self, conn: AsyncConnection, principal: Principal | None, volunteer: Volunteer, reason: str | None
    ) -> dict[str, Any]:
        if principal is None or principal.role not in ADMIN_ROLES:
            raise Forbidden("reveal-not-allowed", "只有区级或市级管理员可查看完整个人信息。 Only district or city admins may reveal personal data.")
        if not reason or len(reason.strip()) < 4:
            raise Invalid(
                "reveal-reason-required",
                "查看完整个人信息须说明理由。 Give a reason to reveal personal data.",
                errors=[{"field": "reason", "rule": "required", "message": "a reason is required"}],
            )
        person = await self.people.reveal(conn, volunteer.id)
        if person is None:
            raise NotFound("personal-data-erased", "此人的个人信息已删除。 This person's data has been erased.")
        await conn.execute(
            insert(pii_reveals).values(
                volunteer_id=volunteer.id, revealed_to=principal.subject, role=principal.role, reason=reason.strip(),
                correlation_id=current_correlation_id(), revealed_at=datetime.now(UTC),
            )
        )
        await conn.commit()
        log.warning("pii.revealed", volunteer_id=volunteer.id, to=principal.subject, role=principal.role, reason=reason)
        return {"name": person.name, "id_number": person.id_number, "mobile": person.mobile, "masked": False}
