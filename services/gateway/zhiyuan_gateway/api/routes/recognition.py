"""Recognition read models: a volunteer's minutes and star level."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...core.problems import problem_responses
from ...core.security import Role
from ...schemas.common import VolunteerIdPath
from ...schemas.volunteers import VolunteerRecognition
from ..deps import Bus, CurrentPrincipal, ensure_self_or_roles

router = APIRouter(prefix="/volunteers", tags=["recognition"])

READERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.ORGANIZER, Role.DISTRICT_SYSTEM)


@router.get(
    "/{volunteer_id}/recognition",
    response_model=None,
    summary="Total minutes, star level and minutes to the next star",
    responses={200: {"model": VolunteerRecognition}, **problem_responses(401, 403, 404, 422, 503, 504)},
)
async def get_volunteer_recognition(
    volunteer_id: VolunteerIdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    as_of: Annotated[
        date | None, Query(description="The level and total the volunteer had on this date (Asia/Shanghai)")
    ] = None,
) -> JSONResponse:
    ensure_self_or_roles(principal, volunteer_id, READERS)
    payload: dict[str, Any] = {"volunteer_id": volunteer_id}
    if as_of is not None:
        payload["as_of_date"] = as_of.isoformat()
    result = await bus.request("recognition", "GetVolunteerRecognition", payload, principal=principal)
    return JSONResponse(result)
