"""A service answers queries side by side, commands one at a time (real nats-server)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_contracts.subjects import request_subject
from zhiyuan_platform import rpc
from zhiyuan_platform.commands import UnitOfWork
from zhiyuan_platform.service import QUERY_CONCURRENCY, ServiceHost
from zhiyuan_platform.settings import ServiceSettings

pytestmark = pytest.mark.nats


def _host(nats_url: str, tmp_path: Path) -> ServiceHost:
    settings = ServiceSettings(nats_url=nats_url, data_dir=tmp_path, nats_user="", nats_password="")
    return ServiceHost(context="registry", package="zhiyuan_registry", settings=settings, translate=lambda e: [])


async def _ask(nc: Any, operation: str, n: int) -> list[rpc.Reply]:
    async def one(i: int) -> rpc.Reply:
        msg = await nc.request(
            request_subject("registry", operation), rpc.encode_request({"i": i}, None), timeout=10
        )
        return rpc.decode_reply(msg.data)

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_queries_run_side_by_side_and_commands_in_turn(nats_url: str, tmp_path: Path) -> None:
    host = _host(nats_url, tmp_path)
    waiting = 0
    everyone_here = asyncio.Event()
    active = peak = 0

    async def rendezvous(conn: AsyncConnection, request: rpc.Request) -> dict[str, Any]:
        # Each query waits for the others: served one at a time, the first would wait forever.
        nonlocal waiting
        waiting += 1
        if waiting == 3:
            everyone_here.set()
        await asyncio.wait_for(everyone_here.wait(), timeout=5)
        return {"i": request.payload["i"]}

    async def counted(uow: UnitOfWork, request: rpc.Request) -> dict[str, Any]:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return {"i": request.payload["i"]}

    host.query("ProbeRendezvous", rendezvous)
    host.command("ProbeInTurn", counted)
    await host.app.start()
    nc = await nats.connect(nats_url)
    try:
        queries = await _ask(nc, "ProbeRendezvous", 3)
        commands = await _ask(nc, "ProbeInTurn", 4)
    finally:
        await nc.close()
        await host.app.stop()
    assert QUERY_CONCURRENCY >= 3
    assert sorted(r.result["i"] for r in queries) == [0, 1, 2], [r.problem for r in queries]
    assert sorted(r.result["i"] for r in commands) == [0, 1, 2, 3]
    assert peak == 1  # never two commands at once
