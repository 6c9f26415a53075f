"""Bearer tokens: HS256 JWTs naming a role and the scope the contract gives that role.

| role | scope claims |
| --- | --- |
| city_admin | — |
| district_admin, district_system | district |
| organizer | district, team |
| volunteer | volunteer |

A token carries exactly its role's scope claims: ``verify_token`` refuses a token without
them and ignores any others, so a service never sees a scope the role does not have.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from pydantic import SecretStr

from zhiyuan_platform.rpc import Principal

ALGORITHM = "HS256"
ISSUER = "zhiyuan"
DEFAULT_TTL = timedelta(hours=12)
LEEWAY = timedelta(seconds=30)

_DISTRICT = re.compile(r"^[0-9]{6}$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class Role(StrEnum):
    CITY_ADMIN = "city_admin"
    DISTRICT_ADMIN = "district_admin"
    ORGANIZER = "organizer"
    VOLUNTEER = "volunteer"
    DISTRICT_SYSTEM = "district_system"


SCOPE_CLAIMS: dict[Role, tuple[str, ...]] = {
    Role.CITY_ADMIN: (),
    Role.DISTRICT_ADMIN: ("district",),
    Role.ORGANIZER: ("district", "team"),
    Role.VOLUNTEER: ("volunteer",),
    Role.DISTRICT_SYSTEM: ("district",),
}


class TokenError(Exception):
    """The token cannot be trusted; ``reason`` is a short machine-readable code."""

    reason = "invalid-token"


class TokenExpired(TokenError):
    reason = "token-expired"


def _secret_value(secret: str | SecretStr) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else secret


def _check_scope(role: Role, claims: dict[str, Any]) -> dict[str, str]:
    """The role's scope claims, each present and well-formed; raises ValueError otherwise."""
    scope: dict[str, str] = {}
    for name in SCOPE_CLAIMS[role]:
        value = claims.get(name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"a {role.value} token needs the claim {name!r}")
        pattern = _DISTRICT if name == "district" else _IDENTIFIER
        if not pattern.match(value):
            raise ValueError(f"claim {name!r} is malformed: {value!r}")
        scope[name] = value
    return scope


def _default_subject(role: Role, scope: dict[str, str]) -> str:
    if role is Role.VOLUNTEER:
        return scope["volunteer"]
    return ":".join([role.value, *scope.values()])


def issue_token(
    secret: str | SecretStr,
    role: str,
    *,
    district: str | None = None,
    team: str | None = None,
    volunteer: str | None = None,
    ttl: timedelta = DEFAULT_TTL,
    subject: str | None = None,
    now: datetime | None = None,
) -> str:
    """Sign a token for ``role``; raises ValueError when a required claim is missing or
    one the role does not have is given."""
    try:
        role_ = Role(role)
    except ValueError:
        raise ValueError(f"unknown role {role!r}; expected one of {[r.value for r in Role]}") from None
    given = {"district": district, "team": team, "volunteer": volunteer}
    extra = [name for name, value in given.items() if value is not None and name not in SCOPE_CLAIMS[role_]]
    if extra:
        raise ValueError(f"a {role_.value} token does not carry {', '.join(extra)}")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    scope = _check_scope(role_, given)
    issued_at = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": subject or _default_subject(role_, scope),
        "role": role_.value,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + ttl).timestamp()),
        **scope,
    }
    return jwt.encode(claims, _secret_value(secret), algorithm=ALGORITHM)


def verify_token(secret: str | SecretStr, token: str) -> Principal:
    """The principal a token names; raises TokenExpired or TokenError."""
    try:
        claims = jwt.decode(
            token,
            _secret_value(secret),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("token expired") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("token signature does not verify") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"token lacks the claim {exc.claim!r}") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"token is not valid: {exc}") from exc
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise TokenError("token names no known role") from None
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenError("token subject is empty")
    try:
        scope = _check_scope(role, claims)
    except ValueError as exc:
        raise TokenError(str(exc)) from None
    return Principal(role=role.value, subject=subject, **scope)


__all__ = [
    "ALGORITHM",
    "DEFAULT_TTL",
    "ISSUER",
    "SCOPE_CLAIMS",
    "Role",
    "TokenError",
    "TokenExpired",
    "issue_token",
    "verify_token",
]
