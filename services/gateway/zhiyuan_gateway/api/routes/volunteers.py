"""Volunteers: registration and profile (registry context)."""

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from zhiyuan_platform.logging import get_logger

from ...core.config import API_PREFIX
from ...core.problems import ApiProblem, problem_responses
from ...core.security import Role, issue_token
from ...schemas.common import VolunteerIdPath
from ...schemas.volunteers import VolunteerRegistered, VolunteerRegistration
from ..deps import (
    ADMINS_AND_ORGANIZERS,
    Bus,
    CurrentPrincipal,
    IdempotencyKey,
    SelfRegistrationGate,
    Settings,
    ensure_role,
    ensure_self_or_roles,
)

router = APIRouter(prefix="/volunteers", tags=["volunteers"])
log = get_logger("zhiyuan.gateway.volunteers")

REVEALERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Register a volunteer (self-registration without a token)",
    openapi_extra={"security": [{}, {"HTTPBearer": []}]},
    responses={
        201: {"model": VolunteerRegistered, "description": "registered; Location names the volunteer"},
        **problem_responses(400, 401, 403, 409, 415, 422, 429, 503, 504),
    },
)
async def register_volunteer(
    body: VolunteerRegistration,
    registrar: SelfRegistrationGate,
    bus: Bus,
    settings: Settings,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    result = await bus.request(
        "registry",
        "RegisterVolunteer",
        body.model_dump(mode="json"),
        principal=registrar,
        idempotency_key=idempotency_key,
    )
    volunteer_id = result.get("volunteer_id") if isinstance(result, dict) else None
    if not isinstance(volunteer_id, str) or not volunteer_id:
        log.error("registry_result_without_volunteer_id")
        raise ApiProblem(
            502,
            "bad-gateway",
            "登记服务的应答缺少 volunteer_id / The registry answered without a volunteer_id",
        )
    content: dict[str, Any] = dict(result)
    if registrar is None:
        content["token"] = issue_token(
            settings.signing_secret,
            Role.VOLUNTEER,
            volunteer=volunteer_id,
            ttl=timedelta(minutes=settings.token_ttl_minutes),
        )
    return JSONResponse(
        content,
        status_code=201,
        headers={"Location": f"{API_PREFIX}/volunteers/{quote(volunteer_id, safe='')}"},
    )


@router.get(
    "/{volunteer_id}",
    response_model=None,
    summary="A volunteer's profile, personal data masked unless revealed",
    responses=problem_responses(401, 403, 404, 422, 503, 504),
)
async def get_volunteer(
    volunteer_id: VolunteerIdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    reveal: Annotated[
        bool, Query(description="ask for personal data unmasked (district/city admins)")
    ] = False,
    reason: Annotated[
        str | None, Query(max_length=200, description="why the data is revealed; required with reveal")
    ] = None,
) -> JSONResponse:
    ensure_self_or_roles(principal, volunteer_id, ADMINS_AND_ORGANIZERS)
    reason = reason.strip() if reason else None
    if reveal:
        ensure_role(principal, REVEALERS, "a reveal of personal data")
        if not reason:
            raise ApiProblem(
                422,
                "validation-error",
                "查看完整个人信息须说明理由 / reveal=true needs a reason",
                title="Request validation failed",
                errors=[
                    {
                        "field": "reason",
                        "message": "缺少理由 / A reason is required with reveal=true",
                        "code": "missing",
                    }
                ],
            )
        log.info(
            "personal_data_reveal_requested",
            volunteer_id=volunteer_id,
            role=principal.role,
            subject=principal.subject,
        )
    result = await bus.request(
        "registry",
        "GetVolunteer",
        {"volunteer_id": volunteer_id, "reveal": reveal, "reason": reason},
        principal=principal,
    )
    return JSONResponse(result)
