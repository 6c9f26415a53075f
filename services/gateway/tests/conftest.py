"""Fixtures: the gateway app over a FakeBus, driven with httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from zhiyuan_gateway.core.config import GatewaySettings
from zhiyuan_gateway.core.problems import ServiceProblem
from zhiyuan_gateway.core.security import issue_token
from zhiyuan_gateway.main import create_app
from zhiyuan_platform.logging import current_correlation_id
from zhiyuan_platform.rpc import Principal

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@dataclass
class Call:
    context: str
    operation: str
    payload: dict[str, Any]
    principal: Principal | None
    idempotency_key: str | None
    timeout: float | None
    correlation_id: str | None


Answer = Any | Exception | Callable[[Call], Any]


@dataclass
class FakeBus:
    """Records each request; answers from ``answers[(context, operation)]``: a value, an
    exception to raise (e.g. ServiceProblem) or a function of the call."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    connected: bool = True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def answer(self, context: str, operation: str, answer: Answer) -> None:
        self.answers[(context, operation)] = answer

    async def request(
        self,
        context: str,
        operation: str,
        payload: dict[str, Any],
        *,
        principal: Principal | None,
        idempotency_key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - ServiceBus's signature
    ) -> Any:
        call = Call(
            context, operation, payload, principal, idempotency_key, timeout, current_correlation_id()
        )
        self.calls.append(call)
        if (context, operation) not in self.answers:
            raise ServiceProblem(
                {"status": 503, "detail": f"FakeBus has no answer for {context}.{operation}"}
            )
        answer = self.answers[(context, operation)]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(call)
        return answer


@pytest.fixture
def settings(tmp_path: Path) -> GatewaySettings:
    return GatewaySettings(
        env="local",
        data_dir=tmp_path,
        token_secret=SecretStr(SECRET),
        self_registration_per_minute=1000,
        request_timeout_seconds=2,
    )


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
async def client(settings: GatewaySettings, bus: FakeBus) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, bus)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


def bearer(role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role, **claims)}"}


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    return bearer
