"""Spot checks of registrations (电话抽查、走访): district and city admins."""

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from ...core.problems import problem_responses
from ...schemas.registry_admin import SpotCheckDraw, SpotCheckOutcome
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(tags=["spot checks"])
District = Annotated[str, Path(pattern=r"^[0-9]{6}$")]
CheckId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)


@router.post(
    "/districts/{district}/spot-checks",
    status_code=201,
    response_model=None,
    summary="Draw a reproducible random sample of the district's registered volunteers",
    responses=PROBLEMS,
)
async def draw(
    district: District,
    body: SpotCheckDraw,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"district": district, **body.model_dump(exclude_none=True)}
    result = await bus.request(
        "registry", "DrawSpotCheck", payload, principal=principal, idempotency_key=idempotency_key
    )
    return JSONResponse(result, status_code=201)


@router.get(
    "/districts/{district}/spot-checks",
    response_model=None,
    summary="The district's spot checks",
    responses=PROBLEMS,
)
async def list_checks(district: District, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return JSONResponse(
        await bus.request("registry", "ListSpotChecks", {"district": district}, principal=principal)
    )


@router.get(
    "/spot-checks/{check_id}",
    response_model=None,
    summary="A spot check's sample and outcomes",
    responses=PROBLEMS,
)
async def get_check(check_id: CheckId, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return JSONResponse(
        await bus.request("registry", "GetSpotCheck", {"check_id": check_id}, principal=principal)
    )


@router.post(
    "/spot-checks/{check_id}/outcomes",
    response_model=None,
    summary="Record one check's outcome",
    responses=PROBLEMS,
)
async def record(
    check_id: CheckId,
    body: SpotCheckOutcome,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"check_id": check_id, **body.model_dump()}
    return JSONResponse(
        await bus.request(
            "registry",
            "RecordSpotCheckOutcome",
            payload,
            principal=principal,
            idempotency_key=idempotency_key,
        )
    )


@router.get(
    "/spot-checks/{check_id}/report",
    response_model=None,
    summary="Verified rate per community",
    responses=PROBLEMS,
)
async def report(check_id: CheckId, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return JSONResponse(
        await bus.request("registry", "SpotCheckReport", {"check_id": check_id}, principal=principal)
    )
