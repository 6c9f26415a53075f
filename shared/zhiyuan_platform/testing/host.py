"""An in-process stand-in for ``ServiceHost``: the same ``command``/``query`` wiring and
transaction semantics, called directly instead of over NATS (handler and integration tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import rpc
from ..commands import BatchProjection, CommandRunner, InlineProjection, Translator, system_clock
from ..db import create_engine, read_only
from ..migrate import upgrade
from ..service import CommandHandler, OrderingKey, QueryHandler


@dataclass
class Answer:
    """A decoded reply: ``status`` 200 with ``result``, or the problem's status with ``problem``."""

    status: int
    result: Any = None
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class InProcessHost:
    engine: AsyncEngine
    translate: Translator
    project: InlineProjection | None = None
    project_many: BatchProjection | None = None
    clock: Callable[[], datetime] = system_clock
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    ordering: dict[str, OrderingKey] = field(default_factory=dict)
    queries: dict[str, QueryHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.runner = CommandRunner(
            self.engine, self.translate, clock=lambda: self.clock(), project=self.project, project_many=self.project_many
        )

    def command(self, operation: str, handler: CommandHandler, *, ordered_by: OrderingKey | None = None) -> None:
        self.commands[operation] = handler
        if ordered_by is not None:
            self.ordering[operation] = ordered_by

    def query(self, operation: str, handler: QueryHandler, *, writes: bool = False) -> None:
        self.queries[operation] = handler

    async def run_system_command(self, operation: str, handler: CommandHandler, payload: dict[str, Any]) -> bytes:
        request = rpc.Request(payload=payload, principal=None)
        return await self.runner.run(operation, {"payload": payload}, lambda uow: handler(uow, request))

    async def call(
        self,
        operation: str,
        payload: dict[str, Any],
        *,
        principal: rpc.Principal | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        request = rpc.decode_request(rpc.encode_request(payload, principal))
        if operation in self.commands:
            handler = self.commands[operation]
            body = await self.runner.run(
                operation,
                {"payload": request.payload, "principal": msgspec.to_builtins(request.principal)},
                lambda uow: handler(uow, request),
                idempotency_key=idempotency_key,
                ordering_key=self.ordering[operation](request) if operation in self.ordering else None,
            )
        else:
            try:
                async with self.engine.connect() as conn:
                    body = rpc.ok(await self.queries[operation](await read_only(conn), request))
            except rpc.DomainProblem as refusal:
                body = rpc.failed(refusal)
        reply = rpc.decode_reply(body)
        if reply.ok:
            return Answer(200, reply.result)
        problem = reply.problem or {}
        return Answer(int(problem.get("status", 500)), problem=problem)


async def migrated_engine(package: str, url: str) -> AsyncEngine:
    await asyncio.to_thread(upgrade, package, url)
    return create_engine(url)
