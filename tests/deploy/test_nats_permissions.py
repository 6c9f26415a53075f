"""The NATS users' permissions, proven against a real nats-server.

nats-py reports a permissions violation only through ``error_cb`` (the server answers
``-ERR 'Permissions Violation for Publish to "..."'`` or ``... for Subscription to ...``
and keeps the connection open); ``publish`` and ``subscribe`` themselves do not raise,
and a refused subscription simply never receives anything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from zhiyuan_contracts.streams import stream_for
from zhiyuan_platform.natsconf import generate_passwords, render_config
from zhiyuan_platform.streams_admin import ensure_context_stream, ensure_dead_letter_stream

from .conftest import RunningServer, free_port, start_server, stop_server

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]

# One password goes through an environment variable, as in the deploy configs; one
# literal carries every character the quoting has to get right.
OPERATOR_ENV = "ZY_TEST_OPERATOR_NATS_PASSWORD"
TRICKY_LITERAL = 'q"uo\\te $HOME #not-a-comment 密码'


@dataclass
class Server:
    running: RunningServer
    passwords: dict[str, str]

    @property
    def url(self) -> str:
        return self.running.url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("nats")
    passwords = generate_passwords()
    passwords["activities"] = TRICKY_LITERAL
    real_operator_password = passwords["operator"]
    rendered = dict(passwords, operator="$" + OPERATOR_ENV)
    port = free_port()
    conf = tmp / "nats.conf"
    conf.write_text(render_config(host="127.0.0.1", port=port, store_dir=str(tmp / "js"), passwords=rendered))
    running = start_server(conf, port, env={OPERATOR_ENV: real_operator_password})
    try:
        yield Server(running=running, passwords=passwords)
    finally:
        stop_server(running)


@dataclass
class Conn:
    nc: Client
    errors: list[str] = field(default_factory=list)

    async def settle(self) -> None:
        """Return once the server has processed everything sent so far.

        nats-py 2.16's ``flush()`` writes its PING straight to the socket, ahead of
        commands still buffered, so one PONG does not prove the server has seen them; the
        second flush's PING follows them, and the server answers in order.
        """
        await self.nc.flush(timeout=2)
        await self.nc.flush(timeout=2)

    async def violations(self, expected: int = 0, within: float = 2.0) -> list[str]:
        """The permissions violations so far, waiting up to ``within`` seconds for ``expected``."""
        await self.settle()
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = [e for e in self.errors if "permissions violation" in e]
            if len(found) >= expected or asyncio.get_running_loop().time() > deadline:
                return found
            await asyncio.sleep(0.02)


async def connect(server: Server, user: str, password: str | None = None) -> Conn:
    conn_errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        conn_errors.append(str(exc))

    nc = await nats.connect(
        server.url,
        user=user,
        password=server.passwords[user] if password is None else password,
        error_cb=on_error,
        allow_reconnect=False,
        connect_timeout=2,
        max_reconnect_attempts=0,
    )
    return Conn(nc=nc, errors=conn_errors)


@pytest.fixture
async def conns(server: Server) -> AsyncIterator[dict[str, Conn]]:
    opened: dict[str, Conn] = {}
    for user in ("registry", "activities", "recognition", "gateway", "operator"):
        opened[user] = await connect(server, user)
    try:
        yield opened
    finally:
        for conn in opened.values():
            await conn.nc.close()


async def _refused(server: Server, **credentials: str) -> BaseException:
    async def quiet(exc: Exception) -> None:
        return None

    try:
        nc = await nats.connect(
            server.url,
            allow_reconnect=False,
            connect_timeout=2,
            max_reconnect_attempts=0,
            error_cb=quiet,
            **credentials,
        )
    except Exception as exc:
        return exc
    await nc.close()
    raise AssertionError(f"connection with {sorted(credentials)} was admitted")


async def test_anonymous_client_is_refused(server: Server) -> None:
    exc = await _refused(server)
    assert "authorization" in str(exc).lower() or isinstance(exc, nats.errors.Error)


async def test_wrong_password_is_refused(server: Server) -> None:
    await _refused(server, user="registry", password=server.passwords["registry"] + "x")
    await _refused(server, user="gateway", password=server.passwords["registry"])
    await _refused(server, user="nobody", password="whatever-password-1")


async def test_literal_and_environment_passwords_are_admitted(conns: dict[str, Conn]) -> None:
    # activities uses TRICKY_LITERAL, operator a $VAR reference; both connected above.
    assert conns["activities"].nc.is_connected
    assert conns["operator"].nc.is_connected


async def _registry_stream(conn: Conn) -> None:
    # The services' own start-up provisioning: create, or update to the spec.
    await ensure_context_stream(conn.nc, "registry")


async def test_registry_provisions_its_stream_and_publishes_with_ack(conns: dict[str, Conn]) -> None:
    registry = conns["registry"]
    await _registry_stream(registry)
    # Provisioning is idempotent: services do it at every start.
    await _registry_stream(registry)
    js = registry.nc.jetstream(timeout=2)
    info = await js.stream_info("ZY_REGISTRY")
    subject = "zy.registry.110101.VolunteerRegistered"
    ack = await js.publish(subject, b'{"id": "e-1"}', headers={"Nats-Msg-Id": "e-1"})
    assert ack.stream == "ZY_REGISTRY"
    again = await js.publish(subject, b'{"id": "e-1"}', headers={"Nats-Msg-Id": "e-1"})
    assert again.duplicate and again.seq == ack.seq
    stored = await js.get_msg("ZY_REGISTRY", ack.seq)
    assert stored.data == b'{"id": "e-1"}'
    assert info.config.name == "ZY_REGISTRY"
    assert await registry.violations() == []


async def test_platform_provisioning_and_an_atomic_batch_under_the_service_users(
    conns: dict[str, Conn],
) -> None:
    """The services' own start-up code (create or update, atomic batches on) and the
    relay's batch publish: first and last message as requests, the rest plain."""
    registry, recognition = conns["registry"], conns["recognition"]
    await _registry_stream(registry)
    js = registry.nc.jetstream(timeout=2)
    # As an older install left it, without atomic batches: provisioning updates it.
    config = (await js.stream_info("ZY_REGISTRY")).config
    config.allow_atomic = False
    await js.update_stream(config)
    await ensure_context_stream(registry.nc, "registry")
    await ensure_context_stream(registry.nc, "registry")
    await ensure_context_stream(recognition.nc, "recognition")
    await ensure_dead_letter_stream(recognition.nc)
    assert (await js.stream_info("ZY_REGISTRY")).config.allow_atomic

    batch_id, size, reply = "batch-1", 3, None
    for i in range(1, size + 1):
        headers = {"Nats-Msg-Id": f"b-{i}", "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i)}
        if i == size:
            headers["Nats-Batch-Commit"] = "1"
        subject = f"zy.registry.110101.VolunteerJoinedTeam{i}"
        if i in (1, size):
            answer = await registry.nc.request(subject, b"{}", timeout=2, headers=headers)
            reply = json.loads(answer.data) if answer.data else None
        else:
            await registry.nc.publish(subject, b"{}", headers=headers)
    assert reply is not None and reply.get("count") == size, reply
    assert await registry.violations() == [] and await recognition.violations() == []


async def test_registry_cannot_publish_or_manage_another_context(conns: dict[str, Conn]) -> None:
    registry = conns["registry"]
    await registry.nc.publish("zy.activities.110101.HoursLogged", b"{}")
    await registry.nc.publish("$JS.API.STREAM.CREATE.ZY_ACTIVITIES", b"{}")
    await registry.nc.publish("$JS.API.STREAM.DELETE.ZY_REGISTRY", b"")
    await registry.nc.subscribe("zy.>")
    found = await registry.violations(expected=4)
    assert any('publish to "zy.activities.110101.hourslogged"' in v for v in found), found
    assert any('publish to "$js.api.stream.create.zy_activities"' in v for v in found), found
    assert any('publish to "$js.api.stream.delete.zy_registry"' in v for v in found), found
    assert any('subscription to "zy.>"' in v for v in found), found


async def test_gateway_has_no_access_to_the_feed_or_jetstream(conns: dict[str, Conn]) -> None:
    gateway, operator = conns["gateway"], conns["operator"]
    leaked: list[str] = []

    async def record(msg: Msg) -> None:
        leaked.append(msg.subject)

    await operator.nc.subscribe("zy.>", cb=record)
    await operator.settle()

    await gateway.nc.publish("zy.registry.110101.X", b"{}")
    await gateway.nc.subscribe("zy.>")
    await gateway.nc.publish("$JS.API.INFO", b"")
    found = await gateway.violations(expected=3)
    assert any('publish to "zy.registry.110101.x"' in v for v in found), found
    assert any('subscription to "zy.>"' in v for v in found), found
    assert any('publish to "$js.api.info"' in v for v in found), found
    await operator.settle()
    assert leaked == []


async def test_gateway_requests_reach_the_service_and_the_reply_comes_back(conns: dict[str, Conn]) -> None:
    gateway, registry = conns["gateway"], conns["registry"]

    async def handle(msg: Msg) -> None:
        await msg.respond(json.dumps({"ok": True, "result": msg.subject}).encode())

    await registry.nc.subscribe("zyi.registry.>", queue="registry", cb=handle)
    await registry.settle()
    reply = await gateway.nc.request("zyi.registry.GetVolunteer", b"{}", timeout=2)
    assert json.loads(reply.data) == {"ok": True, "result": "zyi.registry.GetVolunteer"}
    # Only its own context's requests reach a service.
    await registry.nc.subscribe("zyi.activities.>")
    assert any('subscription to "zyi.activities.>"' in v for v in await registry.violations(expected=1))
    assert await gateway.violations() == []


async def test_recognition_consumes_registry_with_a_durable_pull_consumer(conns: dict[str, Conn]) -> None:
    await _registry_stream(conns["registry"])
    registry_js = conns["registry"].nc.jetstream(timeout=2)
    await registry_js.publish("zy.registry.110101.VolunteerMoved", b"{}", headers={"Nats-Msg-Id": "e-2"})

    recognition = conns["recognition"]
    js = recognition.nc.jetstream(timeout=2)
    sub = await js.pull_subscribe(
        "zy.registry.>",
        durable="recognition-projector",
        stream="ZY_REGISTRY",
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
    )
    msgs = await sub.fetch(10, timeout=2)
    assert msgs and all(m.subject.startswith("zy.registry.") for m in msgs)
    for msg in msgs:
        assert msg.reply.startswith("$JS.ACK.ZY_REGISTRY."), msg.reply
        await msg.ack_sync(timeout=2)
    info = await js.consumer_info("ZY_REGISTRY", "recognition-projector")
    assert info.num_ack_pending == 0 and info.ack_floor.stream_seq >= len(msgs)
    # The same durable, bound again after a restart.
    again = await js.pull_subscribe_bind("recognition-projector", stream="ZY_REGISTRY")
    with pytest.raises((nats.errors.TimeoutError, asyncio.TimeoutError)):
        await again.fetch(1, timeout=0.3)
    assert await recognition.violations() == []


async def test_recognition_replays_with_an_ordered_consumer(conns: dict[str, Conn]) -> None:
    await _registry_stream(conns["registry"])
    registry_js = conns["registry"].nc.jetstream(timeout=2)
    await registry_js.publish("zy.registry.110101.TeamRegistered", b"{}", headers={"Nats-Msg-Id": "e-3"})
    recognition = conns["recognition"]
    js = recognition.nc.jetstream(timeout=2)
    sub = await js.subscribe("zy.registry.>", stream="ZY_REGISTRY", ordered_consumer=True)
    first = await sub.next_msg(timeout=2)
    assert first.metadata.sequence.stream == 1
    await sub.unsubscribe()
    assert await recognition.violations() == []


async def test_recognition_owns_its_streams_and_dead_letters_but_not_the_sources(
    conns: dict[str, Conn],
) -> None:
    recognition = conns["recognition"]
    js = recognition.nc.jetstream(timeout=2)
    await ensure_context_stream(recognition.nc, "recognition")
    await ensure_dead_letter_stream(recognition.nc)
    ack = await js.publish("zy.recognition.110000.StarLevelAttained", b"{}", headers={"Nats-Msg-Id": "r-1"})
    assert ack.stream == "ZY_RECOGNITION"
    dead = await js.publish("zyd.registry.VolunteerRegistered", b"{}", headers={"Nats-Msg-Id": "d-1"})
    assert dead.stream == "ZY_DEAD_LETTERS"
    await recognition.nc.publish("zy.registry.110101.VolunteerRegistered", b"{}")
    await recognition.nc.publish("$JS.API.STREAM.UPDATE.ZY_REGISTRY", b"{}")
    await recognition.nc.publish("$JS.API.STREAM.PURGE.ZY_ACTIVITIES", b"{}")
    found = await recognition.violations(expected=3)
    assert any('publish to "zy.registry.110101.volunteerregistered"' in v for v in found), found
    assert any('publish to "$js.api.stream.update.zy_registry"' in v for v in found), found
    assert any('publish to "$js.api.stream.purge.zy_activities"' in v for v in found), found


async def test_activities_with_a_literal_password_provisions_its_stream(conns: dict[str, Conn]) -> None:
    activities = conns["activities"]
    await ensure_context_stream(activities.nc, "activities")
    js = activities.nc.jetstream(timeout=2)
    ack = await js.publish("zy.activities.310104.HoursLogged", b"{}", headers={"Nats-Msg-Id": "a-1"})
    assert ack.stream == "ZY_ACTIVITIES"
    assert await activities.violations() == []


async def test_recognition_replay_answers_flow_control(conns: dict[str, Conn]) -> None:
    """Enough bytes for the server to ask for flow control (``$JS.FC.<stream>.…``);
    without that permission it stops delivering and the replay stalls."""
    activities, recognition = conns["activities"], conns["recognition"]
    spec = stream_for("activities")
    await ensure_context_stream(activities.nc, "activities")
    producer = activities.nc.jetstream(timeout=2)
    before = (await producer.stream_info(spec.name)).state.messages
    body = b"x" * 65536
    acks = [await producer.publish_async("zy.activities.310104.HoursLogged", body) for _ in range(64)]
    await asyncio.gather(*acks)
    sub = await recognition.nc.jetstream(timeout=2).subscribe(
        "zy.activities.>", stream=spec.name, ordered_consumer=True
    )
    for _ in range(before + 64):
        await sub.next_msg(timeout=2)
    await sub.unsubscribe()
    assert await recognition.violations() == []


async def test_operator_reads_everything_and_administers_jetstream(conns: dict[str, Conn]) -> None:
    await _registry_stream(conns["registry"])
    operator = conns["operator"]
    js = operator.nc.jetstream(timeout=2)
    names = await js.streams_info()
    assert "ZY_REGISTRY" in {s.config.name for s in names}
    registry_js = conns["registry"].nc.jetstream(timeout=2)
    await registry_js.publish("zy.registry.110101.VolunteerRegistered", b"{}", headers={"Nats-Msg-Id": "e-1"})
    sub = await js.subscribe("zy.registry.>", stream="ZY_REGISTRY", ordered_consumer=True)
    assert (await sub.next_msg(timeout=2)).subject.startswith("zy.registry.")
    await sub.unsubscribe()
    # It reads the feed and administers JetStream, but neither writes events nor talks
    # to the services.
    await operator.nc.subscribe("zyi.>")
    await operator.nc.publish("zy.registry.110101.VolunteerRegistered", b"{}")
    found = await operator.violations(expected=2)
    assert any('subscription to "zyi.>"' in v for v in found), found
    assert any('publish to "zy.registry.110101.volunteerregistered"' in v for v in found), found
