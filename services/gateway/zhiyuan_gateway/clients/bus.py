"""Request/reply to the context services over NATS (``zyi.<context>.<Operation>``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Protocol

import msgspec
import nats
from nats import errors as nats_errors

from zhiyuan_contracts.subjects import request_subject
from zhiyuan_platform.logging import current_correlation_id, get_logger
from zhiyuan_platform.rpc import (
    CORRELATION_HEADER,
    IDEMPOTENCY_HEADER,
    Principal,
    decode_reply,
    encode_request,
)

from ..core.config import GatewaySettings
from ..core.problems import ServiceProblem, ServiceTimeout, ServiceUnavailable, problem_type

log = get_logger("zhiyuan.gateway.bus")

__all__ = ["BusPort", "ServiceBus", "ServiceProblem", "ServiceTimeout", "ServiceUnavailable", "unwrap_reply"]


class BusPort(Protocol):
    """What the routes need from the bus; ``ServiceBus`` in production, a fake in tests."""

    @property
    def connected(self) -> bool: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def request(
        self,
        context: str,
        operation: str,
        payload: dict[str, Any],
        *,
        principal: Principal | None,
        idempotency_key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request NATS reply deadline
    ) -> Any: ...


def unavailable(context: str, why: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        {
            "type": problem_type("service-unavailable"),
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"服务暂不可用 / The {context} service is unavailable: {why}",
            "service": context,
        }
    )


def timed_out(context: str, operation: str, timeout: float) -> ServiceTimeout:
    return ServiceTimeout(
        {
            "type": problem_type("service-timeout"),
            "title": "Gateway Timeout",
            "status": 504,
            "detail": f"服务未及时响应 / The {context} service did not answer {operation} within {timeout:g} s",
            "service": context,
        }
    )


def unwrap_reply(context: str, operation: str, data: bytes) -> Any:
    """The result of a reply, or ServiceProblem carrying the service's refusal."""
    try:
        reply = decode_reply(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.error("bad_reply", context=context, operation=operation, error=str(exc))
        raise ServiceProblem(
            {
                "type": problem_type("bad-gateway"),
                "title": "Bad Gateway",
                "status": 502,
                "detail": f"服务返回了无法识别的应答 / The {context} service answered {operation} "
                "with a reply the gateway cannot read",
                "service": context,
            }
        ) from exc
    if reply.ok:
        return reply.result
    raise ServiceProblem(reply.problem or {"status": 502, "detail": f"{context} refused without a problem"})


class ServiceBus:
    """nats-py request/reply with the envelope of ``zhiyuan_platform.rpc``.

    The gateway starts even when NATS is not up yet: it keeps trying in the background and
    answers 503 meanwhile; nats-py reconnects by itself once connected.
    """

    def __init__(
        self,
        servers: str,
        *,
        user: str | None = None,
        password: str | None = None,
        default_timeout: float = 5.0,
        name: str = "zhiyuan-gateway",
    ) -> None:
        self._servers = servers
        self._user = user
        self._password = password
        self.default_timeout = default_timeout
        self._name = name
        self._nc: Any = None
        self._retry: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> ServiceBus:
        return cls(
            settings.nats_url,
            user=settings.nats_user,
            password=settings.nats_password,
            default_timeout=settings.request_timeout_seconds,
        )

    @property
    def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def start(self) -> None:
        if not await self._connect_once():
            self._retry = asyncio.create_task(self._keep_connecting(), name="gateway-nats-connect")

    async def _connect_once(self) -> bool:
        async def on_error(exc: Exception) -> None:
            log.warning("nats_error", error=str(exc))

        async def on_disconnected() -> None:
            log.warning("nats_disconnected")

        async def on_reconnected() -> None:
            log.info("nats_reconnected")

        try:
            self._nc = await nats.connect(
                self._servers,
                user=self._user,
                password=self._password,
                name=self._name,
                connect_timeout=2,
                allow_reconnect=True,
                # nats-py applies this to the first connect too, where -1 would block start-up
                # for good; once connected, reconnect forever (set below).
                max_reconnect_attempts=1,
                reconnect_time_wait=1,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            )
            self._nc.options["max_reconnect_attempts"] = -1
        except (nats_errors.Error, OSError, TimeoutError) as exc:
            log.warning("nats_connect_failed", servers=self._servers, error=str(exc) or type(exc).__name__)
            return False
        log.info("nats_connected", servers=self._servers)
        return True

    async def _keep_connecting(self) -> None:
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            if await self._connect_once():
                return
            delay = min(delay * 2, 15.0)

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None
        if self._nc is not None:
            with contextlib.suppress(nats_errors.Error, OSError):
                await self._nc.close()
            self._nc = None

    async def request(
        self,
        context: str,
        operation: str,
        payload: dict[str, Any],
        *,
        principal: Principal | None,
        idempotency_key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - passed to nc.request
    ) -> Any:
        subject = request_subject(context, operation)
        wait = timeout if timeout is not None else self.default_timeout
        headers: dict[str, str] = {}
        correlation_id = current_correlation_id()
        if correlation_id:
            headers[CORRELATION_HEADER] = correlation_id
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        if not self.connected:
            raise unavailable(context, "the message bus (NATS) is not connected")
        body = encode_request(payload, principal)
        started = time.perf_counter()
        try:
            msg = await self._nc.request(subject, body, timeout=wait, headers=headers or None)
        except nats_errors.NoRespondersError as exc:
            raise unavailable(context, "no instance is running") from exc
        except TimeoutError as exc:  # nats.errors.TimeoutError is one too
            log.warning("service_timeout", subject=subject, timeout=wait)
            raise timed_out(context, operation, wait) from exc
        except nats_errors.MaxPayloadError as exc:
            raise ServiceProblem(
                {
                    "type": problem_type("content-too-large"),
                    "title": "Content Too Large",
                    "status": 413,
                    "detail": "请求太大 / The request is too large to forward",
                }
            ) from exc
        except (nats_errors.Error, OSError) as exc:
            raise unavailable(context, "the message bus (NATS) is not reachable") from exc
        log.debug(
            "service_request",
            subject=subject,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return unwrap_reply(context, operation, msg.data)
