"""District isolation, enforced by nats-server with the generated configuration.

District A's credentials get every event of A, live and replayed from the start, and
nothing of B or of the services' internal traffic, whatever they subscribe to or try to
create; they cannot publish events.
"""

from __future__ import annotations

import asyncio
import json

import nats.errors
import pytest
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from zhiyuan_contracts.envelope import decode
from zhiyuan_district_client import Since, pull_subscription
from zhiyuan_platform import natsconf
from zhiyuan_platform.natsconf import district_user, generate_district_passwords

from .conftest import A, B, Feed, event, start_feed

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]

MIX = (
    "zhiyuan.registry.VolunteerRegistered.v1",
    "zhiyuan.activities.ActivityPublished.v1",
    "zhiyuan.activities.HoursLogged.v1",
    "zhiyuan.recognition.StarLevelAttained.v1",
    "zhiyuan.registry.VolunteerSuspended.v1",
)
# Subscriptions wider than A's feed, or elsewhere: B's feed, the gateway's requests, the
# deliveries of the city's consumers, JetStream's internal subjects.
WIDER = ("zy.>", ">", f"zy.*.{B}.>", "zy.registry.*.>", "zyi.>", "zyfeed.>", "$JS.>", "_INBOX_X.>")


async def _publish_mix(feed: Feed) -> tuple[list[str], list[str]]:
    """Events of every context in A and in B, interleaved; returns (A's ids, B's ids)."""
    ids: dict[str, list[str]] = {A: [], B: []}
    for type_str in MIX:
        for code in (A, B):
            ce = event(type_str, code)
            await feed.publish(ce)
            ids[code].append(ce.id)
    await feed.wait_district(A, len(ids[A]))
    await feed.wait_district(B, len(ids[B]))
    return ids[A], ids[B]


async def test_a_replays_all_of_its_events_from_the_start_and_none_of_b(feed: Feed) -> None:
    a_ids, b_ids = await _publish_mix(feed)
    district = await feed.district(A)
    sub = await pull_subscription(district.nc, A, Since.start())
    msgs = await sub.fetch(100, timeout=2)
    events = [decode(m.data) for m in msgs]
    assert sorted(e.id for e in events) == sorted(a_ids)
    assert {e.district for e in events} == {A}
    assert {m.subject.split(".")[2] for m in msgs} == {A}
    # Every context, each in the order it was published (one source per city stream).
    assert {e.context for e in events} == {"registry", "activities", "recognition"}
    for context in ("registry", "activities", "recognition"):
        in_stream = [e.id for e in events if e.context == context]
        assert in_stream == [i for i in a_ids if i in in_stream]
    # Its account holds its own stream only: the city's and B's do not exist there.
    names = await district.nc.jetstream(timeout=2).streams_info()
    assert [s.config.name for s in names] == ["ZY_DISTRICT_110101"]
    assert not set(b_ids) & {e.id for e in events}
    assert await district.violations() == []


async def test_live_subscription_gets_a_and_wildcards_get_nothing_of_b(feed: Feed) -> None:
    district = await feed.district(A)
    got: dict[str, list[str]] = {}

    def recorder(name: str):  # type: ignore[no-untyped-def]
        got[name] = []

        async def record(msg: Msg) -> None:
            got[name].append(msg.subject)

        return record

    # Allowed: its live feed and its inbox. Refused: everything wider or elsewhere.
    await district.nc.subscribe(f"zy.*.{A}.>", cb=recorder("live"))
    await district.nc.subscribe("_INBOX.>", cb=recorder("inbox"))
    for pattern in WIDER:
        await district.nc.subscribe(pattern, cb=recorder(pattern))
    refused = await district.violations(expected=len(WIDER))
    for pattern in WIDER:
        assert any(f'subscription to "{pattern.lower()}"' in v for v in refused), (pattern, refused)

    # Traffic: events of A and B, and a gateway request with its reply.
    registry, gateway = await feed.connect("registry"), await feed.connect("gateway")

    async def answer(msg: Msg) -> None:
        await msg.respond(json.dumps({"ok": True, "volunteer": "张*明"}).encode())

    await registry.nc.subscribe("zyi.registry.>", queue="registry", cb=answer)
    await registry.settle()
    await _publish_mix(feed)
    reply = await gateway.nc.request("zyi.registry.GetVolunteer", b"{}", timeout=2)
    assert json.loads(reply.data)["ok"]
    await asyncio.sleep(0.2)
    await district.settle()

    assert sorted(got["live"]) == sorted(f"zy.{t.split('.')[1]}.{A}.{t.split('.')[2]}" for t in MIX)
    assert got["inbox"] == []
    for pattern in WIDER:
        assert got[pattern] == [], pattern


async def test_the_city_api_and_other_districts_streams_are_refused(feed: Feed) -> None:
    await _publish_mix(feed)
    district = await feed.district(A)
    attempts = [
        "$JS.API.STREAM.INFO.ZY_REGISTRY",
        "$JS.API.STREAM.MSG.GET.ZY_REGISTRY",
        "$JS.API.DIRECT.GET.ZY_ACTIVITIES",
        "$JS.API.CONSUMER.CREATE.ZY_REGISTRY",
        f"$JS.API.CONSUMER.CREATE.ZY_REGISTRY.trick.zy.registry.{B}.>",
        f"$JS.API.CONSUMER.CREATE.ZY_DISTRICT_{B}",
        f"$JS.API.CONSUMER.CREATE.ZY_DISTRICT_{B}.trick",
        f"$JS.API.CONSUMER.DURABLE.CREATE.ZY_DISTRICT_{B}.trick",
        f"$JS.API.CONSUMER.MSG.NEXT.ZY_DISTRICT_{B}.trick",
        # Its own stream: reading yes, managing no.
        f"$JS.API.STREAM.CREATE.ZY_DISTRICT_{A}",
        f"$JS.API.STREAM.UPDATE.ZY_DISTRICT_{A}",
        f"$JS.API.STREAM.PURGE.ZY_DISTRICT_{A}",
        f"$JS.API.STREAM.DELETE.ZY_DISTRICT_{A}",
        "$JS.API.STREAM.CREATE.MINE",
        # The city API its stream's sources use, and the operator's way into B.
        f"$JS.ZHIYUAN.API.CONSUMER.CREATE.ZY_REGISTRY.trick.zy.registry.{B}.>",
        f"$JS.ZHIYUAN.API.CONSUMER.CREATE.ZY_REGISTRY.trick.zy.registry.{A}.>",
        f"$JS.DISTRICT.{B}.API.STREAM.INFO.ZY_DISTRICT_{B}",
    ]
    for subject in attempts:
        await district.nc.publish(subject, b"{}")
    found = await district.violations(expected=len(attempts))
    for subject in attempts:
        assert any(f'publish to "{subject.lower()}"' in v for v in found), (subject, found)

    # Through the JetStream API of nats-py: no answer reaches it.
    js = district.nc.jetstream(timeout=0.5)
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError, asyncio.TimeoutError)):
        await js.stream_info("ZY_REGISTRY")
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError, asyncio.TimeoutError)):
        await js.add_consumer(
            f"ZY_DISTRICT_{B}", ConsumerConfig(durable_name="trick", ack_policy=AckPolicy.EXPLICIT)
        )
    # B's stream does not exist in A's account: a (permitted) look under its own name finds nothing of B.
    assert [n async for n in _stream_names(district)] == [f"ZY_DISTRICT_{A}"]


async def _stream_names(conn):  # type: ignore[no-untyped-def]
    for name in await conn.nc.jetstream(timeout=2).streams_info():
        yield name.config.name


async def test_a_cannot_publish_events_or_requests(feed: Feed) -> None:
    await _publish_mix(feed)
    before = {s: await feed.city_count(s) for s in ("ZY_REGISTRY", "ZY_ACTIVITIES", "ZY_RECOGNITION")}
    district = await feed.district(A)
    subjects = [
        f"zy.registry.{A}.VolunteerRegistered",
        f"zy.activities.{A}.HoursLogged",
        f"zy.registry.{B}.VolunteerRegistered",
        "zyi.registry.RegisterVolunteer",
        "zyd.registry.VolunteerRegistered",
    ]
    for subject in subjects:
        await district.nc.publish(subject, b"{}")
    found = await district.violations(expected=len(subjects))
    for subject in subjects:
        assert any(f'publish to "{subject.lower()}"' in v for v in found), (subject, found)
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError, asyncio.TimeoutError)):
        await district.nc.jetstream(timeout=0.5).publish(f"zy.registry.{A}.VolunteerRegistered", b"{}")
    after = {s: await feed.city_count(s) for s in before}
    assert after == before


async def test_push_consumers_delivering_into_city_subjects_stay_in_the_district_account(feed: Feed) -> None:
    """A consumer on its own stream may deliver to any subject, but only inside A's account:
    nothing reaches the city's subscribers, the services or the city streams."""
    await _publish_mix(feed)
    before = await feed.city_count("ZY_REGISTRY")
    operator, registry = await feed.connect("operator"), await feed.connect("registry")
    leaked: list[str] = []

    async def record(msg: Msg) -> None:
        leaked.append(msg.subject)

    injected = (f"zy.registry.{B}.Injected", "zyi.registry.Injected")
    await operator.nc.subscribe("zy.>", cb=record)
    await operator.nc.subscribe(injected[0], cb=record)  # push delivery wants literal interest
    await registry.nc.subscribe(injected[1], cb=record)
    await registry.nc.subscribe("zyi.registry.>", cb=record)
    await operator.settle()
    await registry.settle()

    district = await feed.district(A)
    js = district.nc.jetstream(timeout=2)
    for i, deliver in enumerate(injected):
        await js.add_consumer(
            f"ZY_DISTRICT_{A}",
            ConsumerConfig(
                name=f"push{i}",
                deliver_subject=deliver,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.NONE,
            ),
        )
    # A control: delivered to a subject with interest in A's account, it arrives there.
    control = await district.nc.subscribe("_INBOX.control")
    await js.add_consumer(
        f"ZY_DISTRICT_{A}",
        ConsumerConfig(
            name="control",
            deliver_subject="_INBOX.control",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.NONE,
        ),
    )
    assert (await control.next_msg(timeout=2)).subject.split(".")[2] == A
    await asyncio.sleep(0.3)
    # The subscribers in the city's account are no interest for A's consumers: nothing goes out.
    for i in range(len(injected)):
        info = await js.consumer_info(f"ZY_DISTRICT_{A}", f"push{i}")
        assert not info.push_bound and info.delivered.consumer_seq == 0
    assert leaked == []
    assert await feed.city_count("ZY_REGISTRY") == before
    assert await district.violations() == []


async def test_wrong_or_other_districts_passwords_are_refused(feed: Feed) -> None:
    for user, password in (
        (district_user(A), feed.districts[B]),
        (district_user(A), feed.districts[A] + "x"),
        (district_user("110105"), feed.districts[A]),
    ):
        with pytest.raises(Exception) as refused:
            await feed.connect(user, password)
        assert "authorization" in str(refused.value).lower() or isinstance(refused.value, nats.errors.Error)


async def test_the_second_wall_with_the_city_api_allowed_the_filter_still_binds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even a district user allowed to use its account's import of the city API (the one
    its stream's sources use) reaches only consumer creation filtered to its district:
    another filter finds no import, and a config that differs from the subject's filter is
    refused by nats-server."""
    original = natsconf.district_permissions

    def loosened(code: str) -> natsconf.Permissions:
        permissions = original(code)
        permissions["publish"]["allow"].append("$JS.ZHIYUAN.API.>")
        return permissions

    monkeypatch.setattr(natsconf, "district_permissions", loosened)
    districts = generate_district_passwords([A, B])
    server, passwords = start_feed(districts)
    feed = Feed(server=server, passwords=passwords, districts=districts)
    try:
        operator = await feed.connect("operator")
        from zhiyuan_cli.district import provision_districts

        await provision_districts(operator.nc, [A, B])
        await feed.publish(event("zhiyuan.registry.VolunteerRegistered.v1", B))
        district = await feed.district(A)

        def request(filter_subject: str, config_filter: str) -> bytes:
            body = {
                "stream_name": "ZY_REGISTRY",
                "config": {
                    "name": "trick",
                    "filter_subject": config_filter,
                    "deliver_policy": "all",
                    "ack_policy": "none",
                    "deliver_subject": "_INBOX.trick",
                },
            }
            return json.dumps(body).encode()

        prefix = "$JS.ZHIYUAN.API.CONSUMER.CREATE.ZY_REGISTRY.trick"
        with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
            await district.nc.request(
                f"{prefix}.zy.registry.{B}.>", request("", f"zy.registry.{B}.>"), timeout=1
            )
        with pytest.raises((nats.errors.NoRespondersError, nats.errors.TimeoutError)):
            await district.nc.request(f"{prefix}", request("", "zy.>"), timeout=1)
        answer = await district.nc.request(f"{prefix}.zy.registry.{A}.>", request("", "zy.>"), timeout=2)
        assert "did not match filtered subject" in json.loads(answer.data)["error"]["description"]
        for config_filter in ("zy.registry.>", f"zy.registry.{B}.>"):
            answer = await district.nc.request(
                f"{prefix}.zy.registry.{A}.>", request("", config_filter), timeout=2
            )
            assert json.loads(answer.data).get("error"), config_filter
        assert await district.violations() == []
    finally:
        await feed.close()
        server.cleanup()
