"""Registering agencies (注册机构) and the stations they authorize to register volunteers."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...core.problems import problem_responses
from ...schemas.organization import (
    AgencyCodePath,
    AgencyRegistration,
    IdPath,
    OrganizationCreated,
    OrganizationPage,
    StationAuthorizationRequest,
)
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(prefix="/agencies", tags=["organization"])
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)


async def _command(
    bus: Bus, operation: str, payload: dict[str, Any], principal: CurrentPrincipal, key: str | None, status: int = 200
) -> JSONResponse:
    result = await bus.request("registry", operation, payload, principal=principal, idempotency_key=key)
    return JSONResponse(result, status_code=status)


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Register an agency of a district or street (its admin or the city admin); answers `agency_code`",
    responses={201: {"model": OrganizationCreated}, **COMMAND_PROBLEMS},
)
async def register_agency(
    body: AgencyRegistration, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return await _command(bus, "RegisterAgency", body.model_dump(), principal, idempotency_key, status=201)


@router.get(
    "",
    response_model=None,
    summary="A district's agencies: its default one, each street's, and the registered ones",
    responses={200: {"model": OrganizationPage}, **problem_responses(401, 403, 422, 503, 504)},
)
async def list_agencies(
    principal: CurrentPrincipal,
    bus: Bus,
    district: Annotated[str, Query(pattern=r"^[0-9]{6}$", description="six-digit district code")],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> JSONResponse:
    payload: dict[str, Any] = {"district": district, "limit": limit}
    if cursor is not None:
        payload["cursor"] = cursor
    return JSONResponse(await bus.request("registry", "ListAgencies", payload, principal=principal))


@router.post(
    "/{code}/authorizations",
    status_code=201,
    response_model=None,
    summary="Authorize a community station to register volunteers under this agency",
    responses=COMMAND_PROBLEMS,
)
async def authorize_station(
    code: AgencyCodePath,
    body: StationAuthorizationRequest,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"agency": code, **body.model_dump()}
    return await _command(bus, "AuthorizeStation", payload, principal, idempotency_key, status=201)


@router.delete(
    "/{code}/authorizations/{station_id}",
    response_model=None,
    summary="Revoke a station's authorization, with a reason",
    responses=COMMAND_PROBLEMS,
)
async def revoke_authorization(
    code: AgencyCodePath,
    station_id: IdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    reason: Annotated[str, Query(min_length=2, max_length=500, description="why the authorization ends")],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"agency": code, "station_id": station_id, "reason": reason.strip()}
    return await _command(bus, "RevokeStationAuthorization", payload, principal, idempotency_key)
