"""Volunteers log in with their mobile number and a one-time code (contract.md).

A code is six digits, valid 10 minutes, five tries; one is sent at most every 60 s per
number. The answer never says whether a number is registered. A local install writes the
code to the registry's log (``zhiyuan codes`` prints the latest); production would hand
it to an SMS gateway, which is not part of this repository.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.logging import get_logger
from zhiyuan_platform.rpc import DomainProblem, Request
from zhiyuan_platform.service import HandlerRegistry

from ..adapters.tables import auth_codes
from ..adapters.volunteer_views import volunteer_view
from ..domain.identity import IdentityError, mask_mobile, validate_mobile
from .common import parse, refuse
from .ports import RegistryDeps

log = get_logger("zhiyuan.registry.login")
CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5


class RequestCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str = Field(min_length=1, max_length=20)


class ExchangeCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mobile: str = Field(min_length=1, max_length=20)
    code: str = Field(pattern=r"^[0-9]{6}$")


def _invalid_code() -> DomainProblem:
    return DomainProblem(
        "login-code-invalid", "验证码错误或已过期。 The code is wrong or has expired; ask for a new one.", status=401
    )


class LoginHandlers:
    def __init__(self, deps: RegistryDeps, *, codes_to_log: bool) -> None:
        self.people = deps.people
        self.codes_to_log = codes_to_log
        self.last_code_for_tests: str | None = None

    def _mobile(self, raw: str) -> str:
        try:
            return validate_mobile(raw)
        except IdentityError as error:
            raise refuse(error) from None

    async def request_code(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        cmd: RequestCode = parse(RequestCode, request.payload)
        mobile = self._mobile(cmd.mobile)
        now = datetime.now(UTC)
        key = self.people.lookup_hash(mobile)
        row = (await conn.execute(select(auth_codes).where(auth_codes.c.mobile_hash == key))).first()
        if row is not None and now - row.sent_at < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - row.sent_at)).total_seconds()) + 1
            raise DomainProblem(
                "login-code-too-soon", f"请 {wait} 秒后再试。 Wait {wait} s before asking for another code.", status=429, retry_after=wait
            )
        answer = {"sent": True, "expires_in": int(CODE_TTL.total_seconds())}
        if not await self._active_volunteer(conn, mobile):
            return answer  # the same answer: no one learns whether a number is registered
        code = f"{secrets.randbelow(10**6):06d}"
        await conn.execute(delete(auth_codes).where(auth_codes.c.mobile_hash == key))
        await conn.execute(
            insert(auth_codes).values(
                mobile_hash=key, code_hash=self._code_hash(mobile, code), expires_at=now + CODE_TTL, attempts=0, sent_at=now
            )
        )
        await conn.commit()
        if self.codes_to_log:
            self.last_code_for_tests = code
            log.info("auth.code", mobile=mask_mobile(mobile), code=code, expires_in=int(CODE_TTL.total_seconds()))
        else:
            log.warning("auth.code_not_delivered", mobile=mask_mobile(mobile), reason="no SMS gateway configured")
        return answer

    async def exchange_code(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        cmd: ExchangeCode = parse(ExchangeCode, request.payload)
        mobile = self._mobile(cmd.mobile)
        key = self.people.lookup_hash(mobile)
        row = (await conn.execute(select(auth_codes).where(auth_codes.c.mobile_hash == key))).first()
        now = datetime.now(UTC)
        if row is None or row.expires_at < now or row.attempts >= MAX_ATTEMPTS:
            raise _invalid_code()
        if not hmac.compare_digest(row.code_hash, self._code_hash(mobile, cmd.code)):
            await conn.execute(update(auth_codes).where(auth_codes.c.mobile_hash == key).values(attempts=row.attempts + 1))
            await conn.commit()
            raise _invalid_code()
        await conn.execute(delete(auth_codes).where(auth_codes.c.mobile_hash == key))
        await conn.commit()
        volunteer_id = await self._active_volunteer(conn, mobile)
        if volunteer_id is None:
            raise _invalid_code()
        log.info("auth.login", volunteer_id=volunteer_id)
        return {"volunteer_id": volunteer_id}

    def _code_hash(self, mobile: str, code: str) -> str:
        return self.people.lookup_hash(f"login-code:{mobile}:{code}")

    async def _active_volunteer(self, conn: AsyncConnection, mobile: str) -> str | None:
        """The active volunteer registered with this number (the latest, if several)."""
        candidates = await self.people.find_by_mobile(conn, mobile)
        if not candidates:
            return None
        rows = await conn.execute(
            select(volunteer_view.c.volunteer_id)
            .where(volunteer_view.c.volunteer_id.in_(candidates), volunteer_view.c.status == "active")
            .order_by(volunteer_view.c.registered_at.desc())
        )
        first = rows.first()
        return str(first.volunteer_id) if first else None


def wire(host: HandlerRegistry, deps: RegistryDeps, *, codes_to_log: bool) -> None:
    handlers = LoginHandlers(deps, codes_to_log=codes_to_log)
    host.query("RequestLoginCode", handlers.request_code, writes=True)
    host.query("ExchangeLoginCode", handlers.exchange_code, writes=True)
