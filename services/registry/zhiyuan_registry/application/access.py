"""Who may do what in the registry (contract.md, "Roles").

A district admin manages only their district (registry data by the volunteer's
registration district); an organizer only their team; a volunteer only their own profile;
the city admin everything.
"""

from __future__ import annotations

from zhiyuan_platform.rpc import Forbidden, Principal

ADMIN_ROLES = ("district_admin", "city_admin")


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Forbidden("login-required", "需要登录。 Log in first.", status=401)
    return principal


def is_admin_of(principal: Principal | None, district: str) -> bool:
    if principal is None:
        return False
    return principal.role == "city_admin" or (principal.role == "district_admin" and principal.district == district)


def ensure_admin_of(principal: Principal | None, district: str) -> Principal:
    who = require_principal(principal)
    if not is_admin_of(who, district):
        raise Forbidden(
            "outside-your-district",
            f"只有本区（{district}）或市级管理员可以这样做。 Only an admin of district {district} or the city may do this.",
        )
    return who


def ensure_self_or_admin(principal: Principal | None, volunteer_id: str, district: str) -> Principal:
    who = require_principal(principal)
    if who.role == "volunteer" and who.volunteer == volunteer_id:
        return who
    if is_admin_of(who, district):
        return who
    raise Forbidden(
        "not-your-volunteer", "你只能管理自己的资料或本区志愿者。 You may act only on your own profile or your district's volunteers."
    )
