"""A real nats-server started from the generated configuration, with two districts.

``A`` (东城区 110101) and ``B`` (西城区 110102) each have a user and a stream of their own;
events are published as the services publish them (their own users, ``Nats-Msg-Id`` =
the CloudEvent id, subject ``zy.<context>.<district>.<EventName>``).

nats-py reports a permissions violation only through ``error_cb`` (the server answers
``-ERR 'Permissions Violation ...'`` and keeps the connection open), so each connection
here collects them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import PubAck

from zhiyuan_cli.district import provision_districts
from zhiyuan_contracts.base import IntegrationEvent
from zhiyuan_contracts.catalogue import subject_of, to_cloud_event
from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_contracts.examples import example
from zhiyuan_platform.natsconf import (
    district_api_prefix,
    district_stream,
    district_user,
    generate_district_passwords,
    generate_passwords,
    render_config,
)
from zhiyuan_platform.testing.servers import LocalNats

A = "110101"
B = "110102"
_sequence = itertools.count(1)


@dataclass
class Conn:
    nc: Client
    errors: list[str] = field(default_factory=list)

    async def settle(self) -> None:
        # Two flushes: nats-py 2.16 writes a flush's PING ahead of buffered commands.
        await self.nc.flush(timeout=2)
        await self.nc.flush(timeout=2)

    async def violations(self, expected: int = 0, within: float = 2.0) -> list[str]:
        await self.settle()
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [e for e in self.errors if "permissions violation" in e]
            if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.02)


@dataclass
class Feed:
    server: LocalNats
    passwords: dict[str, str]
    districts: dict[str, str]
    opened: list[Conn] = field(default_factory=list)
    _services: dict[str, Conn] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    async def connect(self, user: str, password: str | None = None) -> Conn:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc).lower())

        if password is None:
            password = self.passwords[user] if user in self.passwords else self.districts[user.split("-")[1]]
        nc = await nats.connect(
            self.url,
            user=user,
            password=password,
            error_cb=on_error,
            allow_reconnect=False,
            connect_timeout=2,
            max_reconnect_attempts=0,
        )
        conn = Conn(nc=nc, errors=errors)
        self.opened.append(conn)
        return conn

    async def district(self, code: str) -> Conn:
        return await self.connect(district_user(code))

    async def publish(self, event: CloudEvent) -> PubAck:
        """As the service of the event's context publishes it (its relay)."""
        conn = await self._service(event.context)
        ack: PubAck = await conn.nc.jetstream(timeout=5).publish(
            subject_of(event), encode(event), headers={"Nats-Msg-Id": event.id}
        )
        return ack

    async def publish_batch(self, events: list[CloudEvent]) -> None:
        """As the relay publishes: one JetStream atomic batch (all of one context)."""
        [context] = {ce.context for ce in events}
        conn = await self._service(context)
        batch_id, last, reply = f"batch-{events[0].id}", len(events), None
        for i, ce in enumerate(events, start=1):
            headers = {"Nats-Msg-Id": ce.id, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i)}
            if i == last:
                headers["Nats-Batch-Commit"] = "1"
            if i in (1, last):
                answer = await conn.nc.request(subject_of(ce), encode(ce), timeout=5, headers=headers)
                reply = json.loads(answer.data) if answer.data else None
            else:
                await conn.nc.publish(subject_of(ce), encode(ce), headers=headers)
        assert reply is not None and reply.get("count") == last, reply

    async def publish_raw(self, subject: str, event: CloudEvent) -> PubAck:
        conn = await self._service(event.context)
        ack: PubAck = await conn.nc.jetstream(timeout=5).publish(
            subject, encode(event), headers={"Nats-Msg-Id": event.id}
        )
        return ack

    async def _service(self, context: str) -> Conn:
        if context not in self._services:
            self._services[context] = await self.connect(context)
        return self._services[context]

    async def district_count(self, code: str) -> int:
        operator = await self._service("operator")
        js = operator.nc.jetstream(prefix=district_api_prefix(code), timeout=5)
        return int((await js.stream_info(district_stream(code))).state.messages)

    async def wait_district(self, code: str, count: int, within: float = 10.0) -> None:
        """Until the district stream holds ``count`` events (sourcing is asynchronous)."""
        deadline = asyncio.get_running_loop().time() + within
        while (have := await self.district_count(code)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{district_stream(code)} holds {have} events, expected {count}")
            await asyncio.sleep(0.02)

    async def city_count(self, stream: str) -> int:
        operator = await self._service("operator")
        return int((await operator.nc.jetstream(timeout=5).stream_info(stream)).state.messages)

    async def close(self) -> None:
        for conn in self.opened:
            if not conn.nc.is_closed:
                await conn.nc.close()


def event(type_str: str, district: str, *, aggregate_id: str | None = None, **update: Any) -> CloudEvent:
    """An example event of the catalogue, moved to ``district``, as a CloudEvent."""
    base: IntegrationEvent = example(type_str)
    if "district" in type(base).model_fields:
        update.setdefault("district", district)
    if "to_district" in type(base).model_fields:
        update.setdefault("to_district", district)
    body = base.model_copy(update=update)
    data = body.model_dump()
    aggregate = aggregate_id or str(
        data.get("volunteer_id") or data.get("activity_id") or data.get("list_id") or data.get("team_id")
    )
    return to_cloud_event(
        body, aggregate_id=aggregate, district=district, sequence=next(_sequence), time=datetime.now(UTC)
    )


def start_feed(
    districts: dict[str, str], passwords: dict[str, str] | None = None
) -> tuple[LocalNats, dict[str, str]]:
    passwords = passwords or generate_passwords()
    server = LocalNats()
    server.config_text = render_config(
        host="127.0.0.1",
        port=server.port,
        store_dir=str(server.workdir / "js"),
        passwords=passwords,
        districts=districts,
    )
    server.start()
    return server, passwords


@pytest.fixture
def server_and_passwords() -> Iterator[tuple[LocalNats, dict[str, str], dict[str, str]]]:
    districts = generate_district_passwords([A, B])
    server, passwords = start_feed(districts)
    try:
        yield server, passwords, districts
    finally:
        server.cleanup()


@pytest.fixture
async def feed(server_and_passwords: tuple[LocalNats, dict[str, str], dict[str, str]]) -> AsyncIterator[Feed]:
    server, passwords, districts = server_and_passwords
    running = Feed(server=server, passwords=passwords, districts=districts)
    operator = await running._service("operator")
    assert await provision_districts(operator.nc, [A, B]) == {A: "created", B: "created"}
    try:
        yield running
    finally:
        await running.close()
