"""Volunteer service teams (志愿服务队): registration, the 五有 checklist, members."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from zhiyuan_contracts.vocabularies import TeamKind

from ...core.config import API_PREFIX
from ...core.problems import ApiProblem, problem_responses
from ...core.security import Role
from ...schemas.organization import (
    IdPath,
    OrganizationCreated,
    OrganizationPage,
    TeamChecklistUpdate,
    TeamJoin,
    TeamRegistration,
)
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(prefix="/teams", tags=["organization"])
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503, 504)
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=400)]


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Register a team (a district admin within their district, or the city admin)",
    responses={201: {"model": OrganizationCreated, "description": "registered; answers `team_id`"}, **COMMAND_PROBLEMS},
)
async def register_team(
    body: TeamRegistration, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    result: dict[str, Any] = await bus.request(
        "registry", "RegisterTeam", body.model_dump(mode="json"), principal=principal, idempotency_key=idempotency_key
    )
    location = f"{API_PREFIX}/teams/{quote(str(result.get('team_id', '')), safe='')}"
    return JSONResponse(result, status_code=201, headers={"Location": location})


@router.get(
    "",
    response_model=None,
    summary="List teams, by district",
    responses={200: {"model": OrganizationPage}, **READ_PROBLEMS},
)
async def list_teams(
    principal: CurrentPrincipal,
    bus: Bus,
    district: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    kind: TeamKind | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    payload = {
        "district": district,
        "community": community,
        "kind": kind.value if kind else None,
        "limit": limit,
        "cursor": cursor,
    }
    result = await bus.request(
        "registry", "ListTeams", {k: v for k, v in payload.items() if v is not None}, principal=principal
    )
    return JSONResponse(result)


@router.get(
    "/{team_id}",
    response_model=None,
    summary="A team: members, its 五有 checklist and the checklist's history",
    responses=READ_PROBLEMS,
)
async def get_team(team_id: IdPath, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return JSONResponse(await bus.request("registry", "GetTeam", {"team_id": team_id}, principal=principal))


@router.put(
    "/{team_id}/checklist",
    response_model=None,
    summary="Assess the team against the 五有 (its organizer or the district's admin)",
    responses=COMMAND_PROBLEMS,
)
async def update_team_checklist(
    team_id: IdPath,
    body: TeamChecklistUpdate,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"team_id": team_id, **body.model_dump()}
    result = await bus.request(
        "registry", "UpdateTeamChecklist", payload, principal=principal, idempotency_key=idempotency_key
    )
    return JSONResponse(result)


@router.post(
    "/{team_id}/members",
    status_code=201,
    response_model=None,
    summary="Join a team: a volunteer joins themself; the organizer or an admin names the volunteer",
    responses=COMMAND_PROBLEMS,
)
async def join_team(
    team_id: IdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    body: Annotated[TeamJoin | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    volunteer_id = body.volunteer_id if body else None
    if volunteer_id is None:
        if principal.role != Role.VOLUNTEER or not principal.volunteer:
            raise ApiProblem(
                422,
                "validation-error",
                "请指明入队的志愿者 / Name the volunteer_id that joins (only a volunteer's token joins itself)",
                title="Request validation failed",
                errors=[{"field": "volunteer_id", "message": "required unless a volunteer joins themself", "code": "missing"}],
            )
        volunteer_id = principal.volunteer
    result = await bus.request(
        "registry",
        "JoinTeam",
        {"team_id": team_id, "volunteer_id": volunteer_id},
        principal=principal,
        idempotency_key=idempotency_key,
    )
    return JSONResponse(result, status_code=201)


@router.delete(
    "/{team_id}/members/{volunteer_id}",
    response_model=None,
    summary="Leave a team (the volunteer, the team's organizer or the district's admin)",
    responses=COMMAND_PROBLEMS,
)
async def leave_team(
    team_id: IdPath,
    volunteer_id: IdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    reason: Annotated[str, Query(max_length=500)] = "",
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"team_id": team_id, "volunteer_id": volunteer_id, "reason": reason.strip()}
    result = await bus.request("registry", "LeaveTeam", payload, principal=principal, idempotency_key=idempotency_key)
    return JSONResponse(result)


@router.get(
    "/{team_id}/members",
    response_model=None,
    summary="The team's members, names masked (its organizer or the district's admin)",
    responses={200: {"model": OrganizationPage}, **READ_PROBLEMS},
)
async def list_team_members(
    team_id: IdPath, principal: CurrentPrincipal, bus: Bus, limit: Limit = 50, cursor: Cursor = None
) -> JSONResponse:
    payload: dict[str, Any] = {"team_id": team_id, "limit": limit}
    if cursor is not None:
        payload["cursor"] = cursor
    return JSONResponse(await bus.request("registry", "ListTeamMembers", payload, principal=principal))
