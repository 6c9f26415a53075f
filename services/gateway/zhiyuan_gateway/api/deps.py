"""``Annotated`` dependencies shared by the routes."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zhiyuan_platform.rpc import Principal

from ..clients.bus import BusPort
from ..core.config import GatewaySettings
from ..core.problems import ApiProblem
from ..core.ratelimit import SlidingWindowLimiter
from ..core.security import Role, TokenError, TokenExpired, verify_token

ADMINS_AND_ORGANIZERS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.ORGANIZER)

# Declared for the OpenAPI document; the header itself is parsed below so that a wrong
# scheme is refused rather than treated as "no token".
_bearer = HTTPBearer(auto_error=False, description="a token from `zhiyuan token` or POST /api/v1/auth/token")


def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def get_bus(request: Request) -> BusPort:
    bus: BusPort = request.app.state.bus
    return bus


Settings = Annotated[GatewaySettings, Depends(get_settings)]
Bus = Annotated[BusPort, Depends(get_bus)]


def _unauthorized(code: str, detail: str, error: str | None = None) -> ApiProblem:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return ApiProblem(401, code, detail, title="Unauthorized", headers={"WWW-Authenticate": challenge})


async def get_optional_principal(
    request: Request,
    settings: Settings,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "invalid-token",
            "Authorization 头须为 'Bearer <token>' / The Authorization header must be 'Bearer <token>'",
            "invalid_request",
        )
    try:
        principal = verify_token(settings.signing_secret, token)
    except TokenExpired:
        raise _unauthorized(
            "token-expired", "令牌已过期，请重新登录 / The token has expired; log in again", "invalid_token"
        ) from None
    except TokenError as exc:
        raise _unauthorized(
            "invalid-token", f"令牌无效 / The token is not valid: {exc}", "invalid_token"
        ) from None
    request.state.principal_role = principal.role
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


async def get_current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise _unauthorized(
            "authentication-required",
            "需要登录令牌 / This request needs a bearer token (Authorization: Bearer …)",
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


def forbidden(detail: str) -> ApiProblem:
    return ApiProblem(403, "forbidden", detail, title="Forbidden")


def ensure_role(principal: Principal, roles: tuple[Role, ...], what: str = "this request") -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise forbidden(
            f"角色 {principal.role} 无权操作 / Role {principal.role} may not make {what}; needs: {allowed}"
        )


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only principals with one of ``roles``:
    ``Annotated[Principal, Depends(require_roles(Role.CITY_ADMIN))]``."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        ensure_role(principal, roles)
        return principal

    return dependency


def ensure_self_or_roles(principal: Principal, volunteer_id: str, roles: tuple[Role, ...]) -> None:
    """The volunteer themself, or one of ``roles``."""
    if principal.role == Role.VOLUNTEER:
        if principal.volunteer != volunteer_id:
            raise forbidden("志愿者只能查看本人信息 / A volunteer may only read their own data")
        return
    ensure_role(principal, roles)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$",
        description="1–200 printable ASCII characters; the same key and body give the same answer",
    ),
]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_self_registration_limiter(request: Request) -> SlidingWindowLimiter:
    limiter: SlidingWindowLimiter = request.app.state.self_registration_limiter
    return limiter


async def limit_self_registration(
    request: Request,
    principal: OptionalPrincipal,
    limiter: Annotated[SlidingWindowLimiter, Depends(get_self_registration_limiter)],
) -> Principal | None:
    """Rate-limit anonymous registrations per client address; admit registrars with a token."""
    if principal is not None:
        ensure_role(principal, ADMINS_AND_ORGANIZERS, "a registration for someone else")
        return principal
    retry_after = limiter.hit(client_ip(request))
    if retry_after is not None:
        raise ApiProblem(
            429,
            "too-many-requests",
            f"注册过于频繁，请 {retry_after} 秒后再试 / Too many registrations from this address; "
            f"retry in {retry_after} s",
            title="Too Many Requests",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
    return None


SelfRegistrationGate = Annotated[Principal | None, Depends(limit_self_registration)]
