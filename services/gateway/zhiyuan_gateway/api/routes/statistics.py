"""Leaderboards, district statistics and the annual-minimum reminder list (recognition)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from ...core.problems import problem_responses
from ...core.security import Role
from ..deps import Bus, CurrentPrincipal, OptionalPrincipal, ensure_role

router = APIRouter(tags=["statistics"])
District = Annotated[str, Path(pattern=r"^[0-9]{6}$", description="Six-digit district code")]
Period = Annotated[
    str,
    Query(
        pattern=r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$", description="2026, 2026Q1 or 2026-03 (Asia/Shanghai)"
    ),
]
READERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.DISTRICT_SYSTEM)
PROBLEMS = problem_responses(401, 403, 422, 503, 504)


@router.get(
    "/leaderboards",
    response_model=None,
    summary="Top volunteers by minutes served in a period (public)",
    responses=PROBLEMS,
)
async def leaderboard(
    bus: Bus,
    principal: OptionalPrincipal,
    period: Period,
    scope: Annotated[str, Query(pattern=r"^(city|[0-9]{6})$")] = "city",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> JSONResponse:
    payload = {"scope": scope, "period": period, "limit": limit}
    return JSONResponse(await bus.request("recognition", "Leaderboard", payload, principal=principal))


@router.get(
    "/districts/{district}/stats",
    response_model=None,
    summary="A district's volunteers, activities, minutes, coverage",
    responses=PROBLEMS,
)
async def district_stats(
    district: District,
    principal: CurrentPrincipal,
    bus: Bus,
    level: Literal["district", "street", "community"] = "district",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> JSONResponse:
    ensure_role(principal, READERS, "statistics")
    payload: dict[str, Any] = {"district": district, "level": level}
    if year is not None:
        payload["year"] = year
    return JSONResponse(await bus.request("recognition", "DistrictStats", payload, principal=principal))


@router.get(
    "/districts/{district}/annual-minimum",
    response_model=None,
    summary="Volunteers below 20 hours this year (the reminder list)",
    responses=PROBLEMS,
)
async def annual_minimum(
    district: District, principal: CurrentPrincipal, bus: Bus, year: Annotated[int, Query(ge=2000, le=2100)]
) -> JSONResponse:
    ensure_role(principal, READERS, "the reminder list")
    return JSONResponse(
        await bus.request(
            "recognition", "AnnualMinimum", {"district": district, "year": year}, principal=principal
        )
    )
