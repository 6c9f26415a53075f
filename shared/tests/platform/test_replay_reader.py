"""``read_stream`` against a real nats-server: every message once, in order, to the end.

Both data planes run the same tests: the reader's own NATS connection (``wire``) and the
nats-py subscription it falls back to (``callback``). The server is this module's own, so
it can have users and passwords, and holds no ``sync_interval: always`` (publishing tens of
thousands of messages one fsync each would take most of the time budget).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import StreamConfig
from nats.js.manager import JetStreamManager

from zhiyuan_contracts.streams import stream_for
from zhiyuan_platform import replay
from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.natsconf import generate_passwords, render_config
from zhiyuan_platform.replay import ReplayError, ack_sequences, connect_options, read_stream
from zhiyuan_platform.streams_admin import ensure_context_stream
from zhiyuan_platform.testing.servers import LocalNats

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]

Message = tuple[int, str, bytes]


def _server(config: str | None = None) -> LocalNats:
    local = LocalNats()
    local.config_text = (
        f'listen: "127.0.0.1:{local.port}"\n'
        f'jetstream {{ store_dir: "{local.workdir / "js"}" }}\n' + (config or "")
    )
    local.start()
    return local


@pytest.fixture(scope="module")
def server() -> Iterator[LocalNats]:
    local = _server()
    try:
        yield local
    finally:
        local.cleanup()


@pytest.fixture
async def nc(server: LocalNats) -> AsyncIterator[NATS]:
    client = await nats.connect(server.url)
    yield client
    await client.close()


@pytest.fixture(params=[True, False], ids=["wire", "callback"])
def own_connection(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def feeds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The data plane each read used: ``_Wire`` or ``_Callback``."""
    used: list[str] = []
    original = replay._Feed.arm

    def arm(self: replay._Feed, generation: int) -> None:
        if generation == 1:
            used.append(type(self).__name__)
        original(self, generation)

    monkeypatch.setattr(replay._Feed, "arm", arm)
    return used


@pytest.fixture
def consumers_created(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the consumers created, in order (a restart creates one more)."""
    names: list[str] = []
    original = JetStreamManager.add_consumer

    async def add_consumer(self: JetStreamManager, stream: str, config: Any = None, **kw: Any) -> Any:
        info = await original(self, stream, config, **kw)
        names.append(info.name)
        return info

    monkeypatch.setattr(JetStreamManager, "add_consumer", add_consumer)
    return names


async def new_stream(nc: NATS, name: str | None = None) -> str:
    name = name or f"T{uuid.uuid4().hex[:10].upper()}"
    await nc.jetstream().add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"]))
    return name


async def fill(
    nc: NATS, stream: str, count: int, *, size: int = 60, sizes: list[int] | None = None
) -> list[Message]:
    """Publish ``count`` messages (every other one with headers), acknowledged, in order."""
    js = nc.jetstream()
    expected: list[Message] = []
    acks = []
    for i in range(1, count + 1):
        subject = f"{stream.lower()}.e.{i % 7}"
        length = sizes[(i - 1) % len(sizes)] if sizes else size
        data = (f"m{i}:".encode() * (length // 4 + 1))[:length]
        headers = {"X-Seq": str(i), "Nats-Msg-Id": f"{stream}-{i}"} if i % 2 else None
        acks.append(await js.publish_async(subject, data, headers=headers))
        expected.append((i, subject, data))
        if len(acks) >= 2000:
            await asyncio.gather(*acks)
            acks = []
    await asyncio.gather(*acks)
    assert (await js.stream_info(stream)).state.last_seq == count
    return expected


async def read_all(source: AsyncIterator[list[Delivery]]) -> list[list[Delivery]]:
    return [batch async for batch in source]


def flat(batches: list[list[Delivery]]) -> list[Message]:
    return [(d.seq, d.subject, d.data) for batch in batches for d in batch]


async def consumers_of(nc: NATS, stream: str) -> list[str]:
    return [c.name for c in await nc.jetstream().consumers_info(stream)]


# --- the whole stream -------------------------------------------------------------------


@pytest.fixture(scope="module")
async def big(server: LocalNats) -> AsyncIterator[tuple[str, list[Message]]]:
    """30,000 messages, half of them with headers, shared by the tests that only read."""
    client = await nats.connect(server.url)
    stream = await new_stream(client)
    expected = await fill(client, stream, 30_000)
    yield stream, expected
    await client.close()


async def test_every_message_once_in_order_in_batches(
    nc: NATS, big: tuple[str, list[Message]], own_connection: bool, feeds: list[str]
) -> None:
    stream, expected = big
    batches = await read_all(read_stream(nc, stream, batch_size=7000, own_connection=own_connection))
    assert [len(b) for b in batches] == [7000, 7000, 7000, 7000, 2000]
    assert flat(batches) == expected
    assert feeds == ["_Wire" if own_connection else "_Callback"]
    assert await consumers_of(nc, stream) == []


async def test_messages_published_during_the_read_are_not_read(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 500)
    got: list[Message] = []
    async for batch in read_stream(nc, stream, batch_size=100, own_connection=own_connection):
        if not got:
            await nc.jetstream().publish(f"{stream.lower()}.late", b"late")
        got += flat([batch])
    assert got == expected


async def test_start_sequence(nc: NATS, big: tuple[str, list[Message]], own_connection: bool) -> None:
    stream, expected = big
    got = flat(await read_all(read_stream(nc, stream, start_sequence=12_345, own_connection=own_connection)))
    assert got == expected[12_344:]
    assert flat(await read_all(read_stream(nc, stream, start_sequence=30_000))) == expected[-1:]
    assert await read_all(read_stream(nc, stream, start_sequence=30_001)) == []


async def test_an_empty_stream_yields_nothing_at_once(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    started = time.monotonic()
    assert await read_all(read_stream(nc, stream, own_connection=own_connection)) == []
    await fill(nc, stream, 20)
    await nc.jetstream().purge_stream(stream)  # messages gone, sequences not
    assert await read_all(read_stream(nc, stream, own_connection=own_connection)) == []
    assert time.monotonic() - started < 2
    assert await consumers_of(nc, stream) == []


# --- deletions --------------------------------------------------------------------------


async def test_interior_and_tail_deletions_end_without_waiting(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 2000)
    js = nc.jetstream()
    deleted = {1, 2, 500, 1000, 1001, *random.Random(7).sample(range(3, 1990), 150), *range(1990, 2001)}
    for seq in sorted(deleted):
        await js.delete_msg(stream, seq)
    started = time.monotonic()
    got = flat(await read_all(read_stream(nc, stream, batch_size=300, own_connection=own_connection)))
    assert got == [m for m in expected if m[0] not in deleted]
    # The end was seen at the last message present (nothing pending after it), not after
    # heartbeats (5 s by default) went unanswered.
    assert time.monotonic() - started < 2
    assert await consumers_of(nc, stream) == []


async def test_everything_from_the_start_sequence_deleted(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    await fill(nc, stream, 100)
    for seq in range(51, 101):
        await nc.jetstream().delete_msg(stream, seq)
    started = time.monotonic()
    assert await read_all(read_stream(nc, stream, start_sequence=60, own_connection=own_connection)) == []
    assert time.monotonic() - started < 2


async def test_the_tail_deleted_during_the_read(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 3000, size=4000)  # 12 MB: more than flows before a flow-control reply
    got: list[Message] = []
    started = time.monotonic()
    async for batch in read_stream(
        nc, stream, batch_size=50, queued_batches=1, idle_heartbeat=0.5, own_connection=own_connection
    ):
        if not got:
            js = nc.jetstream()
            await asyncio.gather(*(js.delete_msg(stream, seq) for seq in range(2701, 3001)))
        got += flat([batch])
    assert time.monotonic() - started < 15
    seqs = [m[0] for m in got]
    assert seqs == sorted(set(seqs))  # in order, once
    assert got[:2700] == expected[:2700]  # all that was not deleted; deleted ones maybe (in flight)
    assert got == expected[: len(got)]
    assert await consumers_of(nc, stream) == []


# --- sizes and backpressure -------------------------------------------------------------


async def test_messages_larger_than_a_socket_read(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    # asyncio reads 256 KiB at a time: 600 KB messages span three reads and more.
    expected = await fill(nc, stream, 40, sizes=[200_000, 3, 600_000, 70_000])
    batches = await read_all(read_stream(nc, stream, batch_size=7, own_connection=own_connection))
    assert [len(b) for b in batches] == [7] * 5 + [5]
    assert flat(batches) == expected


async def test_a_caller_that_does_not_read_holds_the_server_back(nc: NATS, own_connection: bool) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 200, size=200_000)  # 40 MB, over the 32 MB flow-control window
    js = nc.jetstream()
    got: list[Message] = []
    delivered = []
    async for batch in read_stream(
        nc, stream, batch_size=10, queued_batches=2, own_connection=own_connection
    ):
        if not got:
            await asyncio.sleep(1.0)  # the caller is busy: the reader must stop the server
            (name,) = await consumers_of(nc, stream)
            delivered.append((await js.consumer_info(stream, name)).delivered.stream_seq)
        got += flat([batch])
    assert got == expected
    assert delivered[0] < 150  # 10 + 2 × 2 batches held, and the server's window: far from all 200


# --- consumers: deleted afterwards, recreated after a gap -------------------------------


async def test_the_consumer_is_deleted_after_a_break_or_an_error(
    nc: NATS, big: tuple[str, list[Message]]
) -> None:
    stream, _ = big
    async with contextlib.aclosing(read_stream(nc, stream, batch_size=100)) as batches:
        async for _batch in batches:
            assert len(await consumers_of(nc, stream)) == 1
            break
    assert await consumers_of(nc, stream) == []
    with pytest.raises(RuntimeError):
        async with contextlib.aclosing(read_stream(nc, stream, batch_size=100)) as batches:
            async for _batch in batches:
                raise RuntimeError("the fold failed")
    assert await consumers_of(nc, stream) == []


async def _read_with(
    nc: NATS, stream: str, own_connection: bool, disturb: Any
) -> tuple[list[Message], float]:
    """Read slowly (1 batch queued), calling ``disturb(consumer name)`` after the first batch."""
    got: list[Message] = []
    started = time.monotonic()
    async for batch in read_stream(
        nc, stream, batch_size=50, queued_batches=1, idle_heartbeat=0.5, own_connection=own_connection
    ):
        if not got:
            (name,) = await consumers_of(nc, stream)
            await disturb(name)
        got += flat([batch])
    return got, time.monotonic() - started


async def test_a_consumer_deleted_mid_read_is_recreated_where_it_stopped(
    nc: NATS, own_connection: bool, consumers_created: list[str]
) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 3000, size=4000)

    async def delete(name: str) -> None:
        await nc.jetstream().delete_consumer(stream, name)

    got, seconds = await _read_with(nc, stream, own_connection, delete)
    assert got == expected
    assert len(consumers_created) == 2  # noticed (3 silent heartbeat intervals) and recreated once
    assert seconds < 20
    assert await consumers_of(nc, stream) == []


async def test_a_heartbeat_reporting_later_deliveries_restarts(
    server: LocalNats, nc: NATS, own_connection: bool, consumers_created: list[str]
) -> None:
    stream = await new_stream(nc)
    expected = await fill(nc, stream, 3000, size=4000)

    async def inject(name: str) -> None:
        deliver = (await nc.jetstream().consumer_info(stream, name)).config.deliver_subject
        header = (
            b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 999999\r\nNats-Last-Stream: 2999\r\n\r\n"
        )
        await raw_publish(server.port, deliver, header)

    got, _ = await _read_with(nc, stream, own_connection, inject)
    assert got == expected
    assert len(consumers_created) == 2


async def _false_heartbeat(server: LocalNats, nc: NATS, stream: str, consumer: str) -> None:
    """An idle heartbeat saying the consumer delivered far more than the reader saw: as
    after messages lost on the way. (A delivery with a skipped consumer sequence cannot be
    faked: the server refuses a ``$JS.ACK`` reply subject from a client; the parser test
    covers that case.)"""
    deliver = (await nc.jetstream().consumer_info(stream, consumer)).config.deliver_subject
    header = b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 999999\r\nNats-Last-Stream: 2999\r\n\r\n"
    await raw_publish(server.port, deliver, header)


async def raw_publish(port: int, subject: str, header: bytes, payload: bytes = b"", auth: str = "") -> None:
    """HPUB with a status line, which nats-py cannot send."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # INFO
    writer.write(
        b'CONNECT {"verbose":false,"headers":true%s}\r\n' % auth.encode()
        + b"HPUB %s %d %d\r\n" % (subject.encode(), len(header), len(header) + len(payload))
        + header
        + payload
        + b"\r\nPING\r\n"
    )
    await writer.drain()
    assert (await reader.readline()) == b"PONG\r\n"
    writer.close()
    await writer.wait_closed()


async def test_restarts_without_progress_are_an_error(
    server: LocalNats, nc: NATS, monkeypatch: pytest.MonkeyPatch, consumers_created: list[str]
) -> None:
    stream = await new_stream(nc)
    await fill(nc, stream, 3000, size=4000)
    monkeypatch.setattr(replay, "MAX_RESTARTS", 0)

    async def inject(name: str) -> None:
        await _false_heartbeat(server, nc, stream, name)

    with pytest.raises(ReplayError, match="no progress"):
        await _read_with(nc, stream, True, inject)
    assert len(consumers_created) == 1
    assert await consumers_of(nc, stream) == []


# --- credentials ------------------------------------------------------------------------


@pytest.fixture
def secured() -> Iterator[tuple[LocalNats, dict[str, str]]]:
    """The project's own configuration (natsconf): named account, least-privilege users."""
    passwords = generate_passwords(("registry", "recognition"))
    local = LocalNats()
    local.config_text = render_config(
        host="127.0.0.1",
        port=local.port,
        store_dir=str(local.workdir / "js"),
        passwords=passwords,
        sync_always=False,
    )
    local.start()
    try:
        yield local, passwords
    finally:
        local.cleanup()


async def test_a_least_privilege_user_with_a_password_reads_over_its_own_connection(
    secured: tuple[LocalNats, dict[str, str]], feeds: list[str]
) -> None:
    server, passwords = secured
    owner = await nats.connect(server.url, user="registry", password=passwords["registry"])
    await ensure_context_stream(owner, "registry")
    stream = stream_for("registry").name
    js = owner.jetstream()
    expected = []
    for i in range(1, 3001):  # 3 MB: flow control is asked for, and must be answered
        ack = await js.publish_async(f"zy.registry.110105.e{i % 3}", b"%06d" % i * 170)
        expected.append((i, f"zy.registry.110105.e{i % 3}", b"%06d" % i * 170))
        if i % 1000 == 0:
            await ack
    await js.publish_async_completed()
    reader = await nats.connect(
        server.url, user="recognition", password=passwords["recognition"], name="rebuild"
    )
    assert connect_options(reader) is not None
    assert flat(await read_all(read_stream(reader, stream, batch_size=1000))) == expected
    # The same user, its credentials in the URL.
    host = server.url.removeprefix("nats://")
    in_url = await nats.connect(f"nats://recognition:{passwords['recognition']}@{host}")
    assert flat(await read_all(read_stream(in_url, stream, batch_size=1000))) == expected
    assert feeds == ["_Wire", "_Wire"]
    assert await consumers_of(reader, stream) == []
    for client in (owner, reader, in_url):
        await client.close()


async def test_a_token(feeds: list[str]) -> None:
    server = _server('authorization { token: "s3cret-token" }\n')
    try:
        client = await nats.connect(server.url, token="s3cret-token")
        stream = await new_stream(client)
        expected = await fill(client, stream, 100)
        assert flat(await read_all(read_stream(client, stream))) == expected
        assert feeds == ["_Wire"]
        await client.close()
    finally:
        server.cleanup()


async def test_a_refused_connection_falls_back_to_nats_py(
    secured: tuple[LocalNats, dict[str, str]], monkeypatch: pytest.MonkeyPatch, feeds: list[str]
) -> None:
    server, passwords = secured
    client = await nats.connect(server.url, user="recognition", password=passwords["recognition"])
    options = connect_options(client)
    assert options is not None
    owner = await nats.connect(server.url, user="registry", password=passwords["registry"])
    await ensure_context_stream(owner, "registry")
    for i in range(50):
        await owner.jetstream().publish(f"zy.registry.110105.e{i}", b"x")
    # As when a user may open one connection only: the server refuses the reader's own.
    monkeypatch.setattr(replay, "connect_options", lambda _nc: dict(options, **{"pass": "wrong"}))
    stream = stream_for("registry").name
    expected = flat(await read_all(read_stream(client, stream, own_connection=False)))
    assert len(expected) == 50
    assert flat(await read_all(read_stream(client, stream))) == expected
    assert feeds == ["_Callback", "_Callback"]
    assert await consumers_of(client, stream) == []
    for c in (client, owner):
        await c.close()


# --- the parser, byte by byte -----------------------------------------------------------


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: Any) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _protocol_bytes() -> tuple[bytes, list[Message]]:
    out = [b'INFO {"headers":true}\r\n', b"+OK\r\n", b"PING\r\n"]
    expected: list[Message] = []
    for i in range(1, 41):
        subject = f"zy.x.{i}".encode()
        data = (b"payload-%d " % i) * (i % 5)
        if i % 3 == 0:  # 12-token ack subject (domain, account hash, random token)
            reply = b"$JS.ACK._.HASH.S.c.1.%d.%d.1700.%d.tok" % (i, i, 40 - i)
        else:
            reply = b"$JS.ACK.S.c.1.%d.%d.1700.%d" % (i, i, 40 - i)
        if i % 2:
            header = b"NATS/1.0\r\nX-Seq: %d\r\n\r\n" % i
            out.append(
                b"HMSG %s 1 %s %d %d\r\n%s%s\r\n"
                % (subject, reply, len(header), len(header) + len(data), header, data)
            )
        else:
            out.append(b"MSG %s 1 %s %d\r\n%s\r\n" % (subject, reply, len(data), data))
        expected.append((i, subject.decode(), data))
        if i == 20:
            fc = b"NATS/1.0 100 FlowControl Request\r\n\r\n"
            out.append(b"HMSG _INBOX.x 1 $JS.FC.S.c.ab12 %d %d\r\n%s\r\n" % (len(fc), len(fc), fc))
            hb = b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 20\r\nNats-Last-Stream: 20\r\n\r\n"
            out.append(b"HMSG _INBOX.x 1 %d %d\r\n%s\r\n" % (len(hb), len(hb), hb))
            out.append(b"MSG _INBOX.old 9 $JS.ACK.S.old.1.5.5.1.0 3\r\nold\r\n")  # an earlier consumer's
    return b"".join(out), expected


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64, 1000, 1 << 20])
async def test_the_parser_whatever_the_chunks(chunk: int) -> None:
    data, expected = _protocol_bytes()
    wire = replay._Wire(last=40, start=1, batch_size=6, queued=100)
    transport = _Transport()
    wire.connection_made(transport)
    wire.sid = b"1"
    wire.arm(1)
    for i in range(0, len(data), chunk):
        wire.data_received(data[i : i + chunk])
    items = list(wire.items)
    assert isinstance(items[-1], replay._End)
    batches = [item for item in items if isinstance(item, list)]
    assert [len(b) for b in batches] == [6] * 6 + [4]
    assert flat(batches) == expected
    assert not [item for item in items if isinstance(item, replay._Restart | replay._Failed)]
    assert bytes(transport.written) == b"PONG\r\nPUB $JS.FC.S.c.ab12 0\r\n\r\n"


async def test_the_parser_stops_at_a_consumer_sequence_gap() -> None:
    wire = replay._Wire(last=10, start=1, batch_size=100, queued=100)
    wire.connection_made(_Transport())
    wire.sid = b"1"
    wire.arm(1)
    deliveries = [(1, 1), (2, 2), (4, 4), (5, 5)]  # consumer sequence 3 never arrived
    wire.data_received(
        b"".join(
            b"MSG s 1 $JS.ACK.S.c.1.%d.%d.1700.3 1\r\n%d\r\n" % (sseq, cseq, sseq)
            for sseq, cseq in deliveries
        )
    )
    assert [type(item).__name__ for item in wire.items] == ["_Restart"]
    assert [d.seq for d in wire.batch] == [1, 2] and wire.sseq == 2  # a new consumer starts at 3
    assert not wire.accepting  # 4 and 5 were dropped: they come again from the new consumer
    wire.sid = b"2"
    wire.arm(2)
    wire.data_received(b"MSG s 2 $JS.ACK.S.c2.1.3.1.1700.0 1\r\n3\r\n")
    *_, batch, check = wire.items
    assert isinstance(batch, list) and [d.seq for d in batch] == [1, 2, 3]
    assert isinstance(check, replay._Check)  # nothing pending after 3, before 10: ask the server


def test_ack_subjects() -> None:
    assert ack_sequences("$JS.ACK.S.c.1.17.18.1700.42") == (17, 18, 42)
    assert ack_sequences("$JS.ACK._.HASH.S.c.1.17.18.1700.42.tok") == (17, 18, 42)
    assert ack_sequences("$JS.ACK.dom.HASH.S.c.1.17.18.1700.42") == (17, 18, 42)
    with pytest.raises(ReplayError):
        ack_sequences("$JS.ACK.S.c.1.17")
