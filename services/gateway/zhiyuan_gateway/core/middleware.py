"""Per-request context: correlation id, body-size limit, access log, last-resort 500.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so the structlog context variables it
binds are the ones the endpoint and the bus client see.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from uuid import uuid4

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhiyuan_platform.logging import causality, get_logger

from .problems import PROBLEM_JSON, internal_error_body, problem_type

CORRELATION_RESPONSE_HEADER = "X-Correlation-Id"
# Accept a caller's id only if it is safe to log and to forward as a NATS header.
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}$")

access_log = get_logger("zhiyuan.gateway.access")
error_log = get_logger("zhiyuan.gateway.error")


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail="The request body is too large")


def correlation_id_from(headers: Headers) -> str:
    for name in ("x-correlation-id", "x-request-id"):
        value = headers.get(name)
        if value and _CORRELATION_ID.match(value.strip()):
            return value.strip()
    return str(uuid4())


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        correlation_id = correlation_id_from(headers)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        started = time.perf_counter()
        response: dict[str, Any] = {"status": None}
        received = 0

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                MutableHeaders(scope=message)[CORRELATION_RESPONSE_HEADER] = correlation_id
            await send(message)

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        with causality(correlation_id=correlation_id, causation_id=correlation_id):
            try:
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_body_bytes:
                    await self._answer(
                        send_with_id,
                        413,
                        {
                            "type": problem_type("content-too-large"),
                            "title": "Content Too Large",
                            "status": 413,
                            "detail": f"请求体太大 / The request body exceeds {self.max_body_bytes} bytes",
                        },
                        scope,
                        correlation_id,
                    )
                else:
                    await self.app(scope, receive_limited, send_with_id)
            except Exception:
                error_log.exception("unhandled_error", method=scope.get("method"), path=scope.get("path"))
                if response["status"] is not None:
                    raise
                await self._answer(send_with_id, 500, internal_error_body(), scope, correlation_id)
            finally:
                state = scope.get("state", {})
                access_log.info(
                    "http_request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=response["status"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    correlation_id=correlation_id,
                    role=state.get("principal_role"),
                )

    @staticmethod
    async def _answer(
        send: Send, status: int, body: dict[str, Any], scope: Scope, correlation_id: str
    ) -> None:
        body = {**body, "instance": scope.get("path"), "correlation_id": correlation_id}
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
