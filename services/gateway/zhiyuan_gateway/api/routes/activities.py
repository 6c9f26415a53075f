"""Activities (activities context): publishing and back-fills, the roster, attendance, hours
and completion. The service decides who may do what; the gateway checks shape and forwards."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from zhiyuan_contracts.vocabularies import ServiceKind
from zhiyuan_platform.rpc import Principal

from ...core.config import API_PREFIX
from ...core.problems import problem_responses
from ...schemas.activities import (
    ActivityChange,
    ActivityCreated,
    ActivityDraft,
    ActivityIdPath,
    ActivityStatus,
    AttendanceMark,
    BackfillDecision,
    BackfillRequest,
    Cancellation,
    CapacityChange,
    Completion,
    HoursConfirmation,
    HoursConfirmed,
    Insurance,
    Rfc3339Query,
    SignUpAnswer,
    SignUpRequest,
)
from ...schemas.common import VolunteerIdPath
from ..deps import Bus, CurrentPrincipal, IdempotencyKey, OptionalPrincipal

router = APIRouter(prefix="/activities", tags=["activities"])

CONTEXT = "activities"
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503, 504)
PUBLIC_READ_PROBLEMS = problem_responses(401, 404, 422, 503, 504)
# Readable without a token (public activities) and with one (team activities, own sign-up).
TOKEN_OPTIONAL: dict[str, Any] = {"security": [{}, {"HTTPBearer": []}]}


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


async def _query(
    bus: Bus, operation: str, payload: dict[str, Any], principal: Principal | None
) -> JSONResponse:
    return JSONResponse(await bus.request(CONTEXT, operation, payload, principal=principal))


def _created(result: Any) -> JSONResponse:
    activity_id = result.get("activity_id") if isinstance(result, dict) else None
    headers = (
        {"Location": f"{API_PREFIX}/activities/{quote(activity_id, safe='')}"}
        if isinstance(activity_id, str) and activity_id
        else None
    )
    return JSONResponse(result, status_code=201, headers=headers)


# --- publishing ---------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Publish an activity (the team's organizer or the district's admin)",
    responses={
        201: {"model": ActivityCreated, "description": "published; Location names the activity"},
        **COMMAND_PROBLEMS,
    },
)
async def publish_activity(
    body: ActivityDraft,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    result = await bus.request(
        CONTEXT,
        "PublishActivity",
        body.model_dump(mode="json", exclude_unset=True),
        principal=principal,
        idempotency_key=idempotency_key,
    )
    return _created(result)


@router.post(
    "/backfills",
    status_code=201,
    response_model=None,
    summary="Ask to record an activity that already took place (补录); the district's admin decides",
    responses={
        201: {"model": ActivityCreated, "description": "requested; Location names the activity"},
        **COMMAND_PROBLEMS,
    },
)
async def request_backfill(
    body: BackfillRequest,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    result = await bus.request(
        CONTEXT,
        "RequestBackfill",
        body.model_dump(mode="json", exclude_unset=True),
        principal=principal,
        idempotency_key=idempotency_key,
    )
    return _created(result)


@router.post(
    "/{activity_id}/backfill/decision",
    response_model=None,
    summary="Approve or reject a back-fill (the activity's district admin)",
    responses=COMMAND_PROBLEMS,
)
async def decide_backfill(
    activity_id: ActivityIdPath,
    body: BackfillDecision,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json")}
    return await _command(bus, "DecideBackfill", payload, principal, idempotency_key)


# --- reading ------------------------------------------------------------------------------


@router.get(
    "",
    response_model=None,
    summary="Search activities (public ones without a token)",
    openapi_extra=TOKEN_OPTIONAL,
    responses=PUBLIC_READ_PROBLEMS,
)
async def search_activities(
    principal: OptionalPrincipal,
    bus: Bus,
    district: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="six-digit district code")
    ] = None,
    service_kind: ServiceKind | None = None,
    team_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Annotated[ActivityStatus | None, Query(description="default: published and completed")] = None,
    from_: Annotated[
        Rfc3339Query | None,
        Query(alias="from", description="activities ending at or after this RFC 3339 time"),
    ] = None,
    to: Annotated[
        Rfc3339Query | None, Query(description="activities starting at or before this RFC 3339 time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> JSONResponse:
    payload = {
        "district": district,
        "service_kind": service_kind.value if service_kind is not None else None,
        "team_id": team_id,
        "status": status,
        "from": from_.isoformat() if from_ is not None else None,
        "to": to.isoformat() if to is not None else None,
        "limit": limit,
        "cursor": cursor,
    }
    return await _query(
        bus, "SearchActivities", {k: v for k, v in payload.items() if v is not None}, principal
    )


@router.get(
    "/{activity_id}",
    response_model=None,
    summary="An activity with its slots (public ones without a token)",
    openapi_extra=TOKEN_OPTIONAL,
    responses=PUBLIC_READ_PROBLEMS,
)
async def get_activity(activity_id: ActivityIdPath, principal: OptionalPrincipal, bus: Bus) -> JSONResponse:
    return await _query(bus, "GetActivity", {"activity_id": activity_id}, principal)


@router.get(
    "/{activity_id}/roster",
    response_model=None,
    summary="The roster: sign-ups, waitlist and attendance (the team's organizers, admins)",
    responses=READ_PROBLEMS,
)
async def get_roster(activity_id: ActivityIdPath, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    return await _query(bus, "Roster", {"activity_id": activity_id}, principal)


# --- managing -----------------------------------------------------------------------------


@router.patch(
    "/{activity_id}",
    response_model=None,
    summary="Change an activity's title, place, description or target group",
    responses=COMMAND_PROBLEMS,
)
async def update_activity(
    activity_id: ActivityIdPath,
    body: ActivityChange,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "UpdateActivity", payload, principal, idempotency_key)


@router.post(
    "/{activity_id}/capacity",
    response_model=None,
    summary="Change a slot's capacity (0-based slot); the waitlist moves up when it grows",
    responses=COMMAND_PROBLEMS,
)
async def change_capacity(
    activity_id: ActivityIdPath,
    body: CapacityChange,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "ChangeCapacity", payload, principal, idempotency_key)


@router.post(
    "/{activity_id}/insurance",
    response_model=None,
    summary="Record the activity's insurance policy",
    responses=COMMAND_PROBLEMS,
)
async def record_insurance(
    activity_id: ActivityIdPath,
    body: Insurance,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "RecordInsurance", payload, principal, idempotency_key)


@router.post(
    "/{activity_id}/cancellation",
    response_model=None,
    summary="Cancel an activity, with a reason",
    responses=COMMAND_PROBLEMS,
)
async def cancel_activity(
    activity_id: ActivityIdPath,
    body: Cancellation,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "CancelActivity", payload, principal, idempotency_key)


# --- attendance ---------------------------------------------------------------------------


@router.post(
    "/{activity_id}/checkins",
    response_model=None,
    summary="Check in: the volunteer's code, or the organizer's roster (volunteer_id, at)",
    responses=COMMAND_PROBLEMS,
)
async def check_in(
    activity_id: ActivityIdPath,
    body: AttendanceMark,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "CheckIn", payload, principal, idempotency_key)


@router.post(
    "/{activity_id}/checkouts",
    response_model=None,
    summary="Check out: the volunteer's code, or the organizer's roster (volunteer_id, at)",
    responses=COMMAND_PROBLEMS,
)
async def check_out(
    activity_id: ActivityIdPath,
    body: AttendanceMark,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "CheckOut", payload, principal, idempotency_key)


@router.post(
    "/{activity_id}/missed-checkouts",
    response_model=None,
    summary="Close the check-outs volunteers forgot, at the slot's end",
    responses=COMMAND_PROBLEMS,
)
async def close_missed_checkouts(
    activity_id: ActivityIdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await _command(
        bus, "CloseMissedCheckOuts", {"activity_id": activity_id}, principal, idempotency_key
    )


@router.get(
    "/{activity_id}/attendance-code",
    response_model=None,
    summary="The rotating check-in code for the organizer's screen (and its QR payload)",
    responses=READ_PROBLEMS,
)
async def attendance_code(activity_id: ActivityIdPath, principal: CurrentPrincipal, bus: Bus) -> JSONResponse:
    # A command on the service side (it is ordered with the roster) but it changes nothing,
    # so it is a plain request: no idempotency key, and never cached.
    result = await bus.request(CONTEXT, "AttendanceCode", {"activity_id": activity_id}, principal=principal)
    return JSONResponse(result, headers={"Cache-Control": "no-store"})


# --- sign-up ------------------------------------------------------------------------------


@router.post(
    "/{activity_id}/signups",
    status_code=201,
    response_model=None,
    summary="Sign up the caller, or a given volunteer (organizers); answers confirmed or waitlisted",
    responses={201: {"model": SignUpAnswer, "description": "signed up or waitlisted"}, **COMMAND_PROBLEMS},
)
async def sign_up(
    activity_id: ActivityIdPath,
    body: SignUpRequest,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "SignUp", payload, principal, idempotency_key, status_code=201)


@router.delete(
    "/{activity_id}/signups/{volunteer_id}",
    response_model=None,
    summary="Cancel a sign-up (the volunteer or the team's organizer); the waitlist moves up",
    responses=COMMAND_PROBLEMS,
)
async def cancel_sign_up(
    activity_id: ActivityIdPath,
    volunteer_id: VolunteerIdPath,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, "volunteer_id": volunteer_id}
    return await _command(bus, "CancelSignUp", payload, principal, idempotency_key)


# --- hours and completion -----------------------------------------------------------------


@router.post(
    "/{activity_id}/hours",
    status_code=201,
    response_model=None,
    summary="Confirm volunteers' service minutes; answers the record_id of each",
    responses={201: {"model": HoursConfirmed, "description": "service records created"}, **COMMAND_PROBLEMS},
)
async def confirm_hours(
    activity_id: ActivityIdPath,
    body: HoursConfirmation,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "ConfirmHours", payload, principal, idempotency_key, status_code=201)


@router.post(
    "/{activity_id}/complete",
    response_model=None,
    summary="Complete the activity: summary and people served",
    responses=COMMAND_PROBLEMS,
)
async def complete_activity(
    activity_id: ActivityIdPath,
    body: Completion,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"activity_id": activity_id, **body.model_dump(mode="json", exclude_unset=True)}
    return await _command(bus, "CompleteActivity", payload, principal, idempotency_key)
