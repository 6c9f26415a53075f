"""Units (单位), with their type and headcount for the quota reports (registry context)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from zhiyuan_contracts.vocabularies import UnitType

from ...core.problems import problem_responses
from ...schemas.organization import OrganizationCreated, OrganizationPage, UnitRegistration
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(prefix="/units", tags=["organization"])

District = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="six-digit district code")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=400)]


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Register a unit (the district's admin or the city admin)",
    responses={
        201: {"model": OrganizationCreated, "description": "registered; answers `unit_id`"},
        **problem_responses(400, 401, 403, 409, 415, 422, 503, 504),
    },
)
async def register_unit(
    body: UnitRegistration, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    result: dict[str, Any] = await bus.request(
        "registry", "RegisterUnit", body.model_dump(mode="json"), principal=principal, idempotency_key=idempotency_key
    )
    return JSONResponse(result, status_code=201)


@router.get(
    "",
    response_model=None,
    summary="List units, by district",
    responses={200: {"model": OrganizationPage}, **problem_responses(401, 403, 422, 503, 504)},
)
async def list_units(
    principal: CurrentPrincipal,
    bus: Bus,
    district: District = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    unit_type: UnitType | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    payload = {"district": district, "community": community, "unit_type": unit_type.value if unit_type else None, "limit": limit, "cursor": cursor}
    result = await bus.request(
        "registry", "ListUnits", {k: v for k, v in payload.items() if v is not None}, principal=principal
    )
    return JSONResponse(result)
