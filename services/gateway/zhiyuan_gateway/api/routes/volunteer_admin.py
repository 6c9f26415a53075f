"""The life of a registration: profile changes, moves, suspension, reinstatement,
deregistration, erasure on request, and the admins' list of volunteers."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...core.problems import problem_responses
from ...schemas.common import VolunteerIdPath
from ...schemas.registry_admin import Move, ProfileChange, WithReason
from ..deps import Bus, CurrentPrincipal, IdempotencyKey

router = APIRouter(prefix="/volunteers", tags=["volunteers"])
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)


async def _command(
    bus: Bus, operation: str, payload: dict[str, Any], principal: CurrentPrincipal, key: str | None
) -> JSONResponse:
    result = await bus.request("registry", operation, payload, principal=principal, idempotency_key=key)
    return JSONResponse(result)


@router.get(
    "",
    response_model=None,
    summary="List volunteers (district and city admins)",
    responses=problem_responses(401, 403, 422, 503, 504),
)
async def list_volunteers(
    principal: CurrentPrincipal,
    bus: Bus,
    district: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    status: Literal["active", "suspended", "deregistered"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> JSONResponse:
    payload = {
        "district": district,
        "community": community,
        "status": status,
        "limit": limit,
        "cursor": cursor,
    }
    result = await bus.request(
        "registry", "ListVolunteers", {k: v for k, v in payload.items() if v is not None}, principal=principal
    )
    return JSONResponse(result)


@router.patch(
    "/{volunteer_id}",
    response_model=None,
    summary="Change a profile (the volunteer or their district's admin)",
    responses=COMMAND_PROBLEMS,
)
async def update_volunteer(
    volunteer_id: VolunteerIdPath,
    body: ProfileChange,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"volunteer_id": volunteer_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "UpdateVolunteer", payload, principal, idempotency_key)


@router.post(
    "/{volunteer_id}/move",
    response_model=None,
    summary="Move to another community (may cross districts)",
    responses=COMMAND_PROBLEMS,
)
async def move_volunteer(
    volunteer_id: VolunteerIdPath,
    body: Move,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await _command(
        bus, "MoveVolunteer", {"volunteer_id": volunteer_id, **body.model_dump()}, principal, idempotency_key
    )


def _status_route(path: str, operation: str, summary: str) -> None:
    async def change(
        volunteer_id: VolunteerIdPath,
        body: WithReason,
        principal: CurrentPrincipal,
        bus: Bus,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return await _command(
            bus, operation, {"volunteer_id": volunteer_id, "reason": body.reason}, principal, idempotency_key
        )

    change.__name__ = operation
    router.post(
        f"/{{volunteer_id}}/{path}", response_model=None, summary=summary, responses=COMMAND_PROBLEMS
    )(change)


_status_route("suspension", "SuspendVolunteer", "Suspend a registration, with a reason (district admin)")
_status_route(
    "reinstatement", "ReinstateVolunteer", "Reinstate a suspended or deregistered volunteer (district admin)"
)
_status_route(
    "deregistration", "DeregisterVolunteer", "Deregister (the volunteer themself or their district's admin)"
)
_status_route(
    "erasure", "EraseVolunteer", "Erase the person's personal data on request; the anonymous history stays"
)
