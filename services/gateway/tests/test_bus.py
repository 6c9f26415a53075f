"""ServiceBus: the envelope, the headers and the mapping of NATS failures to problems."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from nats import errors as nats_errors
from pydantic import SecretStr

from zhiyuan_gateway.clients.bus import ServiceBus, unwrap_reply
from zhiyuan_gateway.core.config import GatewaySettings
from zhiyuan_gateway.core.problems import ServiceProblem, ServiceTimeout, ServiceUnavailable
from zhiyuan_gateway.main import create_app
from zhiyuan_platform.logging import causality
from zhiyuan_platform.rpc import (
    CORRELATION_HEADER,
    IDEMPOTENCY_HEADER,
    Conflict,
    Principal,
    decode_request,
    failed,
    ok,
)

from .conftest import SECRET


class _Msg:
    def __init__(self, data: bytes) -> None:
        self.data = data


class FakeNats:
    """Just enough of nats-py's client for ServiceBus.request."""

    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.is_connected = True
        self.sent: list[dict[str, Any]] = []

    async def request(
        self,
        subject: str,
        payload: bytes,
        timeout: float,  # noqa: ASYNC109 - nats-py's signature
        headers: dict[str, str] | None,
    ) -> _Msg:
        self.sent.append({"subject": subject, "payload": payload, "timeout": timeout, "headers": headers})
        if isinstance(self.answer, Exception):
            raise self.answer
        return _Msg(self.answer)


def _bus(answer: bytes | Exception) -> tuple[ServiceBus, FakeNats]:
    bus = ServiceBus("nats://unused", default_timeout=3.0)
    fake = FakeNats(answer)
    bus._nc = fake
    return bus, fake


async def test_request_envelope_and_headers() -> None:
    bus, fake = _bus(ok({"volunteer_id": "v-1"}))
    principal = Principal(role="city_admin", subject="ops")
    with causality(correlation_id="cid-1", causation_id="cid-1"):
        result = await bus.request(
            "registry", "RegisterVolunteer", {"name": "x"}, principal=principal, idempotency_key="k-1"
        )
    assert result == {"volunteer_id": "v-1"}
    [sent] = fake.sent
    assert sent["subject"] == "zyi.registry.RegisterVolunteer"
    assert sent["timeout"] == 3.0
    assert sent["headers"] == {CORRELATION_HEADER: "cid-1", IDEMPOTENCY_HEADER: "k-1"}
    request = decode_request(sent["payload"])
    assert request.payload == {"name": "x"}
    assert request.principal == principal


async def test_explicit_timeout_and_no_headers() -> None:
    bus, fake = _bus(ok(None))
    await bus.request("recognition", "Health", {}, principal=None, timeout=1.0)
    assert fake.sent[0]["timeout"] == 1.0
    assert fake.sent[0]["headers"] is None


async def test_refusal_becomes_service_problem() -> None:
    bus, _ = _bus(failed(Conflict("already-registered", "dup", registration_no="R-1")))
    with pytest.raises(ServiceProblem) as caught:
        await bus.request("registry", "RegisterVolunteer", {}, principal=None)
    assert caught.value.status == 409
    assert caught.value.problem["registration_no"] == "R-1"


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (nats_errors.TimeoutError(), ServiceTimeout, 504),
        (TimeoutError(), ServiceTimeout, 504),
        (nats_errors.NoRespondersError(), ServiceUnavailable, 503),
        (nats_errors.ConnectionClosedError(), ServiceUnavailable, 503),
        (nats_errors.MaxPayloadError(), ServiceProblem, 413),
    ],
)
async def test_nats_failures(error: Exception, kind: type[ServiceProblem], status: int) -> None:
    bus, _ = _bus(error)
    with pytest.raises(kind) as caught:
        await bus.request("registry", "GetVolunteer", {}, principal=None)
    assert caught.value.status == status
    assert caught.value.problem["detail"]


async def test_not_connected_is_503() -> None:
    bus = ServiceBus("nats://unused")
    with pytest.raises(ServiceUnavailable):
        await bus.request("registry", "GetVolunteer", {}, principal=None)


def test_unreadable_reply_is_502() -> None:
    with pytest.raises(ServiceProblem) as caught:
        unwrap_reply("registry", "GetVolunteer", b"not json")
    assert caught.value.status == 502


async def test_start_without_nats_keeps_trying_and_closes() -> None:
    bus = ServiceBus("nats://127.0.0.1:1")
    await bus.start()
    assert not bus.connected
    with pytest.raises(ServiceUnavailable):
        await bus.request("registry", "Health", {}, principal=None)
    await bus.close()


# --- against a real nats-server (the repository conftest's session `nats_url`) -----------


@pytest.fixture
async def responder(nats_url: str) -> AsyncIterator[list[Any]]:
    """A stand-in registry answering RegisterVolunteer; records what it received."""
    seen: list[Any] = []
    nc = await nats.connect(nats_url)

    async def handle(msg: Any) -> None:
        request = decode_request(msg.data)
        seen.append((request, dict(msg.headers or {})))
        if request.payload.get("id_number") == "dup":
            await msg.respond(failed(Conflict("already-registered", "dup", registration_no="R-0")))
        else:
            await msg.respond(ok({"volunteer_id": "v-77", "registration_no": "R-77", "district": "110105"}))

    await nc.subscribe("zyi.registry.RegisterVolunteer", cb=handle)

    async def never_answer(msg: Any) -> None:
        return None

    await nc.subscribe("zyi.activities.Slow", cb=never_answer)
    await nc.flush()
    yield seen
    await nc.close()


@pytest.mark.nats
async def test_gateway_over_real_nats(nats_url: str, responder: list[Any], tmp_path: Any) -> None:
    settings = GatewaySettings(data_dir=tmp_path, token_secret=SecretStr(SECRET), nats_url=nats_url)
    bus = ServiceBus.from_settings(settings)
    await bus.start()
    try:
        assert bus.connected
        app = create_app(settings, bus)
        body = {
            "name": "赵六",
            "id_number": "110105194912310021",
            "mobile": "13800138000",
            "community": "110105001001",
        }
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            created = await client.post(
                "/api/v1/volunteers",
                json=body,
                headers={"X-Correlation-Id": "real-1", "Idempotency-Key": "ik-1"},
            )
            assert created.status_code == 201, created.text
            assert created.json()["volunteer_id"] == "v-77"
            duplicate = await client.post("/api/v1/volunteers", json={**body, "id_number": "dup"})
            assert duplicate.status_code == 409
            assert duplicate.json()["registration_no"] == "R-0"
            assert (await client.get("/api/v1/healthz")).status_code == 200
        request, headers = responder[0]
        assert request.payload["name"] == "赵六"
        assert headers[CORRELATION_HEADER] == "real-1"
        assert headers[IDEMPOTENCY_HEADER] == "ik-1"

        with pytest.raises(ServiceUnavailable):
            await bus.request("recognition", "NobodyListens", {}, principal=None)
        with pytest.raises(ServiceTimeout):
            await bus.request("activities", "Slow", {}, principal=None, timeout=0.2)
    finally:
        await bus.close()


@pytest.mark.nats
async def test_reconnects_after_nats_restarts() -> None:
    from zhiyuan_platform.testing.servers import LocalNats

    server = LocalNats()
    server.start()
    bus = ServiceBus(server.url)
    try:
        await bus.start()
        assert bus.connected
        server.kill()
        await _until(lambda: not bus.connected)
        with pytest.raises(ServiceUnavailable):
            await bus.request("registry", "Health", {}, principal=None)
        server.start()
        await _until(lambda: bus.connected)
    finally:
        await bus.close()
        server.cleanup()


@pytest.mark.nats
async def test_starts_before_nats_and_connects_later() -> None:
    from zhiyuan_platform.testing.servers import LocalNats

    server = LocalNats()
    bus = ServiceBus(server.url)
    try:
        await bus.start()
        assert not bus.connected
        server.start()
        await _until(lambda: bus.connected)
    finally:
        await bus.close()
        server.cleanup()


async def _until(condition: Any) -> None:
    async with asyncio.timeout(15):
        while not condition():  # noqa: ASYNC110 - polling a client we do not own
            await asyncio.sleep(0.05)
