"""Volunteers log in with their mobile number and a one-time code."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ...core.problems import ApiProblem, problem_responses
from ...core.ratelimit import SlidingWindowLimiter
from ...core.security import Role, issue_token
from ...schemas.registry_admin import LoginCodeExchange, LoginCodeRequest
from ..deps import Bus, Settings, client_ip

router = APIRouter(prefix="/auth", tags=["auth"])


def _login_limiter(request: Request) -> SlidingWindowLimiter:
    limiter: SlidingWindowLimiter = request.app.state.login_limiter
    return limiter


async def _rate_limited(
    request: Request, limiter: Annotated[SlidingWindowLimiter, Depends(_login_limiter)]
) -> None:
    retry_after = limiter.hit(client_ip(request))
    if retry_after is not None:
        raise ApiProblem(
            429,
            "too-many-requests",
            f"请求过于频繁，请 {retry_after} 秒后再试 / Too many login attempts; retry in {retry_after} s",
            title="Too Many Requests",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


LoginGate = Annotated[None, Depends(_rate_limited)]


@router.post(
    "/code",
    status_code=202,
    response_model=None,
    summary="Send a one-time login code to a mobile number",
    responses=problem_responses(400, 415, 422, 429, 503, 504),
)
async def send_code(body: LoginCodeRequest, _gate: LoginGate, bus: Bus) -> JSONResponse:
    result = await bus.request("registry", "RequestLoginCode", body.model_dump(), principal=None)
    return JSONResponse(result, status_code=202)


@router.post(
    "/token",
    response_model=None,
    summary="Exchange the mobile number and code for a volunteer token",
    responses=problem_responses(400, 401, 415, 422, 429, 503, 504),
)
async def exchange_code(
    body: LoginCodeExchange, _gate: LoginGate, bus: Bus, settings: Settings
) -> JSONResponse:
    result = await bus.request("registry", "ExchangeLoginCode", body.model_dump(), principal=None)
    volunteer_id = str(result["volunteer_id"])
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(settings.signing_secret, Role.VOLUNTEER, volunteer=volunteer_id, ttl=ttl)
    expires_at = (datetime.now(UTC) + ttl).isoformat().replace("+00:00", "Z")
    return JSONResponse({"token": token, "volunteer_id": volunteer_id, "expires_at": expires_at})
