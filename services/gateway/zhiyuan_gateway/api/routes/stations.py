"""Volunteer service stations (志愿服务站) and their 六个有 checklist."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...core.config import API_PREFIX
from ...core.problems import problem_responses
from ...schemas.organization import (
    IdPath,
    OrganizationCreated,
    OrganizationPage,
    PlaceKind,
    StationChecklistUpdate,
    StationRegistration,
)
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(prefix="/stations", tags=["organization"])
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503, 504)


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Register a station with its 六个有 checklist (the district's admin or the city admin)",
    responses={201: {"model": OrganizationCreated, "description": "registered; answers `station_id`"}, **COMMAND_PROBLEMS},
)
async def register_station(
    body: StationRegistration, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    result: dict[str, Any] = await bus.request(
        "registry", "RegisterStation", body.model_dump(), principal=principal, idempotency_key=idempotency_key
    )
    location = f"{API_PREFIX}/stations/{quote(str(result.get('station_id', '')), safe='')}"
    return JSONResponse(result, status_code=201, headers={"Location": location})


@router.get(
    "",
    response_model=None,
    summary="List stations, by district",
    responses={200: {"model": OrganizationPage}, **READ_PROBLEMS},
)
async def list_stations(
    principal: CurrentPrincipal,
    bus: Bus,
    district: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    place_kind: PlaceKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> JSONResponse:
    payload = {"district": district, "community": community, "place_kind": place_kind, "limit": limit, "cursor": cursor}
    result = await bus.request(
        "registry", "ListStations", {k: v for k, v in payload.items() if v is not None}, principal=principal
    )
    return JSONResponse(result)


@router.get(
    "/{station_id}",
    response_model=None,
    summary="A station: its checklist, whether it meets all six, and every re-assessment",
    responses=READ_PROBLEMS,
)
async def get_station(station_id: IdPath, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return JSONResponse(await bus.request("registry", "GetStation", {"station_id": station_id}, principal=principal))


@router.put(
    "/{station_id}/checklist",
    response_model=None,
    summary="Re-assess the station against the 六个有 (the district's admin or the city admin)",
    responses=COMMAND_PROBLEMS,
)
async def update_station_checklist(
    station_id: IdPath,
    body: StationChecklistUpdate,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"station_id": station_id, **body.model_dump()}
    result = await bus.request(
        "registry", "UpdateStationChecklist", payload, principal=principal, idempotency_key=idempotency_key
    )
    return JSONResponse(result)
