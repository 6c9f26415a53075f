"""Service records (activities context): corrections, disputes, and the lists of a volunteer's
records and sign-ups and of a team's disputes. The service decides who may see and change what."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from zhiyuan_platform.rpc import Principal

from ...core.problems import problem_responses
from ...schemas.activities import (
    Correction,
    DisputeNoPath,
    DisputeRequest,
    DisputeResolution,
    RecordIdPath,
    TeamIdPath,
)
from ...schemas.common import VolunteerIdPath
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(tags=["service records"])

CONTEXT = "activities"
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503, 504)


async def _command(
    bus: Bus,
    operation: str,
    payload: dict[str, Any],
    principal: Principal,
    key: str | None,
    status_code: int = 200,
) -> JSONResponse:
    result = await bus.request(CONTEXT, operation, payload, principal=principal, idempotency_key=key)
    return JSONResponse(result, status_code=status_code)


async def _query(bus: Bus, operation: str, payload: dict[str, Any], principal: Principal) -> JSONResponse:
    return JSONResponse(await bus.request(CONTEXT, operation, payload, principal=principal))


@router.post(
    "/records/{record_id}/corrections",
    response_model=None,
    summary="Correct a record's minutes, with a reason; 0 revokes it (the organizing team)",
    responses=COMMAND_PROBLEMS,
)
async def correct_record(
    record_id: RecordIdPath,
    body: Correction,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"record_id": record_id, **body.model_dump(mode="json")}
    return await _command(bus, "CorrectRecord", payload, principal, idempotency_key)


@router.post(
    "/records/{record_id}/disputes",
    status_code=201,
    response_model=None,
    summary="Dispute one's own record (the volunteer); answers the dispute_no",
    responses=COMMAND_PROBLEMS,
)
async def dispute_record(
    record_id: RecordIdPath,
    body: DisputeRequest,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"record_id": record_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "DisputeRecord", payload, principal, idempotency_key, status_code=201)


@router.post(
    "/records/{record_id}/disputes/{n}/resolution",
    response_model=None,
    summary="Accept (with the corrected minutes) or reject a dispute, with a note (the organizing team)",
    responses=COMMAND_PROBLEMS,
)
async def resolve_dispute(
    record_id: RecordIdPath,
    n: DisputeNoPath,
    body: DisputeResolution,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {
        "record_id": record_id,
        "dispute_no": n,
        **body.model_dump(mode="json", exclude_unset=True),
    }
    return await _command(bus, "ResolveDispute", payload, principal, idempotency_key)


@router.get(
    "/volunteers/{volunteer_id}/records",
    response_model=None,
    summary="A volunteer's service records, corrections applied",
    responses=READ_PROBLEMS,
)
async def volunteer_records(
    volunteer_id: VolunteerIdPath, principal: CurrentPrincipal, bus: Bus
) -> JSONResponse:
    return await _query(bus, "VolunteerRecords", {"volunteer_id": volunteer_id}, principal)


@router.get(
    "/volunteers/{volunteer_id}/signups",
    response_model=None,
    summary="A volunteer's sign-ups, with waitlist positions",
    responses=READ_PROBLEMS,
)
async def volunteer_sign_ups(
    volunteer_id: VolunteerIdPath, principal: CurrentPrincipal, bus: Bus
) -> JSONResponse:
    return await _query(bus, "VolunteerSignUps", {"volunteer_id": volunteer_id}, principal)


@router.get(
    "/teams/{team_id}/disputes",
    response_model=None,
    summary="Disputes of the team's records (the team's organizers, admins)",
    responses=READ_PROBLEMS,
)
async def team_disputes(team_id: TeamIdPath, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return await _query(bus, "TeamDisputes", {"team_id": team_id}, principal)
