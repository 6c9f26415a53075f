"""Gateway ⇄ service request/reply over NATS on ``zyi.<context>.<Operation>``.

A request body is ``{"principal": {...} | null, "payload": {...}}`` with the headers
``Correlation-Id`` and, for commands, ``Idempotency-Key``. A reply is either
``{"ok": true, "result": ...}`` or ``{"ok": false, "problem": {...}}`` where the problem
already has the RFC 9457 shape the gateway answers with.
"""

from __future__ import annotations

from typing import Any

import msgspec

CORRELATION_HEADER = "Correlation-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
PROBLEM_BASE = "https://zhiyuan.example.org/problems/"


class Principal(msgspec.Struct, frozen=True, omit_defaults=True):
    """Who is asking, as the gateway authenticated them."""

    role: str
    subject: str
    district: str | None = None
    team: str | None = None
    volunteer: str | None = None


class Request(msgspec.Struct, frozen=True):
    payload: dict[str, Any]
    principal: Principal | None = None


class Reply(msgspec.Struct, frozen=True, omit_defaults=True):
    ok: bool
    result: Any = None
    problem: dict[str, Any] | None = None


class DomainProblem(Exception):
    """A refusal the caller can act on; becomes problem+json at the gateway.

    ``code`` is the last part of the problem ``type`` URI; ``detail`` says what happened in
    the user's words (Chinese and English where it helps); ``extra`` adds fields such as
    ``field`` or ``registration_no``.
    """

    status = 400

    def __init__(self, code: str, detail: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_BASE + self.code,
            "title": self.code.replace("-", " ").capitalize(),
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


class NotFound(DomainProblem):
    status = 404


class Conflict(DomainProblem):
    status = 409


class Forbidden(DomainProblem):
    status = 403


class Invalid(DomainProblem):
    status = 422


_request_decoder = msgspec.json.Decoder(Request)
_reply_decoder = msgspec.json.Decoder(Reply)
_encoder = msgspec.json.Encoder()


def encode_request(payload: dict[str, Any], principal: Principal | None) -> bytes:
    return _encoder.encode(Request(payload=payload, principal=principal))


def decode_request(body: bytes) -> Request:
    return _request_decoder.decode(body)


def ok(result: Any) -> bytes:
    return _encoder.encode(Reply(ok=True, result=result))


def failed(problem: DomainProblem) -> bytes:
    return _encoder.encode(Reply(ok=False, problem=problem.to_problem()))


def decode_reply(body: bytes) -> Reply:
    return _reply_decoder.decode(body)
