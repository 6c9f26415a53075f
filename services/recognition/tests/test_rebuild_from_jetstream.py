"""``rebuild`` fed from a real JetStream stream by ``read_stream`` (the replay reader)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import nats
import pytest
from nats.aio.client import Client as NATS
from sqlalchemy import select

from zhiyuan_platform.consumer import Delivery
from zhiyuan_platform.replay import read_stream
from zhiyuan_platform.streams_admin import ensure_context_stream
from zhiyuan_platform.tables import dead_letters
from zhiyuan_platform.testing.servers import LocalNats, running_nats
from zhiyuan_recognition.domain.star_policy import NATIONAL_DEFAULT
from zhiyuan_recognition.rebuild import rebuild

from .conftest import T0, Feed
from .test_ledger_and_rebuild import dump, live

pytestmark = pytest.mark.nats


@pytest.fixture
def server() -> Iterator[LocalNats]:
    """A server of its own: the streams here carry the real names ZY_REGISTRY / ZY_ACTIVITIES."""
    with running_nats() as local:
        yield local


@pytest.fixture
async def nc(server: LocalNats) -> AsyncIterator[NATS]:
    client = await nats.connect(server.url)
    for context in ("registry", "activities"):
        await ensure_context_stream(client, context)
    yield client
    await client.close()


async def publish(nc: NATS, deliveries: list[Delivery]) -> None:
    js = nc.jetstream()
    for d in deliveries:
        ack = await js.publish(d.subject, d.data)
        assert ack.seq == d.seq


async def collect(source: AsyncIterator[list[Delivery]]) -> list[list[Delivery]]:
    return [batch async for batch in source]


async def test_the_reader_yields_the_whole_stream_in_order_in_batches(nc: NATS) -> None:
    feed = Feed()
    for _ in range(11):
        feed.register()
    await publish(nc, feed.registry)
    batches = await collect(read_stream(nc, "ZY_REGISTRY", batch_size=4))
    assert [len(b) for b in batches] == [4, 4, 3]
    assert [(d.seq, d.subject, d.data) for b in batches for d in b] == [
        (d.seq, d.subject, d.data) for d in feed.registry
    ]
    assert await collect(read_stream(nc, "ZY_ACTIVITIES")) == []  # an empty stream: nothing, at once
    consumers = [c async for c in _consumer_names(nc, "ZY_REGISTRY")]
    assert consumers == []  # the reader's ephemeral consumer is gone


async def _consumer_names(nc: NATS, stream: str) -> AsyncIterator[str]:
    for info in await nc.jetstream().consumers_info(stream):
        yield info.name


async def test_rebuild_from_the_streams_equals_what_the_live_consumers_built(engine, nc: NATS) -> None:  # type: ignore[no-untyped-def]
    feed = Feed()
    people = [feed.register(district) for district in ("110105", "110108", "110101")]
    first = feed.log(people[0], 110 * 60, T0 + timedelta(days=1))
    feed.log(people[1], 30, T0 + timedelta(days=2))
    feed.move(people[1], "110105", T0 + timedelta(days=3))
    feed.log(people[1], 45, T0 + timedelta(days=4), district="110105")
    feed.correct(first, people[0], 90 * 60, 110 * 60, T0 + timedelta(days=5))  # the star is lowered again
    await publish(nc, feed.registry)
    await publish(nc, feed.activities)
    await live(engine, feed)
    built_live = await dump(engine)
    assert sorted(r[2] for r in built_live["volunteer_totals"]) == ["0", "5400", "75"]

    seen: list[tuple[str, int, int]] = []
    report = await rebuild(
        engine,
        NATIONAL_DEFAULT,
        {s: read_stream(nc, s, batch_size=2) for s in ("ZY_REGISTRY", "ZY_ACTIVITIES")},
        progress=lambda stream, seq, total: seen.append((stream, seq, total)),
        totals={"ZY_REGISTRY": len(feed.registry), "ZY_ACTIVITIES": len(feed.activities)},
    )
    assert await dump(engine) == built_live
    assert report.applied == {"ZY_REGISTRY": 4, "ZY_ACTIVITIES": 4} and report.announced == 0
    assert seen[-1] == ("ZY_ACTIVITIES", 4, 4) and ("ZY_REGISTRY", 4, 4) in seen


async def test_a_rebuild_dead_letters_bad_messages_as_the_live_consumer_does_and_applies_the_rest(  # type: ignore[no-untyped-def]
    engine, nc: NATS
) -> None:
    # A replay meets the same bad messages the live consumer met: each must reach the dead
    # letters with its reason, everything else must be applied, and the result must match.
    feed = Feed()
    vid = feed.register()
    feed.log(vid, 60, T0 + timedelta(days=1))
    good = feed.activities[0]
    bad = [
        b"not json at all",
        good.data.replace(b"HoursLogged.v1", b"HoursLogged.v9"),  # a future version
        good.data.replace(b'"minutes":60', b'"minutes":"sixty"'),  # fails validation
    ]
    for body in bad:
        feed.activities.append(Delivery(len(feed.activities) + 1, good.subject, body))
    feed.log(vid, 30, T0 + timedelta(days=2))
    await publish(nc, feed.registry)
    await publish(nc, feed.activities)
    await live(engine, feed)
    built_live = await dump(engine)

    report = await rebuild(
        engine, NATIONAL_DEFAULT, {s: read_stream(nc, s) for s in ("ZY_REGISTRY", "ZY_ACTIVITIES")}
    )
    assert report.dead_lettered == 3
    assert await dump(engine) == built_live
    assert sorted(r[2] for r in built_live["volunteer_totals"]) == ["90"]
    async with engine.connect() as conn:
        reasons = [r.reason for r in await conn.execute(select(dead_letters.c.reason).order_by(dead_letters.c.stream_sequence))]
    assert [r.split(":")[0] for r in reasons] == ["not a CloudEvent", "invalid event", "invalid event"]
