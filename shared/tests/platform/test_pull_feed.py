"""PullFeed against a real nats-server: prompt hand-over, order, renewal, a lost consumer, a restart."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from zhiyuan_platform.pull import ConsumerGone, PullFeed
from zhiyuan_platform.testing.servers import LocalNats, running_nats

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalNats]:
    with running_nats() as local:
        yield local


@pytest.fixture
async def nc(server: LocalNats) -> AsyncIterator[NATS]:
    client = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client
    await client.close()


@pytest.fixture
async def stream(nc: NATS) -> AsyncIterator[str]:
    name = f"P{uuid.uuid4().hex[:10].upper()}"
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"]))
    await js.add_consumer(name, ConsumerConfig(durable_name="reader", ack_policy=AckPolicy.ALL))
    yield name
    await js.delete_stream(name)


async def publish(nc: NATS, stream: str, count: int) -> None:
    js = nc.jetstream()
    for i in range(count):
        await js.publish(f"{stream.lower()}.x", str(i).encode())


async def feed_of(nc: NATS, stream: str, *, batch: int, expires: float) -> PullFeed:
    feed = PullFeed(nc, stream=stream, consumer="reader", batch=batch, expires=expires)
    await feed.start()
    return feed


async def collect(feed: PullFeed, count: int, *, timeout: float = 20.0) -> list[list[Msg]]:  # noqa: ASYNC109
    batches: list[list[Msg]] = []
    deadline = time.monotonic() + timeout
    while sum(map(len, batches)) < count and time.monotonic() < deadline:
        got = await feed.next_batch(1.0)
        if got:
            batches.append(got)
            await got[-1].ack()
    return batches


async def test_what_has_arrived_is_handed_over_without_waiting_for_the_batch_to_fill(nc: NATS, stream: str) -> None:
    # One request open for 500 messages for 30 s: nats-py's fetch(500, timeout=30) would
    # return the three only after the 30 s. The feed hands them over as they come.
    feed = await feed_of(nc, stream, batch=500, expires=30.0)
    assert await feed.next_batch(0.3) == []
    await publish(nc, stream, 3)
    started = time.monotonic()
    batches = await collect(feed, 3, timeout=25.0)
    assert time.monotonic() - started < 10.0
    assert [m.data for b in batches for m in b] == [b"0", b"1", b"2"]
    assert feed.requests_sent == 1  # the same request delivered them
    await feed.close()


async def test_a_long_backlog_comes_in_order_in_batches_of_at_most_the_batch_size(nc: NATS, stream: str) -> None:
    await publish(nc, stream, 250)
    feed = await feed_of(nc, stream, batch=100, expires=5.0)
    batches = await collect(feed, 250)
    assert all(1 <= len(b) <= 100 for b in batches)
    assert [m.metadata.sequence.stream for b in batches for m in b] == list(range(1, 251))
    assert feed.requests_sent >= 3  # a request ends with its hundredth message; the next follows
    await feed.close()


async def test_an_expired_request_is_renewed(nc: NATS, stream: str) -> None:
    feed = await feed_of(nc, stream, batch=10, expires=0.4)
    assert await feed.next_batch(1.5) == []  # the server expired the request meanwhile (408)
    assert feed.requests_sent >= 2
    await publish(nc, stream, 1)
    assert [m.data for b in await collect(feed, 1) for m in b] == [b"0"]
    await feed.close()


async def test_a_deleted_consumer_is_reported(nc: NATS, stream: str) -> None:
    feed = await feed_of(nc, stream, batch=10, expires=5.0)
    assert await feed.next_batch(0.2) == []
    await nc.jetstream().delete_consumer(stream, "reader")
    with pytest.raises(ConsumerGone):
        for _ in range(20):
            await feed.next_batch(0.5)
    await feed.close()


async def test_delivery_resumes_after_the_server_restarts(server: LocalNats, nc: NATS, stream: str) -> None:
    feed = await feed_of(nc, stream, batch=10, expires=1.0)
    await publish(nc, stream, 1)
    assert [m.data for b in await collect(feed, 1) for m in b] == [b"0"]
    server.kill()
    server.start()  # same port and store: the stream and the durable consumer are still there
    deadline = time.monotonic() + 30
    published = 0
    while published < 2 and time.monotonic() < deadline:
        try:  # until the client has reconnected and JetStream has recovered the stream
            await nc.jetstream().publish(f"{stream.lower()}.x", b"after", timeout=1.0)
            published += 1
        except Exception:
            await feed.next_batch(0.2)
    # The request open before the crash died with the server; the feed asks again. (The
    # first message may come again: its ack may not have reached the disk before the kill.)
    seen: list[int] = []
    while 3 not in seen and time.monotonic() < deadline:
        seen += [m.metadata.sequence.stream for b in await collect(feed, 1, timeout=1.0) for m in b]
    assert seen in ([2, 3], [1, 2, 3])
    await feed.close()
